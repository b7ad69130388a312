"""Is the client already here? Evidence between "the same person" and "a relative of hers".

Each agency holds some number of rows per person. In an extract of one row per person (a school
roster, a referral list), a client who already has a confirmed row here is unlikely to have a
second, so a near-copy of her is more likely a relative (twins and siblings turn up with their
families). In an arrest log with a row per booking, a client's second row is ordinary. The run's
own confirmed rows (auto-matched, the given name agreeing: a twin never agrees there) tell which:

- ``same``: the chance that a row of the client herself meets another confirmed row of hers, the
  share of confirmed rows whose client has two or more of them;
- ``other``: the chance that a relative's row meets a confirmed row of the client, about the share
  of clients with a confirmed row (coverage; relatives come with their families, so this errs low).

A pair's presence level is ``present`` when its client has a confirmed row other than this row,
``absent`` otherwise; it weighs log2(P(level | relative) / P(level | same)) on each relative's side
(matchers/relatives.py), never against a stranger: presence says nothing about a stranger.
Not counting several rows of one client as relatives is the point: ``same`` is high exactly when
clients have several rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matchers.compare import LEVELS as COMPARE_LEVELS

LEVELS = ("present", "absent")
#: given-name levels that confirm a matched row is the client herself (a twin has her own name)
CONFIRMING_GIVEN = ("exact", "nickname")
#: pseudo-rows pulling ``same`` towards ``other`` (no evidence either way) in a small extract
STRENGTH = 50.0


@dataclass(frozen=True)
class Presence:
    #: P(client has another confirmed row | the row is the client)
    same: float
    #: P(client has a confirmed row | the row is a relative of hers)
    other: float
    confirmed_rows: int = 0

    @classmethod
    def from_confirmed(cls, client_rows: np.ndarray, n_clients: int) -> Presence:
        """From the client (table row) of each confirmed row of the run."""
        if n_clients <= 0 or len(client_rows) == 0:
            return cls(0.5, 0.5, 0)
        per_client = pd.Series(client_rows).value_counts()
        coverage = min(max(len(per_client) / n_clients, 0.01), 0.99)
        repeated = float(per_client[per_client >= 2].sum())
        same = (repeated + STRENGTH * coverage) / (len(client_rows) + STRENGTH)
        return cls(min(max(same, 0.01), 0.99), coverage, len(client_rows))

    @property
    def weights(self) -> dict[str, float]:
        """Bits on each relative's side, per level."""
        return {
            "present": math.log2(self.other / self.same),
            "absent": math.log2((1 - self.other) / (1 - self.same)),
        }

    def as_dict(self) -> dict[str, float | int]:
        return {
            "same": round(self.same, 4),
            "other": round(self.other, 4),
            "confirmed_rows": self.confirmed_rows,
            **{f"bits_{k}": round(v, 3) for k, v in self.weights.items()},
        }


def confirmed(is_match: np.ndarray, first_level: np.ndarray) -> np.ndarray:
    """Auto-matched pairs whose given name agrees: the client's own rows beyond doubt."""
    agrees = [COMPARE_LEVELS["first_name"].index(lv) for lv in CONFIRMING_GIVEN]
    return is_match & np.isin(first_level, agrees)


def pair_levels(
    rec: np.ndarray, client_row: np.ndarray, confirmed_rec: np.ndarray, confirmed_client: np.ndarray
) -> np.ndarray:
    """Presence level code per pair (row key ``rec``, client table row ``client_row``): 0 present
    (the client has a confirmed row of another record), 1 absent."""
    out = np.ones(len(rec), dtype=np.int64)
    if len(confirmed_rec) == 0 or len(rec) == 0:
        return out
    conf = pd.DataFrame({"cli": confirmed_client, "rec": confirmed_rec})
    per_client = conf.groupby("cli")["rec"].agg(["min", "nunique"]).reindex(client_row)
    n = per_client["nunique"].to_numpy()
    out[(n >= 2) | ((n == 1) & (per_client["min"].to_numpy() != rec))] = 0
    return out
