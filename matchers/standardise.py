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
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from integrations.kinds import GIVEN_MAY_DIFFER
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
        # filler typed to get past a required field
        "xx", "xxx", "xxxx", "zz", "zzz", "zzzz", "tbd", "tba", "blank",
        # placeholders seen in census responses (the U.S. Census Bureau's Person Validation System
        # list, NORC; pseudopeople ships it as its "fake names"), less those that are real names
        # (Man, Nina, Goh as a surname): kin words, Spanish kin words, abbreviations such as MOH
        # (man of house), "Dont Know"
        "adult", "grandchild", "granddaughter", "grandson", "hija", "hijo", "nino", "nephew",
        "niece", "brother", "sister", "oldest", "youngest", "inmate", "minor", "woman",
        "gentleman", "gentelman", "gentlemen", "dau", "moh", "doh", "soh", "loh", "coh", "goh",
        "dont", "know",
    }
)  # fmt: skip
#: Surnames are stricter: Child, House, Head, Lady and Son are family names.
PLACEHOLDER_SURNAME = frozenset(
    {"unknown", "unk", "unkn", "none", "lnu", "nln", "fnu", "noname", "test", "resident",
     "occupant", "respondent", "householder", "anonymous", "anon", "refused", "declined",
     "xx", "xxx", "xxxx", "zz", "zzz", "zzzz", "tbd", "tba", "blank",
     # from the same census list: "Dont Know", "Apellido" (Spanish: surname), household shorthands
     "dont", "know", "apellido", "hh", "hhm", "refuse", "resp", "respondant",
     # kin and sex words no family is named, and counts ("Two" of a household)
     "daughter", "wife", "woman", "female", "girl", "household", "two", "three", "four"}
)  # fmt: skip
#: A surname of two words or more, each one of these or a filler word, is a placeholder ("Of The
#: House", "Lady Of The House", "De La Casa", "No Last Name", "Female Child"), though "House",
#: "Lady" or "Child" alone are family names.
PLACEHOLDER_SURNAME_PHRASE = PLACEHOLDER_GIVEN | {"casa", "home", "household", "last", "age"}
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
#: the earliest year a historical register's DOBs may have (see dob_year_floor)
HISTORICAL_YEAR_MIN = 1000
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


def _distinct(values: Any) -> tuple[np.ndarray, list[str]]:
    """(codes, texts): each row's index into ``texts``, the column's distinct values as plain str
    ("" for missing; numbers as pandas writes them as text), so every standardising step below runs
    once per distinct value in plain Python and is spread back to the rows by ``codes``.

    Names, cities, streets and DOBs repeat a lot (a million rows hold a few ten thousand distinct
    given names): standardising distinct values is most of the speed of standardisation.
    """
    s = pd.Series(values, copy=False)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(uniques) and all(type(u) is str for u in uniques):
        texts = list(uniques)
    else:
        texts = _text(pd.Series(uniques, dtype=object)).tolist()
    texts.append("")  # missing values take the last slot
    codes = np.where(codes < 0, len(uniques), codes)
    return codes, texts


