"""Blocking: which clients an extract row is compared with at all.

Several complementary keys each catch a different kind of error, so a pair missed by one key
(a typo in the DOB, a swapped name, a street name) is found by another. A key value shared by too
many clients (``max_block_size``) is skipped as too unspecific, and each row keeps at most
``max_pairs_per_record`` candidates, so the number of pairs grows linearly with the extract.

Keys are 64-bit hashes of the rule name and its parts (rule "dob", "20080314"), so all rules go
through one integer join of the chunk's keys against the client index (a binary search in its
sorted keys). Each part is hashed once per table, whole (n, width) arrays at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
import numpy as np
import pandas as pd

from matchers.standardise import PersonTable


def _map_distinct(fn: Callable[[str], str], values: np.ndarray) -> np.ndarray:
    """``fn`` of every value (any shape, object), computed once per distinct value."""
    flat = np.asarray(values, dtype=object).ravel()
    codes, uniq = pd.factorize(flat)
    out = np.empty(len(uniq) + 1, dtype=object)
    out[:-1] = [fn(v) for v in uniq.tolist()]
    out[-1] = fn("")
    return out[codes].reshape(np.shape(values))


def _phonetic(fn: Callable[[str], str], names: np.ndarray) -> np.ndarray:
    """Apply a jellyfish coder to every distinct value once (names repeat a lot)."""
    return _map_distinct(lambda v: fn(v) if v else "", names)


#: words of a street address that name no particular street (types are abbreviated by standardise)
_NOT_STREET_NAMES = frozenset(
    {
        "flat",
        "villa",
        "block",
        "lodge",
        "house",
        "units",
        "unit",
        "suite",
        "floor",
        "level",
        "building",
        "room",
        "trailer",
        "space",
    }
)
#: street-name words per address key (the first words name the street; the rest are estates or units)
STREET_WORDS_PER_ADDRESS = 3


def _house_number_street_words(addresses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(house number, up to STREET_WORDS_PER_ADDRESS street-name words of 4+ letters) per address,
    computed once per distinct address: "12 southern close little dale" -> "12", [southern, close,
    little]. A typo or a reordered estate name leaves most words intact."""
    codes, uniq = pd.factorize(np.asarray(addresses, dtype=object))
    parts = np.empty((len(uniq) + 1, 1 + STREET_WORDS_PER_ADDRESS), dtype=object)
    if len(uniq):
        parts[:-1] = [_street_key(a) for a in uniq.tolist()]
    parts[-1] = _street_key("")
    parts = parts[codes]
    return parts[:, 0], parts[:, 1:]


@lru_cache(maxsize=1 << 18)
def _street_key(address: str) -> tuple[str, ...]:
    """(house number, street-name words "" padded) of one address (cached: a person's address comes
    back in every chunk she has rows in)."""
    head, _, rest = address.partition(" ")
    if not head.isdigit():
        return ("",) * (1 + STREET_WORDS_PER_ADDRESS)
    # a numbered street ("158th", "9th") names the street as well as a word does
    kept = [
        w
        for w in rest.split()
        if (len(w) >= 4 and w.isalpha() or _NUMBERED_STREET.fullmatch(w)) and w not in _NOT_STREET_NAMES
    ]
    words = list(dict.fromkeys(kept).keys())[:STREET_WORDS_PER_ADDRESS]
    return (head, *words, *[""] * (STREET_WORDS_PER_ADDRESS - len(words)))


_NUMBERED_STREET = re.compile(r"\d+(st|nd|rd|th)")

_MIX = np.uint64(0x100000001B3)  # FNV prime: mixes the part hashes of one key


def _hash(values: np.ndarray) -> np.ndarray:
    """uint64 hash per value, any shape ("" and None -> 0, meaning "no key"); each distinct value is
    hashed once (hash_array factorizes first)."""
    flat = np.asarray(values, dtype=object).ravel()
    h = pd.util.hash_array(flat, categorize=True)
    h[(flat == "") | pd.isna(flat)] = 0
    return h.reshape(np.shape(values))


def _rule_hash(rule: str) -> np.uint64:
    return _hash(np.array([rule], dtype=object))[0]


