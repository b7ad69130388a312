"""The Matcher protocol and the default engine (standardise -> block -> compare -> score -> decide).

The engine is one replaceable object behind ``link(clients, records)``: the pipeline only sees the
protocol, so a better model (EM-estimated m/u, term frequencies...) can take its place without any
change outside ``matchers/``.

Memory is bounded: the client list is standardised and indexed once; extract rows go through in
chunks of ``chunk_size`` record_ids and only that chunk's candidate pairs exist at a time. Every
pair of one record_id lives in that record's chunk, and m/u are estimated on a seeded sample of
the whole extract, so chunking never changes a decision.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from matchers import parallel
from matchers import presence as presence_model
from matchers.blocking import ClientIndex
from matchers.config import MatchingConfig
from matchers.decide import (
    MATCH,
    NONMATCH,
    cap_hits,
    decide,
    household_bits,
    row_log_mass,
    row_probability,
    run_match_threshold,
    with_threshold,
)
from matchers.estimate import (
    candidate_levels,
    estimate_m,
    estimate_match_rate,
    estimate_relatives,
    estimate_u,
    name_pair_bits,
)
from matchers.frequencies import NameFrequencies, address_sharing_bits
from matchers.learned_names import (
    learned_by_client,
    stated_given_names,
    uses_learned_name,
    with_learned_names,
)
from matchers.params import apply as apply_parameters
from matchers.relatives import household_codes
from matchers.scoring import Weights, score
from matchers.standardise import PLACEHOLDER_YEAR_MIN, PersonTable, dob_year_floor, standardise

log = logging.getLogger(__name__)

RESULT_COLUMNS = ("record_id", "client_id", "score", "decision", "explanation")


@runtime_checkable
class Matcher(Protocol):
    """Links extract rows to the client list (see docs/CONTRACTS.md, "Matcher")."""

    def link(self, clients: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
        """clients: person schema with client_id; records: person schema with record_id.

        Returns record_id, client_id, score, decision, explanation; one row per kept pair.
        """
        ...


@dataclass
class LinkStats:
    """Counts of the last run (no identifying data: safe to log and to put in Dagster metadata)."""

    records: int = 0
    clients: int = 0
    candidate_pairs: int = 0
    kept_pairs: int = 0
    chunks: int = 0
    skipped_block_keys: int = 0
    decisions: dict[str, int] = field(default_factory=dict)
    #: pairs each blocking rule found (a pair found by several rules counts for each)
    pairs_by_rule: dict[str, int] = field(default_factory=dict)
    #: version of the parameters file scored with, or "estimated" (m/u fitted on this run's data)
    #: or "config" (config/matching.yaml as it stands)
    parameters: str = "config"
    #: share of extract rows estimated to be clients (the prior the run scored with)
    match_rate: float = 0.0
    #: the match threshold this run decided with (decide.run_match_threshold)
    match_threshold: float = 0.0
    #: relatives per row of the client herself, per relative class, as this run weighed them
    relatives: dict[str, float] = field(default_factory=dict)
    #: rows each review cap (a safety net) kept from an auto-match they would otherwise have had
    caps_fired: dict[str, int] = field(default_factory=dict)
    #: whether clients already had a confirmed row here, as estimated (matchers/presence.py)
    presence: dict[str, float | int] = field(default_factory=dict)
    #: pairs whose probability the presence of the client's other rows changed
    presence_pairs: int = 0
    #: given names learned from auto-matched rows that stated them (AKA), and rows scored again with them
    learned_names: int = 0
    learned_name_rows: int = 0
    #: bits a pair agreeing on both given and surname lost because names go together (estimate.py)
    name_pair_bits: float = 0.0
    #: worker processes that scored the chunks (1: this process) and the largest one's peak memory
    workers: int = 1
    worker_peak_kib: int = 0

    def add_chunk(self, part: LinkStats) -> None:
        """Add the counts of one chunk scored on its own (perhaps in a worker process)."""
        self.chunks += 1
        self.candidate_pairs += part.candidate_pairs
        for rule, n in part.pairs_by_rule.items():
            self.pairs_by_rule[rule] = self.pairs_by_rule.get(rule, 0) + n
        self.worker_peak_kib = max(self.worker_peak_kib, part.worker_peak_kib)

    @property
    def pairs_per_record(self) -> float:
        return self.candidate_pairs / self.records if self.records else 0.0


def _empty_result() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record_id": pd.Series(dtype=object),
            "client_id": pd.Series(dtype=object),
            "score": pd.Series(dtype="float64"),
            "decision": pd.Series(dtype=object),
            "explanation": pd.Series(dtype=object),
            "rec": pd.Series(dtype="int64"),
            "cli": pd.Series(dtype="int64"),
            "client_row": pd.Series(dtype="int64"),
            "stated_given": pd.Series(dtype=object),
            "total": pd.Series(dtype="float64"),
            "rel": pd.Series(dtype="float64"),
            "row_mass": pd.Series(dtype="float64"),
            "first_level": pd.Series(dtype="int64"),
            "capped": pd.Series(dtype="int64"),
        }
    )


#: columns link() uses internally and drops before returning: the row key, the client key, the
#: pair's same-vs-stranger and relatives bits, log2 of the row's whole mass (decide.row_probability),
#: the given-name level and the review caps holding it (bit i: cap i)
_INTERNAL = ["rec", "cli", "client_row", "stated_given", "total", "rel", "row_mass", "first_level", "capped"]


#: a run of at most this many chunks' rows (``processing.chunk_size``) that is scored in this
#: process is compared as one chunk before the fit (_Prepared): as many pairs at once as the fit's
#: sample and one chunk held before, each compared once instead of twice
PREPARED_CHUNKS = 2


@dataclass
class _Prepared:
    """Rows standardised, their candidate pairs and those pairs compared: what scoring needs before
    the weights exist. A chunk builds it just before it is scored; a small run builds it once for
    all its rows (``positions``: where each row sits in the extract), and the fit's sample is a
    part of it (sample)."""

    rs: PersonTable
    rows: np.ndarray  # row of each candidate pair
    cli: np.ndarray  # client of each candidate pair
    levels: pd.DataFrame
    pairs_by_rule: dict[str, int]
    positions: np.ndarray | None = None

    @classmethod
    def build(
        cls,
        frame: pd.DataFrame,
        cl: PersonTable,
        index: ClientIndex,
        cfg: MatchingConfig,
        dob_floor: int,
        positions: np.ndarray | None = None,
    ) -> _Prepared:
        rs = standardise(frame, id_column="record_id", dob_floor=dob_floor)
        by_rule: dict[str, int] = {}
        rows, cli, levels = candidate_levels(rs, cl, index, cfg, by_rule)
        return cls(rs, rows, cli, levels, by_rule, positions)

    def sample(self, drawn: np.ndarray) -> tuple[PersonTable, np.ndarray, np.ndarray, pd.DataFrame]:
        """(rows, row of each pair, client of each pair, levels) of the extract's rows at positions
        ``drawn``, in that order: what standardising those rows and candidate_levels give. Blocking
        and comparing are row by row, and candidates() orders pairs by row, so taking each sampled
        row's pairs in sample order gives the same pairs in the same order."""
        assert self.positions is not None  # built for the whole run
        at = np.empty(len(self.positions), dtype=np.int64)
        at[self.positions] = np.arange(len(self.positions))
        at = at[drawn]  # the drawn rows among this table's
        rank = np.full(len(self.rs), -1, dtype=np.int64)
        rank[at] = np.arange(len(at))
        of_row = rank[self.rows]
        kept = np.flatnonzero(of_row >= 0)
        kept = kept[np.argsort(of_row[kept], kind="stable")]
        return self.rs.take(at), of_row[kept], self.cli[kept], self.levels.iloc[kept].reset_index(drop=True)


