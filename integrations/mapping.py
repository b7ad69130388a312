"""Agency columns -> canonical typed columns, vectorised per column (see docs/CONTRACTS.md)."""

from __future__ import annotations

from datetime import date, datetime, time

import numpy as np
import pandas as pd

from integrations.config import TableMapping
from integrations.kinds import ROW_NUMBER, Column, TableSpec

#: excel serial day 0 (openpyxl normally converts, but some exports keep the number)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _as_text(series: pd.Series) -> pd.Series:
    """Any cell value as stripped text; None for empty. Excel numbers lose a spurious '.0'."""

    def one(v: object) -> str | None:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, datetime):
            v = v.isoformat(sep=" ")
        s = str(v).strip()
        return s or None

    return series.map(one).astype(object)


def _joined(frame: pd.DataFrame, source_cols: str | list[str], sep: str) -> pd.Series:
    cols = [source_cols] if isinstance(source_cols, str) else source_cols
    parts = [frame[c] for c in cols]
    if len(parts) == 1:
        return parts[0]
    # several agency columns for one canonical value (date + time, CHARGE_1..3): join non-empty
    texts = [_as_text(p) for p in parts]
    stacked = pd.concat(texts, axis=1)
    return stacked.apply(lambda r: sep.join(v for v in r if v) or None, axis=1).astype(object)


def _datetimes(raw: pd.Series, fmt: str | None, normalise: bool) -> tuple[pd.Series, pd.Series]:
    """Parse dates; return (typed, unparsed raw text where parsing failed)."""
    is_dt = raw.map(lambda v: isinstance(v, (datetime, date, pd.Timestamp)))
    is_num = raw.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v == v)
    text = _as_text(raw.where(~is_dt & ~is_num, None))
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    if is_dt.any():
        parsed[is_dt] = pd.to_datetime(raw[is_dt].map(_to_datetime), errors="coerce")
    if is_num.any():  # Excel serial numbers
        parsed[is_num] = _EXCEL_EPOCH + pd.to_timedelta(raw[is_num].astype(float), unit="D")
    has_text = text.notna()
    if has_text.any():
        if fmt:
            parsed[has_text] = pd.to_datetime(text[has_text], format=fmt, errors="coerce")
        else:
            parsed[has_text] = pd.to_datetime(text[has_text], format="mixed", errors="coerce", dayfirst=False)
    if normalise:
        parsed = parsed.dt.normalize()
    unparsed = text.where(has_text & parsed.isna(), None).astype(object)
    return parsed.astype("datetime64[ns]"), unparsed


def _to_datetime(v: object) -> datetime:
    if isinstance(v, datetime):
        return v
    if isinstance(v, date):
        return datetime.combine(v, time())
    return v  # type: ignore[return-value]


def _ints(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = _as_text(raw)
    num = pd.to_numeric(text, errors="coerce")
    ok = num.notna() & (num == np.floor(num.fillna(0)))
    typed = num.where(ok).astype("Float64").round().astype("Int64")
    unparsed = text.where(text.notna() & ~ok, None).astype(object)
    return typed, unparsed


def _codes(text: pd.Series, col: Column, value_map: dict[str, str]) -> pd.Series:
    lookup = {k.strip().upper(): v for k, v in value_map.items()}
    for code in col.codes or ():
        lookup.setdefault(code.upper(), code)
        lookup.setdefault(code.replace("_", " ").upper(), code)
    return text.map(lambda v: None if v is None else lookup.get(v.upper(), v)).astype(object)


def map_table(frame: pd.DataFrame, mapping: TableMapping, spec: TableSpec, file_name: str) -> pd.DataFrame:
    """The canonical table for one agency table, with ``row_number`` and ``_unparsed_<col>`` columns."""
    out = pd.DataFrame(index=frame.index)
    for col in spec.columns:
        source_cols = mapping.columns.get(col.name)
        if source_cols is None:
            out[col.name] = pd.Series(pd.NaT if col.type in ("date", "datetime") else None,
                                      index=frame.index, dtype="datetime64[ns]" if col.type in ("date", "datetime")
                                      else ("Int64" if col.type == "int" else object))
            if col.type in ("date", "datetime", "int"):
                out[f"_unparsed_{col.name}"] = pd.Series(None, index=frame.index, dtype=object)
            continue
        sep = " " if col.type in ("date", "datetime") else mapping.list_separator
        raw = _joined(frame, source_cols, sep)
        if col.type in ("date", "datetime"):
            fmt = mapping.datetime_format if col.type == "datetime" else mapping.date_format
            out[col.name], out[f"_unparsed_{col.name}"] = _datetimes(raw, fmt, normalise=col.type == "date")
        elif col.type == "int":
            out[col.name], out[f"_unparsed_{col.name}"] = _ints(raw)
        elif col.type == "list":
            text = _as_text(raw)
            sep_in = mapping.list_separator
            out[col.name] = text.map(
                lambda v: None if v is None else ("|".join(p.strip() for p in v.split(sep_in) if p.strip()) or None)
            ).astype(object)
        else:
            text = _as_text(raw)
            out[col.name] = _codes(text, col, mapping.values.get(col.name, {})) if col.codes else text
    out[ROW_NUMBER] = frame[ROW_NUMBER].astype(int).to_numpy()
    return out.reset_index(drop=True)
