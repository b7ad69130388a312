"""`safetynet report quarterly`: the de-identified outcomes report of one quarter.

Counts by year of referral as of the quarter's last day (``warehouse.profiles.facts_as_of``), small
cells suppressed across the whole report (``reports.suppression``), charts drawn only from
published cells (a suppressed bar is drawn empty and marked "s"), an HTML page with the charts
inline, the PNG/SVG files beside it, and a CSV of every published cell. Nothing in it names,
identifies or dates a person: only categories and counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa

from outputs.cells import SafeCsvWriter
from outputs.rendering import html_environment, svg_data_uri
from reports.charts import grouped_bars
from reports.suppression import recoverable, suppress
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

    def published(self, table: Table, row: str, year: object) -> str:
        return SUPPRESSED if table.cell_id(row, year) in self.hidden else str(table.counts[(row, year)])


def build_report(engine: sa.Engine, quarter: str, out_dir: Path) -> QuarterlyReport:
    label, _, end = parse_quarter(quarter)
    facts = facts_as_of(engine, end)
    measures = client_measures(facts)
    tables, cohort = build_tables(facts, measures)
    years = sorted(cohort["year"].unique())
    sizes = cohort["year"].value_counts().to_dict()
    system = system_of(tables, years, sizes)
    hidden = suppress(system)
    leaks = recoverable(system, hidden)
    if leaks:  # never publish a report whose hidden cells can be worked out
        raise RuntimeError(f"suppression left {len(leaks)} cells recoverable; report not written")
    out_dir.mkdir(parents=True, exist_ok=True)
    report = QuarterlyReport(
        label,
        end,
        tables,
        hidden,
        out_dir / f"quarterly_{label}.html",
        out_dir / f"quarterly_{label}.csv",
        [],
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
