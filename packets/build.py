"""Build the weekly case-review packet: HTML (print CSS), PDF when a local Chromium can print it, XLSX.

The agenda comes from the client list: the coordinator's ``next_meeting`` column (kind
``safetynet_clients``) names the meeting each client is on. A packet for meeting D lists the
clients whose list entry in force on D says D. "Since the last meeting" compares what the
warehouse knew on the client's previous meeting (the latest earlier ``next_meeting`` in the list's
history, else a week before D) with what it knows for D: facts delivered since are marked *new*,
facts an agency changed are marked *changed*, and measures that moved are listed.

Only what safety planning needs: no agency record ids, no street address, no phone numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from integrations.config import SourceConfig
from outputs.rendering import html_environment
from packets.attention import open_review_rows, stale_sources
from packets.front import front_summary, risk_chips
from packets.pdf import CHROMIUM, PrintError, find_chromium, print_to_pdf
from packets.sections import SUMMARY, Section, agency, build_sections, measure_changes
from packets.workbook import write_workbook
from settings.files import private_dir
from warehouse.measures import client_measures
from warehouse.models import FactVersion, ReviewDecision
from warehouse.packet_files import record_packet_files
from warehouse.profiles import Facts, facts_as_of


@dataclass
class YouthProfile:
    client_id: str
    name: str
    previous_meeting: date
    sections: list[Section]
    summary: list[tuple[str, str]]
    changes: list[str]
    risk_factors: list[str]
    services: list[str]
    #: where she is, whether it is stable, which agencies were last in touch (``packets.front``)
    front: str = ""
    #: (label, note) per risk factor, agreeing with the summary
    risk_chips: list[tuple[str, str]] = field(default_factory=list)
    #: sentences: agency rows that may be hers, still in the review queue
    review_rows: list[str] = field(default_factory=list)
    #: how many agency rows that may be hers wait in the review queue
    review_waiting: int = 0
    #: sentences: sources behind this profile that are overdue or quarantined
    stale: list[str] = field(default_factory=list)


@dataclass
class Packet:
    meeting: date
    client_ids: list[str]
    youth: list[YouthProfile] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    pdf_note: str | None = None
    #: every source needing attention on the day the packet was built (``packets.attention``)
    stale: list[str] = field(default_factory=list)


def agenda(facts: Facts) -> list[str]:
    """Clients whose list entry in force on the meeting day names that day as their next meeting."""
    c = facts["clients"]
    on = c[c["next_meeting"].notna() & (c["next_meeting"] == pd.Timestamp(facts.as_of))]
    return sorted(
        on["client_id"],
        key=lambda cid: tuple(c.loc[c["client_id"] == cid, ["last_name", "first_name"]].fillna("").iloc[0]),
    )


def previous_meetings(engine: sa.Engine, client_ids: list[str], meeting: date) -> dict[str, date]:
    """Each client's latest earlier meeting in the list's history, else a week before ``meeting``."""
    fv = FactVersion.__table__
    found: dict[str, date] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(fv.c.record_id, fv.c.data).where(
                fv.c.table_name == "clients", fv.c.record_id.in_(client_ids)
            )
        ).all()
    for cid, data in rows:
        text = json.loads(data).get("next_meeting")
        if text:
            day = date.fromisoformat(text[:10])
            if day < meeting and day > found.get(cid, date.min):
                found[cid] = day
    return {cid: found.get(cid, meeting - timedelta(days=7)) for cid in client_ids}


def _sources_of(facts: Facts) -> set[str]:
    return {s for t in facts.tables.values() for s in t["source"].dropna()}


def _review_sentence(source: str, n: int) -> str:
    rows = "1 row waits" if n == 1 else f"{n} rows wait"
    return f"{agency(source)}: {rows} in the review queue as possibly this youth (not shown below)."


def linked_since(engine: sa.Engine, previous: dict[str, date]) -> dict[str, set[tuple[str, str]]]:
    """client -> (source, record_id) of agency rows a reviewer linked to her since her last meeting.

    Such a row may have been delivered long before (the Sheriff's booking held in the review queue):
    the table has not seen it on her page, so it is new to the table however old its delivery."""
    rd = ReviewDecision.__table__
    out: dict[str, set[tuple[str, str]]] = {}
    if not previous:
        return out
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(rd.c.client_id, rd.c.source, rd.c.record_id, rd.c.decided_at).where(
                rd.c.decision.in_(("same_person", "link_other_client")), rd.c.client_id.in_(list(previous))
            )
        ).all()
    for cid, source, record_id, decided_at in rows:
        if decided_at.date() >= previous[cid]:
            out.setdefault(cid, set()).add((source, record_id))
    return out


def _without(facts: Facts, rows: set[tuple[str, str]]) -> Facts:
    if not rows:
        return facts
    keep = {
        name: t[
            pd.Series(
                [(s, r) not in rows for s, r in zip(t["source"], t["record_id"], strict=True)],
                index=t.index,
                dtype=bool,
            )
        ]
        for name, t in facts.tables.items()
    }
    return Facts(facts.as_of, keep)


def build_packet(
    engine: sa.Engine,
    meeting: date,
    out_dir: Path,
    pdf: bool = True,
    today: date | None = None,
    sources: Mapping[str, SourceConfig] | None = None,
) -> Packet:
    """The packet of ``meeting``; ``today`` (default: the real date) is the day sources are judged
    overdue on, ``sources`` (default: config/sources.yaml) their agencies and cadences."""
    now_facts = facts_as_of(engine, meeting)
    ids = agenda(now_facts)
    packet = Packet(meeting, ids)
    stale = stale_sources(engine, today or date.today(), sources)
    packet.stale = [s.sentence() for _, s in sorted(stale.items())]
    waiting = open_review_rows(engine, ids)
    if ids:
        now_facts = facts_as_of(engine, meeting, ids)
    now_measures = client_measures(now_facts)
    previous = previous_meetings(engine, ids, meeting)
    then: dict[date, tuple[Facts, dict]] = {}
    for day in sorted(set(previous.values())):
        f = facts_as_of(engine, day, [c for c in ids if previous[c] == day], known_only=True)
        then[day] = (f, client_measures(f))
    newly_linked = linked_since(engine, previous)
    for cid in ids:
        before_facts, before_measures = then[previous[cid]]
        mine = now_facts.for_client(cid)
        client = mine["clients"].iloc[0]
        before = before_facts.for_client(cid)
        before_m = before_measures.get(cid)
        if newly_linked.get(cid):
            before = _without(before, newly_linked[cid])
            before_m = client_measures(before).get(cid)
        if before["clients"].empty:  # not on the list at her last meeting: all of it is new to the table
            before = Facts(before.as_of, {n: t.iloc[0:0] for n, t in before.tables.items()})
        sections = build_sections(mine, before)
        m = now_measures[cid]
        packet.youth.append(
            YouthProfile(
                client_id=cid,
                name=" ".join(
                    str(p) for p in (client["first_name"], client["middle_name"], client["last_name"]) if p
                ),
                previous_meeting=previous[cid],
                sections=sections,
                summary=[(label, fmt(m)) for label, fmt in SUMMARY],
                changes=measure_changes(before_m, m, sections),
                risk_factors=m["risk_factors"],
                services=m["services"],
                front=front_summary(m, agency),
                risk_chips=risk_chips(m),
                review_rows=[_review_sentence(s, n) for s, n in sorted(waiting.get(cid, {}).items())],
                review_waiting=sum(waiting.get(cid, {}).values()),
                stale=[stale[s].sentence() for s in sorted(_sources_of(mine) & set(stale))],
            )
        )
    private_dir(out_dir)  # a packet names children: 0700 (its files 0600 under the process umask)
    stem = out_dir / f"packet_{meeting.isoformat()}"
    html_path = stem.with_suffix(".html")
    env = html_environment("packets")
    html_path.write_text(
        env.get_template("packet.html.j2").render(
            packet=packet, generated=datetime.now().strftime("%Y-%m-%d %H:%M")
        ),
        encoding="utf-8",
    )
    packet.files.append(html_path)
    if pdf:
        pdf_path, packet.pdf_note = print_pdf(html_path, stem.with_suffix(".pdf"))
        if pdf_path:
            packet.files.append(pdf_path)
    xlsx = stem.with_suffix(".xlsx")
    write_workbook(packet, xlsx)
    packet.files.append(xlsx)
    # the files name these youth: a seal of one of their records finds the files here
    record_packet_files(engine, meeting, packet.files, ids)
    return packet


def print_pdf(html: Path, pdf: Path, chromium: Path = CHROMIUM) -> tuple[Path | None, str | None]:
    """Print ``html`` to ``pdf`` with the local headless Chromium, scripts off; (None, why) if it cannot."""
    binary = find_chromium(chromium)
    if not binary:
        return None, "PDF not made: no Chromium on this machine (print the HTML from a browser instead)"
    try:
        print_to_pdf(html, pdf, binary)
    except (OSError, PrintError) as exc:
        return None, f"PDF not made: Chromium failed ({type(exc).__name__}); the HTML prints the same"
    if not pdf.exists() or pdf.stat().st_size == 0:
        return None, "PDF not made: Chromium wrote nothing; the HTML prints the same"
    return pdf, None
