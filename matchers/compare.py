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

from matchers.standardise import PersonTable, text_codes

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


#: a table of distinct values against distinct values (rapidfuzz cdist, fast and with a score
#: cutoff) is computed when it has at most this many cells per pair asked; else only the distinct
#: pairs are scored (cpdist). A cell with a cutoff costs a tenth to a twentieth of a pair in cpdist.
CELLS_PER_PAIR = 8
#: cutoffs sit this far below the thresholds the levels test, so that a score the float32 result
#: rounds up to a threshold is still computed exactly as without a cutoff
_CUTOFF_MARGIN = 0.01


def _pair_scores(
    ka: np.ndarray, kb: np.ndarray, ua: np.ndarray, ub: np.ndarray, scorer, cutoff: float | None = None
) -> np.ndarray:
    """scorer(ua[ka[k]], ub[kb[k]]) for aligned code arrays (every code >= 0), as _pairwise returns it,
    computed once per distinct pair of values. With ``cutoff`` (a similarity), scores below it may
    read 0; (a distance) scores above it may read cutoff + 1."""
    if len(ka) == 0:
        return np.zeros(0, dtype=np.float64)
    kwargs = {} if cutoff is None else {"score_cutoff": cutoff}
    budget = CELLS_PER_PAIR * len(ka)
    if len(ua) * len(ub) <= budget:  # small vocabularies: every value against every value
        table = process.cdist(ua.tolist(), ub.tolist(), scorer=scorer, workers=WORKERS, **kwargs)
        return table[ka, kb].astype(np.float64)
    # hash-based factorize, not np.unique: no sort of a million codes
    ia, used_a = pd.factorize(ka)
    ib, used_b = pd.factorize(kb)
    if len(used_a) * len(used_b) <= budget:
        table = process.cdist(
            ua[used_a].tolist(), ub[used_b].tolist(), scorer=scorer, workers=WORKERS, **kwargs
        )
        return table[ia, ib].astype(np.float64)
    inverse, distinct = pd.factorize(ia.astype(np.int64) * len(used_b) + ib)
    a, b = ua[used_a[distinct // len(used_b)]], ub[used_b[distinct % len(used_b)]]
    return _pairwise(a, b, scorer, **kwargs)[inverse]


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
    # Alternative columns are mostly empty: skip empty columns, compare only the rows that have one.
    b_cols = [b[:, j] for j in range(b.shape[1]) if j == 0 or b[:, j].any()]
    for i in range(a.shape[1]):
        ai = a[:, i]
        rows = np.flatnonzero(ai != 0)
        if rows.size == 0:
            continue
        if rows.size == len(ai):
            for bj in b_cols:
                hit |= ai == bj
            continue
        ai = ai[rows]
        found = np.zeros(rows.size, dtype=bool)
        for bj in b_cols:
            found |= ai == bj[rows]
        hit[rows] |= found
    return hit


def _best_jw(
    ka: np.ndarray, kb: np.ndarray, ua: np.ndarray, ub: np.ndarray, alt_vs_alt: bool = True
) -> np.ndarray:
    """Best Jaro-Winkler similarity over the non-empty alternative pairs of each row (coded: ka, kb
    index ua, ub; -1 empty), 0 below the jw_85 level; without ``alt_vs_alt`` (given names) primary
    vs primary only: a short word of a double name scores high against any name it prefixes ("mary"
    vs "marybeth"), which would hide a twin's other name."""
    best = np.zeros(len(ka), dtype=np.float64)
    combos = [(0, 0)] if not alt_vs_alt else [(i, j) for i in range(ka.shape[1]) for j in range(kb.shape[1])]
    rows, a, b = [], [], []
    for i, j in combos:
        ok = np.flatnonzero((ka[:, i] >= 0) & (kb[:, j] >= 0))
        rows.append(ok)
        a.append(ka[ok, i])
        b.append(kb[ok, j])
    at = np.concatenate(rows)
    if at.size:
        sim = _pair_scores(
            np.concatenate(a),
            np.concatenate(b),
            ua,
            ub,
            JaroWinkler.normalized_similarity,
            0.85 - _CUTOFF_MARGIN,
        )
        np.maximum.at(best, at, sim)
    return best


def compare_names(
    a: np.ndarray | None,
    b: np.ndarray | None,
    roots_a: np.ndarray | None = None,
    roots_b: np.ndarray | None = None,
    middle_a: np.ndarray | None = None,
    middle_b: np.ndarray | None = None,
    alt_vs_alt: bool = True,
    hashes: dict[str, np.ndarray] | None = None,
    codes: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
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
    ``codes``: (codes of a, codes of b, distinct values of a, of b) as PersonTable.codes gives them,
    indexed by pair: the similarities are then computed once per distinct pair of names.
    """
    given = hashes or {}

    def h(key: str, values: np.ndarray) -> np.ndarray:
        return given[key] if key in given else _hashed(values)

    ha, hb = h("a", a), h("b", b)
    code = np.full(len(ha), _code("first_name", "else"), dtype=np.int8)
    missing = ~(ha != 0).any(axis=1) | ~(hb != 0).any(axis=1)
    exact = (ha[:, 0] != 0) & (ha[:, 0] == hb[:, 0])
    nickname = np.zeros(len(ha), dtype=bool)
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
    if codes is None:
        ka, ua = text_codes(a[undecided])
        kb, ub = text_codes(b[undecided])
    else:
        ka, kb, ua, ub = codes[0][undecided], codes[1][undecided], codes[2], codes[3]
    jw = np.zeros(len(ha), dtype=np.float64)
    jw[undecided] = _best_jw(ka, kb, ua, ub, alt_vs_alt)
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
        one_letter = (np.char.str_len(a.astype(str)) == 1) | (np.char.str_len(b.astype(str)) == 1)
        same_first = np.char.equal(a.astype("U1"), b.astype("U1"))
        typo = np.zeros(rest.size, dtype=bool)
        spelled = np.flatnonzero(~one_letter)
        (ka, ua), (kb, ub) = r.codes("middle"), c.codes("middle")
        typo[spelled] = (
            _pair_scores(
                ka[ri[rest[spelled]]],
                kb[ci[rest[spelled]]],
                ua,
                ub,
                JaroWinkler.normalized_similarity,
                0.92 - _CUTOFF_MARGIN,
            )
            >= 0.92
        )
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
    (ka, ua), (kb, ub) = r.codes("dob8"), c.codes("dob8")
    one[rest] = _pair_scores(ka[ri[rest]], kb[ci[rest]], ua, ub, OSA.distance, 1) <= 1
    code = np.full(len(ri), _code("dob", "else"), dtype=np.int8)
    code[~missing & (ry == cy)] = _code("dob", "same_year")
    code[one] = _code("dob", "one_digit")
    code[swap] = _code("dob", "day_month_swap")
    code[exact] = _code("dob", "exact")
    code[missing] = _code("dob", "missing")
    # A DOB that is no valid date on one side (month 21, day 00) is missing, unless its digits are
    # one typed digit or one transposition from the other side's DOB. One that is a date read day
    # first (2007-21-02 as 2007-02-21) may still be one digit from the other side as written.
    r_typo, c_typo = (r.dob_typo8 != "")[ri], (c.dob_typo8 != "")[ci]
    far = ~missing & (r_typo | c_typo) & np.isin(code, [_code("dob", "else"), _code("dob", "same_year")])
    typo = np.flatnonzero(missing | far)
    if typo.size:
        rd8 = np.where(r_typo[typo], r.dob_typo8[ri[typo]], r.dob8[ri[typo]])
        cd8 = np.where(c_typo[typo], c.dob_typo8[ci[typo]], c.dob8[ci[typo]])
        written = (rd8 != "") & (cd8 != "")
        typo, rd8, cd8 = typo[written], rd8[written], cd8[written]
        near = _pairwise(rd8, cd8, OSA.distance) <= 1
        code[typo[near]] = _code("dob", "one_digit")
    return code


def compare_exact(field: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """agree / disagree / missing (of text arrays, or of their hashes: 0 is missing)."""
    empty = 0 if a.dtype == np.uint64 else ""
    missing = (a == empty) | (b == empty)
    code = np.where(a == b, _code(field, "agree"), _code(field, "disagree")).astype(np.int8)
    code[missing] = _code(field, "missing")
    return code


def compare_fuzzy(field: str, a: np.ndarray, b: np.ndarray, scorer, cutoff: float) -> np.ndarray:
    """exact / similar (scorer >= cutoff) / else / missing."""
    ka, ua = text_codes(a)
    kb, ub = text_codes(b)
    return _compare_coded(field, ka, kb, ua, ub, scorer, cutoff)


def _compare_coded(
    field: str,
    ka: np.ndarray,
    kb: np.ndarray,
    ua: np.ndarray,
    ub: np.ndarray,
    scorer,
    threshold: float,
    distance: bool = False,
) -> np.ndarray:
    """exact / similar (scorer >= threshold; a distance: <= threshold) / else / missing, of coded
    values (PersonTable.codes, indexed by pair): exact when both sides hold the same value."""
    missing = (ka < 0) | (kb < 0)
    rest = np.flatnonzero(~missing)
    a, b = ka[rest], kb[rest]
    exact_rest = ua[a] == ub[b] if len(rest) else np.zeros(0, dtype=bool)
    similar_level = LEVELS[field][1]
    code = np.full(len(ka), _code(field, "else"), dtype=np.int8)
    other = ~exact_rest
    if distance:
        near = _pair_scores(a[other], b[other], ua, ub, scorer, threshold) <= threshold
    else:
        cutoff = threshold - (100 if threshold > 1 else 1) * _CUTOFF_MARGIN
        near = _pair_scores(a[other], b[other], ua, ub, scorer, cutoff) >= threshold
    code[rest[other][near]] = _code(field, similar_level)
    code[rest[exact_rest]] = _code(field, "exact")
    code[missing] = _code(field, "missing")
    return code


def compare_zip(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ka, ua = text_codes(a)
    kb, ub = text_codes(b)
    return _compare_coded("zip", ka, kb, ua, ub, OSA.distance, 1, distance=True)


def _text_field(
    field: str,
    r: PersonTable,
    c: PersonTable,
    ri: np.ndarray,
    ci: np.ndarray,
    scorer,
    threshold,
    distance=False,
) -> np.ndarray:
    (ka, ua), (kb, ub) = r.codes(field), c.codes(field)
    return _compare_coded(field, ka[ri], kb[ci], ua, ub, scorer, threshold, distance)


def compare(r: PersonTable, c: PersonTable, ri: np.ndarray, ci: np.ndarray) -> pd.DataFrame:
    """Level codes of every comparison column for the pairs (r[ri[k]], c[ci[k]])."""
    hrf, hrl = r.hashed("first")[ri], r.hashed("last")[ri]
    hcf, hcl = c.hashed("first")[ci], c.hashed("last")[ci]
    hrfr, hrlr, hcfr = r.hashed("first_roots")[ri], r.hashed("last_roots")[ri], c.hashed("first_roots")[ci]
    hrm, hcm = r.hashed("middle")[ri], c.hashed("middle")[ci]
    first_h = {
        "a": hrf,
        "b": hcf,
        "roots_a": hrfr,
        "roots_b": hcfr,
        "middle_a": hrm,
        "middle_b": hcm,
        "short_a": r.short_forms()[ri],
        "short_b": c.short_forms()[ci],
    }
    # Names as codes into their distinct values: similarities once per distinct pair of names.
    (krf, urf), (krl, url) = r.codes("first"), r.codes("last")
    (kcf, ucf), (kcl, ucl) = c.codes("first"), c.codes("last")
    krf, krl, kcf, kcl = krf[ri], krl[ri], kcf[ci], kcl[ci]
    first = compare_names(
        None, None, hrfr, hcfr, hrm, hcm, alt_vs_alt=False, hashes=first_h, codes=(krf, kcf, urf, ucf)
    )
    if len(c.given_may_differ) == len(c) and c.given_may_differ.any():
        # Her legal name on an agency's record is another name of hers, not a disagreement: an
        # unrelated given name is missing evidence for her, for every outcome (a twin included).
        other = c.given_may_differ[ci] & (first == LEVELS["first_name"].index("else"))
        first = np.where(other, LEVELS["first_name"].index("missing"), first).astype(first.dtype)
    return pd.DataFrame(
        {
            "first_name": first,
            "last_name": compare_names(None, None, hashes={"a": hrl, "b": hcl}, codes=(krl, kcl, url, ucl)),
            # Swapped reading: the row's surname is the client's given name and vice versa.
            "first_name_swapped": compare_names(
                None,
                None,
                hrlr,
                hcfr,
                alt_vs_alt=False,
                hashes={"a": hrl, "b": hcf, "roots_a": hrlr, "roots_b": hcfr},
                codes=(krl, kcf, url, ucf),
            ),
            "last_name_swapped": compare_names(
                None, None, hashes={"a": hrf, "b": hcl}, codes=(krf, kcl, urf, ucl)
            ),
            "middle_name": compare_middle(r, c, ri, ci),
            "aliases": compare_aliases(r, c, ri, ci),
            "dob": compare_dob(r, c, ri, ci),
            "sex": compare_exact("sex", r.hashed("sex")[ri], c.hashed("sex")[ci]),
            "race": compare_exact("race", r.hashed("race")[ri], c.hashed("race")[ci]),
            "address": _text_field("address", r, c, ri, ci, fuzz.ratio, 85.0),
            "city": _text_field("city", r, c, ri, ci, JaroWinkler.normalized_similarity, 0.90),
            "zip": _text_field("zip", r, c, ri, ci, OSA.distance, 1, distance=True),
        }
    )
