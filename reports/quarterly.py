"""`safetynet report quarterly`: the de-identified outcomes report of one quarter.

Counts by year of referral as of the quarter's last day (``warehouse.profiles.facts_as_of``), small
cells suppressed across the whole report (``reports.suppression``), charts drawn only from
published cells (a suppressed bar is drawn empty and marked "s"), an HTML page with the charts
inline, the PNG/SVG files beside it, and a CSV of every published cell. Nothing in it names,
identifies or dates a person: only categories and counts.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from integrations.vocabularies import US_STATES, home
from outputs.cells import SafeCsvWriter, from_csv_value
from outputs.rendering import html_environment, svg_data_uri
from reports.charts import grouped_bars, ranked_bars
from reports.disclosure import Proof, Publication, protect
from reports.suppression import System, suppress
from reports.tables import SECTIONS, TOTAL, Table, as_of_label, build_tables, system_of
from settings.files import private_dir
from warehouse.measures import client_measures
from warehouse.profiles import facts_as_of

SUPPRESSED = "s"
#: two-way tables and the people table whose rows are their column groups (the shares' bases)
PIVOT_BASES = {
    "age_by_csec": "csec_status",
    "risk_by_involvement": "involvement",
    "services_by_involvement": "involvement",
}
#: (table, title, rows to draw or None for all, kind): grouped by year, or ranked on the totals
CHARTS = (
    ("quarter", "What happened this quarter (clients)", None, "ranked"),
    ("referrals", "Clients by year of referral", None, "grouped"),
    ("risk_factors", "Risk factors (clients, all years)", None, "ranked"),
    ("services", "Services (clients, all years)", None, "ranked"),
    ("residence_timeline", "Residence timeline (clients, all years)", None, "ranked"),
    ("involvement", "Probation and Social Services involvement, ever (clients, all years)", None, "ranked"),
    ("system_ever", "Probation or Social Services custody, ever", ["Yes", "No"], "grouped"),
    ("schools", "Schools attended per client (clients, all years)", None, "ranked"),
    ("arrests", "Arrests of clients by agency", None, "grouped"),
    ("adult_charges", "Adult arrests by charge group (clients, all years)", None, "ranked"),
    ("recidivism", "Re-arrest after the 18th birthday", None, "grouped"),
)
_QUARTER = re.compile(r"^(\d{4})[-\s]?Q([1-4])$", re.I)


def parse_quarter(text: str) -> tuple[str, date, date]:
    """ "2026Q3" -> ("2026Q3", first day, last day); ValueError with the expected form otherwise."""
    m = _QUARTER.match(text.strip())
    if not m:
        raise ValueError(f"not a quarter: {text!r} (expected e.g. 2026Q3)")
    year, q = int(m.group(1)), int(m.group(2))
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), (3 * q) % 12 + 1, 1)
    return f"{year}Q{q}", start, date.fromordinal(end.toordinal() - 1)


@dataclass
class QuarterlyReport:
    quarter: str
    as_of: date
    tables: list[Table]
    hidden: set
    html: Path
    csv: Path
    charts: list[Path]
    proof: Proof | None = None
    #: the previous quarter's report it was checked with, and where that came from
    previous: str = ""

    #: figures beside the tables (label, value, how it is computed): the average schools per youth
    statistics: list[tuple[str, str, str]] = field(default_factory=list)
    #: charts left out because (almost) every value in them is suppressed
    undrawn: list[str] = field(default_factory=list)

    def published(self, table: Table, row: str, year: object) -> str:
        return SUPPRESSED if table.cell_id(row, year) in self.hidden else str(table.counts[(row, year)])

    def shown(self, table: Table, row: str, year: object) -> int | None:
        """The count as published, None when it is hidden."""
        return None if table.cell_id(row, year) in self.hidden else table.counts[(row, year)]

    def base(self, table: Table, year: object) -> int | None:
        """The published denominator of a column's percentages: the rows of ``table.base``, else the
        column's clients; None when any part of it is hidden (a share would give it away)."""
        if table.shape == "events":
            return None
        cells = [table.cell_id(r, year) for r in table.base] if table.base else [("N", year)]
        if any(c in self.hidden for c in cells):
            return None
        n = sum(table.counts[(r, year)] for r in table.base) if table.base else self._cohort(year)
        return n or None

    def _cohort(self, year: object) -> int:
        referrals = next(t for t in self.tables if t.key == "referrals")
        return referrals.counts[(TOTAL, year)]

    def percent(self, table: Table, row: str, year: object) -> str:
        """The published share ("34%"), or "" when the count or its denominator is hidden."""
        n, base = self.shown(table, row, year), self.base(table, year)
        if n is None or base is None or (table.base and row not in table.base and row != TOTAL):
            return ""
        return f"{100 * n / base:.0f}%"

    def pivot(self, table: Table) -> list[tuple[str, list[tuple[str, str]]]]:
        """A two-way table's totals: one line per row label, (count, share of its column group)."""
        rows, groups = table.pivot or ([], [])
        sizes = next((t for t in self.tables if t.key == PIVOT_BASES.get(table.key)), None)
        out = []
        for r in rows:
            cells = []
            for g in groups:
                key = f"{r} | {g}"
                if (key, TOTAL) not in table.counts:
                    cells.append(("0", ""))
                    continue
                n = self.shown(table, key, TOTAL)
                size = self.shown(sizes, g, TOTAL) if sizes is not None and g in sizes.rows else None
                share = f"{100 * n / size:.0f}%" if n is not None and size else ""
                cells.append((SUPPRESSED if n is None else str(n), share))
            out.append((r, cells))
        return out


