"""Decisions about a youth hold for her later rows: the load-time side of issue 17.

Before a delivery is loaded, every row the matcher kept (a ``match`` or ``review`` pair) gets its
identity tokens (matchers/identity.py), under a key kept outside the warehouse; the load stores
them on the row's person row and asks :func:`recall` about the pairs no person has decided:

- a row that is the same youth as one a person linked to client X (same person, or linked to
  another client) is linked to X, provided the model did not match it to anyone with confidence;
- a pair (row, C) whose row is the same youth as one a person ruled out for C ("not this person",
  "none of these") is ruled out again; a pair the model matched with confidence only when the two
  rows also share the birthday (the same date, or day and month swapped). Same youth through a
  missing DOB or one digit off is weaker than the model's match: in review_workload at 1,200
  clients a namesake ruled out with no DOB (or one digit off, no middle name) took a client's own
  auto-matched rows with her: 12 rows, every one wrong (no such rule-out was right).

A row that agrees with both a "she is C" and a "she is not C" memory, or with youths linked to two
different clients, is left for the person. The answers become part of the original decision
(``warehouse.youth``): not asked again, and undone with it.

Names carry over between runs the same way: the client list the matcher gets holds, beside the
names decisions taught, the given names her auto-matched rows stated (:func:`clients_for_matching`).

The key: ``SAFETYNET_IDENTITY_KEY`` (production: the same secret for every process), else a
random key created once in ``<var>/identity.key`` (mode 0600). Without the key, the tokens in the
warehouse cannot be turned back into names or dates; a new key only means earlier decisions are no
longer recognised (rows are asked about again), never a wrong answer.
"""

from __future__ import annotations

import os
import secrets
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

import settings
from matchers.identity import Identity, identities, same_birthday, same_youth
from matchers.learned_names import names_stated_by_matched_rows
from settings import var_dir
from settings.files import private_dir
from warehouse import Warehouse
from warehouse.learned_names import model_matched_with_aliases
from warehouse.youth import IS_CLIENT, Memory, MemoryQuery, Remembered, standing_memory

KEY_ENV = "SAFETYNET_IDENTITY_KEY"
KEY_FILE = "identity.key"


def identity_key() -> bytes:
    """The identity-token key (see module doc)."""
    value = settings.current().identity_key
    if value:
        return value.encode()
    path = Path(var_dir()) / KEY_FILE
    if not path.exists():
        private_dir(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def clients_for_matching(warehouse: Warehouse) -> pd.DataFrame:
    """The client list as every run matches against it: her own names and aliases, the names
    decisions taught (``read_clients_frame``), and the given names rows the matcher linked to her
    in earlier runs stated beside her own (``names_stated_by_matched_rows``), as aliases after them."""
    clients = warehouse.clients_frame()
    with warehouse.engine.connect() as conn:
        matched = model_matched_with_aliases(conn)
    stated = names_stated_by_matched_rows(clients, matched)
    if not stated:
        return clients
    clients = clients.copy()
    aliases = []
    for cid, text in zip(clients["client_id"], clients["aliases"], strict=True):
        own = [a for a in (text or "").split("|") if a]
        known = {a.casefold() for a in own}
        extra = [n for n in stated.get(cid, []) if n.casefold() not in known]
        aliases.append("|".join(own + extra) or None)
    clients["aliases"] = pd.Series(aliases, index=clients.index, dtype=object)
    return clients


def row_identities(persons: pd.DataFrame, links: pd.DataFrame, key: bytes | None = None) -> dict[str, str]:
    """record id -> identity tokens (JSON) of every row with a kept (match / review) pair."""
    if links.empty or persons.empty:
        return {}
    kept = set(links.loc[links["decision"].isin(("match", "review")), "record_id"].astype(str))
    rows = persons[persons["record_id"].astype(str).isin(kept)].drop_duplicates("record_id")
    if rows.empty:
        return {}
    found = identities(rows, key if key is not None else identity_key())
    return {str(r): i.to_json() for r, i in zip(rows["record_id"], found, strict=True)}


def recall(conn: sa.Connection, query: MemoryQuery) -> Iterable[Remembered]:
    """The pairs of ``query`` that earlier decisions about the same youth answer (module doc)."""
    pairs = query.pairs
    if pairs.empty or not query.identities:
        return []
    memory = standing_memory(conn, not_for=set(pairs["client_id"]))
    if not memory:
        return []
    index = _Index(memory)
    out: list[Remembered] = []
    for record_id, own in pairs.groupby("record_id", sort=True):
        ident = Identity.from_json(query.identities.get(record_id))
        if ident is None:
            continue
        agreeing = index.agreeing(ident)
        if not agreeing:
            continue
        is_client = {m.client_id: m for m in agreeing if m.verdict in IS_CLIENT}
        ruled_out = {m.client_id: m for m in agreeing if m.verdict == "not_this_person"}
        candidates = list(own["client_id"])
        model_match = (own["decision"] == "match").any()
        if len(is_client) == 1 and not model_match:
            ((client, m),) = is_client.items()
            if client not in ruled_out:
                verdict = "same_person" if client in candidates else "link_other_client"
                out.append(Remembered(record_id, client, verdict, m.youth_decision_id))
                continue
        matched = set(own.loc[own["decision"] == "match", "client_id"])
        for client in candidates:
            m = ruled_out.get(client)
            if m is not None and client in matched:
                m = next((x for x in agreeing if _overrides_match(ident, x, client)), None)
            if m is not None and client not in is_client:
                out.append(Remembered(record_id, client, "not_this_person", m.youth_decision_id))
    return out


def _overrides_match(ident: Identity, m: Memory, client: str) -> bool:
    """Whether ruling-out memory ``m`` may override the model's confident match of a row to
    ``client``: it rules her out and the two rows share the birthday (module doc)."""
    if m.verdict != "not_this_person" or m.client_id != client:
        return False
    other = Identity.from_json(m.identity)
    return other is not None and same_birthday(ident, other)


class _Index:
    """Memory entries looked up by their DOB and given-name tokens (a same youth shares one)."""

    def __init__(self, memory: list[Memory]) -> None:
        self.entries: list[tuple[Identity, Memory]] = []
        self.by_token: dict[str, list[int]] = defaultdict(list)
        for m in memory:
            ident = Identity.from_json(m.identity)
            if ident is None:
                continue
            k = len(self.entries)
            self.entries.append((ident, m))
            for token in ident.dob | ident.first | ident.last:
                self.by_token[token].append(k)

    def agreeing(self, ident: Identity) -> list[Memory]:
        seen: set[int] = set()
        for token in ident.dob | ident.first | ident.last:
            seen.update(self.by_token.get(token, ()))
        return [m for k in sorted(seen) for other, m in [self.entries[k]] if same_youth(ident, other)]
