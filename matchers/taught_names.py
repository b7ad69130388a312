"""Names a "same person" decision teaches about a client, for every later run (issue 17).

When the coordinator says an agency row is a client, whatever other name the row states for her is
hers: a given name not related to the client's (a trans youth's legal name), the row's AKAs and
street names, and her name under another surname (adoption, the other parent's name). The
warehouse keeps them (``client_learned_names``) and hands them to the matcher among the client's
aliases, where a one-word alias is a given-name alternative and a longer one adds its surname
(matchers/standardise.py), so her later rows under them agree on the name without a cap in the way.
Only a person's decision teaches here: a twin's name is never learned (a twin is "not this person").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matchers.compare import LEVELS, compare
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
    people = pd.DataFrame([{**r, "record_id": str(i)} for i, r in enumerate(rows)])
    clients = pd.DataFrame([{**client, "client_id": "client"}])
    rs, cl = standardise(people, "record_id"), standardise(clients, "client_id")
    levels = compare(rs, cl, np.arange(len(rows)), np.zeros(len(rows), dtype=np.int64))
    known = {_key(client.get("first_name"))} | {_key(a) for a in _aliases(client.get("aliases"))}
    out: list[TaughtName] = []

    def learn(name: str | None, kind: str, i: int) -> None:
        key = _key(name)
        if key and key not in known:
            known.add(key)
            out.append(TaughtName(" ".join(str(name).split()), kind, i))

    given_levels = LEVELS["first_name"]
    for i, row in enumerate(rows):
        first = given_levels[int(levels["first_name"].iloc[i])]
        swapped = given_levels[int(levels["first_name_swapped"].iloc[i])]
        if first in _NEW_GIVEN and swapped in _NEW_GIVEN + ("missing",):
            learn(row.get("first_name"), "given_name", i)
        for alias in _aliases(row.get("aliases")):
            learn(alias, "alias", i)
        if LEVELS["last_name"][int(levels["last_name"].iloc[i])] == "else" and row.get("first_name"):
            learn(f"{row.get('first_name')} {row.get('last_name')}", "alias", i)
    return out


def _aliases(text: object) -> list[str]:
    if not isinstance(text, str):
        return []
    return [a.strip() for a in text.split("|") if a.strip()]


def _key(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        return ""
    return "".join(fold(pd.Series([name])).iloc[0].split())
