"""Standardise the canonical person schema for matching (vectorised over a whole frame).

Every text field is folded the same way on both sides (clients and extract rows), so that
comparisons and blocking keys see "Peña-García Jr." and "PENA GARCIA" as the same surname.
Names become small fixed-width arrays of alternatives (the full name, its parts, aliases /
street names; the middle name is kept apart) because a child can be recorded under any of them;
comparisons take the best agreement over the alternatives.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from matchers import nicknames

#: width of the alternative-name arrays: the primary name plus this many alternatives minus one
FIRST_WIDTH = 5
#: aliases / street names kept per person for the alias comparison
ALIAS_WIDTH = 4
LAST_WIDTH = 4
ROOT_WIDTH = nicknames.max_roots()

SUFFIXES = frozenset({"jr", "sr", "jnr", "snr", "ii", "iii", "iv"})
#: Words a record system or a respondent writes where a name is unknown or withheld ("Baby Girl",
#: "Unknown", "FNU", "Mother", "Ms", "Resident"). Birth, hospital, census and booking records all
#: carry them; two rows agreeing on "baby" are not two rows agreeing on a given name, and a real
#: name against one is missing evidence, not a disagreement. A name is a placeholder only when
#: every word of it is one (filler words aside): "Son" alone is, "Son Nguyen" is not.
PLACEHOLDER_GIVEN = frozenset(
    {
        "baby", "babygirl", "babyboy", "infant", "newborn", "child", "kid", "boy", "girl",
        "male", "female", "son", "daughter", "mother", "father", "mom", "dad", "wife", "husband",
        "mr", "mrs", "ms", "miss", "mister", "madam", "senor", "senora", "senorita", "sra",
        "unknown", "unk", "unkn", "none", "nfn", "fnu", "nmn", "nmi", "noname", "test",
        "resident", "occupant", "respondent", "householder", "anonymous", "anon", "refused",
        "declined", "lady", "head", "house", "person",
    }
)  # fmt: skip
#: Surnames are stricter: Child, House, Head, Lady and Son are family names.
PLACEHOLDER_SURNAME = frozenset(
    {"unknown", "unk", "unkn", "none", "lnu", "nln", "fnu", "noname", "test", "resident",
     "occupant", "respondent", "householder", "anonymous", "anon", "refused", "declined"}
)  # fmt: skip
_FILLER = frozenset({"in", "the", "of", "a", "an", "de", "la", "el", "name", "not", "given", "no"})
#: surname particles: "de la Cruz" is also filed as "Cruz"
PARTICLES = frozenset(
    {
        "de",
        "del",
        "la",
        "las",
        "los",
        "da",
        "das",
        "do",
        "dos",
        "van",
        "von",
        "der",
        "den",
        "y",
        "e",
        "di",
        "du",
        "le",
        "st",
    }
)
#: letters NFKD does not decompose into ASCII
_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "þ": "th",
        "œ": "oe",
        "Œ": "oe",
        "ı": "i",
    }
)
#: DOBs agency systems use for "unknown": these dates, any year before 1900, any year 9000+
PLACEHOLDER_DATES = frozenset({(1900, 1, 1), (1901, 1, 1)})
PLACEHOLDER_YEAR_MIN = 1900
PLACEHOLDER_YEAR_FUTURE = 9000
_STREET_WORDS = {
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "drive": "dr",
    "boulevard": "blvd",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "terrace": "ter",
    "circle": "cir",
    "highway": "hwy",
    "apartment": "apt",
    "unit": "apt",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}


def per_distinct(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a column function once per distinct value and spread the result back to the rows.

    Names, cities, streets and DOBs repeat a lot (a million rows hold a few ten thousand distinct
    given names), so standardising distinct values is most of the speed of standardisation.
    ``fn`` takes a Series and returns a Series, ndarray or DataFrame aligned with it.
    """

    @functools.wraps(fn)
    def wrapper(values: pd.Series, *args: Any, **kwargs: Any) -> Any:
        s = pd.Series(values, copy=False)
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        if len(uniques) * 2 > len(s):  # mostly distinct: not worth the detour
            return fn(s, *args, **kwargs)
        has_na = bool((codes < 0).any())
        distinct = pd.Series(uniques, copy=False)
        if has_na:  # missing values get the last slot
            distinct = pd.concat([distinct, pd.Series([None], dtype=object)], ignore_index=True)
            codes = np.where(codes < 0, len(uniques), codes)
        out = fn(distinct, *args, **kwargs)
        if isinstance(out, pd.DataFrame):
            return out.iloc[codes].set_axis(s.index)
        if isinstance(out, pd.Series):
            return pd.Series(out.to_numpy()[codes], index=s.index, dtype=out.dtype)
        return np.asarray(out)[codes]

    return wrapper


