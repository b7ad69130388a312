"""What a reader hands on: one delivery file, mapped to the canonical tables of its kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from integrations.kinds import PERSON_COLUMNS, ROW_NUMBER, KindSpec, kind


@dataclass
class Extract:
    source: str
    kind: str
    file: Path
    sha256: str
    #: canonical table name -> DataFrame with the kind's columns plus ``row_number``
    tables: dict[str, pd.DataFrame]
    #: the delivery date (from the file name's YYYYMMDD / YYYY-MM-DD stamp, else the file's mtime)
    delivered_on: date | None = None
    #: non-blocking notes from the reader (e.g. rows dropped as entirely empty), no client data
    notes: list[str] = field(default_factory=list)

    @property
    def spec(self) -> KindSpec:
        return kind(self.kind)

    @property
    def rows_read(self) -> int:
        return sum(len(t) for t in self.tables.values())

    def persons(self) -> pd.DataFrame:
        """One row per agency person id, in the canonical person schema (first occurrence wins)."""
        table = self.tables[self.spec.person_table.name]
        cols = [c for c in PERSON_COLUMNS if c in table.columns]
        persons = table[cols].drop_duplicates("record_id", keep="first").reset_index(drop=True)
        for c in PERSON_COLUMNS:
            if c not in persons.columns:  # a list of None: pandas 3 would turn a bare None into NaN
                persons[c] = pd.Series([None] * len(persons), index=persons.index, dtype=object)
        return persons[list(PERSON_COLUMNS)]


__all__ = ["Extract", "ROW_NUMBER"]
