"""Term-frequency adjustment of exact name agreement (as Splink's term-frequency adjustments).

Two rows agreeing on "Maria" say less than two rows agreeing on "Xiomara": the exact-name weight
log2(m / u) uses the average u of the exact level, so it is adjusted per name by
log2(u_exact / frequency(name)), clamped (a rare name gains at most ``max_bonus_bits``; a common
one may lose up to ``max_penalty_bits``: losing confidence is the safe side). Counts come from
the client list plus the whole extract, computed on the name columns before chunking, so chunking
cannot change them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matchers.standardise import fold, strip_suffixes

#: field -> the person-schema column whose primary value is counted
COLUMNS = {"first_name": "first_name", "last_name": "last_name"}
FLOOR = 1e-6


def primary_names(values: pd.Series) -> pd.Series:
    """The primary name key standardise() builds: folded, suffixes dropped, words run together."""
    return strip_suffixes(fold(values)).str.replace(" ", "", regex=False)


@dataclass(frozen=True)
class NameFrequencies:
    """Relative frequency of each primary first / last name across clients and extract rows."""

    counts: dict[str, pd.Series]  # field -> name counts, indexed by name

    @classmethod
    def from_frames(cls, *frames: pd.DataFrame) -> NameFrequencies:
        freq = {}
        for field, column in COLUMNS.items():
            counts = pd.Series(dtype="float64")
            for frame in frames:
                if column in frame.columns and len(frame):
                    vc = primary_names(frame[column].reset_index(drop=True)).value_counts()
                    counts = counts.add(vc.astype("float64"), fill_value=0.0)
            freq[field] = counts[counts.index != ""]
        return cls(counts=freq)

    def count(self, field: str, names: np.ndarray) -> np.ndarray:
        """How often each of ``names`` (standardised primary names) occurs among clients and rows."""
        table = self.counts.get(field)
        if table is None or len(names) == 0:
            return np.zeros(len(names))
        return pd.Series(names, dtype=object).map(table).astype("float64").fillna(0.0).to_numpy()

    def adjustment(
        self,
        field: str,
        names: np.ndarray,
        u_exact: float,
        max_bonus: float,
        max_penalty: float,
        pseudo_count: float,
    ) -> np.ndarray:
        """Bits to add to the exact-level weight of ``field`` for pairs agreeing on ``names``.

        A name's frequency is shrunk towards ``u_exact`` with ``pseudo_count`` pseudo-names, so a
        small list and extract (where every name looks frequent) barely adjusts anything. Rounded to
        0.01 bit so that explanations can be shared between pairs with equal weights.
        """
        table = self.counts.get(field)
        if table is None or len(names) == 0:
            return np.zeros(len(names))
        count = self.count(field, names)
        freq = (count + pseudo_count * u_exact) / (float(table.sum()) + pseudo_count)
        bits = np.log2(u_exact / np.maximum(freq, FLOOR))
        return np.round(np.clip(bits, -max_penalty, max_bonus), 2)


def address_sharing_bits(
    addresses: np.ndarray, client_ids: np.ndarray, pseudo_people: float, max_penalty: float
) -> np.ndarray:
    """Bits to add to an exact street-address agreement with each client row, from how many distinct
    clients on the list live at that address.

    The exact-address weight is estimated over all pairs, where an address is a household's. At a
    group home, a shelter, juvenile hall or a dormitory many unrelated youths share it, so a
    stranger agrees there far more often: u grows with the people living there. The clients at an
    address stand for its residents (the list is a sample of the youth at each address); shrunk by
    ``pseudo_people`` (a household's own members), the penalty is log2((k + a) / (k_mean + a)) for
    k clients there against the mean over the list's addresses, never a bonus, at most
    ``max_penalty`` bits. Distinct people, not rows: one client listed twice is one resident.
    """
    out = np.zeros(len(addresses))
    known = addresses != ""  # standardise writes "" for no address
    if not known.any():
        return out
    rows = pd.DataFrame({"a": addresses[known], "id": client_ids[known]})
    k = rows.groupby("a")["id"].transform("nunique").to_numpy(dtype=float)
    # the typical address's clients, not a client's own on average: that one a few large group
    # quarters would raise for everyone
    k_mean = float(rows.groupby("a")["id"].nunique().mean())
    bits = -np.log2((k + pseudo_people) / (k_mean + pseudo_people))
    out[known] = np.round(np.clip(bits, -max_penalty, 0.0), 2)
    return out
