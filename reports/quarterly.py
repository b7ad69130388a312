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
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from outputs.cells import SafeCsvWriter, from_csv_value
from outputs.rendering import html_environment, svg_data_uri
from reports.charts import grouped_bars
from reports.disclosure import Proof, Publication, protect
from reports.suppression import System, suppress
from reports.tables import TOTAL, Table, as_of_label, build_tables, system_of
from warehouse.measures import client_measures
from warehouse.profiles import facts_as_of

SUPPRESSED = "s"
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

    def published(self, table: Table, row: str, year: object) -> str:
        return SUPPRESSED if table.cell_id(row, year) in self.hidden else str(table.counts[(row, year)])


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
    label, _, end = parse_quarter(quarter)
    tables, cohort, system = quarter_tables(engine, end)
    previous, previous_note = previous_publication(engine, label, out_dir, previous_csv)
    # never publish a report from which a small count can be worked out (DisclosureError otherwise)
    proof = protected_cells(tables, cohort, system, previous)
    hidden = proof.hidden
    out_dir.mkdir(parents=True, exist_ok=True)
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
    chart_specs = [
        ("referrals", "Clients by year of referral", None),
        ("system_ever", "Probation or Social Services custody, ever", ["Yes", "No"]),
        ("arrests", "Arrests of clients by agency", None),
        ("recidivism", "Re-arrest after the 18th birthday", None),
    ]
    svgs = []
    by_key = {t.key: t for t in tables}
    for key, title, rows in chart_specs:
        if key not in by_key:
            continue
        t = by_key[key]
        series = {
            r: [None if t.cell_id(r, y) in hidden else t.counts[(r, y)] for y in t.years]
            for r in (rows or t.rows)
        }
        svg, png = grouped_bars(charts_dir / key, title, [str(y) for y in t.years], series)
        report.charts += [svg, png]
        svgs.append((title, svg_data_uri(svg.read_text(encoding="utf-8")), png.name))
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
    )
    report.html.write_text(html, encoding="utf-8")
    return report


def _write_csv(report: QuarterlyReport) -> None:
    with open(report.csv, "w", newline="", encoding="utf-8") as fh:
        w = SafeCsvWriter(fh, lineterminator="\n")
        w.writerow(["table", "row", "year_of_referral", "count"])
        for t in report.tables:
            for row in [*t.rows, *([TOTAL] if t.shape != "multi" else [])]:
                for y in [*t.years, TOTAL]:
                    if (row, y) in t.counts:
                        w.writerow([t.key, row, y, report.published(t, row, y)])