def _per_code(fn: Callable[[str], str], codes: np.ndarray, distinct: np.ndarray) -> np.ndarray:
    """Hashes of ``fn`` of coded values (PersonTable.codes; -1 -> 0), ``fn`` once per distinct value."""
    derived = np.empty(len(distinct) + 1, dtype=object)
    derived[:-1] = [fn(v) for v in distinct.tolist()]
    derived[-1] = ""  # code -1: no value
    return _hash(derived)[codes]


def _per_int(fn: Callable[[int], object], values: np.ndarray) -> np.ndarray:
    """Hashes of ``fn`` of an int array, once per distinct value."""
    codes, distinct = pd.factorize(values)
    derived = np.empty(len(distinct), dtype=object)
    derived[:] = [fn(int(v)) for v in distinct]
    return _hash(derived)[codes]


class _Parts:
    """The hashed key parts of one table, each computed once and from the distinct values of the
    fields it derives from (PersonTable.codes and .hashed, shared with the comparisons): the same
    DOB, zip, initial or nickname-root array feeds several rules."""

    def __init__(self, t: PersonTable) -> None:
        self.t = t
        self._seen: dict[str, np.ndarray] = {}

    def __call__(self, name: str) -> np.ndarray:
        h = self._seen.get(name)
        if h is None:
            h = self._seen[name] = self._hashed(name)
        return h

    def _hashed(self, name: str) -> np.ndarray:
        t = self.t
        has_dob = t.dob_y >= 0
        if name in ("dob8", "first_roots", "first", "zip"):
            return t.hashed(name)
        if name == "year":
            # a DOB that is no date (month 21, day 00) still has its year when those digits make one
            # (parse_dob keeps only years in its plausible range in those digits)
            year = t.dob_y.copy()
            typo = np.flatnonzero(t.dob_typo8 != "")
            year[typo] = [int(v[:4]) for v in t.dob_typo8[typo]]
            return _per_int(lambda y: str(y) if y >= 0 else "", year)
        if name == "monthday":
            monthday = np.where(has_dob, t.dob_m * 100 + t.dob_d, -1)
            return _per_int(lambda md: str(md) if md >= 0 else "", monthday)
        if name == "dob_unordered":  # {day, month} as one value, whichever was written first
            lo, hi = np.minimum(t.dob_m, t.dob_d), np.maximum(t.dob_m, t.dob_d)
            return _per_int(lambda v: v, lo * 100 + hi)
        first, first_distinct = t.codes("first")
        last, last_distinct = t.codes("last")
        if name == "first_initial":
            return _per_code(lambda s: s[:1], first[:, 0], first_distinct)
        if name == "first_prefix":
            return _per_code(lambda s: s[:3], first[:, 0], first_distinct)
        if name == "middle_initial":
            middle, middle_distinct = t.codes("middle")
            return _per_code(lambda s: s[:1], middle, middle_distinct)
        if name == "last_initials":
            return _per_code(lambda s: s[:1], last, last_distinct)
        if name == "last_metaphone":
            return _per_code(jellyfish.metaphone, last, last_distinct)
        if name == "name_pair_soundex":
            # once per distinct (given, surname) pair: the two soundex codes, the lower first
            width = len(last_distinct) + 1  # code + 1: 0 is "no name"
            pair, pairs = pd.factorize((first[:, 0].astype(np.int64) + 1) * width + last[:, 0] + 1)
            f_soundex = ["", *(jellyfish.soundex(v) for v in first_distinct.tolist())]
            l_soundex = ["", *(jellyfish.soundex(v) for v in last_distinct.tolist())]
            lo_hi = np.empty((len(pairs), 2), dtype=object)
            for k, code in enumerate(pairs.tolist()):
                f, la = divmod(code, width)
                a, b = f_soundex[f], l_soundex[la]
                lo_hi[k] = (a, b) if a <= b else (b, a)
            return _hash(lo_hi)[pair]
        if name == "house":
            number, words = _house_number_street_words(t.address)
            return _hash(np.concatenate([number[:, None], words], axis=1))
        raise ValueError(f"unknown key part {name!r}")


