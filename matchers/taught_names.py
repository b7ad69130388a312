"""Names a "same person" decision teaches about a client, for every later run (issue 17).

When the coordinator says an agency row is a client, whatever other name the row states for her is
hers: a given name not related to the client's (a trans youth's legal name), the row's AKAs and
street names, and her name under another surname (adoption, the other parent's name). The
warehouse keeps them (``client_learned_names``) and hands them to the matcher among the client's
aliases, where a one-word alias is a given-name alternative and a longer one adds its surname
(matchers/standardise.py), so her later rows under them agree on the name without a cap in the way.
Only a person's decision teaches here: a twin's name is never learned (a twin is "not this person").

A name that is one of hers through a typo, a nickname or the same sound (``matchers.identity.
same_name``, the test the youth grouping uses) is not a new name: the matcher already credits it,
and taught it would be an alias one typo from a relative's name (Maria's "Mario" is her brother).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matchers.compare import LEVELS, compare
from matchers.identity import same_name
from matchers.standardise import fold, standardise

#: given-name levels at which the row's given name is not the client's (nor a nickname or typo of it)
_NEW_GIVEN = ("else", "jw_85")


@dataclass(frozen=True)
class TaughtName:
    name: str
    #: given_name (the row's given name) or alias (an AKA, a street name, a name with another surname)
    kind: str
    #: index of the row (in the ``rows`` given) that states it
    row: int


def names_taught(client: Mapping[str, object], rows: Iterable[Mapping[str, object]]) -> list[TaughtName]:
    """The names ``rows`` (agency person rows a person decided are ``client``) state for her that
    she is not already known by. ``client``: person schema, aliases "|"-joined (learned ones too)."""
    rows = list(rows)
    if not rows:
        return []
    # one table, the client first: standardising a frame costs tens of milliseconds whatever its
    # size, and this runs inside the coordinator's "same person" click
    people = pd.DataFrame(
        [{**client, "record_id": "client"}, *({**r, "record_id": str(i)} for i, r in enumerate(rows))]
    )
    table = standardise(people, "record_id")
    levels = compare(table, table, np.arange(1, len(rows) + 1), np.zeros(len(rows), dtype=np.int64))
    known = {_key(client.get("first_name"))} | {_key(a) for a in _aliases(client.get("aliases"))}
    # every name she is known by (given, middle, surname, her aliases' words), standardised
    names = {n for n in (*table.first[0], *table.last[0], table.middle[0]) if n}
    out: list[TaughtName] = []

    def learn(name: str | None, kind: str, i: int) -> None:
        key = _key(name)
        words = _key(name, joined=False).split()
        if key and key not in known and not all(_hers(w, names) for w in words):
            known.add(key)
            names.update(words)
            out.append(TaughtName(" ".join(str(name).split()), kind, i))

    given_levels = LEVELS["first_name"]
    for i, row in enumerate(rows):
        first = given_levels[int(levels["first_name"].iloc[i])]
        swapped = given_levels[int(levels["first_name_swapped"].iloc[i])]
        if first in _NEW_GIVEN and swapped in _NEW_GIVEN + ("missing",):
            learn(row.get("first_name"), "given_name", i)
        for alias in _aliases(row.get("aliases")):
            learn(alias, "alias", i)
        other_surname = LEVELS["last_name"][int(levels["last_name"].iloc[i])] == "else"
        if other_surname and row.get("first_name") and not _hers(table.last[i + 1, 0], names):
            learn(f"{row.get('first_name')} {row.get('last_name')}", "alias", i)
    return out


def _aliases(text: object) -> list[str]:
    if not isinstance(text, str):
        return []
    return [a.strip() for a in text.split("|") if a.strip()]


def _hers(name: str, names: set[str]) -> bool:
    """Whether a standardised name is one of ``names`` through a typo, a nickname or its sound."""
    return bool(name) and any(same_name(name, n) for n in names)


def _key(name: object, joined: bool = True) -> str:
    if not isinstance(name, str) or not name.strip():
        return ""
    folded = fold(pd.Series([name])).iloc[0]
    return "".join(folded.split()) if joined else folded
