"""Fellegi-Sunter scoring: per-level log2(m/u) weights summed with a prior into a probability.

Every pair gets an explanation, the waterfall a coordinator sees in the review app:
``{"fields": [{"field", "level", "weight"}, ...], "prior", "total"}`` with weights in bits
(log2 likelihood ratios of the same person against a stranger) and, when household relatives are
weighed (matchers/relatives.py), ``"relatives": [{"class", "weight"}, ...]`` (bits of each relative
class against the same person), ``"presence": {"level", "weight"}`` and
``"row_given_name": "unseen"`` where those facts weighed. The pair's probability is
``1 / (1 + 2**-total + sum(2**relative weight))``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matchers.compare import LEVELS
from matchers.config import MatchingConfig
from matchers.relatives import RelativeWeights, log2_sum_exp2, relative_bits, relative_weights

#: fields in explanation order; name_order says whether the names were read swapped
EXPLAINED = (
    "first_name",
    "middle_name",
    "last_name",
    "name_order",
    "aliases",
    "dob",
    "sex",
    "race",
    "address",
    "city",
    "zip",
)
#: fields implied by an agreeing street address (see score())
LOCATION_IMPLIED = ("city", "zip")
#: config pseudo-field holding m/u of a location field after a disagreeing street address (a move)
AFTER_MOVE = "{}_after_move"
#: given-name levels that already imply the sex (see score())
SEX_IMPLIED_BY_GIVEN = ("exact", "nickname")
#: levels compare.py can never produce for a field, so the config need not weigh them
_UNREACHABLE = {("last_name", "nickname")}


@dataclass(frozen=True)
class Weights:
    """Weight tables (bits) indexed by compare.py level codes, plus the prior."""

    by_field: dict[str, np.ndarray]
    swap_penalty: float
    prior: float
    #: household relatives weighed against the same person (None: none, a two-outcome model)
    relatives: RelativeWeights | None = None
    #: city / zip weights by level after a disagreeing street address (see score()); absent: none
    after_move: dict[str, np.ndarray] | None = None
    #: bits added to a pair agreeing exactly on both given and surname (<= 0): names that go
    #: together are shared more often than two independent agreements (estimate.name_pair_bits)
    name_pair_bits: float = 0.0

    @classmethod
    def from_config(cls, config: MatchingConfig, n_clients: int) -> Weights:
        by_field: dict[str, np.ndarray] = {}
        for fname, levels in LEVELS.items():
            model = config.fields.get(fname)
            if model is None:
                raise ValueError(f"config/matching.yaml has no comparison settings for field {fname}")
            table = dict(zip(model.levels, model.weights, strict=True))
            row = []
            for level in levels:
                if level == "missing" or (fname, level) in _UNREACHABLE:
                    row.append(table.get(level, 0.0))
                elif level not in table:
                    raise ValueError(f"config/matching.yaml: field {fname} lacks level {level}")
                else:
                    row.append(table[level])
            by_field[fname] = np.asarray(row, dtype=np.float64)
        after_move = {}
        for fname in LOCATION_IMPLIED:
            model = config.fields.get(AFTER_MOVE.format(fname))
            if model is not None:
                # Agreement after a move weighs what a local move is worth, never less than nothing;
                # disagreement weighs 0 (the move was already counted once, on the street address).
                table = {lv: max(wt, 0.0) for lv, wt in zip(model.levels, model.weights, strict=True)}
                after_move[fname] = np.asarray(
                    [table.get(lv, 0.0) if lv not in ("else", "missing") else 0.0 for lv in LEVELS[fname]],
                    dtype=np.float64,
                )
        return cls(
            by_field=by_field,
            swap_penalty=config.name_swap_penalty_bits,
            prior=prior_weight(config.match_rate, max(n_clients, config.min_clients)),
            relatives=relative_weights(config),
            after_move=after_move or None,
        )


#: the least share of a row left to "a stranger to the list" (a match rate of 1 would leave none)
MIN_STRANGER = 1e-3


def prior_weight(match_rate: float, n_clients: int) -> float:
    """log2 prior odds of one (row, client) pair against the row's stranger outcome: a row is a
    client with probability ``match_rate`` and then any one of ``n_clients`` equally likely, or a
    stranger with probability 1 - ``match_rate``.

    decide.row_probability gives the stranger a mass of 1, so the pair's prior is weighed against
    1 - match_rate, not against 1 - match_rate / n_clients. The two agree for a roster where few
    rows are clients (0.3 bits apart at a rate of 0.2); for an extract of nothing but clients (a
    referral list, a caseload) the old odds kept a stranger share of almost a whole row, and rows
    with one weak field (no DOB or no address) waited in review for a stranger who is not there.
    """
    lam = min(max(match_rate / max(n_clients, 1), 1e-12), 1 - 1e-12)
    return math.log2(lam / max(1.0 - match_rate, MIN_STRANGER))


def score(
    levels: pd.DataFrame,
    weights: Weights,
    tf_bits: dict[str, np.ndarray] | None = None,
    explain: bool = True,
    field_weights: bool = False,
    given_unseen: np.ndarray | None = None,
    presence: np.ndarray | None = None,
) -> pd.DataFrame:
    """Columns: score, total (bits, same person against a stranger), rel (bits, all relative
    classes together against the same person; -inf without relatives), rel_<class> per class,
    swapped (bool), <field>_level (level code of each explained field in the chosen name reading,
    for decide.py), explanation (JSON); aligned with ``levels``.

    ``given_unseen`` (bool per pair) and ``presence`` (presence level code per pair) weigh between
    the same person and relatives only (matchers/relatives.py).

    ``tf_bits``: optional per-pair term-frequency adjustment of a field's "exact" level (bits,
    see frequencies.py); it is folded into that field's weight in the explanation.
    ``explain=False`` leaves the explanation empty (parameter estimation does not need it).
    ``field_weights=True`` adds <field>_weight: what each field added to the total, adjustments
    included (estimation leaves one field out by it).
    """
    w = weights.by_field
    lv = {c: levels[c].to_numpy().astype(np.int64) for c in levels.columns}
    straight = w["first_name"][lv["first_name"]] + w["last_name"][lv["last_name"]]
    swapped_w = (
        w["first_name"][lv["first_name_swapped"]]
        + w["last_name"][lv["last_name_swapped"]]
        + weights.swap_penalty
    )
    # Read the names swapped only when that reading explains the pair better, penalty included.
    swapped = swapped_w > straight
    codes = {
        "first_name": np.where(swapped, lv["first_name_swapped"], lv["first_name"]),
        "last_name": np.where(swapped, lv["last_name_swapped"], lv["last_name"]),
        "name_order": swapped.astype(np.int64),
        **{f: lv[f] for f in ("middle_name", "aliases", "dob", "sex", "race", "address", "city", "zip")},
    }
    adjust = {f: np.zeros(len(levels)) for f in EXPLAINED}
    for f, bits in (tf_bits or {}).items():
        adjust[f] = np.where(codes[f] == LEVELS[f].index("exact"), bits, 0.0)
    if weights.name_pair_bits:
        # shown within the surname's weight, as the term-frequency adjustment is
        both = (codes["first_name"] == LEVELS["first_name"].index("exact")) & (
            codes["last_name"] == LEVELS["last_name"].index("exact")
        )
        adjust["last_name"] = adjust["last_name"] + np.where(both, weights.name_pair_bits, 0.0)
    # One household, counted once: an identical street address already implies the city and zip, so
    # their agreement adds nothing on top (independence would triple-count it and let a sibling at
    # the same address reach review on the address alone). Their disagreement still counts, and
    # after a merely similar address they still count: they confirm the misspelt one is the same.
    # Likewise a move is one event: after a disagreeing street address, a different city and zip
    # add no further penalty (youths in care move often; a move must not count three times). A same
    # city or zip after a move counts for what a local move is worth (config "<field>_after_move",
    # re-estimated per run from the same people who moved), not for what staying put is worth:
    # else a namesake across town gains the city and zip bits of a girl who never moved.
    address_agrees = codes["address"] == LEVELS["address"].index("exact")
    address_differs = codes["address"] == LEVELS["address"].index("else")
    for f in LOCATION_IMPLIED:
        base = w[f][codes[f]]
        implied = (address_agrees & (base > 0)) | (address_differs & (base < 0))
        adjust[f] = np.where(implied, -base, adjust[f])
        if weights.after_move is not None and f in weights.after_move:
            moved = address_differs & (base > 0)
            adjust[f] = np.where(moved, weights.after_move[f][codes[f]] - base, adjust[f])
    # The given name already tells the sex: agreeing on both is one fact, not two (a shared first
    # name between two different girls comes with a shared sex marker too). A disagreeing sex
    # marker still counts: it is how a legal name and a birth sex on a trans youth's record look.
    # And a row that agrees with the client only through another name she is known by (an AKA on
    # either side, a learned legal name) is expected to carry that name's sex marker: a youth's
    # legal name and birth sex beside her chosen name and gender on the list. There a disagreeing
    # marker says nothing against her.
    given_says_sex = np.isin(
        codes["first_name"], [LEVELS["first_name"].index(lv) for lv in SEX_IMPLIED_BY_GIVEN]
    )
    via_other_name = codes["first_name"] == LEVELS["first_name"].index("alias_or_part")
    sex_w = w["sex"][codes["sex"]]
    adjust["sex"] = np.where(
        (given_says_sex & (sex_w > 0)) | (via_other_name & (sex_w < 0)), -sex_w, adjust["sex"]
    )
    field_w = {
        f: (w[f][codes[f]] if f != "name_order" else codes[f] * weights.swap_penalty) + adjust[f]
        for f in EXPLAINED
    }
    total = weights.prior + np.sum([field_w[f] for f in EXPLAINED], axis=0)
    rel_k = (
        relative_bits(codes, weights.relatives, given_unseen, presence)
        if weights.relatives is not None
        else {}
    )
    rel = log2_sum_exp2(list(rel_k.values()), len(total))
    prob = pair_probability(total, rel)
    return pd.DataFrame(
        {
            "score": prob,
            "total": total,
            "rel": rel,
            **{f"rel_{k}": v for k, v in rel_k.items()},
            "swapped": swapped,
            **{f"{f}_level": codes[f] for f in EXPLAINED if f != "name_order"},
            "explanation": _explanations(codes, adjust, weights, rel_k, given_unseen, presence)
            if explain
            else None,
            **({f"{f}_weight": field_w[f] for f in EXPLAINED if f != "name_order"} if field_weights else {}),
        },
        index=levels.index,
    )


def pair_probability(total: np.ndarray, rel: np.ndarray) -> np.ndarray:
    """P(same person) of pairs: 1 / (1 + 2**-total + 2**rel), computed without overflow."""
    top = np.maximum(np.maximum(-total, rel), 0.0)
    denom = np.exp2(-top) + np.exp2(-total - top) + np.exp2(rel - top)
    return np.exp2(-top) / denom


def _explanations(
    codes: dict[str, np.ndarray],
    adjust: dict[str, np.ndarray],
    weights: Weights,
    rel_k: dict[str, np.ndarray],
    given_unseen: np.ndarray | None,
    presence: np.ndarray | None,
) -> np.ndarray:
    """JSON explanation per pair, rendered once per distinct combination of levels and term-frequency
    adjustments (there are few: adjustments are rounded to 0.01 bit)."""
    n = len(codes["first_name"])
    if n == 0:
        return np.zeros(0, dtype=object)
    key = pd.DataFrame(
        {
            **{f: codes[f] for f in EXPLAINED},
            **{f"{f}_adj": np.round(adjust[f] * 100).astype(np.int64) for f in EXPLAINED},
            **{f"rel_{k}": np.round(np.asarray(v) * 100).astype(np.int64) for k, v in rel_k.items()},
            "unseen": np.zeros(n, dtype=bool)
            if given_unseen is None
            else np.asarray(given_unseen, dtype=bool),
            "presence": np.full(n, -1) if presence is None else np.asarray(presence),
        }
    )
    # Hash-based grouping: far faster than np.unique(axis=0) on a million pairs.
    inverse = key.groupby(list(key.columns), sort=False).ngroup().to_numpy()
    first_idx = pd.Series(np.arange(n)).groupby(inverse, sort=True).first().to_numpy()
    # Rendered as json.dumps would write the document, from cached field fragments: the same field,
    # level and weight recur in most explanations.
    codes_at = {f: codes[f][first_idx].tolist() for f in EXPLAINED}
    adjust_at = {f: np.asarray(adjust[f], dtype=np.float64)[first_idx].tolist() for f in EXPLAINED}
    rel_at = {c: np.asarray(v, dtype=np.float64)[first_idx].tolist() for c, v in rel_k.items()}
    by_field = {f: w.tolist() for f, w in weights.by_field.items()}
    rel_model = weights.relatives
    presence_at = None
    if rel_k and presence is not None and rel_model is not None and rel_model.presence_bits:
        from matchers.presence import LEVELS as PRESENCE_LEVELS

        presence_at = [
            _presence_fragment(PRESENCE_LEVELS[int(lv)], rel_model.presence_bits)
            for lv in np.asarray(presence)[first_idx].tolist()
        ]
    unseen_at = None if given_unseen is None else np.asarray(given_unseen, dtype=bool)[first_idx].tolist()
    prior = ', "prior": ' + _json_number(round(weights.prior, 3))
    fragments: dict[tuple[str, str, float], str] = {}
    rendered = np.empty(len(first_idx), dtype=object)
    for k in range(len(first_idx)):
        parts = []
        total = weights.prior
        for f in EXPLAINED:
            c = codes_at[f][k]
            if f == "name_order":
                level, wt = ("swapped", weights.swap_penalty) if c else ("straight", 0.0)
            else:
                level, wt = LEVELS[f][c], by_field[f][c] + adjust_at[f][k]
            total += wt
            shown = round(wt, 3)
            frag = fragments.get((f, level, shown))
            if frag is None:
                named = f'{{"field": {json.dumps(f)}, "level": {json.dumps(level)}, "weight": '
                frag = fragments[(f, level, shown)] = named + _json_number(shown) + "}"
            parts.append(frag)
        text = '{"fields": [' + ", ".join(parts) + "]" + prior + ', "total": ' + _json_number(round(total, 3))
        if rel_k:
            text += (
                ', "relatives": ['
                + ", ".join(
                    f'{{"class": {json.dumps(c)}, "weight": {_json_number(round(v[k], 3))}}}'
                    for c, v in rel_at.items()
                )
                + "]"
            )
            if presence_at is not None:
                text += presence_at[k]
            if unseen_at is not None and unseen_at[k]:
                text += ', "row_given_name": "unseen"'
        rendered[k] = text + "}"
    return rendered[inverse]


def _json_number(x: float) -> str:
    """A float as json.dumps writes it (float repr; NaN and infinities as JavaScript names)."""
    return float.__repr__(x) if math.isfinite(x) else json.dumps(x)


def _presence_fragment(level: str, bits: dict[str, float]) -> str:
    weight = _json_number(round(bits.get(level, 0.0), 3))
    return f', "presence": {{"level": {json.dumps(level)}, "weight": {weight}}}'