def text_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of a text array (any shape), -1 and no distinct value for ""."""
    flat = np.asarray(values, dtype=object).ravel()
    codes, distinct = pd.factorize(flat)
    distinct = np.asarray(distinct, dtype=object)
    empty = np.flatnonzero(distinct == "")
    if len(empty):  # "" is no value: code -1, and the codes above it move down one
        k = int(empty[0])
        codes = np.where(codes == k, -1, codes - (codes > k))
        distinct = np.delete(distinct, k)
    return codes.reshape(np.shape(values)), distinct


@dataclass
class Coded:
    """A standardised text array with its codes (PersonTable.codes): built from the small table of
    its distinct values, so no array of a million strings is ever factorized again."""

    values: np.ndarray
    codes: np.ndarray
    distinct: np.ndarray

    @classmethod
    def take(cls, small: np.ndarray, rows: np.ndarray) -> Coded:
        """``small[rows]`` (rows of a small table of distinct results), coded."""
        codes, distinct = text_codes(small)
        return cls(small[rows], codes[rows], distinct)


def _per_distinct(fn: Callable[[str], Any], values: Any) -> np.ndarray:
    """``fn`` (str -> str) of every row, computed once per distinct value (object array)."""
    return _coded_per_distinct(fn, values).values


def _coded_per_distinct(fn: Callable[[str], Any], values: Any) -> Coded:
    codes, texts = _distinct(values)
    out = np.empty(len(texts), dtype=object)
    out[:] = [fn(t) for t in texts]
    return Coded.take(out, codes)


_STREET_WORD_RE = re.compile(r"\b(?:" + "|".join(sorted(_STREET_WORDS, key=len, reverse=True)) + r")\b")
_COMBINING_RE = re.compile("[\u0300-\u036f]")
_APOSTROPHE_RE = re.compile("['’`´]")
_NOT_ALNUM_RE = re.compile("[^a-z0-9]+")
_ALIAS_SEPARATOR = " qqaliasqq "
_ALIAS_SEPARATOR_RE = re.compile(" ?qqaliasqq ?")
_ZIP_FLOAT_RE = re.compile(r"^(\d+)\.0+$")
_MISSING_RACE = frozenset({"unknown", "other", "declined", ""})


def _text(values: pd.Series) -> pd.Series:
    """Any column (None / NaN / numbers / strings) as a string Series with "" for missing."""
    s = pd.Series(values, copy=False)
    return s.astype("string").fillna("").astype(object).astype("string")


def _fold_text(value: str) -> str:
    """fold() of one string."""
    v = value.translate(_SPECIAL)
    if v.isascii():  # most text: one translate (apostrophes out, other punctuation to spaces)
        return " ".join(v.lower().translate(_ASCII_FOLD).split())
    v = _COMBINING_RE.sub("", unicodedata.normalize("NFKD", v))
    v = _APOSTROPHE_RE.sub("", v.lower())
    return _NOT_ALNUM_RE.sub(" ", v).strip()


#: lower-cased ASCII to folded: apostrophes removed, anything but a-z and 0-9 a space
_ASCII_FOLD = str.maketrans(
    {
        chr(i): None if chr(i) in "'`" else " "
        for i in range(128)
        if not ("a" <= chr(i) <= "z" or "0" <= chr(i) <= "9")
    }
)


#: fold() of one name, city or code, cached: the same values come back in every chunk (and in the
#: estimation sample); street addresses, mostly distinct, are folded uncached (_address1)
_fold1 = functools.lru_cache(maxsize=1 << 17)(_fold_text)


def _strip_suffixes1(folded: str) -> str:
    """strip_suffixes() of one folded string: its words but the generational suffixes."""
    words = folded.split()
    if not any(w in SUFFIXES for w in words):
        return " ".join(words)
    return " ".join(w for w in words if w not in SUFFIXES)


def _is_placeholder(
    name: str, placeholders: frozenset[str], phrase_words: frozenset[str] = frozenset()
) -> bool:
    """Every word a placeholder or filler (``phrase_words`` count as placeholders in a name of two
    words or more), or a lone letter: an initial, or filler in a required field ("X")."""
    words = name.split()
    if len(words) == 1 and len(words[0]) == 1:
        return True
    known = placeholders | phrase_words if len(words) > 1 else placeholders
    return bool(words) and all(w in known or w in _FILLER for w in words) and any(w in known for w in words)


@functools.lru_cache(maxsize=1 << 17)
def _name1(
    value: str, placeholders: frozenset[str] = frozenset(), phrase_words: frozenset[str] = frozenset()
) -> str:
    """A name folded, its suffixes dropped, and blank when it is a placeholder."""
    name = _strip_suffixes1(_fold1(value))
    return "" if placeholders and _is_placeholder(name, placeholders, phrase_words) else name


def fold(values: pd.Series) -> pd.Series:
    """Unicode-fold, lower-case and de-punctuate: "Peña-O'Brien" -> "pena obrien".

    Apostrophes vanish (O'Brien = OBrien) while other punctuation separates words (Garcia-Lopez =
    Garcia Lopez), so hyphenated names split into parts.
    """
    s = pd.Series(values, copy=False)
    return pd.Series(_per_distinct(_fold1, s), index=s.index, dtype=object)


def strip_suffixes(values: pd.Series) -> pd.Series:
    """Drop generational suffixes (Jr, Sr, II, III, IV) from folded names."""
    s = pd.Series(values, copy=False)
    return pd.Series(_per_distinct(_strip_suffixes1, s), index=s.index, dtype=object)


def drop_placeholders(values: pd.Series, placeholders: frozenset[str]) -> pd.Series:
    """Folded names with a placeholder ("baby girl", "unknown", "ms") made blank (missing)."""
    s = pd.Series(values, copy=False)
    blank = _per_distinct(lambda name: "" if _is_placeholder(name, placeholders) else name, s)
    return pd.Series(blank, index=s.index, dtype=object)


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


def _fill_row(row: list[str], width: int) -> list[str]:
    """One ragged name list as ``width`` slots: slot 0 is always the primary name ("" when missing,
    so a missing primary reads as missing); the alternatives follow, de-duplicated and truncated."""
    primary = row[0] if row else ""
    seen: list[str] = []
    for name in row[1:]:
        if name and name != primary and name not in seen:
            seen.append(name)
    seen = seen[: width - 1]
    return [primary, *seen, *[""] * (width - 1 - len(seen))]


def _fill(rows: list[list[str]], width: int) -> np.ndarray:
    """Ragged name lists -> (n, width) object array, "" padded (see _fill_row)."""
    out = np.empty((len(rows), width), dtype=object)
    if rows:
        out[:] = [_fill_row(row, width) for row in rows]
    return out


def _names_with_aliases(
    name_codes: np.ndarray,
    names: list[str],
    alias_codes: np.ndarray,
    aliases: list[str],
    row: Callable[[str, str], list[str]],
    width: int,
) -> Coded:
    """(n, width) alternatives ``row(name, aliases)`` of each row, built once per distinct
    (name, aliases) combination (most rows have no alias, so about once per distinct name)."""
    combined = name_codes.astype(np.int64) * len(aliases) + alias_codes
    codes, distinct = pd.factorize(combined)
    rows = [row(names[k // len(aliases)], aliases[k % len(aliases)]) for k in distinct.tolist()]
    return Coded.take(_fill(rows, width), codes)


def _first_row(first: str, aliases: str) -> list[str]:
    # Primary first: run together ("mary ann" = "maryann"); its words are alternatives, so are
    # alias given names / street names. The middle name is kept apart (see compare_names):
    # siblings often share one, so it may only meet the other side's primary given name.
    tokens = first.split()
    al_first = _alias_names(aliases)[0] if aliases else []
    return ["".join(tokens), *(tokens if len(tokens) > 1 else []), *al_first]


def _last_row(last: str, aliases: str) -> list[str]:
    al_last = _alias_names(aliases)[1] if aliases else []
    return ["".join(last.split()), *surname_parts(last), *al_last]


def _alias_row(aliases: str) -> list[str]:
    return ["", *("".join(a.split()) for a in aliases.split("|"))] if aliases else []


def _roots(primary: Coded) -> Coded:
    """(n, ROOT_WIDTH) nickname roots of each primary name (computed once per distinct name), from
    the coded primary names (codes -1: no name, no roots)."""
    out = np.full((len(primary.distinct) + 1, ROOT_WIDTH), "", dtype=object)
    for i, name in enumerate(primary.distinct.tolist()):
        r = nicknames.roots(name)[:ROOT_WIDTH]
        out[i, : len(r)] = r
    return Coded.take(out, primary.codes)  # a missing name (code -1) takes the trailing empty row


#: DOB layouts agencies write (year, month, day groups named): ISO with "-", "/" or "." and an
#: optional time, compact YYYYMMDD, and US month-first M/D/YYYY or M-D-YYYY or M/D/YY
_DOB_FORMATS = (
    r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[ T].*)?$",
    r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$",
    r"^(?P<m>\d{1,2})[/-](?P<d>\d{1,2})[/-](?P<y>\d{4})(?: .*)?$",
    r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<yy>\d{2})$",
)
_DOB_RES = tuple(re.compile(p) for p in _DOB_FORMATS)
#: layouts with the month in words, read before digit look-alikes are mended (they would turn "Oct"
#: into "0ct"): Oracle's DD-MON-YYYY (and DD-MON-YY), "15 March 2008", "March 15, 2008"
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = rf"(?P<mon>{'|'.join(_MONTHS)})[a-z]*\.?"
_DOB_WORD_RES = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"^(?P<d>\d{{1,2}})[-/ ]{_MONTH}[-/ ,]+(?P<y>\d{{4}})(?:[ T].*)?$",
        rf"^(?P<d>\d{{1,2}})-{_MONTH}-(?P<yy>\d{{2}})$",
        rf"^{_MONTH}[ -](?P<d>\d{{1,2}})(?:st|nd|rd|th)?,? (?P<y>\d{{4}})$",
    )
)
_MONTH_NUMBERS = {m: k for k, m in enumerate(_MONTHS, 1)}
#: day first with dots (15.03.2008): how Europe writes a date; nobody writes month first with dots
_DOB_DOTTED_RE = re.compile(r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})$")
#: letters a scan or a hurried typist puts for digits: "20O2-04-04", "1999-09-1o", "1998-|O-31"
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1"})
#: DOB fields of a value that is no date in any layout
_NO_DOB = (-1, -1, -1, "")


@functools.lru_cache(maxsize=1 << 17)
def _dob1(value: str, this_year: int, min_year: int = PLACEHOLDER_YEAR_MIN) -> tuple[int, int, int, str]:
    """(year, month, day, "") of one DOB string, (-1, -1, -1, digits) when it is written in an
    accepted layout but is no valid date (see invalid_dob_digits), _NO_DOB otherwise.

    The first layout that fits wins; a two-digit year is this century unless that would lie in the
    future (youth DOBs).
    """
    text = value.strip()
    found = next((f for rx in _DOB_WORD_RES if (f := rx.search(text)) is not None), None)
    if found is None:
        text = text.translate(_DIGIT_LOOKALIKES)
        found = next((f for rx in (*_DOB_RES, _DOB_DOTTED_RE) if (f := rx.search(text)) is not None), None)
    if found is not None:
        parts = found.groupdict()
        m = _MONTH_NUMBERS[parts["mon"].lower()] if "mon" in parts else int(parts["m"])
        d = int(parts["d"])
        if "yy" in parts:
            yy = int(parts["yy"])
            y = 2000 + yy if 2000 + yy <= this_year else 1900 + yy
        else:
            y = int(parts["y"])
        if not min_year <= y <= PLACEHOLDER_YEAR_FUTURE - 1:
            return _NO_DOB
        if (y, m, d) in PLACEHOLDER_DATES:
            return _NO_DOB
        if 1 <= m <= 12 and 1 <= d <= 31:
            return y, m, d, ""
        if 13 <= m <= 31 and 1 <= d <= 12:
            # no month 13-31: the day was written first (2003-23-06), a slip that yields one date;
            # the digits as written are kept too (2007-21-02 may be 2007-11-02 mistyped)
            return y, d, m, f"{y:04d}{m:02d}{d:02d}"
        return -1, -1, -1, f"{y:04d}{m:02d}{d:02d}"
    return _NO_DOB


def _dob_table(values: Any, min_year: int = PLACEHOLDER_YEAR_MIN) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3) int64 year / month / day (-1 = missing) and the invalid-date digits of each row (see
    parse_dob and invalid_dob_digits), computed once per distinct value."""
    s = pd.Series(values, copy=False)
    if pd.api.types.is_datetime64_any_dtype(s):
        return _dob_datetimes(s, min_year), np.full(len(s), "", dtype=object)
    codes, texts = _distinct(s)
    this_year = pd.Timestamp.today().year
    parsed = [_dob1(t, this_year, min_year) for t in texts]
    ymd = np.array([p[:3] for p in parsed], dtype=np.int64).reshape(len(parsed), 3)
    typo = np.empty(len(parsed), dtype=object)
    typo[:] = [p[3] for p in parsed]
    return ymd[codes], typo[codes]