_STREET_WORD_RE = re.compile(r"\b(?:" + "|".join(sorted(_STREET_WORDS, key=len, reverse=True)) + r")\b")


def _text(values: pd.Series) -> pd.Series:
    """Any column (None / NaN / numbers / strings) as a string Series with "" for missing."""
    s = pd.Series(values, copy=False)
    return s.astype("string").fillna("").astype(object).astype("string")


@per_distinct
def fold(values: pd.Series) -> pd.Series:
    """Unicode-fold, lower-case and de-punctuate: "Peña-O'Brien" -> "pena obrien".

    Apostrophes vanish (O'Brien = OBrien) while other punctuation separates words (Garcia-Lopez =
    Garcia Lopez), so hyphenated names split into parts.
    """
    s = _text(values)
    s = s.map(lambda v: v.translate(_SPECIAL), na_action="ignore").astype("string")
    s = s.str.normalize("NFKD").str.replace(r"[\u0300-\u036f]", "", regex=True)
    s = s.str.lower().str.replace(r"['’`´]", "", regex=True)
    s = s.str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()
    return s.fillna("")


@per_distinct
def strip_suffixes(values: pd.Series) -> pd.Series:
    """Drop generational suffixes (Jr, Sr, II, III, IV) from folded names."""
    pattern = r"(?:^|\s)(?:" + "|".join(sorted(SUFFIXES)) + r")(?=\s|$)"
    return values.str.replace(pattern, " ", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()


@per_distinct
def drop_placeholders(values: pd.Series, placeholders: frozenset[str]) -> pd.Series:
    """Folded names with a placeholder ("baby girl", "unknown", "ms") made blank (missing)."""

    def placeholder(name: str) -> bool:
        words = name.split()
        return (
            bool(words)
            and all(w in placeholders or w in _FILLER for w in words)
            and any(w in placeholders for w in words)
        )

    return values.where(~values.map(placeholder).astype(bool), "")


def surname_parts(name: str) -> list[str]:
    """Parts of a folded surname a child may be filed under: "de la cruz lopez" -> [cruz, lopez]."""
    return [t for t in name.split() if t not in PARTICLES and len(t) > 1]


def _alias_names(aliases: str) -> tuple[list[str], list[str]]:
    """Given-name and surname alternatives from one folded, "|"-joined aliases cell.

    A one-word alias is a street name or a given name. A longer alias gives its run-together form
    (street names like "Lil J" are written with and without spaces) and its first word as given-name
    alternatives, and its last word as a surname alternative.
    """
    firsts: list[str] = []
    lasts: list[str] = []
    for alias in aliases.split("|"):
        tokens = [t for t in alias.split() if t not in SUFFIXES]
        if not tokens:
            continue
        if len(tokens) == 1:
            firsts.append(tokens[0])
            continue
        firsts.extend(["".join(tokens), tokens[0]])
        if len(tokens[-1]) > 1:
            lasts.append(tokens[-1])
    return firsts, lasts


def _fill(rows: list[list[str]], width: int) -> np.ndarray:
    """Ragged name lists -> (n, width) object array, "" padded.

    Slot 0 is always the primary name ("" when missing, so a missing primary reads as missing);
    the alternatives follow, de-duplicated and truncated to the width.
    """
    out = np.full((len(rows), width), "", dtype=object)
    for i, row in enumerate(rows):
        primary = row[0] if row else ""
        out[i, 0] = primary
        seen: list[str] = []
        for name in row[1:]:
            if name and name != primary and name not in seen:
                seen.append(name)
        for j, name in enumerate(seen[: width - 1], start=1):
            out[i, j] = name
    return out


def _roots(primary: np.ndarray) -> np.ndarray:
    """(n, ROOT_WIDTH) nickname roots of each primary name (computed once per distinct name)."""
    out = np.full((len(primary), ROOT_WIDTH), "", dtype=object)
    cache: dict[str, tuple[str, ...]] = {}
    for i, name in enumerate(primary):
        if not name:
            continue
        r = cache.get(name)
        if r is None:
            r = cache[name] = nicknames.roots(name)
        for j, root in enumerate(r[:ROOT_WIDTH]):
            out[i, j] = root
    return out


#: DOB layouts agencies write (year, month, day groups named): ISO with "-", "/" or "." and an
#: optional time, compact YYYYMMDD, and US month-first M/D/YYYY or M-D-YYYY or M/D/YY
_DOB_FORMATS = (
    r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[ T].*)?$",
    r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$",
    r"^(?P<m>\d{1,2})[/-](?P<d>\d{1,2})[/-](?P<y>\d{4})(?: .*)?$",
    r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<yy>\d{2})$",
)


