"""Estimate the m/u probabilities from the data itself, Splink style.

- u (level frequencies among *different* people) from random (row, client) pairs: almost every
  random pair is a non-match, so plain frequencies are good estimates.
- m (level frequencies among the *same* people) from the candidate pairs of a fixed sample of rows
  that the other fields already identify with high confidence (see ``estimate_m``).

Both are shrunk towards the config priors with pseudo-counts, so a small extract moves them little
and a level that never occurs keeps its prior instead of becoming 0 (an infinite weight). The
returned config is otherwise unchanged; thresholds, review caps and the scoring prior stay as configured.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace

import numpy as np
import pandas as pd

from matchers import presence
from matchers.blocking import ClientIndex
from matchers.compare import LEVELS, compare
from matchers.config import FieldModel, MatchingConfig, RelativeClass
from matchers.decide import household_bits, row_probability
from matchers.scoring import AFTER_MOVE, EXPLAINED, LOCATION_IMPLIED, Weights, score
from matchers.standardise import PersonTable

log = logging.getLogger(__name__)

FIELDS = tuple(f for f in EXPLAINED if f != "name_order")


def _counts(codes: np.ndarray, field: str, weights: np.ndarray | None = None) -> dict[str, float]:
    """Weighted count of each non-missing level of ``field``."""
    levels = LEVELS[field]
    w = np.ones(len(codes)) if weights is None else weights
    sums = np.bincount(codes, weights=w, minlength=len(levels))
    return {lv: float(sums[i]) for i, lv in enumerate(levels) if lv != "missing"}


def _shrink(counts: dict[str, float], prior: FieldModel, which: str, strength: float) -> tuple[float, ...]:
    """Posterior-mean probabilities per configured level: (count + strength * prior) / (n + strength)."""
    base = dict(zip(prior.levels, prior.m if which == "m" else prior.u, strict=True))
    total = sum(counts.get(lv, 0.0) for lv in prior.levels)
    probs = [(counts.get(lv, 0.0) + strength * base[lv]) / (total + strength) for lv in prior.levels]
    norm = sum(probs)
    # Keep every probability strictly inside (0, 1) so every weight is finite.
    return tuple(min(max(p / norm, 1e-6), 1 - 1e-6) for p in probs)


def _chosen_levels(levels: pd.DataFrame, config: MatchingConfig) -> dict[str, np.ndarray]:
    """Level codes per explained field in the name reading scoring picks (straight or swapped)."""
    scored = score(levels, Weights.from_config(config, n_clients=1), explain=False)
    return {f: scored[f"{f}_level"].to_numpy() for f in FIELDS}


def estimate_u(
    records: PersonTable,
    clients: PersonTable,
    config: MatchingConfig,
    n_pairs: int,
    strength: float,
    seed: int = 0,
) -> MatchingConfig:
    """u from ``n_pairs`` random (row, client) pairs."""
    if len(records) == 0 or len(clients) == 0:
        return config
    rng = np.random.default_rng(seed)
    ri = rng.integers(0, len(records), n_pairs)
    ci = rng.integers(0, len(clients), n_pairs)
    chosen = _chosen_levels(compare(records, clients, ri, ci), config)
    fields = dict(config.fields)
    for f in FIELDS:
        prior = fields[f]
        fields[f] = replace(prior, u=_shrink(_counts(chosen[f], f), prior, "u", strength))
    # After a move, city / zip agree among different people as often as ever: the same u.
    for f in LOCATION_IMPLIED:
        moved = fields.get(AFTER_MOVE.format(f))
        if moved is not None and moved.levels == fields[f].levels:
            fields[AFTER_MOVE.format(f)] = replace(moved, u=fields[f].u)
    return replace(config, fields=fields)


def candidate_levels(
    records: PersonTable,
    clients: PersonTable,
    index: ClientIndex,
    config: MatchingConfig,
    rule_counts: dict[str, int] | None = None,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Rows' candidate pairs (as blocking finds them) compared once: (row of each pair, client of
    each pair, comparison levels). m, the match rate and the relatives are estimated on the
    sample's; a chunk is scored on its own. ``rule_counts``: see ClientIndex.candidates."""
    pairs = index.candidates(records, config.blocking_rules, config.max_pairs_per_record, rule_counts)
    rows, cli = pairs["rec"].to_numpy(), pairs["cli"].to_numpy()
    return rows, cli, compare(records, clients, rows, cli)