def _key(rule_hash: np.uint64, *parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(keys, rows) of the rows where every hashed part is non-zero: a 64-bit hash of the rule and
    its parts, so the join of a chunk's keys against the client index runs on integers (fast, and
    8 bytes a key however long the names are)."""
    key = np.full(len(parts[0]), rule_hash, dtype=np.uint64)
    ok = np.ones(len(parts[0]), dtype=bool)
    with np.errstate(over="ignore"):
        for h in parts:
            ok &= h != 0
            key = (key * _MIX) ^ h
    rows = np.flatnonzero(ok)
    return key[rows], rows


def _rule_keys(rule: str, p: _Parts) -> list[tuple[np.ndarray, np.ndarray]]:
    """(keys, rows) arrays of one rule: several when the rule reads several alternatives."""
    r = _rule_hash(rule)  # a conditional variant hashes its own name: its keys meet only its own
    rule = CONDITIONAL_RULES[rule].makes if rule in CONDITIONAL_RULES else rule
    if rule == "dob":
        return [_key(r, p("dob8"))]
    # Scale-aware variants: with tens of thousands of clients one birth date or one surname
    # sound in a birth year is shared by dozens, so each key adds an initial of the other name.
    if rule == "dob_first_initial":  # surname changed or mistyped, DOB exact
        return [_key(r, p("dob8"), p("first_initial"))]
    last_w = p.t.last.shape[1]
    roots_w = p.t.first_roots.shape[1]
    if rule == "dob_last_initial":  # given name changed (twins' rule decides), DOB exact
        return [_key(r, p("dob8"), p("last_initials")[:, j]) for j in range(last_w)]
    if rule == "dob_name_initial":
        # exact DOB + the initial of any name, whichever field holds it: given name and surname
        # written the other way round, one of them mistyped or changed (FEBRL4 without addresses:
        # 36 of the 299 true links no key found were such swaps with an exact DOB)
        initials = [p("first_initial"), *(p("last_initials")[:, j] for j in range(last_w))]
        return [_key(r, p("dob8"), i) for i in initials]
    if rule == "last_phonetic_zip_first_initial":  # DOB missing or badly mistyped
        return [_key(r, p("last_metaphone")[:, 0], p("zip"), p("first_initial"))]
    if rule == "dob_zip":  # both names changed or mistyped, DOB exact, same zip
        return [_key(r, p("dob8"), p("zip"))]
    if rule == "nickname_last_initial_monthday":  # names right, birth year mistyped
        return [
            _key(r, p("first_roots")[:, i], p("last_initials")[:, j], p("monthday"))
            for i in range(roots_w)
            for j in range(last_w)
        ]
    if rule == "nickname_monthday":  # surname missing or changed and birth year mistyped
        return [_key(r, p("first_roots")[:, i], p("monthday")) for i in range(roots_w)]
    if rule == "dob_swap_last_initial":
        return [_key(r, p("year"), p("dob_unordered"), p("last_initials")[:, j]) for j in range(last_w)]
    if rule == "last_phonetic_year_first_initial":
        return [_key(r, p("last_metaphone")[:, j], p("year"), p("first_initial")) for j in range(last_w)]
    if rule == "nickname_last_initial_year":
        return [
            _key(r, p("first_roots")[:, i], p("last_initials")[:, j], p("year"))
            for i in range(roots_w)
            for j in range(last_w)
        ]
    if rule == "dob_swap":
        return [_key(r, p("year"), p("dob_unordered"))]
    if rule == "last_phonetic_year":
        return [_key(r, p("last_metaphone")[:, j], p("year")) for j in range(last_w)]
    if rule == "nickname_last_initial":
        return [
            _key(r, p("first_roots")[:, i], p("last_initials")[:, j])
            for i in range(roots_w)
            for j in range(last_w)
        ]
    if rule == "alias_year":
        return [_key(r, p("first")[:, j], p("year")) for j in range(1, p.t.first.shape[1])]
    if rule == "name_pair_phonetic":
        return [_key(r, p("name_pair_soundex")[:, 0], p("name_pair_soundex")[:, 1])]
    if rule == "last_phonetic_zip":
        return [_key(r, p("last_metaphone")[:, 0], p("zip"))]
    if rule == "zip_first_initial":
        return [_key(r, p("zip"), p("first_initial"))]
    if rule == "house_number_street_word":  # DOB and given name both wrong, same home
        house = p("house")
        return [_key(r, house[:, 0], house[:, 1 + j]) for j in range(STREET_WORDS_PER_ADDRESS)]
    if rule == "zip_first_prefix_year":  # surname missing or changed, day or month mistyped
        return [_key(r, p("zip"), p("first_prefix"), p("year"))]
    if rule == "zip_first_prefix_middle_initial":  # surname changed (marriage, adoption), no DOB
        return [_key(r, p("zip"), p("first_prefix"), p("middle_initial"))]
    if rule == "zip_first_prefix":
        return [_key(r, p("zip"), p("first_prefix"))]
    raise ValueError(f"unknown blocking rule {rule!r}")


@dataclass
class Keys:
    """Blocking keys of a table as aligned arrays: key (uint64), row (position in the table) and
    rule (index into ``rules``); each (key, row) once."""

    key: np.ndarray
    row: np.ndarray
    rule: np.ndarray
    rules: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.key)


def person_keys(t: PersonTable, rules: tuple[str, ...]) -> Keys:
    """All blocking keys of a standardised table."""
    parts = _Parts(t)
    keys: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    rule_of: list[np.ndarray] = []
    for r, rule in enumerate(rules):
        for k, w in _rule_keys(rule, parts):
            keys.append(k)
            rows.append(w)
            rule_of.append(np.full(len(k), r, dtype=np.int16))
    if not keys:
        return Keys(np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, np.int16), rules)
    key, row, rule_ix = np.concatenate(keys), np.concatenate(rows), np.concatenate(rule_of)
    # Each (key, row) once, the first rule that made it kept (a key hashes its rule in, so only
    # two alternatives of one rule can repeat it: a surname part equal to the primary's initial).
    with np.errstate(over="ignore"):
        pair = (key * _MIX) ^ row.astype(np.uint64)
    first = ~pd.Series(pair, copy=False).duplicated().to_numpy()
    return Keys(key[first], row[first].astype(np.int64), rule_ix[first], rules)


def _no_name(part: str) -> Callable[[PersonTable], np.ndarray]:
    """Which rows have no given name (``first``) or no surname (``last``) after standardising."""
    return lambda t: t.codes(part)[0][:, 0] < 0


@dataclass(frozen=True)
class ConditionalRule:
    """A rule that makes another rule's keys only for the rows of one side that need them."""

    makes: str  # the rule whose keys it makes (hashed under its own name, so they meet only its own)
    side: str  # "record": only those extract rows make keys; "client": only those clients are indexed
    where: Callable[[PersonTable], np.ndarray]  # the rows that make them