class NothingToReport(RuntimeError):
    """No client is in the quarter's cohort; the message says what is missing (no client data)."""


def missing_clients(engine: sa.Engine, end: date) -> str:
    """Why no client is counted on ``end``: no list delivered, the list quarantined, nobody referred."""
    from warehouse.models import Delivery, DqResult

    d, r = Delivery.__table__, DqResult.__table__
    with engine.connect() as conn:
        lists = conn.execute(
            sa.select(d.c.id, d.c.file_name, d.c.delivered_on, d.c.status)
            .where(d.c.kind == "safetynet_clients")
            .order_by(d.c.received_at.desc(), d.c.id.desc())
        ).all()
        loaded = [row for row in lists if row.status == "loaded"]
        failed: list[str] = []
        if lists and not loaded:
            failed = list(
                conn.execute(
                    sa.select(r.c.rule_id)
                    .where(r.c.delivery_id == lists[0].id, r.c.success.is_(False), r.c.severity == "blocking")
                    .order_by(r.c.rule_id)
                ).scalars()
            )
    if not lists:
        return "no client list has been delivered yet: the report counts the clients on it"
    if not loaded:
        last = lists[0]
        why = f" (failed: {', '.join(failed)})" if failed else ""
        return (
            f"no client list has been loaded: the last one, {last.file_name} of {last.delivered_on}, was "
            f"{last.status}{why}. Correct the list and run the sync again (safetynet validate shows the rows)"
        )
    return f"no client on the list was referred by {end.isoformat()}"


def previous_quarter(label: str) -> str:
    year, q = int(label[:4]), int(label[-1])
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def quarter_tables(engine: sa.Engine, end: date) -> tuple[list[Table], pd.DataFrame, System]:
    """The quarter's tables, its cohort and the tables' own equations (table-by-table suppression)."""
    facts = facts_as_of(engine, end)
    clients = facts["clients"]
    if "referral_date" not in clients or not (clients["referral_date"] <= pd.Timestamp(end)).any():
        # nobody referred by then (a first quarter's predecessor, an empty warehouse): no tables
        return [], pd.DataFrame({"client_id": [], "year": []}), System()
    tables, cohort = build_tables(facts, client_measures(facts))
    years = sorted(cohort["year"].unique())
    return tables, cohort, system_of(tables, years, cohort["year"].value_counts().to_dict())


def protected_cells(
    tables: list[Table], cohort: pd.DataFrame, system: System, previous: Publication | None = None
) -> Proof:
    """The cells to hide: small ones, their complements table by table, then whatever the proof
    across tables (and with ``previous``) needs (``reports.disclosure``); DisclosureError if none do."""
    return protect(Publication.of(tables, cohort), suppress(system), previous)