def estimate_m(
    levels: pd.DataFrame,
    n_clients: int,
    config: MatchingConfig,
    iterations: int,
    strength: float,
    confidence_bits: float = 10.0,
) -> MatchingConfig:
    """m per field from the candidate pairs the *other* fields already identify (leave one field out).

    For each field, the pairs whose total without that field is at least ``confidence_bits`` (odds
    of 1000:1 at 10 bits) are taken as true matches, and that field's level frequencies among them
    estimate its m. Selecting by the other fields keeps the field's own errors in the estimate
    (a corrupted given name shows up as "else"), which a selection on all fields would hide.
    Plain EM over union-of-blocks candidates was tried first and drifted to a latent class of
    "same surname / same area" pairs (m(dob exact) fell to 0.36 on FEBRL), so it is not used.
    """
    if levels.empty:
        return config
    base = config
    for _ in range(iterations):
        weights = Weights.from_config(config, n_clients=n_clients)
        # Relatives are left out here: the fields that identify a pair pick it, whoever it is;
        # estimate_relatives then splits the twins off the same person.
        scored = score(levels, replace(weights, relatives=None), explain=False, field_weights=True)
        total = scored["total"].to_numpy()
        fields = dict(config.fields)
        for f in FIELDS:
            codes = scored[f"{f}_level"].to_numpy()
            # Leave out what the field actually added (after a move, a same zip adds less than its
            # plain weight; with an agreeing given name the sex marker adds nothing).
            confident = (total - scored[f"{f}_weight"].to_numpy()) >= confidence_bits
            # Shrink towards the configured prior, not the previous iteration's estimate, so the
            # prior keeps its pull however many iterations run.
            m = _shrink(_counts(codes[confident], f), base.fields[f], "m", strength)
            fields[f] = replace(fields[f], m=m)
            moved_name = AFTER_MOVE.format(f)
            if f in LOCATION_IMPLIED and moved_name in fields:
                # The same people after a move: how often the move stayed in the city / zip.
                moved = confident & (scored["address_level"].to_numpy() == LEVELS["address"].index("else"))
                m = _shrink(_counts(codes[moved], f), base.fields[moved_name], "m", strength)
                fields[moved_name] = replace(fields[moved_name], m=m)
        config = replace(config, fields=fields)
    log.info("matcher: m estimated on %d candidate pairs, %d iterations", len(levels), iterations)
    return config


def estimate_match_rate(
    rows: np.ndarray,
    levels: pd.DataFrame,
    n_records: int,
    n_clients: int,
    config: MatchingConfig,
    iterations: int = 5,
    household: np.ndarray | None = None,
) -> MatchingConfig:
    """The share of extract rows that are clients (the prior), from the data: EM on one parameter.

    Each sampled row's probability of being some client is the sum of its candidates' row
    probabilities (decide.row_probability: a row is at most one client); their mean is the new
    rate, which moves the prior and so every probability; a few rounds reach the fixed point.
    This is what Splink estimates as ``probability_two_random_records_match``. An extract of
    nothing but clients (a referral list, FEBRL's duplicates) then starts from odds of 1 in N
    clients, not 1 in 10 N; a school roster where one row in 200 is a client starts lower than the
    configured guess. ``household``: each pair's client's household code (decide.household_bits).
    """
    if levels.empty or n_records == 0:
        return config
    rate = config.match_rate
    for _ in range(iterations):
        weights = Weights.from_config(replace(config, match_rate=rate), n_clients=n_clients)
        scored = score(levels, weights, explain=False)
        prob = row_probability(
            rows, *household_bits(rows, household, scored["total"].to_numpy(), scored["rel"].to_numpy())
        )
        new = float(prob.sum()) / n_records
        new = min(max(new, config.match_rate_bounds[0]), config.match_rate_bounds[1])
        if abs(new - rate) < 1e-4:
            rate = new
            break
        rate = new
    log.info("matcher: match rate estimated at %.4f (configured %.4f)", rate, config.match_rate)
    return replace(config, match_rate=rate)


def _sample_presence(
    rows: np.ndarray,
    cli: np.ndarray,
    levels: pd.DataFrame,
    n_clients: int,
    config: MatchingConfig,
    household: np.ndarray | None = None,
) -> tuple[np.ndarray | None, dict[str, float]]:
    """Presence levels of the sample's pairs and their weights (matchers/presence.py), from the
    sample's own confirmed rows: without them a twin and a renamed record look the same to EM,
    and the given name's m would absorb the twins."""
    if not config.presence:
        return None, {}
    scored = score(levels, Weights.from_config(config, n_clients=n_clients), explain=False)
    prob = row_probability(
        rows, *household_bits(rows, household, scored["total"].to_numpy(), scored["rel"].to_numpy())
    )
    best = pd.Series(prob).groupby(rows).transform("max").to_numpy() == prob
    is_match = best & (prob >= config.match_threshold)
    conf = presence.confirmed(is_match, scored["first_name_level"].to_numpy())
    model = presence.Presence.from_confirmed(cli[conf], n_clients)
    return presence.pair_levels(rows, cli, rows[conf], cli[conf]), model.weights


