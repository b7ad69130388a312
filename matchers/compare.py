"""Field comparisons over candidate pairs, vectorised with numpy and rapidfuzz.process.cpdist.

Each field is compared at ordered levels (best first, "missing" last); the result is one small
integer code per pair and field, an index into ``LEVELS[field]``. Scoring turns codes into weights.
String similarities are computed only for the pairs whose level is not already decided by an
exact test, and always as aligned pairs (``cpdist``), never as a Python loop over pairs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from matchers.standardise import PersonTable

NAME_LEVELS = ("exact", "nickname", "alias_or_part", "jw_92", "jw_85", "else", "missing")
LEVELS: dict[str, tuple[str, ...]] = {
    "first_name": NAME_LEVELS,
    "last_name": NAME_LEVELS,
    "middle_name": ("exact", "initial", "jw_92", "else", "missing"),
    "aliases": ("shared", "else", "missing"),
    "dob": ("exact", "day_month_swap", "one_digit", "same_year", "else", "missing"),
    "sex": ("agree", "disagree", "missing"),
    "race": ("agree", "disagree", "missing"),
    "address": ("exact", "similar", "else", "missing"),
    "city": ("exact", "similar", "else", "missing"),
    "zip": ("exact", "one_digit", "else", "missing"),
}
#: comparison columns produced for each pair (names twice: straight and swapped reading)
COLUMNS = (
    "first_name",
    "last_name",
    "first_name_swapped",
    "last_name_swapped",
    "middle_name",
    "aliases",
    "dob",
    "sex",
    "race",
    "address",
    "city",
    "zip",
)
WORKERS = -1  # rapidfuzz threads: all cores


def _code(field: str, level: str) -> int:
    return LEVELS[field].index(level)


def _pairwise(a: np.ndarray, b: np.ndarray, scorer, **kwargs) -> np.ndarray:
    """scorer(a[i], b[i]) for aligned 1-d arrays, via rapidfuzz's C++ loop."""
    if len(a) == 0:
        return np.zeros(0, dtype=np.float64)
    return process.cpdist(a.tolist(), b.tolist(), scorer=scorer, workers=WORKERS, **kwargs).astype(np.float64)


def _hashed(names: np.ndarray) -> np.ndarray:
    """Strings as 64-bit hashes ("" -> 0), so equality tests run on integers, not Python objects."""
    flat = np.asarray(names, dtype=object).ravel()
    h = pd.util.hash_array(flat, categorize=True)
    h[flat == ""] = 0
    return h.reshape(np.shape(names))


def _any_equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rows where any non-empty value of a's row equals any value of b's row ((P, Wa) vs (P, Wb))."""
    if a.dtype != np.uint64:
        a, b = _hashed(a), _hashed(b)
    hit = np.zeros(len(a), dtype=bool)
    for i in range(a.shape[1]):
        ai = a[:, i]
        nonempty = ai != 0
        for j in range(b.shape[1]):
            hit |= nonempty & (ai == b[:, j])
    return hit


def _best_jw(a: np.ndarray, b: np.ndarray, alt_vs_alt: bool = True) -> np.ndarray:
    """Best Jaro-Winkler similarity over the non-empty alternative pairs of each row; without
    ``alt_vs_alt`` (given names) primary vs primary only: a short word of a double name scores high
    against any name it prefixes ("mary" vs "marybeth"), which would hide a twin's other name."""
    best = np.zeros(len(a), dtype=np.float64)
    for i in range(a.shape[1]):
        for j in range(b.shape[1]):
            if not alt_vs_alt and (i > 0 or j > 0):
                continue
            ok = np.flatnonzero((a[:, i] != "") & (b[:, j] != ""))
            if ok.size:
                sim = _pairwise(a[ok, i], b[ok, j], JaroWinkler.normalized_similarity)
                best[ok] = np.maximum(best[ok], sim)
    return best