#: Rules made for the rows that lack what the other rules key on.
#: - On the record side (clients make them all): a surname + zip key made for every row pairs her
#:   with her siblings on the list, who then compete with her for the row (pseudopeople WIC at 4x
#:   noise lost 0.6 points of recall that way); a row without a given name finds its client by no
#:   other key. Few rows lack a surname, so theirs can afford a whole given-name prefix in a zip
#:   (zip_first_prefix itself is capped small: every row probes it).
#: - On the client side (every row probes them): the index holds the keys only for clients lacking
#:   a name (a census-style list writes "House" or a lone letter), so the blocks stay small.
#:   pseudopeople W2/1099: 190 of the 341 true links blocking never paired had a client or row
#:   without one of her names.
CONDITIONAL_RULES: dict[str, ConditionalRule] = {
    "last_phonetic_zip_no_given": ConditionalRule("last_phonetic_zip", "record", _no_name("first")),
    "last_phonetic_year_no_given": ConditionalRule("last_phonetic_year", "record", _no_name("first")),
    "zip_first_prefix_no_last": ConditionalRule("zip_first_prefix", "record", _no_name("last")),
    "last_phonetic_zip_client_no_given": ConditionalRule("last_phonetic_zip", "client", _no_name("first")),
    "last_phonetic_year_client_no_given": ConditionalRule("last_phonetic_year", "client", _no_name("first")),
    "zip_first_prefix_client_no_last": ConditionalRule("zip_first_prefix", "client", _no_name("last")),
}


