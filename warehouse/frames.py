"""pandas columns -> plain Python values for bulk writes (None for every kind of missing).

Drivers do not agree on numpy scalars, ``pd.NA``, ``NaT`` or ``Timestamp``; converting once per
column with a vectorised missing mask keeps a 100,000-row delivery in the low seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

#: a column's warehouse value type: the canonical kinds' types plus two derived ones
ValueType = str  # "str" | "list" | "date" | "datetime" | "int" | "bool" | "float"


def py_values(series: pd.Series, vtype: ValueType) -> list:
    """The column's values as Python objects: str, date, datetime, int, bool, float or None."""
    if vtype in ("date", "datetime"):
        s = pd.to_datetime(series, errors="coerce")
        missing = s.isna().to_numpy()
        values = s.dt.date.to_numpy() if vtype == "date" else np.asarray(s.dt.to_pydatetime(), dtype=object)
        return [None if m else v for v, m in zip(values, missing, strict=True)]
    if vtype in ("int", "float"):
        s = pd.to_numeric(series, errors="coerce")
        cast = int if vtype == "int" else float
    else:
        s = series
        cast = bool if vtype == "bool" else str
    missing = s.isna().to_numpy()
    values = s.to_numpy(dtype=object, na_value=None)
    return [None if m else cast(v) for v, m in zip(values, missing, strict=True)]


def ids(series: pd.Series) -> pd.Series:
    """Record / client ids as ``str`` (object dtype), missing ones None (never the text "None"/"nan")."""
    values = series.astype(object)
    return values.where(values.isna(), values.map(str, na_action="ignore")).where(values.notna(), None)


def columns(
    frame: pd.DataFrame, types: Mapping[str, ValueType], constants: Mapping[str, object] | None = None
) -> dict[str, list]:
    """Column name -> list of Python values for ``types``' columns, plus each constant repeated."""
    out = {name: py_values(frame[name], vtype) for name, vtype in types.items()}
    for name, value in (constants or {}).items():
        out[name] = [value] * len(frame)
    return out


def chunks(items: Iterable, size: int = 500) -> Iterable[list]:
    """Fixed-size batches, for IN lists that must stay under the drivers' bind-parameter limits."""
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
