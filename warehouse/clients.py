"""The SafetyNet client list: upsert, child lists, inactivation, and the matcher's view of it."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd
import sqlalchemy as sa

from integrations.kinds import GIVEN_MAY_DIFFER, PERSON_COLUMNS, KindSpec
from warehouse.frames import chunks, columns, ids
from warehouse.learned_names import active_names
from warehouse.models import CLIENT_CHILDREN, CLIENT_TABLES, Client, client_table_columns
from warehouse.upsert import insert, upsert

log = logging.getLogger(__name__)

#: client-list columns stored on ``clients`` (the list columns go to child tables)
CLIENT_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "dob",
    "sex",
    "gender_identity",
    "race",
    "address",
    "city",
    "county",
    "zip",
    "referral_date",
    "csec_status",
    "next_meeting",
)


def write_clients(
    conn: sa.Connection,
    *,
    spec: KindSpec,
    frame: pd.DataFrame,
    delivery_id: int,
    now: object,
    side_tables: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, int]:
    """Upsert the whole client list; replace each listed client's child rows; inactivate the others.

    ``side_tables``: the delivery's other client-list tables (residences, services); a table the
    delivery does not carry (a CSV list has no sheets) leaves its stored rows as they are.
    Returns the rows written per table.
    """
    table_spec = spec.table("clients")
    df = frame.assign(record_id=ids(frame["record_id"]))
    df = df[df["record_id"].notna()]
    df = df.drop_duplicates("record_id", keep="last")
    types = {"client_id": "str", **{c: table_spec.column(c).type for c in CLIENT_FIELDS}, "active": "bool"}
    df["client_id"] = df["record_id"]
    df["active"] = True
    clients = Client.__table__
    upsert(
        conn, clients, columns(df, types, {"delivery_id": delivery_id, "updated_at": now}), key=("client_id",)
    )
    counts = {"clients": len(df)}

    listed = list(df["client_id"])
    for column, (child, value_col) in CLIENT_CHILDREN.items():
        # replaced wholesale: (client_id, position) is the key, so the same list leaves the same rows
        for batch in chunks(listed):
            conn.execute(sa.delete(child).where(child.c.client_id.in_(batch)))
        child_rows = [
            (cid, pos, value)
            for cid, text in zip(df["client_id"], df[column].astype(object), strict=True)
            if isinstance(text, str)
            for pos, value in enumerate((v.strip() for v in text.split("|") if v.strip()), start=1)
        ]
        names = ("client_id", "position", value_col)
        if child_rows:
            insert(conn, child, dict(zip(names, map(list, zip(*child_rows, strict=True)), strict=True)))
        counts[child.name] = len(child_rows)

    for name, rows in (side_tables or {}).items():
        counts[name] = _replace_side_rows(conn, spec, name, rows, listed)

    # clients no longer on the list stay (links and decisions point at them) but become inactive
    active = set(conn.execute(sa.select(clients.c.client_id).where(clients.c.active)).scalars())
    gone = sorted(active - set(listed))
    for batch in chunks(gone):
        conn.execute(
            sa.update(clients).where(clients.c.client_id.in_(batch)).values(active=False, updated_at=now)
        )
    if gone:
        log.info("delivery %s: %d clients no longer on the list, now inactive", delivery_id, len(gone))
    return counts


def _replace_side_rows(
    conn: sa.Connection, spec: KindSpec, name: str, rows: pd.DataFrame, listed: list[str]
) -> int:
    """Replace the listed clients' rows of one side table (in start-date order: the position)."""
    table, table_spec = CLIENT_TABLES[name], spec.table(name)
    for batch in chunks(listed):
        conn.execute(sa.delete(table).where(table.c.client_id.in_(batch)))
    df = rows.assign(client_id=ids(rows["record_id"]))
    df = df[df["client_id"].isin(set(listed))]  # rows of a client not on the list: nowhere to hang
    if table_spec.event_date:
        df = df.sort_values(["client_id", table_spec.event_date], kind="stable", na_position="last")
    df = df.drop_duplicates(list(table_spec.key), keep="last")
    df["position"] = df.groupby("client_id").cumcount() + 1
    names = client_table_columns(table_spec)
    types = {"client_id": "str", "position": "int", **{n: table_spec.column(n).type for n in names}}
    if len(df):
        insert(conn, table, columns(df, types))
    return len(df)


#: words of a listed gender identity saying that agency records may carry either sex marker
_EITHER_MARKER = r"trans|non.?binary|genderqueer|gender.?fluid|agender|two.?spirit"


def _either_marker(gender_identity: pd.Series) -> pd.Series:
    """Whether a listed gender identity says agency records may carry either sex marker."""
    return gender_identity.astype("string").str.contains(_EITHER_MARKER, case=False, regex=True).fillna(False)


def read_clients_frame(conn: sa.Connection, learned: bool = True) -> pd.DataFrame:
    """Active clients in the person schema with ``client_id`` (aliases "|"-joined, dob datetime64),
    and ``given_name_may_differ`` (a transgender or non-binary client: see below).

    With ``learned`` (the default: what the matcher gets), the names decisions taught about a client
    (``warehouse.learned_names``) follow her own aliases.
    """
    c = Client.__table__
    fields = [f for f in PERSON_COLUMNS if f not in ("record_id", "aliases")]
    rows = conn.execute(
        sa.select(c.c.client_id, *[c.c[f] for f in fields], c.c.gender_identity)
        .where(c.c.active)
        .order_by(c.c.client_id)
    ).all()
    frame = pd.DataFrame(
        [tuple(r) for r in rows], columns=["client_id", *fields, "gender_identity"], dtype=object
    )
    # A transgender or non-binary youth's agency rows carry either sex marker (a legal name and birth
    # sex beside her own name and gender on the list): for her the marker is no evidence either way,
    # so the matcher gets none. Otherwise her legal-name row reads as an opposite-sex twin and is
    # ruled out without a person ever seeing it.
    either = _either_marker(frame.pop("gender_identity"))
    frame.loc[either, "sex"] = None
    # ... and her agency rows may carry her legal given name: another name of hers, not a typo
    # (matchers.standardise.GIVEN_MAY_DIFFER). Without it, in an extract that also holds her row
    # under her own name, the legal-name row read as her relative and was never shown to a person.
    frame[GIVEN_MAY_DIFFER] = either.to_numpy(dtype=bool)
    aliases_table, value_col = CLIENT_CHILDREN["aliases"]
    aliases: dict[str, list[str]] = {}
    for cid, alias in conn.execute(
        sa.select(aliases_table.c.client_id, aliases_table.c[value_col])
        .join(c, c.c.client_id == aliases_table.c.client_id)
        .where(c.c.active)
        .order_by(aliases_table.c.client_id, aliases_table.c.position)
    ):
        aliases.setdefault(cid, []).append(alias)
    if learned:
        for cid, names in active_names(conn).items():
            own = {a.casefold() for a in aliases.get(cid, [])}
            extra = [n["name"] for n in names if n["name"].casefold() not in own]
            if extra:
                aliases.setdefault(cid, []).extend(extra)
    # object dtype keeps None for "no aliases" (pandas 3 would otherwise infer str with NaN)
    frame["aliases"] = pd.Series(
        [("|".join(aliases[cid]) if cid in aliases else None) for cid in frame["client_id"]],
        index=frame.index,
        dtype=object,
    )
    frame["dob"] = pd.to_datetime(frame["dob"], errors="coerce").astype("datetime64[ns]")
    return frame[["client_id", *[f for f in PERSON_COLUMNS if f != "record_id"], GIVEN_MAY_DIFFER]]