_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1"})


def _dob_parts(text: pd.Series) -> pd.DataFrame:
    """Columns y, m, d (floats, NaN where no layout fits) of DOB strings in any _DOB_FORMATS layout.

    A two-digit year is this century unless that would lie in the future (youth DOBs).
    """
    out = pd.DataFrame({"y": np.nan, "m": np.nan, "d": np.nan}, index=text.index)
    # letters a scan or a hurried typist puts for digits: "20O2-04-04", "1999-09-1o", "1998-|O-31"
    text = text.astype(object).str.strip().str.translate(_DIGIT_LOOKALIKES)
    this_year = pd.Timestamp.today().year
    for pattern in _DOB_FORMATS:
        got = text.str.extract(pattern).apply(pd.to_numeric, errors="coerce").astype("float64")
        if "yy" in got:
            yy = got.pop("yy")
            got["y"] = np.where(2000 + yy <= this_year, 2000 + yy, 1900 + yy)
        out = out.fillna(got[["y", "m", "d"]])
    return out


@per_distinct
def parse_dob(values: pd.Series) -> pd.DataFrame:
    """Year, month, day (Int arrays, -1 = missing) from datetime64 or strings in the layouts agencies
    use: ISO "YYYY-MM-DD" (also with "/" or "." and a time), "YYYYMMDD", US "MM/DD/YYYY", "M/D/YY".

    Placeholder DOBs (1900-01-01, 1901-01-01, any year before 1900, any year 9000+ such as
    9999-12-31) mean "unknown" in agency systems and are treated as missing: two children who both
    have 1900-01-01 must not agree on DOB.
    """
    s = pd.Series(values, copy=False)
    if pd.api.types.is_datetime64_any_dtype(s):
        year, month, day = s.dt.year, s.dt.month, s.dt.day
        frame = pd.DataFrame({"y": year, "m": month, "d": day}).astype("float64")
    else:
        frame = _dob_parts(_text(s))
    placeholder = pd.Series(False, index=frame.index)
    for y, m, d in PLACEHOLDER_DATES:
        placeholder |= (frame["y"] == y) & (frame["m"] == m) & (frame["d"] == d)
    valid = (
        frame["y"].between(PLACEHOLDER_YEAR_MIN, PLACEHOLDER_YEAR_FUTURE - 1)
        & frame["m"].between(1, 12)
        & frame["d"].between(1, 31)
        & ~placeholder
    )
    out = frame.where(valid).fillna(-1).astype("int64")
    out.index = s.index
    return out


