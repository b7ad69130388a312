"""Household relatives as outcomes of a pair: the same person, a relative of hers, or a stranger.

Fellegi-Sunter weighs a pair's fields as if they were independent. Within one family they are not:
a twin shares the client's surname, DOB and address and differs in the given name, which is exactly
what a corrupted given name looks like. So besides "same person" (m) and "stranger" (u), each pair
has a third kind of outcome: the row is a household relative of the client, of one of a few
classes (config ``relatives.classes``: ``twin``, ``household`` for siblings and same-named parents).

A relative shares what the household shares (surname, address, city, zip, race, and for a twin the
DOB) about as the same person would, so on those fields the relative and the same person are
equally likely; they differ on the *personal* fields each class lists (given and middle name, sex,
aliases, and for a household relative the DOB). A pair's weight for class k is then

    rel_k = log2(prior_k) + sum over personal fields f of log2(P_k(level_f) / m_f(level_f))

in bits against the same person: ``prior_k`` is how many relatives of class k turn up per row of
the client herself (twins: the twin birth rate, from vital statistics, source in the config), and
``P_k`` the level frequencies of relatives. Both are re-estimated on each run's own pairs by EM
(matchers/estimate.py ``estimate_relatives``). A missing field weighs 0 for every outcome: missing
evidence, not a rule. The pair's probability of being the same person is

    P(same) = 1 / (1 + 2**-total + sum_k 2**rel_k)

where ``total`` is the usual same-vs-stranger weight. A twin with her own given and middle name has
rel_twin well above 0 (the twin explains the pair better than a double typo), the client under a
corrupted given name with her middle name agreeing has it well below 0.

Two more facts weigh only between the same person and a relative, never against a stranger:

- *presence* (matchers/presence.py): the client already has a confirmed row in this extract. In an
  extract of one row per person that makes another near-copy of her a relative; in an arrest log
  with many rows per person it says little. Both rates are estimated from the run.
- *an unseen given name*: in a large run, a row's given name found in no other row or client is a
  misspelling more often than another child's real name (config ``unseen_given_name``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from matchers.compare import LEVELS
from matchers.config import MatchingConfig, RelativeClass
from matchers.standardise import PersonTable

#: given-name levels at which a twin's sex is no further evidence (a name shared through an AKA
#: carries its own sex marker: a legal name and birth sex beside a chosen name)
_SEX_SILENT_GIVEN = ("alias_or_part",)
#: given-name levels at which a row's given name being unseen says nothing (it is hers)
_GIVEN_AGREES = ("exact", "nickname")


@dataclass(frozen=True)
class RelativeWeights:
    """Per relative class: log2 prior and, per personal field, log2(P_k / m) by level code."""

    prior_bits: dict[str, float]
    by_field: dict[str, dict[str, np.ndarray]]
    #: bits against relatives when the row's given name is unseen elsewhere (0 when unused)
    unseen_given_bits: float = 0.0
    #: per presence level (see presence.py) bits against relatives; empty when unused
    presence_bits: dict[str, float] = field(default_factory=dict)

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.prior_bits)


def relative_weights(config: MatchingConfig) -> RelativeWeights | None:
    """The relative classes of ``config`` as weights (None when relatives are off)."""
    if not config.relatives:
        return None
    by_field: dict[str, dict[str, np.ndarray]] = {}
    prior_bits: dict[str, float] = {}
    for rc in config.relatives:
        prior_bits[rc.name] = math.log2(max(rc.prior, 1e-12))
        by_field[rc.name] = {}
        for fname, probs in rc.fields.items():
            model = config.fields[fname]
            m = dict(zip(model.levels, model.m, strict=True))
            row = [
                0.0 if level == "missing" or level not in probs else math.log2(probs[level] / m[level])
                for level in LEVELS[fname]
            ]
            by_field[rc.name][fname] = np.asarray(row, dtype=np.float64)
    unseen = config.unseen_given_name
    unseen_bits = math.log2(unseen[1] / unseen[0]) if unseen else 0.0
    return RelativeWeights(prior_bits, by_field, unseen_bits)


def relative_bits(
    codes: dict[str, np.ndarray],
    rel: RelativeWeights,
    given_unseen: np.ndarray | None = None,
    presence: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """rel_k (bits against the same person) per class for pairs at comparison level ``codes``.

    ``given_unseen``: bool per pair, the row's given name occurs nowhere else in a large run.
    ``presence``: presence level code per pair (presence.LEVELS), weighed with ``rel.presence_bits``.
    """
    n = len(codes["first_name"])
    shared = np.zeros(n)
    if given_unseen is not None and rel.unseen_given_bits:
        agrees = np.isin(codes["first_name"], [LEVELS["first_name"].index(lv) for lv in _GIVEN_AGREES])
        shared += np.where(given_unseen & ~agrees, rel.unseen_given_bits, 0.0)
    if presence is not None and rel.presence_bits:
        from matchers.presence import LEVELS as PRESENCE_LEVELS

        table = np.asarray([rel.presence_bits.get(lv, 0.0) for lv in PRESENCE_LEVELS])
        shared += table[presence]
    sex_silent = np.isin(codes["first_name"], [LEVELS["first_name"].index(lv) for lv in _SEX_SILENT_GIVEN])
    out = {}
    for name, prior in rel.prior_bits.items():
        bits = np.full(n, prior) + shared
        for fname, table in rel.by_field[name].items():
            w = table[codes[fname]]
            if fname == "sex":
                w = np.where(sex_silent, 0.0, w)
            bits = bits + w
        out[name] = bits
    return out


def log2_sum_exp2(bits: list[np.ndarray], n: int) -> np.ndarray:
    """log2(sum_k 2**bits_k) per pair (-inf for no classes)."""
    if not bits:
        return np.full(n, -np.inf)
    stacked = np.vstack(bits)
    top = stacked.max(axis=0)
    return top + np.log2(np.exp2(stacked - top).sum(axis=0))


def class_from_config(name: str, spec: dict) -> RelativeClass:
    """One ``relatives.classes`` entry of config/matching.yaml."""
    fields = {
        f: {str(lv): float(p) for lv, p in levels.items()} for f, levels in (spec.get("fields") or {}).items()
    }
    for f, probs in fields.items():
        if f not in LEVELS:
            raise ValueError(f"config/matching.yaml: relative class {name} weighs unknown field {f}")
        unknown = set(probs) - set(LEVELS[f])
        if unknown:
            raise ValueError(
                f"config/matching.yaml: relative class {name}, field {f}: unknown levels {unknown}"
            )
        if any(not 0 < p < 1 for p in probs.values()):
            raise ValueError(
                f"config/matching.yaml: relative class {name}, field {f}: probabilities in (0, 1)"
            )
    return RelativeClass(
        name=name,
        prior=float(spec["prior"]),
        prior_strength=float(spec.get("prior_strength", 50.0)),
        source=str(spec.get("source", "")),
        fields=fields,
    )


def household_codes(clients: PersonTable) -> np.ndarray:
    """A household code per client row, -1 for none: clients on the list at one address who share
    its one surname (a client without a surname joins it). An address whose clients carry several
    surnames (a group home, an apartment block written without the unit) keys by address and
    surname, and there a client without a surname stays alone: scoring a household together assumes
    its members share what a household shares, so unrelated neighbours must not be grouped."""
    address, _ = clients.codes("address")
    surname = clients.last[:, 0] if len(clients) else np.zeros(0, dtype=object)
    out = np.full(len(clients), -1, dtype=np.int64)
    at = np.flatnonzero(address >= 0)
    if len(at) == 0:
        return out
    frame = pd.DataFrame({"address": address[at], "surname": surname[at]})
    named = frame["surname"] != ""
    surnames = frame.loc[named].groupby("address")["surname"].nunique()
    one_name = frame["address"].map(surnames).fillna(0).to_numpy() <= 1
    home = frame["address"].astype(str)
    key = np.where(one_name, home, home + "|" + frame["surname"])
    key = np.where(one_name | named.to_numpy(), key, None)
    codes, _ = pd.factorize(pd.Series(key, dtype=object))
    sizes = np.bincount(codes[codes >= 0]) if (codes >= 0).any() else np.zeros(0, dtype=np.int64)
    shared = (codes >= 0) & (sizes[np.maximum(codes, 0)] >= 2) if len(sizes) else np.zeros(len(codes), bool)
    out[at[shared]] = codes[shared]
    return out