def read_published(csv_path: Path, tables: list[Table]) -> tuple[set, int]:
    """The cells a report's CSV hid ("s"), as cell ids of ``tables``; and how many of its cells no
    longer match them (history corrected since: those are left out of the proof)."""
    by_key = {t.key: t for t in tables}
    hidden, stale = set(), 0
    with open(csv_path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            t = by_key.get(row["table"])
            label = from_csv_value(row["row"])
            year_text = row["year_of_referral"]
            year: object = TOTAL if year_text == TOTAL else int(year_text)
            if t is None or (label, year) not in t.counts:
                stale += 1
                continue
            if row["count"] == SUPPRESSED:
                hidden.add(t.cell_id(label, year))
            elif row["count"] != str(t.counts[(label, year)]):
                stale += 1
    return hidden, stale


def previous_publication(
    engine: sa.Engine, label: str, out_dir: Path, previous_csv: Path | None = None
) -> tuple[Publication | None, str]:
    """The previous quarter's report as the proof reads it, and a sentence saying where it came from.

    Its hidden cells come from its CSV (``previous_csv``, else ``out_dir/quarterly_<previous>.csv``);
    without one, from suppressing it as this code would have published it on its own.
    """
    prev = previous_quarter(label)
    _, _, end = parse_quarter(prev)
    tables, cohort, system = quarter_tables(engine, end)
    if cohort.empty:
        return None, f"no clients in {prev}: nothing to read with"
    path = previous_csv or out_dir / f"quarterly_{prev}.csv"
    if path.is_file():
        hidden, stale = read_published(path, tables)
        note = f"checked together with {prev}'s published report ({path.name})"
        if stale:
            note += f"; {stale} of its cells differ from today's data and were left out"
    else:
        hidden = protected_cells(tables, cohort, system).hidden
        note = f"checked together with {prev}'s report as it would be published (no {path.name} here)"
    return Publication.of(tables, cohort, hidden), note


def build_report(
    engine: sa.Engine, quarter: str, out_dir: Path, previous_csv: Path | None = None
) -> QuarterlyReport:
    label, start, end = parse_quarter(quarter)
    tables, cohort, system = quarter_tables(engine, end)
    if cohort.empty:
        raise NothingToReport(f"no report for {label}: {missing_clients(engine, end)}")
    previous, previous_note = previous_publication(engine, label, out_dir, previous_csv)
    # never publish a report from which a small count can be worked out (DisclosureError otherwise)
    proof = protected_cells(tables, cohort, system, previous)
    hidden = proof.hidden
    private_dir(out_dir)
    report = QuarterlyReport(
        label,
        end,
        tables,
        hidden,
        out_dir / f"quarterly_{label}.html",
        out_dir / f"quarterly_{label}.csv",
        [],
        proof,
        previous_note,
    )
    charts_dir = out_dir / "charts"
    svgs = []
    by_key = {t.key: t for t in tables}
    for key, title, rows, kind in CHARTS:
        t = by_key.get(key)
        if t is None or not t.rows:
            continue
        columns = [TOTAL] if kind == "ranked" else t.years
        drawn = [report.shown(t, r, y) for r in (rows or t.rows) for y in columns]
        if sum(1 for v in drawn if v) < 2:  # everything (but one) suppressed: nothing to look at
            report.undrawn.append(title)
            continue
        if kind == "ranked":
            values = [report.shown(t, r, TOTAL) for r in t.rows]
            svg, png = ranked_bars(charts_dir / key, title, list(t.rows), values, report.base(t, TOTAL))
        else:
            series = {r: [report.shown(t, r, y) for y in t.years] for r in (rows or t.rows)}
            svg, png = grouped_bars(charts_dir / key, title, [str(y) for y in t.years], series)
        report.charts += [svg, png]
        svgs.append((title, svg_data_uri(svg.read_text(encoding="utf-8")), png.name))
    report.statistics = _statistics(report, cohort)
    _write_csv(report)
    env = html_environment("reports")
    html = env.get_template("quarterly.html.j2").render(
        report=report,
        quarter=label,
        as_of=as_of_label(end),
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
        total=TOTAL,
        charts=svgs,
        n_hidden=len(hidden),
        previous=previous_note,
        suppressed=SUPPRESSED,
        sections=[sec for sec in SECTIONS if any(t.section == sec for t in tables)],
        first_day=as_of_label(start),
        home_county=home().county,
        home_state=US_STATES.get(home().state, home().state),
    )
    report.html.write_text(html, encoding="utf-8")
    return report


def _write_csv(report: QuarterlyReport) -> None:
    with open(report.csv, "w", newline="", encoding="utf-8") as fh:
        w = SafeCsvWriter(fh, lineterminator="\n")
        w.writerow(["table", "row", "year_of_referral", "count", "percent"])
        for t in report.tables:
            for row in [*t.rows, *([TOTAL] if t.shape != "multi" else [])]:
                for y in [*t.years, TOTAL]:
                    if (row, y) in t.counts:
                        w.writerow([t.key, row, y, report.published(t, row, y), report.percent(t, row, y)])


def _statistics(report: QuarterlyReport, cohort: pd.DataFrame) -> list[tuple[str, str, str]]:
    """Figures that are not counts, published only over a cohort whose size is published."""
    if ("N", TOTAL) in report.hidden or len(cohort) <= 10:
        return []
    mean = float(cohort["school_count"].mean())
    enrolled = cohort[cohort["school_count"] > 0]
    out = [("Average schools per client", f"{mean:.2f}", f"over all {len(cohort)} clients")]
    schools = next((t for t in report.tables if t.key == "schools"), None)
    # its base (clients with a school record) is published: all clients minus those with none
    if len(enrolled) > 10 and schools is not None and report.shown(schools, "0", TOTAL) is not None:
        out.append(
            (
                "Average schools per client with a school record",
                f"{enrolled['school_count'].mean():.2f}",
                "over the clients enrolled at one school or more",
            )
        )
    return out