def compare_names(
    a: np.ndarray,
    b: np.ndarray,
    roots_a: np.ndarray | None = None,
    roots_b: np.ndarray | None = None,
    middle_a: np.ndarray | None = None,
    middle_b: np.ndarray | None = None,
    alt_vs_alt: bool = True,
    hashes: dict[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Levels of NAME_LEVELS for aligned alternative arrays a (P, Wa) and b (P, Wb).

    exact: primary names equal; nickname: nickname roots shared (given names only);
    alias_or_part: a primary equals an alternative of the other side (alias, street name, surname
    part, word of a double given name) or the other side's middle name; with ``alt_vs_alt`` also two
    alternatives equal (surname parts: "Olvera Ramirez" vs "Ramirez-Olvera"). Given names use
    ``alt_vs_alt=False``: twins "Mary Ann" and "Mary Beth" share the word "mary", siblings share
    a middle name, and neither may count as the same given name.
    jw_92 / jw_85: best Jaro-Winkler (see _best_jw); else; missing: no name.
    ``hashes``: the same arrays already hashed (keys a, b, roots_a, roots_b, middle_a, middle_b), when
    the caller has them (PersonTable.hashed); otherwise they are hashed here. With keys short_a and
    short_b (PersonTable.short_forms) a clipped form or diminutive of the other primary is a
    nickname too ("Bren" / Brenda, "Karlita" / Karla).
    """
    given = hashes or {}

    def h(key: str, values: np.ndarray) -> np.ndarray:
        return given[key] if key in given else _hashed(values)

    code = np.full(len(a), _code("first_name", "else"), dtype=np.int8)
    ha, hb = h("a", a), h("b", b)
    missing = ~(ha != 0).any(axis=1) | ~(hb != 0).any(axis=1)
    exact = (ha[:, 0] != 0) & (ha[:, 0] == hb[:, 0])
    nickname = np.zeros(len(a), dtype=bool)
    if roots_a is not None and roots_b is not None:
        nickname = _any_equal(h("roots_a", roots_a), h("roots_b", roots_b))
    if "short_a" in given and "short_b" in given:
        # One primary is a clipped form or diminutive base of the other (nicknames.short_forms).
        nickname |= _any_equal(given["short_a"], hb[:, :1]) | _any_equal(given["short_b"], ha[:, :1])
    if alt_vs_alt:
        alias = _any_equal(ha, hb)
    else:
        alias = _any_equal(ha[:, :1], hb) | _any_equal(ha, hb[:, :1])
    if middle_a is not None and middle_b is not None:
        hma, hmb = h("middle_a", middle_a), h("middle_b", middle_b)
        alias |= (ha[:, 0] != 0) & (ha[:, 0] == hmb)
        alias |= (hma != 0) & (hma == hb[:, 0])
    undecided = np.flatnonzero(~(missing | exact | nickname | alias))
    jw = np.zeros(len(a), dtype=np.float64)
    jw[undecided] = _best_jw(a[undecided], b[undecided], alt_vs_alt)
    code[jw >= 0.85] = _code("first_name", "jw_85")
    code[jw >= 0.92] = _code("first_name", "jw_92")
    code[alias] = _code("first_name", "alias_or_part")
    code[nickname] = _code("first_name", "nickname")
    code[exact] = _code("first_name", "exact")
    code[missing] = _code("first_name", "missing")
    return code


def compare_middle(r: PersonTable, c: PersonTable, ri: np.ndarray, ci: np.ndarray) -> np.ndarray:
    """exact / initial (one side wrote only the initial of the other) / jw_92 (a typo) / else /
    missing. Agencies often leave the middle name out (missing weighs 0), but two written middle
    names that differ are two children: the same given and surname with another middle name and
    another birthday is a namesake, not a typo."""
    ha, hb = r.hashed("middle")[ri], c.hashed("middle")[ci]
    missing = (ha == 0) | (hb == 0)
    exact = ~missing & (ha == hb)
    code = np.full(len(ri), _code("middle_name", "else"), dtype=np.int8)
    rest = np.flatnonzero(~(missing | exact))
    if rest.size:
        a, b = r.middle[ri[rest]], c.middle[ci[rest]]
        pairs = list(zip(a, b, strict=True))
        one_letter = np.fromiter((len(x) == 1 or len(y) == 1 for x, y in pairs), bool, rest.size)
        same_first = np.fromiter((x[0] == y[0] for x, y in pairs), bool, rest.size)
        typo = np.zeros(rest.size, dtype=bool)
        spelled = np.flatnonzero(~one_letter)
        typo[spelled] = _pairwise(a[spelled], b[spelled], JaroWinkler.normalized_similarity) >= 0.92
        code[rest[typo]] = _code("middle_name", "jw_92")
        code[rest[one_letter & same_first]] = _code("middle_name", "initial")
    code[exact] = _code("middle_name", "exact")
    code[missing] = _code("middle_name", "missing")
    return code


def compare_aliases(r: PersonTable, c: PersonTable, ri: np.ndarray, ci: np.ndarray) -> np.ndarray:
    """shared (an alias or street name recorded on both sides) / else / missing (none on a side).
    A street name is personal: a twin or sibling has her own."""
    ha, hb = r.hashed("aliases"), c.hashed("aliases")
    has_a, has_b = (ha != 0).any(axis=1)[ri], (hb != 0).any(axis=1)[ci]
    code = np.full(len(ri), _code("aliases", "missing"), dtype=np.int8)
    both = np.flatnonzero(has_a & has_b)
    code[both] = np.where(
        _any_equal(ha[ri[both]], hb[ci[both]]), _code("aliases", "shared"), _code("aliases", "else")
    )
    return code


def compare_dob(r: PersonTable, c: PersonTable, ri: np.ndarray, ci: np.ndarray) -> np.ndarray:
    ry, rm, rd = r.dob_y[ri], r.dob_m[ri], r.dob_d[ri]
    cy, cm, cd = c.dob_y[ci], c.dob_m[ci], c.dob_d[ci]
    missing = (ry < 0) | (cy < 0)
    exact = ~missing & (ry == cy) & (rm == cm) & (rd == cd)
    swap = ~missing & ~exact & (ry == cy) & (rm == cd) & (rd == cm)
    rest = np.flatnonzero(~(missing | exact | swap))
    one = np.zeros(len(ri), dtype=bool)
    # One typed digit wrong or two adjacent digits transposed (OSA distance 1 on YYYYMMDD).
    one[rest] = _pairwise(r.dob8[ri[rest]], c.dob8[ci[rest]], OSA.distance) <= 1
    code = np.full(len(ri), _code("dob", "else"), dtype=np.int8)
    code[~missing & (ry == cy)] = _code("dob", "same_year")
    code[one] = _code("dob", "one_digit")
    code[swap] = _code("dob", "day_month_swap")
    code[exact] = _code("dob", "exact")
    code[missing] = _code("dob", "missing")
    # A DOB that is no valid date on one side (month 21, day 00) is missing, unless its digits are
    # one typed digit or one transposition from the other side's DOB.
    rd8 = np.where(r.dob8[ri] != "", r.dob8[ri], r.dob_typo8[ri])
    cd8 = np.where(c.dob8[ci] != "", c.dob8[ci], c.dob_typo8[ci])
    typo = np.flatnonzero(missing & (rd8 != "") & (cd8 != ""))
    if typo.size:
        near = _pairwise(rd8[typo], cd8[typo], OSA.distance) <= 1
        code[typo[near]] = _code("dob", "one_digit")
    return code


def compare_exact(field: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """agree / disagree / missing."""
    missing = (a == "") | (b == "")
    code = np.where(a == b, _code(field, "agree"), _code(field, "disagree")).astype(np.int8)
    code[missing] = _code(field, "missing")
    return code


def compare_fuzzy(field: str, a: np.ndarray, b: np.ndarray, scorer, cutoff: float) -> np.ndarray:
    """exact / similar (scorer >= cutoff) / else / missing."""
    missing = (a == "") | (b == "")
    exact = ~missing & (a == b)
    rest = np.flatnonzero(~(missing | exact))
    code = np.full(len(a), _code(field, "else"), dtype=np.int8)
    code[rest[_pairwise(a[rest], b[rest], scorer) >= cutoff]] = _code(field, "similar")
    code[exact] = _code(field, "exact")
    code[missing] = _code(field, "missing")
    return code


def compare_zip(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    missing = (a == "") | (b == "")
    exact = ~missing & (a == b)
    rest = np.flatnonzero(~(missing | exact))
    code = np.full(len(a), _code("zip", "else"), dtype=np.int8)
    code[rest[_pairwise(a[rest], b[rest], OSA.distance) <= 1]] = _code("zip", "one_digit")
    code[exact] = _code("zip", "exact")
    code[missing] = _code("zip", "missing")
    return code


def compare(r: PersonTable, c: PersonTable, ri: np.ndarray, ci: np.ndarray) -> pd.DataFrame:
    """Level codes of every comparison column for the pairs (r[ri[k]], c[ci[k]])."""
    rf, rl, cf, cl = r.first[ri], r.last[ri], c.first[ci], c.last[ci]
    rfr, rlr, cfr = r.first_roots[ri], r.last_roots[ri], c.first_roots[ci]
    hrf, hrl = r.hashed("first")[ri], r.hashed("last")[ri]
    hcf, hcl = c.hashed("first")[ci], c.hashed("last")[ci]
    hrfr, hrlr, hcfr = r.hashed("first_roots")[ri], r.hashed("last_roots")[ri], c.hashed("first_roots")[ci]
    first_h = {
        "a": hrf,
        "b": hcf,
        "roots_a": hrfr,
        "roots_b": hcfr,
        "middle_a": r.hashed("middle")[ri],
        "middle_b": c.hashed("middle")[ci],
        "short_a": r.short_forms()[ri],
        "short_b": c.short_forms()[ci],
    }
    return pd.DataFrame(
        {
            "first_name": compare_names(
                rf, cf, rfr, cfr, r.middle[ri], c.middle[ci], alt_vs_alt=False, hashes=first_h
            ),
            "last_name": compare_names(rl, cl, hashes={"a": hrl, "b": hcl}),
            # Swapped reading: the row's surname is the client's given name and vice versa.
            "first_name_swapped": compare_names(
                rl,
                cf,
                rlr,
                cfr,
                alt_vs_alt=False,
                hashes={"a": hrl, "b": hcf, "roots_a": hrlr, "roots_b": hcfr},
            ),
            "last_name_swapped": compare_names(rf, cl, hashes={"a": hrf, "b": hcl}),
            "middle_name": compare_middle(r, c, ri, ci),
            "aliases": compare_aliases(r, c, ri, ci),
            "dob": compare_dob(r, c, ri, ci),
            "sex": compare_exact("sex", r.sex[ri], c.sex[ci]),
            "race": compare_exact("race", r.race[ri], c.race[ci]),
            "address": compare_fuzzy("address", r.address[ri], c.address[ci], fuzz.ratio, 85.0),
            "city": compare_fuzzy("city", r.city[ri], c.city[ci], JaroWinkler.normalized_similarity, 0.90),
            "zip": compare_zip(r.zip[ri], c.zip[ci]),
        }
    )