def _dob_datetimes(s: pd.Series, min_year: int = PLACEHOLDER_YEAR_MIN) -> np.ndarray:
    """(n, 3) year / month / day of a datetime column, -1 where missing or a placeholder."""
    frame = pd.DataFrame({"y": s.dt.year, "m": s.dt.month, "d": s.dt.day}).astype("float64")
    placeholder = pd.Series(False, index=frame.index)
    for y, m, d in PLACEHOLDER_DATES:
        placeholder |= (frame["y"] == y) & (frame["m"] == m) & (frame["d"] == d)
    valid = frame["y"].between(min_year, PLACEHOLDER_YEAR_FUTURE - 1) & ~placeholder
    return frame.where(valid).fillna(-1).astype("int64").to_numpy()


def dob_year_floor(values: Any) -> int:
    """The earliest birth year taken as real in a run, from its client list's DOBs.

    In agency systems a year before 1900 means "unknown" (PLACEHOLDER_YEAR_MIN). A historical
    register (a genealogy, a census of 1850) is the other way round: most of its people were born
    before 1900, and dropping their DOBs would leave the names alone to match on. So the floor is
    HISTORICAL_YEAR_MIN when at least half of the list's dated rows fall before 1900.
    """
    ymd, _ = _dob_table(values, HISTORICAL_YEAR_MIN)
    years = ymd[:, 0][ymd[:, 0] >= 0]
    if len(years) and float((years < PLACEHOLDER_YEAR_MIN).mean()) >= 0.5:
        return HISTORICAL_YEAR_MIN
    return PLACEHOLDER_YEAR_MIN


