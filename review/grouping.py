"""One item per youth: open review rows that are the same youth are decided together (issue 17).

Rows are the same youth when their identity tokens agree strongly (``matchers.identity.same_youth``:
given name, DOB and surname; twins differ in the given name, siblings in the given name and DOB).
A row joins the first group with a row it agrees with and none it contradicts (another DOB, or
another sex marker without the same given name): typos pile up, so two rows of one girl may each
agree with a third and not with each other, yet a row without a DOB cannot chain two same-named
relatives of different birthdays together. Whatever the source, the night or the candidates.
Rows without identity tokens (loaded without them) are items of their own.

Candidate pairs are found through the tokens a same youth must share (a DOB token, a near date of
one that is the other's DOB, or the exact given name when one DOB is missing), so 10,000 open rows
are grouped in well under a second.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from matchers.identity import Identity, contradicts, same_youth


def partition(rows: Sequence[tuple[int, str | None]]) -> dict[int, int]:
    """item id -> its group's key (the first of its items in ``rows``' order), for (item id,
    identity JSON) in queue order."""
    identities: list[Identity | None] = [Identity.from_json(text) for _, text in rows]
    group_of: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    by_dob: dict[str, list[int]] = defaultdict(list)  # DOB token -> rows with a DOB
    by_near: dict[str, list[int]] = defaultdict(list)  # near date (an exact DOB token) -> rows
    by_given: dict[str, list[int]] = defaultdict(list)  # exact given name -> every row
    by_given_no_dob: dict[str, list[int]] = defaultdict(list)  # ... -> rows without a DOB
    for k, ((item_id, _), ident) in enumerate(zip(rows, identities, strict=True)):
        home = None
        if ident is not None:
            given = [t for t in ident.first if t.startswith("x")]
            near = (
                _near(ident.dob, by_dob)
                | _near(ident.dob, by_near)
                | _near(ident.near, by_dob)
                | _near(given, by_given_no_dob)
                if ident.dob
                else _near(given, by_given)
            )
            for key in sorted({group_of[rows[j][0]] for j in near}, key=lambda g: members[g][0]):
                group = members[key]
                if any(same_youth(ident, identities[j]) for j in group) and not any(
                    contradicts(ident, identities[j]) for j in group
                ):
                    home = key
                    break
            for token in ident.dob:
                by_dob[token].append(k)
            for token in ident.near:
                by_near[token].append(k)
            for token in given:
                by_given[token].append(k)
                if not ident.dob:
                    by_given_no_dob[token].append(k)
        if home is None:
            home = item_id
            members[home] = []
        members[home].append(k)
        group_of[item_id] = home
    return group_of


def _near(tokens: Iterable[str], index: dict[str, list[int]]) -> set[int]:
    out: set[int] = set()
    for token in tokens:
        out.update(index.get(token, ()))
    return out
