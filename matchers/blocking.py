"""Blocking: which clients an extract row is compared with at all.

Several complementary keys each catch a different kind of error, so a pair missed by one key
(a typo in the DOB, a swapped name, a street name) is found by another. A key value shared by too
many clients (``max_block_size``) is skipped as too unspecific, and each row keeps at most
``max_pairs_per_record`` candidates, so the number of pairs grows linearly with the extract.

Keys are 64-bit hashes of the rule name and its parts (rule "dob", "20080314"), so all rules go
through one integer join of the chunk's keys against the client index.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import jellyfish
import numpy as np
import pandas as pd

from matchers.standardise import PersonTable


def _phonetic(fn: Callable[[str], str], names: np.ndarray) -> np.ndarray:
    """Apply a jellyfish coder to every distinct value once (names repeat a lot)."""
    flat = names.ravel()
    uniq, inverse = np.unique(flat.astype(str), return_inverse=True)
    coded = np.array([fn(v) if v else "" for v in uniq], dtype=object)
    return coded[inverse].reshape(names.shape)


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
    uniq, inverse = np.unique(addresses.astype(str), return_inverse=True)
    number = np.full(len(uniq), "", dtype=object)
    words = np.full((len(uniq), STREET_WORDS_PER_ADDRESS), "", dtype=object)
    for k, a in enumerate(uniq):
        head, _, rest = a.partition(" ")
        if not head.isdigit():
            continue
        number[k] = head
        # a numbered street ("158th", "9th") names the street as well as a word does
        kept = [
            w
            for w in rest.split()
            if (len(w) >= 4 and w.isalpha() or _NUMBERED_STREET.fullmatch(w)) and w not in _NOT_STREET_NAMES
        ]
        for j, w in enumerate(dict.fromkeys(kept).keys()):
            if j == STREET_WORDS_PER_ADDRESS:
                break
            words[k, j] = w
    return number[inverse], words[inverse]


_NUMBERED_STREET = re.compile(r"\d+(st|nd|rd|th)")

_MIX = np.uint64(0x100000001B3)  # FNV prime: mixes the part hashes of one key


def _hash(values: np.ndarray) -> np.ndarray:
    """uint64 hash per value ("" and None -> 0, meaning "no key")."""
    flat = np.asarray(values, dtype=object)
    h = pd.util.hash_array(flat, categorize=True)
    h[(flat == "") | pd.isna(flat)] = 0
    return h


class _HashMemo:
    """Part hashes of one person_keys call: the same DOB, zip or initial array feeds several rules.
    Keyed by the array object, which the memo holds, so an id is never reused while it lives."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, part: np.ndarray) -> np.ndarray:
        hit = self._seen.get(id(part))
        if hit is not None and hit[0] is part:
            return hit[1]
        h = _hash(part)
        self._seen[id(part)] = (part, h)
        return h


def _keys(rule: str, rows: np.ndarray, *parts: np.ndarray, memo: _HashMemo | None = None) -> pd.DataFrame:
    """Key frame (key, row, rule) of the rows where every part is non-empty.

    A key is a 64-bit hash of the rule name and its parts, so the join of a chunk's keys against the
    client index runs on integers (fast, and 8 bytes a key however long the names are).
    """
    key = _hash(np.array([rule], dtype=object))[0] * np.ones(len(rows), dtype=np.uint64)
    ok = np.ones(len(rows), dtype=bool)
    with np.errstate(over="ignore"):
        for p in parts:
            h = memo(p) if memo is not None else _hash(p)
            ok &= h != 0
            key = (key * _MIX) ^ h
    return pd.DataFrame({"key": key[ok], "row": rows[ok], "rule": rule})