def parse_dob(values: pd.Series) -> pd.DataFrame:
    """Year, month, day (Int arrays, -1 = missing) from datetime64 or strings in the layouts agencies
    use: ISO "YYYY-MM-DD" (also with "/" or "." and a time), "YYYYMMDD", US "MM/DD/YYYY", "M/D/YY",
    the month in words ("15-MAR-2008", "15-MAR-08", "15 March 2008", "March 15, 2008") and European
    "DD.MM.YYYY".

    Placeholder DOBs (1900-01-01, 1901-01-01, any year before 1900, any year 9000+ such as
    9999-12-31) mean "unknown" in agency systems and are treated as missing: two children who both
    have 1900-01-01 must not agree on DOB.
    """
    s = pd.Series(values, copy=False)
    ymd, _ = _dob_table(s)
    return pd.DataFrame(ymd, columns=["y", "m", "d"], index=s.index)


def invalid_dob_digits(values: pd.Series) -> np.ndarray:
    """ "YYYYMMDD" digits of DOB strings written in an accepted layout that are no valid date as
    written ("2008-21-03": a mistyped month or day is not a date, but it is one digit from the right
    one; read day first it is 2008-03-21, which parse_dob gives); "" for valid dates, placeholders
    and anything else."""
    return _dob_table(values)[1]