class FellegiSunterMatcher:
    """Default engine: curated blocking, rapidfuzz comparisons, Fellegi-Sunter weights from config."""

    def __init__(self, config: MatchingConfig, parameters: dict | None = None) -> None:
        """``parameters``: a trained parameters file's content (matchers/params.py); its m/u are
        used as they are, with no per-run estimation."""
        self.parameters_version = parameters["version"] if parameters else None
        self.config = apply_parameters(config, parameters) if parameters else config
        #: the config the last run scored with (m/u re-estimated when ``estimation`` is enabled)
        self.fitted_config = self.config
        self.stats = LinkStats()
        self._name_counts: NameFrequencies | None = None
        #: the config decisions are made with (the run's match threshold once it is known)
        self.decide_config = self.config
        #: (rec, client_row) of the run's confirmed rows and the presence weights, once known
        self._confirmed: tuple[np.ndarray, np.ndarray] | None = None
        #: household code per client row when households are scored together (decide.household_bits)
        self._households: np.ndarray | None = None
        #: bits on an exact address agreement with each client row (frequencies.address_sharing_bits)
        self._address_bits: np.ndarray | None = None
        #: the earliest birth year taken as real in this run (standardise.dob_year_floor)
        self._dob_floor = PLACEHOLDER_YEAR_MIN

    def fit(self, clients: pd.DataFrame, records: pd.DataFrame) -> MatchingConfig:
        """The config with m/u estimated from these clients and records (what training saves)."""
        self._dob_floor = _dob_floor(clients)
        cl = standardise(clients, id_column="client_id", dob_floor=self._dob_floor)
        index = ClientIndex.build(
            cl, self.config.blocking_rules, self.config.max_block_size, self.config.rule_max_block_size
        )
        self._households = self._household_codes(cl)
        return self._fit(cl, index, records, force=True)

    def link(self, clients: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
        cfg = self.config
        if "client_id" not in clients.columns or "record_id" not in records.columns:
            # Column names only: never values (privacy rule 5).
            raise ValueError("link() needs a client_id column in clients and a record_id column in records")
        # One decision per record_id and per client_id even if an id repeats: rows sharing a
        # record_id are kept in one chunk and decided together; a repeated client_id counts once.
        rec_codes, _ = pd.factorize(records["record_id"])
        n_ids = int(rec_codes.max()) + 1 if len(rec_codes) else 0
        processes = parallel.worker_count(cfg.workers, n_ids)
        chunk = parallel.chunk_rows(n_ids, cfg.chunk_size, processes)
        if processes < 2 or n_ids <= chunk:
            return self._link(clients, records, rec_codes, n_ids, chunk, None)
        if -(-n_ids // chunk) >= parallel.MAX_CHUNKS_SCORED_HERE:  # a long run: workers after the fit
            return self._link(clients, records, rec_codes, n_ids, chunk, None, shared_workers=processes)
        # started now, the workers start up and prepare chunks while this process fits the model
        with parallel.ChunkWorkers(processes - 1) as pool:
            return self._link(clients, records, rec_codes, n_ids, chunk, pool)

    def _link(
        self,
        clients: pd.DataFrame,
        records: pd.DataFrame,
        rec_codes: np.ndarray,
        n_ids: int,
        chunk_size: int,
        pool: parallel.ChunkWorkers | None,
        shared_workers: int = 0,
    ) -> pd.DataFrame:
        cfg = self.config
        self.stats = LinkStats()  # what workers get of this matcher: no previous run's state
        self._dob_floor = _dob_floor(clients)
        cl = standardise(clients, id_column="client_id", dob_floor=self._dob_floor)
        index = ClientIndex.build(cl, cfg.blocking_rules, cfg.max_block_size, cfg.rule_max_block_size)
        self._households = self._household_codes(cl)
        order = np.argsort(rec_codes, kind="stable")
        order = order[rec_codes[order] >= 0]  # a row without a record_id cannot be linked
        prepared = None
        if pool is None and 0 < n_ids <= PREPARED_CHUNKS * cfg.chunk_size and len(order) == len(records):
            # A small run is standardised, blocked and compared once, as one chunk, before the fit;
            # the fit takes its sample's pairs from it rather than comparing most rows twice.
            prepared = _Prepared.build(records.iloc[order], cl, index, cfg, self._dob_floor, order)
            chunk_size = n_ids
        sorted_codes = rec_codes[order]
        bounds = [
            np.searchsorted(sorted_codes, [first_id, first_id + chunk_size])
            for first_id in range(0, n_ids, chunk_size)
        ]

        def job(k: int, with_rows: bool = True) -> tuple[pd.DataFrame | None, np.ndarray]:
            """Chunk k: its rows (None when a worker has them prepared) and their record codes."""
            lo, hi = bounds[k]
            return (records.iloc[order[lo:hi]] if with_rows else None), rec_codes[order[lo:hi]]

        if pool is not None:
            pool.start({"matcher": self, "cl": cl, "index": index}, lambda k: job(k)[0], len(bounds))
        self.fitted_config = self._fit(cl, index, records, prepared=prepared)
        self.decide_config, self._confirmed = cfg, None
        self._address_bits = (
            None
            if cfg.tf_address_pseudo_people is None
            else address_sharing_bits(
                cl.address, cl.ids, cfg.tf_address_pseudo_people, cfg.tf_address_max_penalty_bits
            )
        )
        weights = Weights.from_config(self.fitted_config, n_clients=len(cl))
        if cfg.tf_name_pair:
            weights = replace(
                weights,
                name_pair_bits=name_pair_bits(cl, cfg.tf_name_pair_pseudo_pairs, cfg.tf_name_pair_max_bits),
            )
        counted = cfg.tf_fields or cfg.unseen_name_min_rows
        freq = NameFrequencies.from_frames(clients, records) if counted else None
        # Only in a large run does "found in no other row" single out a misspelling (decide.PAIR_FACTS).
        self._name_counts = (
            freq
            if cfg.unseen_name_min_rows and len(clients) + len(records) >= cfg.unseen_name_min_rows
            else None
        )
        client_codes, _ = pd.factorize(pd.Series(cl.ids))
        stats = LinkStats(
            records=len(records),
            clients=len(cl),
            skipped_block_keys=index.skipped_keys,
            parameters=self.parameters_version
            or ("estimated" if self.fitted_config.fields is not cfg.fields else "config"),
            match_rate=self.fitted_config.match_rate,
            relatives={rc.name: round(rc.prior, 4) for rc in self.fitted_config.relatives},
            name_pair_bits=round(weights.name_pair_bits, 2),
        )
        if pool is not None:
            stats.workers = pool.workers + 1
            state = {"matcher": self, "client_codes": client_codes, "weights": weights, "freq": freq}
            done = pool.map_chunks(
                state,
                job,
                len(bounds),
                lambda j: self._link_chunk_alone(cl, client_codes, index, weights, freq, *j),
            )
        elif shared_workers:
            stats.workers = shared_workers
            state = {"matcher": self, "cl": cl, "client_codes": client_codes, "index": index}
            state.update(weights=weights, freq=freq)
            done = parallel.map_chunks_shared(state, (job(k) for k in range(len(bounds))), shared_workers)
        else:
            done = (
                self._link_chunk_alone(cl, client_codes, index, weights, freq, *job(k), prepared)
                for k in range(len(bounds))
            )
        parts: list[pd.DataFrame] = []
        for (part, part_stats), (_, hi) in zip(done, bounds, strict=True):
            parts.append(part)
            stats.add_chunk(part_stats)
            log.info(
                "matcher: %d of %d rows done, %d candidate pairs so far",
                hi,
                len(order),
                stats.candidate_pairs,
            )
        result = pd.concat(parts, ignore_index=True) if parts else _empty_result()
        if result.empty:
            result = _empty_result()
        if cfg.presence and weights.relatives is not None:
            weights = self._weigh_presence(result, weights, len(cl), stats)
        result = self._decide_at_run_threshold(result, stats)
        if cfg.learn_names:
            result = self._score_again_with_learned_names(
                cl, client_codes, index, weights, freq, records, rec_codes, result, stats
            )
        stats.caps_fired = self._caps_fired(result)
        result = result.drop(columns=_INTERNAL)
        stats.kept_pairs = len(result)
        stats.decisions = {k: int(v) for k, v in result["decision"].value_counts().items()}
        self.stats = stats
        log.info(
            "matcher: %d rows, %d clients, %.1f pairs per row, decisions %s",
            stats.records,
            stats.clients,
            stats.pairs_per_record,
            stats.decisions,
        )
        return result

    def _fit(
        self,
        cl: PersonTable,
        index: ClientIndex,
        records: pd.DataFrame,
        force: bool = False,
        prepared: _Prepared | None = None,
    ) -> MatchingConfig:
        """The config with m/u re-estimated from this run's data (when enabled and big enough).

        Estimation uses a seeded sample of the whole extract, never a chunk, so the chunk size
        cannot change any weight (and so any decision). ``prepared``: the whole run already
        compared; the sample's pairs are taken from it, the same pairs in the same order as
        comparing the sample itself gives.
        """
        cfg = self.config
        if len(cl) == 0 or len(records) == 0 or len(records) < cfg.estimate_min_rows and not force:
            return cfg
        estimate_mu = force or cfg.estimate
        if not (estimate_mu or cfg.estimate_match_rate or cfg.estimate_relatives):
            return cfg
        n_sample = min(cfg.sample_rows, len(records))
        if prepared is None:
            sample = records.sample(n=n_sample, random_state=cfg.seed)
            rs = standardise(sample, id_column="record_id", dob_floor=self._dob_floor)
            rows, cli, levels = candidate_levels(rs, cl, index, cfg)
        else:  # the positions DataFrame.sample draws (the same generator call)
            drawn = pd.Series(np.arange(len(records))).sample(n=n_sample, random_state=cfg.seed)
            rs, rows, cli, levels = prepared.sample(drawn.to_numpy())
        fitted = cfg
        if estimate_mu:
            fitted = estimate_u(rs, cl, cfg, cfg.u_random_pairs, cfg.u_pseudo_count, seed=cfg.seed)
            fitted = estimate_m(levels, len(cl), fitted, cfg.m_iterations, cfg.pseudo_count)
        if cfg.estimate_match_rate:
            household = None if self._households is None else self._households[cli]
            fitted = estimate_match_rate(rows, levels, len(rs), len(cl), fitted, household=household)
        if cfg.estimate_relatives:
            fitted = estimate_relatives(
                rows, cli, levels, len(rs), len(cl), fitted, cfg, households=self._households
            )
        return fitted

    def _household_codes(self, cl: PersonTable) -> np.ndarray | None:
        """Household code per client row (relatives.household_codes), None when not configured."""
        if not (self.config.households and self.config.relatives):
            return None
        codes = household_codes(cl)
        return codes if (codes >= 0).any() else None

    def _tf_bits(
        self, freq: NameFrequencies | None, cl: PersonTable, ci: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Term-frequency adjustments per pair, keyed on the client's primary name (the value an
        exact agreement agrees on, in either name reading), and the address many clients share
        (frequencies.address_sharing_bits)."""
        out = {}
        if self._address_bits is not None:
            out["address"] = self._address_bits[ci]
        if freq is None:
            return out
        cfg = self.fitted_config
        for f in self.config.tf_fields:
            names = (cl.first if f == "first_name" else cl.last)[ci, 0]
            model = cfg.fields[f]
            u_exact = model.u[model.levels.index("exact")]
            out[f] = freq.adjustment(
                f, names, u_exact, cfg.tf_max_bonus_bits, cfg.tf_max_penalty_bits, cfg.tf_pseudo_count
            )
        return out

    def _prepare(self, rows: pd.DataFrame, cl: PersonTable, index: ClientIndex) -> _Prepared:
        """A chunk standardised, blocked and compared (in a worker, while this process fits)."""
        return _Prepared.build(rows, cl, index, self.config, self._dob_floor)

    def _link_chunk_alone(
        self,
        cl: PersonTable,
        client_codes: np.ndarray,
        index: ClientIndex,
        weights: Weights,
        freq: NameFrequencies | None,
        chunk: pd.DataFrame,
        rec_codes: np.ndarray,
        prepared: _Prepared | None = None,
    ) -> tuple[pd.DataFrame, LinkStats]:
        """One chunk's pairs and counts, as a worker process returns them (matchers/parallel.py)."""
        stats = LinkStats()
        part = self._link_chunk(
            cl, client_codes, index, weights, freq, chunk, rec_codes, stats, prepared=prepared
        )
        return part, stats

    def _link_chunk(
        self,
        cl: PersonTable,
        client_codes: np.ndarray,
        index: ClientIndex,
        weights: Weights,
        freq: NameFrequencies | None,
        chunk: pd.DataFrame,
        rec_codes: np.ndarray,
        stats: LinkStats,
        own_given_width: int | None = None,
        prepared: _Prepared | None = None,
    ) -> pd.DataFrame:
        """Scored and decided pairs of one chunk of rows.
        ``own_given_width``: ``cl`` carries learned given names after this many columns of its own
        (see _score_again_with_learned_names); pairs agreeing on one say so in their explanation.
        ``prepared``: this chunk already standardised, blocked and compared (_Prepared)."""
        cfg = self.decide_config
        if prepared is None:
            prepared = _Prepared.build(chunk, cl, index, cfg, self._dob_floor)
        rs, ri, ci, levels = prepared.rs, prepared.rows, prepared.cli, prepared.levels
        for rule, n in prepared.pairs_by_rule.items():
            stats.pairs_by_rule[rule] = stats.pairs_by_rule.get(rule, 0) + n
        stats.candidate_pairs += len(ri)
        if len(ri) == 0:
            return _empty_result()
        tf_bits = self._tf_bits(freq, cl, ci)
        unseen = None
        if self._name_counts is not None:
            # once per row, not per pair: a given name found in no other row or client of a large run
            unseen = (self._name_counts.count("first_name", rs.first[:, 0]) <= 1)[ri]
        present = None
        if self._confirmed is not None and weights.relatives is not None and weights.relatives.presence_bits:
            conf_rec, conf_cli = self._confirmed
            present = presence_model.pair_levels(rec_codes[ri], ci, conf_rec, conf_cli)
        # Explanations are rendered for the kept pairs only (below): most candidates are dropped.
        scored = score(levels, weights, tf_bits, explain=False, given_unseen=unseen, presence=present)
        scored["row"], scored["client_row"] = ri, ci
        # decide() works on id codes: the best pair per (record_id, client_id) stands for the id.
        scored["rec"], scored["cli"] = rec_codes[ri], client_codes[ci]
        scored = scored.sort_values(["rec", "cli", "total"], ascending=[True, True, False], kind="stable")
        scored = scored.drop_duplicates(["rec", "cli"])
        if unseen is not None:
            # decide.PAIR_FACTS["row_given_name"]: 0 "unseen", 1 "seen" (review caps may name it)
            scored["row_given_name_level"] = (~unseen[scored.index.to_numpy()]).astype(np.int8)
        rec_k = scored["rec"].to_numpy()
        household = None if self._households is None else self._households[scored["client_row"].to_numpy()]
        total, rel = household_bits(rec_k, household, scored["total"].to_numpy(), scored["rel"].to_numpy())
        # the bits the row's mass is made of (a household on the list scored together): what
        # _weigh_presence updates; the explanation keeps the pair's own
        scored["mass_total"], scored["mass_rel"] = total, rel
        scored["score"] = row_probability(rec_k, total, rel)
        scored["row_mass"] = row_log_mass(rec_k, total, rel)
        capped = np.zeros(len(scored), dtype=np.int64)
        for i, hit in enumerate(cap_hits(scored, cfg).values()):
            capped |= hit.astype(np.int64) << i
        scored["capped"] = capped
        scored["decision"] = decide(scored, cfg, capped > 0)
        kept = scored[(scored["score"] >= cfg.keep_threshold) | (scored["decision"] != NONMATCH)]
        kept = kept.sort_values(["rec", "score", "cli"], ascending=[True, False, True], kind="stable")
        at = kept.index.to_numpy()  # positions in levels (score() keeps the index of its input)
        kept_tf = {f: bits[at] for f, bits in tf_bits.items()}
        explained = score(
            levels.iloc[at].reset_index(drop=True),
            weights,
            kept_tf,
            given_unseen=None if unseen is None else unseen[at],
            presence=None if present is None else present[at],
        )["explanation"].to_numpy()
        kr, kc = kept["row"].to_numpy(), kept["client_row"].to_numpy()
        stated = stated_given_names(
            rs,
            cl,
            kr,
            kc,
            kept["decision"].to_numpy() == MATCH,
            kept["swapped"].to_numpy(),
            kept["first_name_level"].to_numpy(),
            kept["aliases_level"].to_numpy(),
        )
        if own_given_width is not None:
            flagged = np.flatnonzero(uses_learned_name(rs, cl, kr, kc, own_given_width))
            for k in flagged:  # a few rows: say in the waterfall where the given name came from
                explained[k] = json.dumps({**json.loads(explained[k]), "learned_given_name": True})
        return pd.DataFrame(
            {
                "record_id": rs.ids[kept["row"].to_numpy()],
                "client_id": cl.ids[kept["client_row"].to_numpy()],
                "score": kept["score"].to_numpy(dtype=np.float64),
                "decision": kept["decision"].to_numpy(dtype=object),
                "explanation": explained.astype(object),
                "rec": kept["rec"].to_numpy(dtype=np.int64),
                "cli": kept["cli"].to_numpy(dtype=np.int64),
                "client_row": kc.astype(np.int64),
                "stated_given": stated,
                "total": kept["mass_total"].to_numpy(dtype=np.float64),
                "rel": kept["mass_rel"].to_numpy(dtype=np.float64),
                "row_mass": kept["row_mass"].to_numpy(dtype=np.float64),
                "first_level": kept["first_name_level"].to_numpy(dtype=np.int64),
                "capped": kept["capped"].to_numpy(dtype=np.int64),
            }
        )

    def _score_again(
        self,
        codes: np.ndarray,
        cl: PersonTable,
        client_codes: np.ndarray,
        index: ClientIndex,
        weights: Weights,
        freq: NameFrequencies | None,
        records: pd.DataFrame,
        rec_codes: np.ndarray,
        result: pd.DataFrame,
        own_given_width: int | None = None,
    ) -> pd.DataFrame:
        """``result`` with the pairs of the record ids ``codes`` scored and decided again (chunk by
        chunk, every row of one id in one chunk), in link()'s order."""
        rows = np.flatnonzero(np.isin(rec_codes, codes))
        rows = rows[np.argsort(rec_codes[rows], kind="stable")]
        again = []
        for start in range(0, len(codes), self.config.chunk_size):
            part = rows[np.isin(rec_codes[rows], codes[start : start + self.config.chunk_size])]
            again.append(
                self._link_chunk(
                    cl,
                    client_codes,
                    index,
                    weights,
                    freq,
                    records.iloc[part],
                    rec_codes[part],
                    LinkStats(),
                    own_given_width=own_given_width,
                )
            )
        kept = result[~np.isin(result["rec"].to_numpy(), codes)]
        merged = pd.concat([kept, *again], ignore_index=True)
        return merged.sort_values(
            ["rec", "score", "client_id"], ascending=[True, False, True], kind="stable"
        ).reset_index(drop=True)

    def _score_again_with_learned_names(
        self,
        cl: PersonTable,
        client_codes: np.ndarray,
        index: ClientIndex,
        weights: Weights,
        freq: NameFrequencies | None,
        records: pd.DataFrame,
        rec_codes: np.ndarray,
        result: pd.DataFrame,
        stats: LinkStats,
    ) -> pd.DataFrame:
        """Second pass: rows without a match that have a candidate client whose auto-matched rows
        stated another given name of hers (matchers/learned_names.py) are scored again with it."""
        learned = learned_by_client(result["client_row"].to_numpy(), result["stated_given"].to_numpy())
        stats.learned_names = sum(len(v) for v in learned.values())
        if not learned:
            return result
        matched = result.loc[result["decision"] == MATCH, "rec"].unique()
        touched = result.loc[result["client_row"].isin(list(learned)), "rec"].unique()
        again_codes = np.setdiff1d(touched, matched)
        stats.learned_name_rows = int(len(again_codes))
        log.info(
            "matcher: %d given names learned from matched rows, %d rows scored again",
            stats.learned_names,
            len(again_codes),
        )
        if len(again_codes) == 0:
            return result
        return self._score_again(
            again_codes,
            with_learned_names(cl, learned),
            client_codes,
            index,
            weights,
            freq,
            records,
            rec_codes,
            result,
            own_given_width=cl.first.shape[1],
        )

    def _weigh_presence(
        self, result: pd.DataFrame, weights: Weights, n_clients: int, stats: LinkStats
    ) -> Weights:
        """Weigh whether each pair's client already has a confirmed row here (matchers/presence.py),
        estimated from this run's confirmed rows; kept pairs' probabilities and explanations are
        updated in place, and later passes score with it. Returns the weights with presence."""
        is_match = result["decision"].to_numpy() == MATCH
        conf = presence_model.confirmed(is_match, result["first_level"].to_numpy())
        model = presence_model.Presence.from_confirmed(result["client_row"].to_numpy()[conf], n_clients)
        stats.presence = model.as_dict()
        assert weights.relatives is not None
        weights = replace(weights, relatives=replace(weights.relatives, presence_bits=model.weights))
        rec, cli_rows = result["rec"].to_numpy(), result["client_row"].to_numpy()
        self._confirmed = (rec[conf], cli_rows[conf])
        level = presence_model.pair_levels(rec, cli_rows, *self._confirmed)
        bits = np.asarray([model.weights[lv] for lv in presence_model.LEVELS])[level]
        has_rel = np.isfinite(result["rel"].to_numpy())
        bits = np.where(has_rel, bits, 0.0)
        total, old_rel = result["total"].to_numpy(), result["rel"].to_numpy()
        new_rel = old_rel + bits
        # The row's mass without its kept pairs (the stranger and the dropped pairs) stays; the kept
        # pairs' share changes with their relatives.
        old_a, new_a = total + np.logaddexp2(0.0, old_rel), total + np.logaddexp2(0.0, new_rel)
        mass = result["row_mass"].to_numpy()
        kept_old = pd.Series(np.exp2(old_a - mass)).groupby(rec).transform("sum").to_numpy()
        kept_new = pd.Series(np.exp2(new_a - mass)).groupby(rec).transform("sum").to_numpy()
        new_mass = mass + np.log2(np.maximum(1.0 - kept_old, np.exp2(-mass)) + kept_new)
        result["rel"], result["row_mass"] = new_rel, new_mass
        result["score"] = np.exp2(total - new_mass)
        stats.presence_pairs = int((bits != 0).sum())
        result["explanation"] = _with_presence(result["explanation"].to_numpy(), level, model.weights)
        return weights

    def _decide_at_run_threshold(self, result: pd.DataFrame, stats: LinkStats) -> pd.DataFrame:
        """Decide every kept pair again at the run's match threshold (decide.run_match_threshold)."""
        cfg = self.config
        best = result.groupby("rec")["score"].max().to_numpy() if len(result) else np.zeros(0)
        threshold = run_match_threshold(best, cfg)
        self.decide_config = with_threshold(cfg, threshold)
        stats.match_threshold = round(threshold, 4)
        if result.empty:
            return result
        result = result.copy()
        result["decision"] = decide(result, self.decide_config, result["capped"].to_numpy() > 0).to_numpy()
        # only an auto-matched row states names learned_names may use
        result.loc[result["decision"] != MATCH, "stated_given"] = ""
        return result.sort_values(
            ["rec", "score", "client_id"], ascending=[True, False, True], kind="stable"
        ).reset_index(drop=True)

    def _caps_fired(self, result: pd.DataFrame) -> dict[str, int]:
        """Rows each review cap kept from an auto-match: the row's best pair reached the threshold
        and the cap held it."""
        names = [f"{c.name}:{'/'.join(c.levels)}" for c in self.config.review_caps]
        if not names or result.empty:
            return {}
        best = result.sort_values(["rec", "score"], ascending=[True, False], kind="stable").drop_duplicates(
            "rec"
        )
        held = best[best["score"] >= self.decide_config.match_threshold]["capped"].to_numpy()
        return {name: int(((held >> i) & 1).sum()) for i, name in enumerate(names)}


def _dob_floor(clients: pd.DataFrame) -> int:
    """standardise.dob_year_floor of the client list: one floor for the list and every chunk."""
    return dob_year_floor(clients["dob"]) if "dob" in clients.columns else PLACEHOLDER_YEAR_MIN


def _with_presence(explanations: np.ndarray, level: np.ndarray, bits: dict[str, float]) -> np.ndarray:
    """Explanations with the presence fact added to every relative's weight (one JSON edit per
    distinct explanation and level)."""
    cache: dict[tuple[str, int], str] = {}
    out = explanations.copy()
    for i, (text, lv) in enumerate(zip(explanations, level, strict=True)):
        key = (text, int(lv))
        if key not in cache:
            doc = json.loads(text)
            if doc.get("relatives"):
                name = presence_model.LEVELS[int(lv)]
                w = bits[name]
                doc["relatives"] = [{**r, "weight": round(r["weight"] + w, 3)} for r in doc["relatives"]]
                doc["presence"] = {"level": name, "weight": round(w, 3)}
            cache[key] = json.dumps(doc)
        out[i] = cache[key]
    return out
