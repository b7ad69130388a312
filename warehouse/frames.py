"""pandas columns -> plain Python values for executemany (None for every kind of missing).

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
    elif vtype == "int":
        s = pd.to_numeric(series, errors="coerce")
        missing = s.isna().to_numpy()
        values = s.to_numpy(dtype=object, na_value=None)
        return [None if m else int(v) for v, m in zip(values, missing, strict=True)]
    elif vtype == "float":
        s = pd.to_numeric(series, errors="coerce")
        missing = s.isna().to_numpy()
        values = s.to_numpy(dtype=object, na_value=None)
        return [None if m else float(v) for v, m in zip(values, missing, strict=True)]
    elif vtype == "bool":
        missing = series.isna().to_numpy()
        values = series.to_numpy(dtype=object, na_value=None)
        return [None if m else bool(v) for v, m in zip(values, missing, strict=True)]
    else:
        missing = series.isna().to_numpy()
        values = series.to_numpy(dtype=object, na_value=None)
        return [None if m else str(v) for v, m in zip(values, missing, strict=True)]
    return [None if m else v for v, m in zip(values, missing, strict=True)]


def records(
    frame: pd.DataFrame, types: Mapping[str, ValueType], constants: Mapping[str, object] = {}
) -> list[dict]:
    """One dict per row with ``types``' columns converted, plus the same ``constants`` in every row."""
    names = list(types)
    columns = [py_values(frame[name], types[name]) for name in names]
    const = dict(constants)
    out = []
    for row in zip(*columns, strict=True):
        d = dict(zip(names, row, strict=True))
        d.update(const)
        out.append(d)
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
