"""Why a pair is in review, in words: reason codes read from the matcher's explanation.

The review queue shows them and filters by them, the item page lists them. Everything here reads
the explanation's documented keys only (docs/CONTRACTS.md "Matcher"), so the matcher can change how
it scores without this module knowing:

- ``fields``: ``[{"field", "level", "weight"}, ...]``: each field's comparison level (and weight);
- ``learned_given_name`` (optional): the given name agreed through a name learned for the client;
- ``relatives`` (optional): ``[{"class", "weight"}, ...]``: household relatives the matcher weighed
  against the same person (bits; near or above 0 means the relative is about as likely). Classes
  ``twin`` and ``household`` (the look-alike model of issue 13), older ``sibling``, ``parent``,
  ``same_name``; an unknown class is said as ``possible_<class>``. When the key is there, the
  matcher has weighed the look-alikes itself: the field-shaped guess (another given name, same
  surname and birthday = twin) is left out and only relatives within :data:`RELATIVE_BITS` are said;
- ``presence`` (optional): ``{"level": "present" | "absent", "weight"}``: whether the client already
  has a confirmed row of another record in this file, weighed towards a relative (bits: in a file of
  one row per person a second near-copy of her is likelier her relative); a weight of
  :data:`PRESENCE_BITS` or more while present is said;
- ``row_given_name`` (optional): ``"unseen"``: the row's given name occurs in no other row or client
  of a large run (a slip rather than another child's name); said only when the given name disagrees.

Any other key (the look-alike cap keys of older explanations included) is ignored, and a key of an
unexpected shape is read as absent: explanations of older and newer matchers both give reasons.
- ``review_reason`` (optional): the matcher's own word for why the pair is in review. When present
  it comes first; a code not in :data:`REASONS` is shown as its words with underscores as spaces.

Besides the pair, a row's other candidates say something: two plausible clients for one row is its
own reason (``two_clients``), see :func:`row_reasons`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

#: code -> words, in the order of importance (the first that applies is the item's main reason)
REASONS: dict[str, str] = {
    "legal_name_or_twin": "another given name and sex marker, same surname and date of birth: "
    "her legal name, or a twin",
    "possible_twin": "possible twin: same surname and date of birth, another given name",
    "possible_sibling": "possible sibling: same surname and home, another given name and birthday",
    "same_name_relative": "same name at the same home, another birthday: a relative of the same name?",
    "two_clients": "could be either of two clients",
    "namesake": "namesake: same name, another birthday and home",
    "moved_dob_differs": "moved, and the date of birth differs",
    "given_name_unrelated": "given name not related to hers",
    "given_name_unseen": "a given name found nowhere else in the file: a slip, not another child's",
    "given_name_similar": "given name only similar to hers",
    "presence_doubt": "her own row is already matched in this file of one row each: a relative?",
    "missing_dob": "no date of birth on one side",
    "surname_differs": "surname differs (a new surname?)",
    "dob_typo": "date of birth differs by one digit or a day/month swap",
    "dob_differs": "date of birth differs",
    "names_swapped": "first and last name written the other way round",
    "sex_differs": "sex marker differs",
    "learned_name": "agrees through a name learned from an earlier decision",
    "given_name_seen": "another given name, one other children in the file have",
    "thin_evidence": "little to go on: few fields agree",
}

#: relative classes of the explanation's ``relatives`` key -> reason code
RELATIVE_CLASSES = {
    "twin": "possible_twin",
    "sibling": "possible_sibling",
    "household": "possible_sibling",
    "parent": "same_name_relative",
    "same_name": "same_name_relative",
}
#: a relative weighed within this many bits of the same person is worth saying (2**-3 = 1 in 8)
RELATIVE_BITS = -3.0
#: a presence weight (towards a relative) at or above this many bits is worth saying (2x likelier)
PRESENCE_BITS = 1.0

_GIVEN_AGREES = ("exact", "nickname", "alias_or_part", "jw_92")
_GIVEN_DIFFERS = ("else", "jw_85")
_SURNAME_AGREES = ("exact", "alias_or_part", "jw_92", "nickname")
_SAME_HOME = ("exact", "similar")
_DOB_CLOSE = ("one_digit", "day_month_swap")


@dataclass(frozen=True)
class Reason:
    code: str
    words: str


def reason(code: str) -> Reason:
    """The reason of ``code``: its words, or the code itself in words if this module does not know it."""
    return Reason(code, REASONS.get(code) or code.replace("_", " "))


def parse(explanation: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """The explanation as a dict ({} when missing or unreadable)."""
    if explanation is None:
        return {}
    if isinstance(explanation, Mapping):
        return dict(explanation)
    try:
        data = json.loads(explanation)
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _levels(data: Mapping[str, Any]) -> dict[str, str]:
    return {
        f["field"]: f.get("level") for f in data.get("fields", ()) if isinstance(f, Mapping) and "field" in f
    }


def pair_reasons(explanation: str | Mapping[str, Any] | None) -> list[Reason]:
    """Why one (row, client) pair is uncertain, most important first; never empty for a readable
    explanation (``thin_evidence`` when nothing in particular disagrees)."""
    data = parse(explanation)
    if not data:
        return []
    lv = _levels(data)
    codes: list[str] = []
    stated = data.get("review_reason")
    if isinstance(stated, str) and stated:
        codes.append(stated)
    given, surname, dob = lv.get("first_name"), lv.get("last_name"), lv.get("dob")
    address = lv.get("address")
    given_differs = given in _GIVEN_DIFFERS
    surname_agrees = surname in _SURNAME_AGREES
    relatives = data.get("relatives")
    if isinstance(relatives, list):  # the matcher weighed the look-alikes: its word, not the shape
        for rel in relatives:
            code = _relative_code(rel)
            if code == "possible_twin" and lv.get("sex") == "disagree" and given_differs:
                code = "legal_name_or_twin"  # a trans youth's legal name looks like an opposite-sex twin
            if code:
                codes.append(code)
    elif given_differs and surname_agrees and dob == "exact":
        # a trans youth's legal name and birth sex look exactly like an opposite-sex twin
        codes.append("legal_name_or_twin" if lv.get("sex") == "disagree" else "possible_twin")
    elif given_differs and surname_agrees and address in _SAME_HOME and dob not in ("exact", "missing"):
        codes.append("possible_sibling")
    presence = data.get("presence")
    if isinstance(presence, Mapping) and _bits(presence.get("weight")) is not None:
        if presence.get("level") == "present" and _bits(presence.get("weight")) >= PRESENCE_BITS:
            codes.append("presence_doubt")
    seen = data.get("row_given_name")
    if given in (*_GIVEN_DIFFERS, "jw_85") and seen in ("unseen", "seen"):
        codes.append(f"given_name_{seen}")
    if given in ("exact", "nickname") and surname_agrees and dob in ("else", "same_year"):
        codes.append("same_name_relative" if address in _SAME_HOME else "namesake")
    if address == "else" and dob in (*_DOB_CLOSE, "same_year", "else"):
        codes.append("moved_dob_differs")
    if given == "else":
        codes.append("given_name_unrelated")
    elif given == "jw_85":
        codes.append("given_name_similar")
    if dob == "missing":
        codes.append("missing_dob")
    if surname == "else":
        codes.append("surname_differs")
    if dob in _DOB_CLOSE:
        codes.append("dob_typo")
    elif dob in ("else", "same_year"):
        codes.append("dob_differs")
    if lv.get("name_order") == "swapped":
        codes.append("names_swapped")
    if lv.get("sex") == "disagree":
        codes.append("sex_differs")
    if data.get("learned_given_name"):
        codes.append("learned_name")
    if not codes:
        codes.append("thin_evidence")
    return [reason(c) for c in _ordered(codes, stated if isinstance(stated, str) else None)]


def _bits(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _relative_code(rel: Any) -> str | None:
    """The reason of one ``relatives`` entry, or None when it is unlikely or not readable."""
    if not isinstance(rel, Mapping) or not rel.get("class"):
        return None
    weight = _bits(rel.get("weight"))
    if weight is None or weight < RELATIVE_BITS:
        return None
    cls = str(rel["class"])
    return RELATIVE_CLASSES.get(cls, f"possible_{cls}")


@lru_cache(maxsize=4096)
def _cached_codes(text: str) -> tuple[str, ...]:
    return tuple(r.code for r in pair_reasons(text))


def pair_codes(explanation: str | None) -> tuple[str, ...]:
    """:func:`pair_reasons`' codes of a stored (JSON text) explanation; the matcher renders few
    distinct explanations, so each is read once per process."""
    return _cached_codes(explanation) if explanation else ()


def row_reasons(
    candidates: Iterable[tuple[float | None, str | Mapping[str, Any] | None]],
    review_threshold: float = 0.6,
) -> list[Reason]:
    """Why a row is in review: its best candidate's pair reasons, plus ``two_clients`` when a
    second client is plausible too. ``candidates``: (score, explanation) of each candidate client."""
    ranked = sorted(candidates, key=lambda c: -(c[0] if c[0] is not None else -1.0))
    if not ranked:
        return []
    best = ranked[0][1]
    codes = list(pair_codes(best) if isinstance(best, str) else [r.code for r in pair_reasons(best)])
    plausible = [s for s, _ in ranked if s is not None and s >= review_threshold]
    if len(plausible) >= 2:
        codes.append("two_clients")
    stated = parse(best).get("review_reason") if "review_reason" in str(best) else None
    return [reason(c) for c in _ordered(codes, stated if isinstance(stated, str) else None)]


def _ordered(codes: list[str], stated: str | None = None) -> list[str]:
    """Distinct codes, the matcher's stated one first, then in the catalogue's order of importance."""
    rank = {code: i for i, code in enumerate(REASONS)}
    distinct = list(dict.fromkeys(codes))
    head = [stated] if stated else []
    rest = sorted((c for c in distinct if c not in head), key=lambda c: rank.get(c, len(rank)))
    if "thin_evidence" in rest and len(rest) > 1:
        rest.remove("thin_evidence")
    return head + rest
