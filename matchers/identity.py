"""Whether two agency rows are the same youth, compared through keyed tokens instead of the values.

The review queue puts rows of one youth into one item, and a decision about a youth holds for her
later rows ("not this person" for a client's twin covers the twin's next booking). Both need to
compare rows with each other, and the second after the decided rows have left the warehouse
(privacy rule 1: rows that match no client are not kept). So a row's identity is kept only as
tokens: HMAC-SHA-256 under a key that is not stored in the warehouse, of what the comparison needs
(the standardised names, their nickname roots, their one-letter-deleted forms and sound, the date of
birth and its day/month-swapped and one-digit-masked forms, the sex). Two rows agree on a field when
they share a token; nobody holding only the warehouse can turn a token back into a name or a date.

One definition of "the same youth" (:func:`same_youth`) serves the grouping and the remembered
decisions. It asks for a strong agreement, because twins share everything but the given name and
siblings everything but the given name and birthday:

- the given name is the same, or a nickname of it, or one typo or the same sound away; all but the
  same name only when the sex markers do not disagree (twins Mario and Maria, Alex for Alejandra
  and Alejandro), and a typo or sound only when the middle names do not disagree either;
- the DOB is the same or day and month swapped; or one digit off, or a slip of the calendar (a few
  days apart, up to ``NEAR_DAYS``, or the same day with the month or the year one off), when the
  middle names and sex markers do not disagree (a twin shares her sibling's birthday exactly,
  siblings are born further apart, but a same-named girl may be born days apart, and one digit is
  10 or 20 days); a missing DOB only with the same given name, an agreeing surname and no
  disagreeing middle name;
- the surname agrees (same, a part of a compound, one typo away), or is missing, or the given name,
  DOB and middle name all agree exactly (a new surname).

Names written the other way round (first and last swapped) are compared in both readings.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import jellyfish
import pandas as pd

from matchers import nicknames
from matchers.standardise import standardise

#: format version of the stored token sets
VERSION = 1
#: hex characters kept of each HMAC (64 bits: collisions between two youths' tokens are negligible)
TOKEN_HEX = 16
#: names shorter than this get no one-letter-deleted forms ("ana" minus a letter is too many names)
MIN_DELETION_LENGTH = 4

EXACT, NICKNAME, SIMILAR, MISSING, DIFFERS = "exact", "nickname", "similar", "missing", "differs"


#: a DOB this many days from the other's is a slip of the same date (with the same given name)
NEAR_DAYS = 3

FIELDS = ("first", "last", "middle", "dob", "sex", "short", "near")


@dataclass(frozen=True)
class Identity:
    """One row's identity tokens, field by field (sets of hex strings)."""

    first: frozenset[str]
    last: frozenset[str]
    middle: frozenset[str]
    dob: frozenset[str]
    sex: frozenset[str]
    #: the given name's clipped forms and diminutive bases, each tokenised as an exact name
    #: ("Karlita" -> the token of "karla"): met by the other row's exact given name only
    short: frozenset[str] = frozenset()
    #: the dates a slip of the DOB gives (see module doc), each tokenised as an exact DOB: met by the
    #: other row's exact DOB only (rows stored before this field have none; their exact DOB still
    #: meets a newer row's near dates)
    near: frozenset[str] = frozenset()

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": VERSION,
                **{f: sorted(getattr(self, f)) for f in FIELDS},
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> Identity | None:
        """The stored tokens, or None when there are none (or of another format version)."""
        if not text:
            return None
        try:
            data = json.loads(text)
        except (TypeError, ValueError):
            return None
        if not isinstance(data, Mapping) or data.get("v") != VERSION:
            return None
        return cls(*(frozenset(data.get(f) or ()) for f in FIELDS))


def _name_parts(name: str, given: bool) -> set[str]:
    """Untokenised parts of one standardised name: exact, nickname roots and clipped forms (given
    names), one-letter-deleted forms, sound. Clipped forms are kept apart (``Identity.short``): "Mar"
    clips both Maria and Mario, and a shared clipped form is no nickname of each other."""
    if not name:
        return set()
    parts = {f"x:{name}", f"d:{name}"}
    if len(name) >= MIN_DELETION_LENGTH:
        parts |= {f"d:{name[:i]}{name[i + 1 :]}" for i in range(len(name))}
        parts.add(f"p:{jellyfish.metaphone(name)}")
    if given:
        parts |= {f"r:{root}" for root in nicknames.roots(name)}
        parts.add(f"r:{name}")
    return parts