@per_distinct
def invalid_dob_digits(values: pd.Series) -> np.ndarray:
    """ "YYYYMMDD" digits of DOB strings in any accepted layout, "" for others and for placeholders.

    Used only where parse_dob found no valid date: a mistyped month or day ("2008-21-03") is not a
    date, but it is one digit from the right one.
    """
    s = pd.Series(values, copy=False)
    if pd.api.types.is_datetime64_any_dtype(s):
        return np.full(len(s), "", dtype=object)
    parts = _dob_parts(_text(s))
    year = parts["y"]

    def padded(col: pd.Series, width: int) -> pd.Series:
        return col.map(f"{{:0{width}.0f}}".format, na_action="ignore")

    digits = (padded(year, 4) + padded(parts["m"], 2) + padded(parts["d"], 2)).fillna("")
    placeholder = ~year.between(PLACEHOLDER_YEAR_MIN, PLACEHOLDER_YEAR_FUTURE - 1) | digits.isin(
        [f"{y:04d}{m:02d}{d:02d}" for y, m, d in PLACEHOLDER_DATES]
    )
    return digits.where(~placeholder, "").to_numpy(dtype=object)


def _code(values: pd.Series, missing: frozenset[str]) -> np.ndarray:
    folded = fold(values)
    return folded.where(~folded.isin(missing), "").to_numpy(dtype=object)


@per_distinct
def _address(values: pd.Series) -> np.ndarray:
    folded = fold(values)
    normalised = folded.str.replace(_STREET_WORD_RE, lambda m: _STREET_WORDS[m.group(0)], regex=True)
    return normalised.fillna("").to_numpy(dtype=object)


@per_distinct
def _zip(values: pd.Series) -> np.ndarray:
    """Zip codes as digits: a column read as numbers ("94601.0") or as ZIP+4 ("94601-1234") keeps
    its 5-digit code."""
    text = _text(values).str.strip().str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return fold(text).str.replace(" ", "", regex=False).str[:5].to_numpy(dtype=object)


@dataclass
class PersonTable:
    """Standardised persons, one row per input row, as aligned numpy arrays."""

    ids: np.ndarray  # record_id / client_id as given
    first: np.ndarray  # (n, FIRST_WIDTH): primary given name run together, then alternatives
    first_roots: np.ndarray  # (n, ROOT_WIDTH): nickname roots of the primary given name
    middle: np.ndarray  # first word of the middle name, or ""
    last: np.ndarray  # (n, LAST_WIDTH): primary surname run together, then parts / alias surnames
    last_roots: np.ndarray  # (n, ROOT_WIDTH): nickname roots of the surname (for swapped names)
    dob_y: np.ndarray
    dob_m: np.ndarray
    dob_d: np.ndarray
    dob8: np.ndarray  # "YYYYMMDD" or ""
    #: the digits of a DOB that was written but is no valid date ("2008-14-03", "1966-00-91"), else "":
    #: missing for every agreement, but one typed digit away from the other side's DOB still counts
    dob_typo8: np.ndarray
    sex: np.ndarray
    race: np.ndarray
    address: np.ndarray
    city: np.ndarray
    zip: np.ndarray
    #: (n, ALIAS_WIDTH) whole aliases / street names run together ("Lil J" -> "lilj"), "" padded
    aliases: np.ndarray = field(default_factory=lambda: np.zeros((0, ALIAS_WIDTH), dtype=object))

    _hashes: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def short_forms(self) -> np.ndarray:
        """(n, SHORT_WIDTH) 64-bit hashes of the clipped forms and diminutive bases of each primary
        given name (nicknames.short_forms), 0 padded; computed once per distinct name, on first use."""
        h = self._hashes.get("short_forms")
        if h is None:
            primary = pd.Series(self.first[:, 0], dtype=object)
            codes, distinct = pd.factorize(primary)
            forms = np.full((len(distinct), nicknames.SHORT_WIDTH), "", dtype=object)
            for i, name in enumerate(distinct):
                found = nicknames.short_forms(name)[: nicknames.SHORT_WIDTH] if name else ()
                forms[i, : len(found)] = found
            flat = forms.ravel()
            hashes = pd.util.hash_array(flat, categorize=True)
            hashes[flat == ""] = 0
            h = self._hashes["short_forms"] = hashes.reshape(forms.shape)[codes]
        return h

    def hashed(self, name: str) -> np.ndarray:
        """A name array (first, last, first_roots, last_roots, middle, aliases) as 64-bit hashes, "" -> 0,
        computed once per table: comparisons test equality on integers."""
        h = self._hashes.get(name)
        if h is None:
            values = getattr(self, name)
            flat = np.asarray(values, dtype=object).ravel()
            h = pd.util.hash_array(flat, categorize=True)
            h[flat == ""] = 0
            h = self._hashes[name] = h.reshape(values.shape)
        return h


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].reset_index(drop=True)
    return pd.Series([None] * len(frame), dtype=object)