def person_keys(t: PersonTable, rules: tuple[str, ...]) -> pd.DataFrame:
    """All blocking keys of a standardised table: columns key (uint64), row (position in ``t``), rule."""
    n = len(t)
    rows = np.arange(n)
    has_dob = t.dob_y >= 0
    year = np.where(has_dob, t.dob_y.astype(str), "").astype(object)
    first_initial = np.array([s[:1] for s in t.first[:, 0]], dtype=object)
    first_prefix = np.array([s[:3] for s in t.first[:, 0]], dtype=object)
    last_initials = np.array([s[:1] for s in t.last.ravel()], dtype=object).reshape(t.last.shape)
    frames: list[pd.DataFrame] = []
    memo = _HashMemo()

    def keys(*parts: np.ndarray) -> pd.DataFrame:
        return _keys(rule, rows, *parts, memo=memo)

    for rule in rules:
        if rule == "dob":
            frames.append(keys(t.dob8))
        # Scale-aware variants: with tens of thousands of clients one birth date or one surname
        # sound in a birth year is shared by dozens, so each key adds an initial of the other name.
        elif rule == "dob_first_initial":  # surname changed or mistyped, DOB exact
            frames.append(keys(t.dob8, first_initial))
        elif rule == "dob_last_initial":  # given name changed (twins' rule decides), DOB exact
            for j in range(t.last.shape[1]):
                frames.append(keys(t.dob8, last_initials[:, j]))
        elif rule == "last_phonetic_zip_first_initial":  # DOB missing or badly mistyped
            codes = _phonetic(jellyfish.metaphone, t.last[:, :1])[:, 0]
            frames.append(keys(codes, t.zip, first_initial))
        elif rule == "dob_zip":  # both names changed or mistyped, DOB exact, same zip
            frames.append(keys(t.dob8, t.zip))
        elif rule == "nickname_last_initial_monthday":  # names right, birth year mistyped
            monthday = np.where(has_dob, t.dob_m * 100 + t.dob_d, -1)
            monthday = np.where(monthday >= 0, monthday.astype(str), "").astype(object)
            for i in range(t.first_roots.shape[1]):
                for j in range(t.last.shape[1]):
                    frames.append(keys(t.first_roots[:, i], last_initials[:, j], monthday))
        elif rule == "nickname_monthday":  # surname missing or changed and birth year mistyped
            monthday = np.where(has_dob, t.dob_m * 100 + t.dob_d, -1)
            monthday = np.where(monthday >= 0, monthday.astype(str), "").astype(object)
            for i in range(t.first_roots.shape[1]):
                frames.append(keys(t.first_roots[:, i], monthday))
        elif rule == "dob_swap_last_initial":
            lo, hi = np.minimum(t.dob_m, t.dob_d), np.maximum(t.dob_m, t.dob_d)
            for j in range(t.last.shape[1]):
                frames.append(keys(year, lo * 100 + hi, last_initials[:, j]))
        elif rule == "last_phonetic_year_first_initial":
            codes = _phonetic(jellyfish.metaphone, t.last)
            for j in range(t.last.shape[1]):
                frames.append(keys(codes[:, j], year, first_initial))
        elif rule == "nickname_last_initial_year":
            for i in range(t.first_roots.shape[1]):
                for j in range(t.last.shape[1]):
                    frames.append(keys(t.first_roots[:, i], last_initials[:, j], year))
        elif rule == "dob_swap":
            lo, hi = np.minimum(t.dob_m, t.dob_d), np.maximum(t.dob_m, t.dob_d)
            frames.append(keys(year, lo * 100 + hi))
        elif rule == "last_phonetic_year":
            codes = _phonetic(jellyfish.metaphone, t.last)
            for j in range(t.last.shape[1]):
                frames.append(keys(codes[:, j], year))
        elif rule == "nickname_last_initial":
            initials = np.array([s[:1] for s in t.last.ravel()], dtype=object).reshape(t.last.shape)
            for i in range(t.first_roots.shape[1]):
                for j in range(t.last.shape[1]):
                    frames.append(keys(t.first_roots[:, i], initials[:, j]))
        elif rule == "alias_year":
            for j in range(1, t.first.shape[1]):
                frames.append(keys(t.first[:, j], year))
        elif rule == "name_pair_phonetic":
            a = _phonetic(jellyfish.soundex, t.first[:, :1])[:, 0].astype(str)
            b = _phonetic(jellyfish.soundex, t.last[:, :1])[:, 0].astype(str)
            first_is_lo = a <= b
            lo, hi = np.where(first_is_lo, a, b), np.where(first_is_lo, b, a)
            frames.append(keys(lo.astype(object), hi.astype(object)))
        elif rule == "last_phonetic_zip":
            codes = _phonetic(jellyfish.metaphone, t.last[:, :1])[:, 0]
            frames.append(keys(codes, t.zip))
        elif rule == "zip_first_initial":
            initial = np.array([s[:1] for s in t.first[:, 0]], dtype=object)
            frames.append(keys(t.zip, initial))
        elif rule == "house_number_street_word":  # DOB and given name both wrong, same home
            number, words = _house_number_street_words(t.address)
            for j in range(words.shape[1]):
                frames.append(keys(number, words[:, j]))
        elif rule == "zip_first_prefix_year":  # surname missing or changed, day or month mistyped
            frames.append(keys(t.zip, first_prefix, year))
        elif rule == "zip_first_prefix":
            frames.append(keys(t.zip, first_prefix))
        else:
            raise ValueError(f"unknown blocking rule {rule!r}")
    if not frames:
        return pd.DataFrame({"key": pd.Series(dtype="uint64"), "row": pd.Series(dtype="int64"), "rule": []})
    keys = pd.concat(frames, ignore_index=True).drop_duplicates(["key", "row"])
    keys["rule"] = keys["rule"].astype("category")
    return keys


@dataclass
class ClientIndex:
    """Blocking keys of the client list, built once and probed by every chunk of extract rows."""

    keys: pd.DataFrame  # key, row (client position)
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
        keys = person_keys(clients, rules)
        sizes = keys.groupby("key")["row"].transform("size")
        limit = keys["rule"].map(lambda r: (rule_max_block_size or {}).get(r, max_block_size))
        too_big = sizes > limit.astype(np.int64)
        skipped = int(keys.loc[too_big, "key"].nunique())
        return cls(keys=keys.loc[~too_big, ["key", "row"]], skipped_keys=skipped)

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
        rk = person_keys(records, rules)
        joined = rk.merge(self.keys, on="key", suffixes=("_rec", "_cli"))
        if rule_counts is not None:
            for rule, count in joined["rule"].value_counts().items():
                rule_counts[str(rule)] = rule_counts.get(str(rule), 0) + int(count)
        if joined.empty:
            return pd.DataFrame(
                {"rec": np.zeros(0, np.int64), "cli": np.zeros(0, np.int64), "n_keys": np.zeros(0, np.int64)}
            )
        pairs = (
            joined.groupby(["row_rec", "row_cli"], sort=False)
            .size()
            .rename("n_keys")
            .reset_index()
            .rename(columns={"row_rec": "rec", "row_cli": "cli"})
        )
        pairs = pairs.sort_values(["rec", "n_keys", "cli"], ascending=[True, False, True], kind="stable")
        pairs = pairs[pairs.groupby("rec").cumcount() < max_pairs_per_record]
        return pairs.reset_index(drop=True)