def estimate_relatives(
    rows: np.ndarray,
    cli: np.ndarray,
    levels: pd.DataFrame,
    n_records: int,
    n_clients: int,
    config: MatchingConfig,
    prior_config: MatchingConfig,
    iterations: int = 10,
    households: np.ndarray | None = None,
) -> MatchingConfig:
    """The relatives' priors and level probabilities, the given name's m and the match rate, by EM
    over the sample's candidate pairs with four outcomes per row: a stranger, or for some candidate
    client the same person or one of her relatives (matchers/relatives.py).

    E-step: each outcome's share of the row (normalised as decide.row_probability does). M-step:
    a class's prior is its relatives' weight over the same person's, shrunk towards the configured
    prior with ``prior_strength`` pseudo-rows (vital statistics keep their pull on a small extract);
    its level probabilities are the levels' weighted frequencies among its relatives, shrunk towards
    ``prior_config``'s with ``pseudo_count``. The given name's m is re-estimated jointly: the
    leave-one-out estimate (estimate_m) counts a twin as the same person with another given name.
    ``households``: each client row's household code (relatives.household_codes); a household on
    the list is scored together (decide.household_bits), and each pair's relatives keep their
    classes' shares of what is left to relatives.
    """
    if levels.empty or not config.relatives or n_records == 0:
        return config
    base = {rc.name: rc for rc in prior_config.relatives}
    m_prior = config.fields["first_name"]
    strength = config.pseudo_count
    household = None if households is None else households[cli]
    present, presence_bits = _sample_presence(rows, cli, levels, n_clients, config, household)
    for _ in range(iterations):
        weights = Weights.from_config(config, n_clients=n_clients)
        if presence_bits and weights.relatives is not None:
            weights = replace(weights, relatives=replace(weights.relatives, presence_bits=presence_bits))
        scored = score(levels, weights, explain=False, presence=present)
        raw_rel = scored["rel"].to_numpy()
        total, rel = household_bits(rows, household, scored["total"].to_numpy(), raw_rel)
        same = row_probability(rows, total, rel)
        # rel - raw_rel: 0 outside a household on the list (-inf - -inf: no relatives at all)
        shift = np.where(np.isfinite(raw_rel), rel - np.where(np.isfinite(raw_rel), raw_rel, 0.0), 0.0)
        classes = []
        for rc in config.relatives:
            resp = same * np.exp2(scored[f"rel_{rc.name}"].to_numpy() + shift)
            start = base.get(rc.name, rc)
            prior = (float(resp.sum()) + start.prior_strength * start.prior) / (
                float(same.sum()) + start.prior_strength
            )
            fields = {}
            for fname, probs in start.fields.items():
                counts = _counts(scored[f"{fname}_level"].to_numpy(), fname, resp)
                total_n = sum(counts.get(lv, 0.0) for lv in probs)
                est = {
                    lv: (counts.get(lv, 0.0) + strength * p) / (total_n + strength) for lv, p in probs.items()
                }
                norm = sum(est.values())
                fields[fname] = {lv: min(max(p / norm, 1e-6), 1 - 1e-6) for lv, p in est.items()}
            classes.append(RelativeClass(rc.name, prior, rc.prior_strength, rc.source, fields))
        first = scored["first_name_level"].to_numpy()
        m = _shrink(_counts(first, "first_name", same), m_prior, "m", strength)
        rate = min(
            max(float(same.sum()) / n_records, config.match_rate_bounds[0]), config.match_rate_bounds[1]
        )
        config = replace(
            config,
            relatives=tuple(classes),
            fields={**config.fields, "first_name": replace(config.fields["first_name"], m=m)},
            match_rate=rate if config.estimate_match_rate else config.match_rate,
        )
    log.info(
        "matcher: relatives estimated, priors %s",
        {rc.name: round(rc.prior, 4) for rc in config.relatives},
    )
    return config


def name_pair_bits(clients: PersonTable, pseudo_pairs: float, max_bits: float) -> float:
    """Bits to add when a pair agrees exactly on given and surname, estimated on the client list.

    Scoring multiplies the two agreements' u as if given names and surnames were independent; in a
    real population they are not (families and communities share naming customs: Tongan given names
    go with Tongan surnames), so two different people share both names more often than the product
    says. The client list holds distinct people: the pairs of them sharing both names (DOB given and
    different) against the pairs independence predicts, C(n, 2) * sum(p_given^2) * sum(p_surname^2),
    is that excess R. Shrunk towards independence with ``pseudo_pairs`` pseudo-pairs; never a bonus
    (R below 1 is left at 1), never more than ``max_bits`` of penalty. Returns -log2(R).
    """
    first, last, dob = clients.first[:, 0], clients.last[:, 0], clients.dob8
    known = (first != "") & (last != "") & (dob != "")
    people = pd.DataFrame({"f": first[known], "l": last[known], "d": dob[known]}).drop_duplicates()
    n = len(people)
    if n < 2:
        return 0.0
    pf = people["f"].value_counts(normalize=True).to_numpy()
    pl = people["l"].value_counts(normalize=True).to_numpy()
    expected = n * (n - 1) / 2 * float((pf**2).sum()) * float((pl**2).sum())
    sizes = people.groupby(["f", "l"]).size().to_numpy()
    observed = float((sizes * (sizes - 1) / 2).sum())
    ratio = (observed + pseudo_pairs) / (expected + pseudo_pairs)
    return -min(max(math.log2(ratio), 0.0), max_bits) if ratio > 1 else 0.0