def standardise(frame: pd.DataFrame, id_column: str = "record_id") -> PersonTable:
    """Standardise a person-schema frame (``id_column`` holds the ids; any field may be missing)."""
    first = drop_placeholders(strip_suffixes(fold(_column(frame, "first_name"))), PLACEHOLDER_GIVEN)
    middle = strip_suffixes(fold(_column(frame, "middle_name")))
    last = drop_placeholders(strip_suffixes(fold(_column(frame, "last_name"))), PLACEHOLDER_SURNAME)
    # Folding would turn "|" into a space: fold each alias on its own, keep the separator.
    aliases = fold(_text(_column(frame, "aliases")).str.replace("|", " qqaliasqq ", regex=False))
    aliases = aliases.str.replace(" ?qqaliasqq ?", "|", regex=True)

    first_rows: list[list[str]] = []
    last_rows: list[list[str]] = []
    alias_rows: list[list[str]] = []
    for f, la, al in zip(first.tolist(), last.tolist(), aliases.tolist(), strict=True):
        f_tokens = f.split()
        la_parts = surname_parts(la)
        al_first, al_last = _alias_names(al) if al else ([], [])
        # Primary first: run together ("mary ann" = "maryann"); its words are alternatives, so are
        # alias given names / street names. The middle name is kept apart (see compare_names):
        # siblings often share one, so it may only meet the other side's primary given name.
        first_rows.append(["".join(f_tokens), *(f_tokens if len(f_tokens) > 1 else []), *al_first])
        last_rows.append(["".join(la.split()), *la_parts, *al_last])
        alias_rows.append(["", *("".join(a.split()) for a in al.split("|"))] if al else [])
    first_arr = _fill(first_rows, FIRST_WIDTH)
    last_arr = _fill(last_rows, LAST_WIDTH)

    dob = parse_dob(_column(frame, "dob"))
    y, m, d = dob["y"].to_numpy(), dob["m"].to_numpy(), dob["d"].to_numpy()
    dob8 = np.where(y >= 0, pd.Series(y * 10000 + m * 100 + d).astype(str).to_numpy(dtype=object), "")
    dob_typo8 = np.where(y < 0, invalid_dob_digits(_column(frame, "dob")), "")
    sex = fold(_column(frame, "sex")).str[:1]
    sex = sex.where(~sex.isin(["u", ""]), "")
    return PersonTable(
        ids=_column(frame, id_column).to_numpy(dtype=object),
        first=first_arr,
        first_roots=_roots(first_arr[:, 0]),
        middle=middle.str.split(" ").str[0].fillna("").to_numpy(dtype=object),
        last=last_arr,
        last_roots=_roots(last_arr[:, 0]),
        dob_y=y,
        dob_m=m,
        dob_d=d,
        dob8=dob8.astype(object),
        dob_typo8=dob_typo8.astype(object),
        sex=sex.to_numpy(dtype=object),
        race=_code(_column(frame, "race"), frozenset({"unknown", "other", "declined", ""})),
        address=_address(_column(frame, "address")),
        city=fold(_column(frame, "city")).to_numpy(dtype=object),
        zip=_zip(_column(frame, "zip")),
        aliases=_fill(alias_rows, ALIAS_WIDTH + 1)[:, 1:],
    )