def _address1(value: str) -> str:
    return _STREET_WORD_RE.sub(_street_word, _fold_text(value))


def _street_word(found: re.Match[str]) -> str:
    return _STREET_WORDS[found.group(0)]


def _zip1(value: str) -> str:
    """Zip codes as digits: a column read as numbers ("94601.0") or as ZIP+4 ("94601-1234") keeps
    its 5-digit code."""
    return _fold1(_ZIP_FLOAT_RE.sub(r"\1", value.strip())).replace(" ", "")[:5]


def _aliases1(value: str) -> str:
    # Folding would turn "|" into a space: fold each alias on its own, keep the separator.
    return _ALIAS_SEPARATOR_RE.sub("|", _fold1(value.replace("|", _ALIAS_SEPARATOR)))


def _sex1(value: str) -> str:
    s = _fold1(value)[:1]
    return "" if s == "u" else s


def _race1(value: str) -> str:
    s = _fold1(value)
    return "" if s in _MISSING_RACE else s


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
    #: per row: her given name on another record may be another name of hers, not a typo (a
    #: transgender or non-binary client's legal name beside her own); empty when no row says so
    given_may_differ: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    _hashes: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    #: name -> (the array coded, its codes, its distinct values): see codes()
    _codes: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, rows: np.ndarray) -> PersonTable:
        """These persons at positions ``rows`` (in that order), with the codes and hashes already
        computed for them: the estimation sample taken from a small run's standardised rows."""
        arrays = {}
        for f in fields(self):
            if f.name.startswith("_"):
                continue
            values = getattr(self, f.name)
            arrays[f.name] = values[rows] if len(values) == len(self.ids) else values
        taken = PersonTable(**arrays)
        taken._hashes = {name: h[rows] for name, h in self._hashes.items()}
        taken._codes = {
            name: (arrays[name], codes[rows], distinct)
            for name, (values, codes, distinct) in self._codes.items()
            if values is getattr(self, name)
        }
        return taken

    def short_forms(self) -> np.ndarray:
        """(n, SHORT_WIDTH) 64-bit hashes of the clipped forms and diminutive bases of each primary
        given name (nicknames.short_forms), 0 padded; computed once per distinct name, on first use."""
        h = self._hashes.get("short_forms")
        if h is None:
            codes, distinct = self.codes("first")
            forms = np.full((len(distinct) + 1, nicknames.SHORT_WIDTH), "", dtype=object)
            for i, name in enumerate(distinct.tolist()):
                found = nicknames.short_forms(name)[: nicknames.SHORT_WIDTH]
                forms[i, : len(found)] = found
            h = self._hashes["short_forms"] = _hash_text(forms)[codes[:, 0]]
        return h

    def hashed(self, name: str) -> np.ndarray:
        """A text array (first, last, first_roots, last_roots, middle, aliases, ...) as 64-bit hashes,
        "" -> 0, computed once per table and once per distinct value: comparisons test equality on
        integers."""
        h = self._hashes.get(name)
        if h is None:
            codes, distinct = self.codes(name)
            table = np.zeros(len(distinct) + 1, dtype=np.uint64)  # code -1 ("") takes the last: 0
            table[:-1] = pd.util.hash_array(distinct, categorize=False)
            h = self._hashes[name] = table[codes]
        return h

    def codes(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A text array (any field, any width) as int codes into its distinct non-empty values, -1
        for "": (codes, distinct values). Comparisons compute a similarity once per distinct pair of
        values, not once per candidate pair. Set by standardise() for the fields it builds; cached per
        array (a table copied with a wider array, as learned_names does, codes the new one)."""
        values = getattr(self, name)
        hit = self._codes.get(name)
        if hit is not None and hit[0] is values:
            return hit[1], hit[2]
        codes, distinct = text_codes(values)
        self._codes[name] = (values, codes, distinct)
        return codes, distinct


def _hash_text(values: np.ndarray) -> np.ndarray:
    """uint64 hashes of a text array (any shape), "" -> 0."""
    flat = np.asarray(values, dtype=object).ravel()
    h = pd.util.hash_array(flat, categorize=True)
    h[flat == ""] = 0
    return h.reshape(np.shape(values))


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].reset_index(drop=True)
    return pd.Series([None] * len(frame), dtype=object)


def standardise(
    frame: pd.DataFrame, id_column: str = "record_id", dob_floor: int = PLACEHOLDER_YEAR_MIN
) -> PersonTable:
    """Standardise a person-schema frame (``id_column`` holds the ids; any field may be missing).

    Every field is standardised once per distinct value and spread back to the rows.
    """
    first_codes, first_texts = _distinct(_column(frame, "first_name"))
    last_codes, last_texts = _distinct(_column(frame, "last_name"))
    alias_codes, alias_texts = _distinct(_column(frame, "aliases"))
    first_names = [_name1(t, PLACEHOLDER_GIVEN) for t in first_texts]
    last_names = [_name1(t, PLACEHOLDER_SURNAME, PLACEHOLDER_SURNAME_PHRASE) for t in last_texts]
    aliases = [_aliases1(t) for t in alias_texts]
    first = _names_with_aliases(first_codes, first_names, alias_codes, aliases, _first_row, FIRST_WIDTH)
    last = _names_with_aliases(last_codes, last_names, alias_codes, aliases, _last_row, LAST_WIDTH)
    alias = Coded.take(_fill([_alias_row(a) for a in aliases], ALIAS_WIDTH + 1)[:, 1:], alias_codes)

    ymd, typo = _dob_table(_column(frame, "dob"), dob_floor)
    y, m, d = ymd[:, 0], ymd[:, 1], ymd[:, 2]
    has_dob = y >= 0
    dob8 = np.full(len(y), "", dtype=object)
    dob8[has_dob] = _per_distinct(str, y[has_dob] * 10000 + m[has_dob] * 100 + d[has_dob])
    coded = {
        "first": first,
        "first_roots": _roots(_column_of(first, 0)),
        "middle": _coded_per_distinct(lambda t: _name1(t).split(" ")[0], _column(frame, "middle_name")),
        "last": last,
        "last_roots": _roots(_column_of(last, 0)),
        "sex": _coded_per_distinct(_sex1, _column(frame, "sex")),
        "race": _coded_per_distinct(_race1, _column(frame, "race")),
        "address": _coded_per_distinct(_address1, _column(frame, "address")),
        "city": _coded_per_distinct(_fold1, _column(frame, "city")),
        "zip": _coded_per_distinct(_zip1, _column(frame, "zip")),
        "aliases": alias,
    }
    table = PersonTable(
        ids=_column(frame, id_column).to_numpy(dtype=object),
        dob_y=y,
        dob_m=m,
        dob_d=d,
        dob8=dob8,
        dob_typo8=np.asarray(typo, dtype=object),
        given_may_differ=_flag(frame, GIVEN_MAY_DIFFER),
        **{name: c.values for name, c in coded.items()},
    )
    table._codes.update({name: (c.values, c.codes, c.distinct) for name, c in coded.items()})
    return table


def _flag(frame: pd.DataFrame, name: str) -> np.ndarray:
    """An optional boolean column as a bool array (empty when the frame has no such column)."""
    if name not in frame.columns:
        return np.zeros(0, dtype=bool)
    return frame[name].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _column_of(names: Coded, j: int) -> Coded:
    """Column ``j`` of a coded (n, width) array, coded (distinct values shared with the whole)."""
    return Coded(names.values[:, j], names.codes[:, j], names.distinct)
