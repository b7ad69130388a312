"""The packet as an XLSX workbook (openpyxl): an agenda sheet, then one sheet per section for all youth."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from outputs.cells import append_row

if TYPE_CHECKING:
    from packets.build import Packet

HEADER = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
NEW_FILL = PatternFill("solid", fgColor="FFF2CC")
CHANGED_FILL = PatternFill("solid", fgColor="FCE4D6")


def _sheet(wb: Workbook, title: str, columns: list[str], rows: list[tuple[list, str]]) -> None:
    ws = wb.create_sheet(title[:31])
    append_row(ws, columns)
    for cell in ws[1]:
        cell.font, cell.fill = HEADER, HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for values, change in rows:
        append_row(ws, values)
        fill = NEW_FILL if change == "new" else CHANGED_FILL if change == "changed" else None
        if fill:
            for cell in ws[ws.max_row]:
                cell.fill = fill
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = ws.dimensions
    for i, name in enumerate(columns, start=1):
        width = max([len(str(name))] + [len(str(v[i - 1])) for v, _ in rows if i - 1 < len(v)] or [10])
        ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)


def write_workbook(packet: Packet, path: Path) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    summary_labels = [label for label, _ in packet.youth[0].summary] if packet.youth else []
    _sheet(
        wb,
        "Agenda",
        [
            "Youth",
            "Client id",
            "Last meeting",
            *summary_labels,
            "Risk factors",
            "Services",
            "Where now, stability, last in touch",
            "Open review items",
            "Sources out of date",
            "Changes since last meeting",
        ],
        [
            (
                [
                    y.name,
                    y.client_id,
                    y.previous_meeting.isoformat(),
                    *[v for _, v in y.summary],
                    ", ".join(f"{label} ({note})" if note else label for label, note in y.risk_chips),
                    ", ".join(y.services).replace("_", " "),
                    y.front,
                    " ".join(y.review_rows),
                    " ".join(y.stale),
                    "; ".join(y.changes),
                ],
                "",
            )
            for y in packet.youth
        ],
    )
    titles = [s.title for s in packet.youth[0].sections] if packet.youth else []
    for i, title in enumerate(titles):
        columns = packet.youth[0].sections[i].columns
        rows = [
            ([y.name, *r["cells"], r["change"], r["flag"]], r["change"])
            for y in packet.youth
            for r in y.sections[i].rows
        ]
        _sheet(wb, title, ["Youth", *columns, "Since last meeting", "Flag"], rows)
    if not packet.youth:
        append_row(wb.create_sheet("Agenda"), [f"No youth on the agenda of {packet.meeting.isoformat()}"])
    wb.properties.title = f"SafetyNet case review {packet.meeting.isoformat()}"
    wb.save(path)
