"""Quarterly report: suppression that cannot be undone (proved by linear programming), no identifiers.

The warehouse is the generator's deliveries loaded with their true links (``synthetic.load``).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from integrations.config import load_sources
from integrations.readers import read_extract
from reports.quarterly import SUPPRESSED, NothingToReport, build_report, parse_quarter
from reports.suppression import System, recoverable, suppress
from reports.tables import TOTAL, build_tables, system_of
from review import audit
from safetynet.cli import main
from synthetic.load import load_generated
from synthetic.pools import CITIES, PLACES
from warehouse import Warehouse
from warehouse.measures import client_measures
from warehouse.profiles import facts_as_of


@pytest.fixture(scope="module")
def report_dir(generated, tmp_path_factory) -> tuple[Warehouse, Path]:
    wh = Warehouse(f"sqlite:///{tmp_path_factory.mktemp('report') / 'wh.db'}")
    wh.migrate()
    load_generated(wh, generated.files, generated.truth_links)
    out = tmp_path_factory.mktemp("out")
    build_report(wh.engine, "2026Q3", out)
    return wh, out


def published_system(report_dir: tuple[Warehouse, Path]) -> tuple[System, set]:
    """What a reader of the CSV knows: published cells as numbers, "s" cells as unknowns."""
    wh, out = report_dir
    _, _, end = parse_quarter("2026Q3")
    tables, cohort = build_tables(facts_as_of(wh.engine, end), client_measures(facts_as_of(wh.engine, end)))
    years = sorted(cohort["year"].unique())
    structure = system_of(tables, years, cohort["year"].value_counts().to_dict())
    cells: dict = {}
    by_key = {t.key: t for t in tables}
    with open(out / "quarterly_2026Q3.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            t = by_key[row["table"]]
            year = (
                row["year_of_referral"] if row["year_of_referral"] == TOTAL else int(row["year_of_referral"])
            )
            cells[t.cell_id(row["row"], year)] = row["count"]
    unknown = {c for c, v in cells.items() if v == SUPPRESSED}
    seen = System(
        counts={c: (0 if v == SUPPRESSED else int(v)) for c, v in cells.items()},
        equations=structure.equations,
        upper=structure.upper,
    )
    missing = set(structure.counts) - set(cells)
    assert missing <= {("N", y) for y in [*years, TOTAL]}  # the cohort sizes are in the referrals table
    return seen, unknown


def test_no_suppressed_value_can_be_recovered(report_dir) -> None:
    seen, unknown = published_system(report_dir)
    assert len(unknown) > 20  # the data really has small cells to protect
    published = [n for c, n in seen.counts.items() if c not in unknown]
    assert all(n == 0 or n > 10 for n in published), "a count from 1 to 10 was published"
    assert recoverable(seen, unknown) == {}


def test_primary_suppression_alone_would_leak(report_dir) -> None:
    wh, _ = report_dir
    _, _, end = parse_quarter("2026Q3")
    facts = facts_as_of(wh.engine, end)
    tables, cohort = build_tables(facts, client_measures(facts))
    system = system_of(tables, sorted(cohort["year"].unique()), cohort["year"].value_counts().to_dict())
    primary = {c for c, n in system.counts.items() if 1 <= n <= 10}
    assert recoverable(system, primary), "the check must be able to fail"
    assert primary <= suppress(system)


def test_small_table_by_hand() -> None:
    s = System()
    for cell, n in {"a": 5, "b": 40, "c": 30, "t": 75}.items():
        s.cell(cell, n)
    s.equation(["a", "b", "c"], "t")
    hidden = suppress(s)
    assert hidden == {"a", "c"}  # the smallest other cell of the row hides with it
    assert recoverable(s, hidden) == {}
    assert recoverable(s, {"a"}) == {"a": (5.0, 5.0)}


def test_no_names_ids_or_birth_dates_anywhere(report_dir, generated) -> None:
    _, out = report_dir
    listed = read_extract(generated.files["safetynet_clients"], load_sources()["safetynet_clients"])
    clients = [
        {
            "client_id": r["record_id"],
            "dob": r["dob"].strftime("%Y-%m-%d") if pd.notna(r["dob"]) else "",
            **{f: r[f] or "" for f in ("first_name", "last_name", "address")},
        }
        for _, r in listed.tables["clients"].iterrows()
    ]
    text = "\n".join(
        p.read_text(encoding="utf-8") for p in out.rglob("*") if p.suffix in (".html", ".csv", ".svg")
    )
    sources = load_sources()
    institutions = {
        word
        for name, path in generated.files.items()
        if sources[name].kind == "school_district"
        for school in read_extract(path, sources[name]).tables["school_enrollments"]["school"].dropna()
        for word in school.split()
    }
    # places and agencies are row labels too ("Santa Clara County"): words of them are not names
    places = [p for place in PLACES for p in place[:2]] + list(CITIES) + [s.agency for s in sources.values()]
    institutions |= {word for place in places for word in place.split()}
    assert "<svg" in text and "Clients by year of referral" in text
    for c in clients:
        for field in ("client_id", "dob", "last_name", "address"):
            value = c[field]
            if field == "last_name" and value in institutions:
                continue  # checked as a word below, outside the schools' names
            # as a whole word: a surname such as "Le" is part of "San Leandro"
            found = value and re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text)
            assert not found, f"a client's {field} is in the report"
        for name in (c["first_name"], c["last_name"]):
            if name in institutions:  # "King" of "King Middle": a school's name, not a client's
                continue
            assert f">{name}<" not in text and f" {name} " not in text
    assert list(out.glob("charts/*.png"))


def test_report_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from tests.warehouse_data import CLIENTS, extract, record

    wh = Warehouse(f"sqlite:///{tmp_path / 'small.db'}")
    wh.migrate()
    ex = extract("safetynet_clients", "safetynet_clients", {"clients": CLIENTS})
    wh.load_clients(record(wh, ex), ex)
    monkeypatch.setenv("SAFETYNET_WAREHOUSE_URL", wh.url)
    out = tmp_path / "out"
    assert main(["report", "quarterly", "--quarter", "2026Q3", "--out", str(out)]) == 0
    assert "suppressed" in capsys.readouterr().out
    html = (out / "quarterly_2026Q3.html").read_text(encoding="utf-8")
    html = re.sub(r"data:image/svg\+xml;base64,[A-Za-z0-9+/=]+", "", html)  # the charts (base64)
    assert "Aaliyah" not in html and "C1" not in html  # three clients: every count is hidden
    published = [r["count"] for r in csv.DictReader(open(out / "quarterly_2026Q3.csv", encoding="utf-8"))]
    assert set(published) <= {SUPPRESSED, "0"}
    with wh.engine.connect() as conn:  # who wrote which quarter's report is in the audit log
        entry = audit.entries(conn, action="report_written")[0]
    assert entry["subject_id"] == "2026Q3" and entry["outcome"] == "ok"
    assert entry["username"].startswith("cli:") and entry["remote_addr"] == "command line"
    assert main(["report", "quarterly", "--quarter", "2026-09", "--out", str(out)]) == 2
    assert "expected e.g. 2026Q3" in capsys.readouterr().err


def _attack(*terms: tuple[int, str | None]) -> int | None:
    if any(v is None or v == SUPPRESSED for _, v in terms):
        return None
    return sum(sign * int(v) for sign, v in terms)


def test_the_three_attacks_of_issue_15_find_nothing(report_dir) -> None:
    _, out = report_dir
    cells = {
        (r["table"], r["row"], r["year_of_referral"]): r["count"]
        for r in csv.DictReader(open(out / "quarterly_2026Q3.csv", encoding="utf-8"))
    }
    years = sorted({y for (_, _, y) in cells})
    found = []
    for y in years:

        def v(table: str, row: str, y: str = y) -> str | None:
            return cells.get((table, row, y))

        for value in (
            _attack((1, v("sex", "F")), (-1, v("gender_identity", "cisgender female"))),
            _attack(
                (1, v("probation_custody", "Yes")),
                (1, v("welfare_custody", "Yes")),
                (-1, v("system_ever", "Yes")),
            ),
            _attack(
                (1, v("recidivism_sex_trade", "Not re-arrested under these")),
                (-1, v("recidivism", "Not re-arrested as an adult")),
            ),
        ):
            if value is not None and 1 <= value <= 10:
                found.append((y, value))
    assert found == []


def test_two_consecutive_quarters_are_proved_together(report_dir, tmp_path: Path) -> None:
    wh, _ = report_dir
    q2 = build_report(wh.engine, "2026Q2", tmp_path)
    q3 = build_report(wh.engine, "2026Q3", tmp_path)  # reads quarterly_2026Q2.csv beside it
    assert "as it would be published" in q2.previous and "2026Q1" in q2.previous
    assert "2026Q2's published report" in q3.previous
    assert q3.proof is not None and q3.proof.queries > 100
    html = q3.html.read_text(encoding="utf-8")
    assert "read together with the previous quarter" in html


def test_report_command_refuses_when_the_proof_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import reports.quarterly
    from reports.disclosure import DisclosureError
    from tests.warehouse_data import CLIENTS, extract, record

    wh = Warehouse(f"sqlite:///{tmp_path / 'small.db'}")
    wh.migrate()
    ex = extract("safetynet_clients", "safetynet_clients", {"clients": CLIENTS})
    wh.load_clients(record(wh, ex), ex)
    monkeypatch.setenv("SAFETYNET_WAREHOUSE_URL", wh.url)

    def cannot(*args, **kwargs):
        raise DisclosureError("1 small quantities stay determinable whatever is hidden: x")

    monkeypatch.setattr(reports.quarterly, "protect", cannot)
    out = tmp_path / "out"
    assert main(["report", "quarterly", "--quarter", "2026Q3", "--out", str(out)]) == 2
    assert "report not written: 1 small quantities" in capsys.readouterr().err
    assert not (out / "quarterly_2026Q3.csv").exists() and not (out / "quarterly_2026Q3.html").exists()
    with wh.engine.connect() as conn:
        assert audit.entries(conn, action="report_written")[0]["outcome"] == "refused"


def test_first_quarter_and_empty_warehouse(tmp_path: Path) -> None:
    from tests.warehouse_data import CLIENTS, extract, record

    empty = Warehouse(f"sqlite:///{tmp_path / 'empty.db'}")
    empty.migrate()
    with pytest.raises(NothingToReport, match="no client list has been delivered yet"):
        build_report(empty.engine, "2026Q3", tmp_path / "empty")
    assert not (tmp_path / "empty").exists()  # nothing written
    wh = Warehouse(f"sqlite:///{tmp_path / 'small.db'}")
    wh.migrate()
    ex = extract("safetynet_clients", "safetynet_clients", {"clients": CLIENTS})
    wh.load_clients(record(wh, ex), ex)
    first = build_report(wh.engine, "2025Q1", tmp_path / "first")  # C1 only; nobody in 2024Q4
    assert "no clients in 2024Q4" in first.previous
    assert {first.published(t, r, y) for t in first.tables for (r, y) in t.counts} <= {SUPPRESSED, "0"}


def test_report_on_a_quarantined_client_list_says_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """The list failed its blocking rules and was never loaded: no traceback, exit 2, the rule named."""
    from expectations.report import RuleResult, ValidationReport
    from tests.warehouse_data import CLIENTS, extract, record

    wh = Warehouse(f"sqlite:///{tmp_path / 'q.db'}")
    wh.migrate()
    ex = extract("safetynet_clients", "safetynet_clients", {"clients": CLIENTS})
    failed = RuleResult(
        rule_id="clients.record_id.unique",
        description="Each value of 'Client ID' appears on one row only.",
        severity="blocking",
        success=False,
        table="clients",
        column="record_id",
        unexpected_count=2,
        row_numbers=(4, 7),
        how_to_fix="Remove duplicated rows.",
    )
    record(wh, ex, ValidationReport(ex.source, ex.file.name, ex.rows_read, results=[failed]))
    monkeypatch.setenv("SAFETYNET_WAREHOUSE_URL", wh.url)
    out = tmp_path / "out"
    assert main(["report", "quarterly", "--quarter", "2026Q3", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no client list has been loaded" in err and "quarantined" in err
    assert "clients.record_id.unique" in err and "Traceback" not in err
    assert not out.exists()
    with wh.engine.connect() as conn:
        assert audit.entries(conn, action="report_written")[0]["outcome"] == "refused"


def test_every_table_goes_through_the_disclosure_proof(report_dir) -> None:
    """People tables carry who is in each row (the proof's atoms); bookings name their people table."""
    wh, out = report_dir
    _, _, end = parse_quarter("2026Q3")
    facts = facts_as_of(wh.engine, end)
    tables, cohort = build_tables(facts, client_measures(facts))
    keys = {t.key for t in tables}
    for t in tables:
        if t.shape == "events":
            assert t.linked in keys
            continue
        for row in t.rows:
            members = t.members[row]
            assert len(members) == len(cohort)
            assert int(members.sum()) == t.counts[(row, TOTAL)], (t.key, row)
    written = {r["table"] for r in csv.DictReader(open(out / "quarterly_2026Q3.csv", encoding="utf-8"))}
    assert written == keys
    new = {"quarter", "age_by_csec", "county_at_referral", "residence_timeline", "risk_by_involvement",
           "providers", "no_service", "services_by_involvement", "involvement", "probation_ever", "active",
           "dispositions", "school_list", "back_from_placement", "juvenile_arrest", "sex_trade_by",
           "sex_trade_bookings", "adult_charges", "recidivism_juvenile"}  # fmt: skip
    assert new <= keys
    # and every table is in the HTML, under its section (the two-way tables once had none: CSV only)
    html = (out / "quarterly_2026Q3.html").read_text(encoding="utf-8")
    shown = [(m.group(1), m.group(2)) for m in re.finditer(r"<(h2|h3)>([^<]*)</\1>", html)]
    section, under = None, {}
    for tag, text in shown:
        if tag == "h2":
            section = text
        else:
            under[text] = section
    for t in tables:
        assert under.get(t.title.replace("&", "&amp;")) == t.section, (t.key, t.section)
    names = {s.agency for s in load_sources().values()}
    arrested = next(t for t in tables if t.key == "arrested_by")
    assert set(arrested.rows) <= names  # agencies by name, never by source key


def test_tables_of_the_hand_made_youth(tmp_path: Path) -> None:
    """What each new table counts, on the three youth of tests/outcomes_data.py."""
    from tests.outcomes_data import AS_OF, build_outcomes_warehouse

    wh = build_outcomes_warehouse(f"sqlite:///{tmp_path / 'o.db'}")
    facts = facts_as_of(wh.engine, AS_OF)
    tables, _ = build_tables(facts, client_measures(facts))
    t = {x.key: x for x in tables}

    def total(key: str, row: str) -> int:
        return t[key].counts.get((row, TOTAL), 0)

    assert total("quarter", "Referred to SafetyNet") == 1  # B2
    assert total("quarter", "Arrested as a juvenile") == total("quarter", "Arrested as an adult") == 1  # A1
    assert total("quarter", "Custody placement began") == 1  # C3's transfer
    assert total("quarter", "Custody placement ended") == 2  # B2 and C3
    assert total("quarter", "Returned from placement") == 1  # B2 only: C3 was transferred
    assert total("quarter", "CSEC allegation received and found unfounded") == 1
    assert total("county_at_referral", "Not known (between residences)") == 1  # A1
    assert total("residence_timeline", "Lived outside California") == 1
    assert total("residence_timeline", "A gap between residences (whereabouts unknown)") == 1
    assert total("no_service", "No service on record") == 1
    assert total("back_from_placement", "Back from placement, no school enrolment") == 1
    assert total("recidivism_juvenile", "Juvenile arrest, re-arrested as an adult") == 1  # A1, 18 in August
    assert total("recidivism_juvenile", "Juvenile arrest, not yet 18 at quarter end") == 1  # B2
    assert total("adult_charges", "Sex trade (PC 647(b), 653.22)") == 1
    assert total("sex_trade_by", "Oakland Police Department - Records Division") == 1
    assert total("risk_by_involvement", "Runaway history | Social Services only") == 1
    assert total("age_by_csec", "16-17 | Identified") == 1
    assert total("involvement", "Probation only") == 1
    wh.dispose()
