"""Header checks shared by the CSV and XLSX readers (messages name columns, never cell values)."""

from __future__ import annotations

from collections import Counter

from integrations.config import TableMapping
from integrations.errors import ExtractError


def check_header(
    file_name: str, sheet: str | None, header: list, mapping: TableMapping, raw_line: str = ""
) -> dict[str, int]:
    """Position of every agency column of ``mapping`` in ``header``; ExtractError if one is absent/twice."""
    names = [str(h).strip() if h is not None else "" for h in header]
    where = f" on sheet '{sheet}'" if sheet else ""
    wanted = mapping.agency_columns()
    missing = [c for c in wanted if c not in names]
    if missing:
        hint = ""
        if len([n for n in names if n]) <= 1 and raw_line:
            for sep in (";", "\t", "|"):
                if raw_line.count(sep) >= 2:
                    shown = "tab" if sep == "\t" else f"'{sep}'"
                    hint = f" The header looks {shown}-separated; the extract must be comma-separated."
                    break
        raise ExtractError(
            file_name,
            "schema.missing_columns",
            f"column(s) missing{where}: {', '.join(missing)}.{hint}",
            "Deliver every column of the agreed layout with its exact header;"
            " a renamed column counts as missing.",
            sheet=sheet,
            row=None,
            columns=tuple(missing),
        )
    counts = Counter(names)
    twice = [c for c in dict.fromkeys(wanted) if counts[c] > 1]
    if twice:
        raise ExtractError(
            file_name,
            "schema.duplicate_columns",
            f"column(s) appear more than once{where}: {', '.join(twice)}",
            "Each column of the agreed layout must appear exactly once.",
            sheet=sheet,
            columns=tuple(twice),
        )
    return {c: names.index(c) for c in dict.fromkeys(wanted)}
