"""Agency columns -> canonical typed columns (see docs/CONTRACTS.md "Canonical tables").

Cells arrive as text (CSV, pandas 3 ``str`` dtype) or as Excel-typed values (XLSX: str, int, float,
datetime). Text columns are built as plain Python lists and wrapped in ``object`` Series: under
pandas 3 a ``str``-dtype Series turns ``None`` into NaN, and the contract promises ``None``.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time

import numpy as np
import pandas as pd

from integrations.config import TableMapping
from integrations.kinds import ROW_NUMBER, Column, TableSpec

#: excel serial day 0 (openpyxl normally converts, but some exports keep the number)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: datetime64[ns] covers 1677-2262; anything outside is a typo, reported as unparsed
_MIN_TS, _MAX_TS = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31")


def _text(v: object) -> str | None:
    """One cell as stripped text; None for empty. Excel numbers lose a spurious '.0'."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if v.is_integer():
            v = int(v)
    if isinstance(v, datetime):
        v = v.isoformat(sep=" ")
    s = str(v).strip()
    return s or None


def _obj(values: list, index: pd.Index) -> pd.Series:
    return pd.Series(values, index=index, dtype=object)


def _as_text(series: pd.Series) -> pd.Series:
    return _obj([_text(v) for v in series.tolist()], series.index)


def _joined(frame: pd.DataFrame, source_cols: str | list[str], sep: str) -> pd.Series:
    """One agency column as is; several (date + time, CHARGE_1..3) joined, skipping empty cells."""
    cols = [source_cols] if isinstance(source_cols, str) else source_cols
    if len(cols) == 1:
        return frame[cols[0]]
    texts = [[_text(v) for v in frame[c].tolist()] for c in cols]
    return _obj([sep.join(v for v in row if v) or None for row in zip(*texts, strict=True)], frame.index)


def _cell_datetime(v: object) -> pd.Timestamp | None:
    """An Excel-typed cell (datetime, date, serial number) as a Timestamp; None if it is not one."""
    if isinstance(v, (datetime, pd.Timestamp)):
        return pd.Timestamp(v)
    if isinstance(v, date):
        return pd.Timestamp(datetime.combine(v, time()))
    if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 2958466:  # serial days to 9999
        return _EXCEL_EPOCH + pd.Timedelta(days=float(v))
    return None


def _in_range(values: pd.Series) -> pd.Series:
    """datetime64[ns] with anything outside 1678-2261 (a typo such as year 0202) set to NaT."""
    values = pd.to_datetime(values, errors="coerce")
    bad = values.notna() & ((values < _MIN_TS) | (values > _MAX_TS))
    return values.mask(bad).astype("datetime64[ns]")


def _datetimes(raw: pd.Series, fmt: str | None, normalise: bool) -> tuple[pd.Series, pd.Series]:
    """Parse dates; return (typed datetime64[ns], raw text where a non-empty value did not parse)."""
    values = raw.tolist()
    text: list[str | None] = [None] * len(values)
    cells: dict[int, pd.Timestamp] = {}
    for i, v in enumerate(values):
        if isinstance(v, str):
            text[i] = v.strip() or None
        elif v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT or v is pd.NA:
            continue
        else:
            ts = _cell_datetime(v)
            if ts is None:
                text[i] = _text(v)
            else:
                cells[i] = ts
    text_s = _obj(text, raw.index)
    has_text = text_s.notna()
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    if has_text.any():
        kwargs = {"format": fmt} if fmt else {"format": "mixed", "dayfirst": False}
        got = pd.to_datetime(text_s[has_text].astype(str), errors="coerce", **kwargs)
        out[has_text] = _in_range(got)
    if cells:
        pos = list(cells)
        out.iloc[pos] = _in_range(pd.Series(list(cells.values()), index=raw.index[pos])).to_numpy()
    if normalise:
        out = out.dt.normalize()
    unparsed = [
        t if (t is not None and bad) else None for t, bad in zip(text, out.isna().tolist(), strict=True)
    ]
    return out, _obj(unparsed, raw.index)


def _ints(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whole numbers as nullable Int64; text that is not a whole number goes to ``_unparsed_``."""
    text = _as_text(raw)
    num = pd.to_numeric(text, errors="coerce").astype(float)
    ok = num.notna() & (num == np.floor(num.fillna(0))) & (num.abs() < 2**53)
    typed = num.where(ok).astype("Float64").round().astype("Int64")
    unparsed = [
        t if (t is not None and not good) else None
        for t, good in zip(text.tolist(), ok.tolist(), strict=True)
    ]
    return typed, _obj(unparsed, raw.index)


def _codes(text: pd.Series, col: Column, value_map: dict[str, str]) -> pd.Series:
    """Agency codes through ``values:`` then case-insensitively to the canonical code; else kept."""
    lookup = {k.strip().upper(): v for k, v in value_map.items()}
    for code in col.codes or ():
        lookup.setdefault(code.upper(), code)
        lookup.setdefault(code.replace("_", " ").upper(), code)
    return _obj([None if v is None else lookup.get(v.upper(), v) for v in text.tolist()], text.index)


def _lists(text: pd.Series, sep: str) -> pd.Series:
    """Agency list cells re-joined with "|" (empty parts dropped)."""
    out = []
    for v in text.tolist():
        parts = [] if v is None else [p.strip() for p in v.split(sep) if p.strip()]
        out.append("|".join(parts) or None)
    return _obj(out, text.index)


def _empty(col: Column, index: pd.Index) -> pd.Series:
    if col.type in ("date", "datetime"):
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if col.type == "int":
        return pd.Series(pd.NA, index=index, dtype="Int64")
    return _obj([None] * len(index), index)


def map_table(frame: pd.DataFrame, mapping: TableMapping, spec: TableSpec, file_name: str) -> pd.DataFrame:
    """The canonical table for one agency table, with ``row_number`` and ``_unparsed_<col>`` columns."""
    cols: dict[str, pd.Series] = {}
    for col in spec.columns:
        source_cols = mapping.columns.get(col.name)
        if source_cols is None:
            cols[col.name] = _empty(col, frame.index)
            if col.type in ("date", "datetime", "int"):
                cols[f"_unparsed_{col.name}"] = _obj([None] * len(frame), frame.index)
            continue
        sep = " " if col.type in ("date", "datetime") else mapping.list_separator
        raw = _joined(frame, source_cols, sep)
        if col.type in ("date", "datetime"):
            fmt = mapping.datetime_format if col.type == "datetime" else mapping.date_format
            cols[col.name], cols[f"_unparsed_{col.name}"] = _datetimes(raw, fmt, normalise=col.type == "date")
        elif col.type == "int":
            cols[col.name], cols[f"_unparsed_{col.name}"] = _ints(raw)
        elif col.type == "list":
            cols[col.name] = _lists(_as_text(raw), mapping.list_separator)
        else:
            text = _as_text(raw)
            cols[col.name] = _codes(text, col, mapping.values.get(col.name, {})) if col.codes else text
    out = pd.DataFrame(cols, index=frame.index)
    out[ROW_NUMBER] = frame[ROW_NUMBER].astype(int).to_numpy()
    return out.reset_index(drop=True)
