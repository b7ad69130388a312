"""Given names a run learns from its own auto-matched rows, used for the client's other rows.

A transgender client is on the SafetyNet list under her chosen name; most agencies file her under
her legal name and birth sex. One pair cannot tell that row from a twin's (another given name, the
same surname, DOB and address), so the given-name review cap holds it. But an agency that records
AKAs often files both: the legal name as the given name and the chosen name, or the client's street
name, as an AKA. Such a row is auto-matched, and it states outright that this client goes by that
given name too. Her rows under the same legal name elsewhere in the run (a school roster has no AKA
column) are then compared with it as one of her alternative given names.

Only a stated link teaches a name: the row must list the client's own given name among its
alternatives (AKA), or share a street name with her, and be auto-matched in the straight name
reading. A twin's rows never state that, so a twin's name is never learned (on our generator's
100k rows: 71 legal-name rows of trans clients learned, no twin's name). Names are standardised
(folded) keys, never logged.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from matchers.compare import LEVELS
from matchers.identity import same_name
from matchers.standardise import PersonTable, standardise

#: learned names kept per client (most often stated first)
MAX_LEARNED = 2
#: given-name levels at which a matched row's given name is not already the client's
_NEW_NAME_LEVELS = (
    LEVELS["first_name"].index("alias_or_part"),
    LEVELS["first_name"].index("else"),
    LEVELS["first_name"].index("jw_85"),
)
_SHARED_ALIAS = LEVELS["aliases"].index("shared")


def stated_given_names(
    rs: PersonTable,
    cl: PersonTable,
    ri: np.ndarray,
    ci: np.ndarray,
    matched: np.ndarray,
    swapped: np.ndarray,
    first_level: np.ndarray,
    alias_level: np.ndarray,
) -> np.ndarray:
    """Per pair (rs[ri[k]], cl[ci[k]]), the row's primary given name when an auto-matched row states
    that the client also goes by it (see module doc), else ""."""
    out = np.full(len(ri), "", dtype=object)
    cand = np.flatnonzero(matched & ~swapped & np.isin(first_level, _NEW_NAME_LEVELS))
    if cand.size == 0:
        return out
    r_first, c_first = rs.hashed("first")[ri[cand]], cl.hashed("first")[ci[cand]]
    primary = r_first[:, 0]
    new = (primary != 0) & ~(r_first[:, :1] == c_first).any(axis=1)
    # The row lists the client's given name among its own alternatives (an AKA) ...
    aka = ((r_first[:, 1:] == c_first[:, :1]) & (c_first[:, :1] != 0)).any(axis=1)
    # ... or shares a street name / alias with her.
    shared = alias_level[cand] == _SHARED_ALIAS
    keep = cand[new & (aka | shared)]
    out[keep] = rs.first[ri[keep], 0]
    return out


def learned_by_client(client_rows: np.ndarray, names: np.ndarray) -> dict[int, list[str]]:
    """client table row -> learned given names (at most MAX_LEARNED, most often stated first)."""
    stated = pd.DataFrame({"client": client_rows, "name": names})
    stated = stated[stated["name"] != ""]
    if stated.empty:
        return {}
    counts = stated.value_counts(["client", "name"]).reset_index(name="n")
    counts = counts.sort_values(["client", "n", "name"], ascending=[True, False, True], kind="stable")
    return {int(c): list(g["name"][:MAX_LEARNED]) for c, g in counts.groupby("client", sort=False)}


def with_learned_names(cl: PersonTable, learned: dict[int, list[str]]) -> PersonTable:
    """A copy of the client table whose given-name alternatives also hold the learned names (new
    columns at the end: the primary name and every other alternative stay where they were)."""
    extra = np.full((len(cl), MAX_LEARNED), "", dtype=object)
    for row, names in learned.items():
        extra[row, : len(names)] = names
    # The other cached hashes (surnames, short forms of the unchanged primary) still hold.
    hashes = {k: v for k, v in cl._hashes.items() if k != "first"}
    return replace(cl, first=np.concatenate([cl.first, extra], axis=1), _hashes=hashes)


def uses_learned_name(
    rs: PersonTable, cl: PersonTable, ri: np.ndarray, ci: np.ndarray, n_original: int
) -> np.ndarray:
    """Pairs whose row's primary given name equals one of the client's learned names (the columns
    from ``n_original`` on) and none of her own."""
    r = rs.hashed("first")[ri, 0]
    c = cl.hashed("first")[ci]
    own = (c[:, :n_original] == r[:, None]).any(axis=1)
    learned = (c[:, n_original:] == r[:, None]).any(axis=1)
    return (r != 0) & learned & ~own


def names_stated_by_matched_rows(clients: pd.DataFrame, rows: pd.DataFrame) -> dict[str, list[str]]:
    """Given names that rows auto-matched in earlier runs stated for their client, for later runs.

    The same stated link as within a run (module doc), kept across runs and sources: a row the model
    matched to a client, under her surname, that lists her given name among its AKAs and has a given
    name of its own that is not one of hers (nor a nickname, typo or sound of one) says she also
    goes by that name. So a school roster's row under her legal name is not asked about when her
    Social Services record, matched last month, named her both ways. Nothing is stored: the names
    follow the links in force, so a row unlinked by a person or sealed teaches nothing any more.

    ``clients``: the matcher's client frame (person schema with ``client_id``, aliases "|"-joined);
    ``rows``: the matched agency rows (person schema with ``client_id`` of the client each is
    matched to). Returns client id -> names as the rows wrote them (at most MAX_LEARNED, most often
    stated first)."""
    if clients.empty or rows.empty:
        return {}
    rows = rows[rows["client_id"].isin(set(clients["client_id"]))].reset_index(drop=True)
    if rows.empty:
        return {}
    listed = clients.drop_duplicates("client_id").set_index("client_id", drop=False)
    her = listed.loc[rows["client_id"]].reset_index(drop=True)
    ct = standardise(her.rename(columns={"client_id": "record_id"}), id_column="record_id")
    rt = standardise(rows, id_column="record_id")
    stated: list[tuple[str, str, str]] = []
    for k in range(len(rows)):
        given, alternatives = rt.first[k, 0], {a for a in rt.first[k, 1:] if a}
        own_given = ct.first[k, 0]
        if not given or not own_given or own_given not in alternatives:
            continue  # no AKA naming her
        surnames = [s for s in ct.last[k] if s]
        if not any(same_name(rt.last[k, 0], s, given=False) for s in surnames):
            continue  # not under her surname (or the names read the other way round)
        hers = [n for n in (*ct.first[k], *surnames, ct.middle[k]) if n]
        if any(same_name(given, n) for n in hers):
            continue  # one of her names already, as the matcher reads it
        stated.append((str(rows["client_id"].iloc[k]), given, str(rows["first_name"].iloc[k]).strip()))
    if not stated:
        return {}
    found = pd.DataFrame(stated, columns=["client", "key", "name"])
    counts = found.groupby(["client", "key"], sort=True).agg(n=("name", "size"), name=("name", "first"))
    counts = counts.reset_index().sort_values(["client", "n", "key"], ascending=[True, False, True])
    return {c: list(g["name"][:MAX_LEARNED]) for c, g in counts.groupby("client", sort=False)}