def same_name(a: str, b: str, given: bool = True) -> bool:
    """Whether two standardised names are one name as :func:`same_youth` reads them, compared in the
    clear: the same, a nickname of each other (given names), one typo or the same sound apart."""
    return bool(a and b and _name_parts(a, given) & _name_parts(b, given))


def _dob_parts(dob8: str, typo8: str) -> set[str]:
    # the date and, when it was written otherwise (day first, or no date), the digits as written
    parts = {f"o:{d[:i]}?{d[i + 1 :]}" for d in {dob8, typo8} - {""} for i in range(len(d))}
    if dob8:
        y, m, d = dob8[:4], dob8[4:6], dob8[6:]
        parts |= {f"e:{dob8}", f"w:{y}{min(m, d)}{max(m, d)}"}
    return parts


def _near_dates(dob8: str) -> set[str]:
    """The other dates a slip of ``dob8`` gives: a few days either side, the same day with the
    month or the year one off (valid dates only)."""
    if not dob8:
        return set()
    try:
        day = date(int(dob8[:4]), int(dob8[4:6]), int(dob8[6:]))
    except ValueError:
        return set()
    out = {day + timedelta(days=k) for k in range(-NEAR_DAYS, NEAR_DAYS + 1) if k}
    for years, months in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        y, m = day.year + years, day.month + months
        y, m = (y - 1, 12) if m == 0 else (y + 1, 1) if m == 13 else (y, m)
        try:
            out.add(day.replace(year=y, month=m))
        except ValueError:
            continue
    return {f"e:{d:%Y%m%d}" for d in out if 1900 < d.year < 2100}


def identities(persons: pd.DataFrame, key: bytes) -> list[Identity]:
    """Identity tokens of each row of a person-schema frame (any id column; aligned with its rows).

    A token is its kind's letter (x exact, r nickname root or clipped form, d one letter deleted,
    p sound, i initial, e / w / o DOB exact / swapped / one digit masked) and the HMAC's first
    ``TOKEN_HEX`` hex digits: the kind says how two rows agree, the HMAC what they agree on.
    """
    table = standardise(persons.reset_index(drop=True), id_column="record_id")

    def tokens(parts: Iterable[str], field: str) -> frozenset[str]:
        return frozenset(
            p[0] + hmac.new(key, f"{field}|{p}".encode(), hashlib.sha256).hexdigest()[:TOKEN_HEX]
            for p in parts
        )

    out = []
    for i in range(len(table)):
        last_parts = {p for name in table.last[i] if name for p in _name_parts(name, given=False)}
        middle = table.middle[i]
        middle_parts = set()
        if middle:
            middle_parts.add(f"i:{middle[0]}")
            if len(middle) > 1:
                middle_parts.add(f"x:{middle}")
        out.append(
            Identity(
                # one namespace for given and surname tokens, so a swapped reading can be compared
                first=tokens(_name_parts(table.first[i, 0], given=True), "name"),
                last=tokens(last_parts, "name"),
                middle=tokens(middle_parts, "middle"),
                dob=tokens(_dob_parts(table.dob8[i], table.dob_typo8[i]), "dob"),
                sex=tokens([f"x:{table.sex[i]}"] if table.sex[i] else [], "sex"),
                short=tokens([f"x:{f}" for f in nicknames.short_forms(table.first[i, 0])], "name")
                if table.first[i, 0]
                else frozenset(),
                near=tokens(_near_dates(table.dob8[i]), "dob"),
            )
        )
    return out


def _kinds(tokens: frozenset[str]) -> set[str]:
    return {t[0] for t in tokens}


def _names(a: frozenset[str], b: frozenset[str]) -> str:
    """exact / nickname / similar / missing / differs of two names' token sets."""
    if not a or not b:
        return MISSING
    shared = _kinds(a & b)
    if "x" in shared:
        return EXACT
    if "r" in shared:
        return NICKNAME
    return SIMILAR if shared else DIFFERS


def _middle(a: frozenset[str], b: frozenset[str]) -> str:
    """exact (same middle name), similar (an initial of the other), missing, differs."""
    if not a or not b:
        return MISSING
    shared = _kinds(a & b)
    if "x" in shared:
        return EXACT
    one_letter = "x" not in _kinds(a) or "x" not in _kinds(b)
    return SIMILAR if "i" in shared and one_letter else DIFFERS


def near_dob(a: Identity, b: Identity) -> bool:
    """Whether one row's DOB is a slip of the other's (``_near_dates``: both are exact tokens)."""
    return bool(a.near & b.dob or b.near & a.dob)