def _only_where_asked(keys: Keys, table: PersonTable, side: str) -> Keys:
    """``keys`` of ``table`` (one ``side``) less those of a conditional rule on rows it is not for."""
    drop = np.zeros(len(keys.key), dtype=bool)
    for r, rule in enumerate(keys.rules):
        cond = CONDITIONAL_RULES.get(rule)
        if cond is not None and cond.side == side:
            of_rule = keys.rule == r
            drop[of_rule] = ~cond.where(table)[keys.row[of_rule]]
    if not drop.any():
        return keys
    return Keys(keys.key[~drop], keys.row[~drop], keys.rule[~drop], keys.rules)


@dataclass
class ClientIndex:
    """Blocking keys of the client list, built once and probed by every chunk of extract rows:
    grouped by key value, so a chunk's key finds its block of clients by one hash lookup."""

    distinct: pd.Index  # each key value once (uint64)
    start: np.ndarray  # where each key value's clients begin in ``row``
    size: np.ndarray  # how many clients share it
    row: np.ndarray  # client positions, grouped by key value
    skipped_keys: int  # key values dropped as too unspecific

    @classmethod
    def build(
        cls,
        clients: PersonTable,
        rules: tuple[str, ...],
        max_block_size: int,
        rule_max_block_size: dict[str, int] | None = None,
    ) -> ClientIndex:
        """``rule_max_block_size``: a smaller cap for rules whose keys are broad (see config)."""
        keys = _only_where_asked(person_keys(clients, rules), clients, "client")
        codes, uniq = pd.factorize(keys.key)
        sizes = np.bincount(codes, minlength=len(uniq))[codes]
        limits = np.array([(rule_max_block_size or {}).get(r, max_block_size) for r in rules], dtype=np.int64)
        too_big = sizes > (limits[keys.rule] if len(rules) else np.zeros(0, np.int64))
        skipped = len(np.unique(keys.key[too_big]))
        key, row = keys.key[~too_big], keys.row[~too_big]
        order = np.argsort(key, kind="stable")
        key, row = key[order], row[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, np.int64)
        size = np.diff(np.r_[starts, len(key)])
        return cls(distinct=pd.Index(key[starts]), start=starts, size=size, row=row, skipped_keys=skipped)

    def candidates(
        self,
        records: PersonTable,
        rules: tuple[str, ...],
        max_pairs_per_record: int,
        rule_counts: dict[str, int] | None = None,
    ) -> pd.DataFrame:
        """Candidate pairs of a chunk: columns rec (record position), cli (client position), n_keys.

        Pairs found by more keys come first; a row with more candidates than the cap keeps those.
        ``rule_counts``, when given, is incremented with the pairs each rule found (before the
        union and the cap): the numbers to watch when a rule starts to produce too many pairs.
        """
        rk = _only_where_asked(person_keys(records, rules), records, "record")
        block = self.distinct.get_indexer(rk.key)
        known = np.flatnonzero(block >= 0)  # the chunk's keys that some client has
        lo, hits = self.start[block[known]], self.size[block[known]]
        found = np.repeat(known, hits)  # one entry per (record key, client key) match
        starts = np.repeat(lo - (np.cumsum(hits) - hits), hits)
        cli = self.row[starts + np.arange(len(found))]
        rec = rk.row[found]
        if rule_counts is not None:
            joined = np.bincount(rk.rule[found], minlength=len(rules))
            for r in np.unique(rk.rule):  # every rule with a key in this chunk, found or not
                rule_counts[rules[r]] = rule_counts.get(rules[r], 0) + int(joined[r])
        if len(found) == 0:
            return pd.DataFrame(
                {"rec": np.zeros(0, np.int64), "cli": np.zeros(0, np.int64), "n_keys": np.zeros(0, np.int64)}
            )
        n_cli = int(self.row.max()) + 1
        pair, n_keys = np.unique(rec * n_cli + cli, return_counts=True)
        rec, cli = pair // n_cli, pair % n_cli
        # Most keys first, then by client position; at most max_pairs_per_record per row.
        order = np.lexsort((cli, -n_keys, rec))
        rec, cli, n_keys = rec[order], cli[order], n_keys[order]
        group_start = np.flatnonzero(np.r_[True, rec[1:] != rec[:-1]])
        rank = np.arange(len(rec)) - np.repeat(group_start, np.diff(np.r_[group_start, len(rec)]))
        keep = rank < max_pairs_per_record
        return pd.DataFrame({"rec": rec[keep], "cli": cli[keep], "n_keys": n_keys[keep].astype(np.int64)})