def _dob(a: frozenset[str], b: frozenset[str]) -> str:
    """exact / swap (day and month) / digit (one digit off) / missing / differs."""
    if not _kinds(a) & {"e"} or not _kinds(b) & {"e"}:
        # an unreadable DOB has only one-digit forms: it may still be a typo of the other
        if a and b and "o" in _kinds(a & b):
            return "digit"
        return MISSING
    shared = _kinds(a & b)
    if "e" in shared:
        return EXACT
    if "w" in shared:
        return "swap"
    return "digit" if "o" in shared else DIFFERS


def same_birthday(a: Identity, b: Identity) -> bool:
    """The two rows give one date of birth: the same, or with day and month swapped."""
    return _dob(a.dob, b.dob) in (EXACT, "swap")


def same_youth(a: Identity, b: Identity) -> bool:
    """Whether two rows' identities agree strongly enough to be one youth (module doc)."""
    if not (
        a.first & b.first or a.first & b.last or a.last & b.first or a.short & b.first or b.short & a.first
    ):
        return False  # no given name in common in either reading: the quick, usual answer
    given, surname = _names(a.first, b.first), _names(a.last, b.last)
    if given in (SIMILAR, DIFFERS) and (a.short & b.first or b.short & a.first):
        given = NICKNAME  # one is a clipped form or diminutive of the other (Bren / Brenda)
    # read swapped: which cross comparison holds the given name is unknown, so it gets the weaker one
    cross = sorted((_names(a.first, b.last), _names(a.last, b.first)), key=_rank)
    if _rank(cross[0]) >= 1 and _rank(cross[0]) + _rank(cross[1]) > _rank(given) + _rank(surname):
        given, surname = cross
    middle = _middle(a.middle, b.middle)
    sex = MISSING if not a.sex or not b.sex else (EXACT if a.sex & b.sex else DIFFERS)
    dob = _dob(a.dob, b.dob)
    if dob == DIFFERS and near_dob(a, b) and middle != DIFFERS and sex != DIFFERS:
        # same-named girls are born days apart too (namesakes): a slip needs nothing against it
        dob = "near"
    if dob == "digit" and (middle == DIFFERS or sex == DIFFERS):
        # one digit off is also 10 or 20 days, a month or a decade apart: a namesake's birthday as
        # often as a typo, so like a slip it needs nothing against it
        dob = DIFFERS

    given_ok = given == EXACT or (
        given in (NICKNAME, SIMILAR) and sex != DIFFERS and (given == NICKNAME or middle != DIFFERS)
    )
    dob_ok = dob in (EXACT, "swap", "digit", "near") or (
        dob == MISSING and given == EXACT and surname in (EXACT, SIMILAR) and middle != DIFFERS
    )
    new_surname = given == EXACT and dob == EXACT and middle == EXACT
    surname_ok = surname in (EXACT, SIMILAR, MISSING) or new_surname
    return given_ok and dob_ok and surname_ok


def contradicts(a: Identity, b: Identity) -> bool:
    """Whether two rows are clearly two youths: both have a DOB and they are not the same, swapped,
    one digit apart or a slip of the calendar, or the sex markers differ without the same given
    name. Rows that each agree with a third need not agree with each other (typos pile up), but
    they must not contradict."""
    if a.dob and b.dob and _dob(a.dob, b.dob) == DIFFERS and not near_dob(a, b):
        return True
    return bool(a.sex and b.sex and not a.sex & b.sex) and not (
        a.first & b.first and "x" in _kinds(a.first & b.first)
    )


def _rank(level: str) -> int:
    return {EXACT: 3, NICKNAME: 2, SIMILAR: 1}.get(level, 0)


def groups(members: Iterable[Identity | None]) -> list[int]:
    """A group number per identity, in order: each joins the first earlier group with a member it
    agrees with (:func:`same_youth`) and none it :func:`contradicts`, else starts its own; an
    identity of None is a group of its own. So a row without a DOB cannot chain two same-named
    relatives of different birthdays together. Quadratic in the members (see review/grouping.py
    for the indexed version)."""
    items = list(members)
    groups_: list[list[int]] = []
    out = list(range(len(items)))
    for i, a in enumerate(items):
        if a is None:
            continue
        home = next(
            (
                g
                for g in groups_
                if any(same_youth(a, items[j]) for j in g) and not any(contradicts(a, items[j]) for j in g)
            ),
            None,
        )
        if home is None:
            groups_.append([i])
        else:
            home.append(i)
            out[i] = home[0]
    return out
