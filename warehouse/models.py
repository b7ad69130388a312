"""The warehouse schema: SQLAlchemy 2.x models, portable across SQLite and PostgreSQL.

Only Alembic creates or changes these tables (``warehouse/migrations``); a test checks that the
migrated schema and this metadata never drift apart.

Conventions, chosen for portability:

- timestamps are naive UTC ``DateTime`` (SQLite has no time zones; PostgreSQL ``timestamp``);
- coded values are ``String`` plus a named CHECK constraint, not native enums (cheap to extend
  later with a batch migration on SQLite, no ``CREATE TYPE`` on PostgreSQL);
- every constraint and index has a deterministic name (``NAMING_CONVENTION``), so a later
  SQLite batch migration can drop or alter it by name.

The fact tables are generated from ``integrations.kinds``: one table per canonical non-client
table with its non-person columns, plus ``source``, ``record_id`` and ``delivery_id``, unique on
(source, natural key). A new kind therefore needs a migration but no model code.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from integrations.kinds import KINDS, PERSON_COLUMNS, ColumnType, TableSpec

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DELIVERY_STATUSES = ("pending", "quarantined", "loaded")
LINK_DECISIONS = ("match", "review")
DECIDERS = ("model", "human")
REVIEW_STATUSES = ("open", "decided")
HUMAN_DECISIONS = ("same_person", "not_this_person", "link_other_client")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _one_of(column: str, values: tuple[str, ...], name: str | None = None) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=name or column)


def _delivery_fk() -> sa.ForeignKey:
    return sa.ForeignKey("deliveries.id")


# --- runs and deliveries -------------------------------------------------------------------------


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[str] = mapped_column(sa.String)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    status: Mapped[str] = mapped_column(sa.String)  # running | success | failure | ... (pipeline's words)
    summary: Mapped[dict | None] = mapped_column(sa.JSON)


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        sa.UniqueConstraint("source", "sha256"),
        _one_of("status", DELIVERY_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String)
    kind: Mapped[str | None] = mapped_column(sa.String)
    file_name: Mapped[str] = mapped_column(sa.String)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    delivered_on: Mapped[date | None] = mapped_column(sa.Date)
    received_at: Mapped[datetime] = mapped_column(sa.DateTime)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("runs.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String)
    rows_read: Mapped[int] = mapped_column(sa.Integer)
    rows_quarantined: Mapped[int] = mapped_column(sa.Integer)
    records_matched: Mapped[int] = mapped_column(sa.Integer)
    review_items_opened: Mapped[int] = mapped_column(sa.Integer)
    loaded_at: Mapped[datetime | None] = mapped_column(sa.DateTime)


class DqResult(Base):
    __tablename__ = "dq_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(_delivery_fk(), index=True)
    rule_id: Mapped[str] = mapped_column(sa.String)
    description: Mapped[str] = mapped_column(sa.String)
    severity: Mapped[str] = mapped_column(sa.String)
    success: Mapped[bool] = mapped_column(sa.Boolean)
    table_name: Mapped[str | None] = mapped_column(sa.String)
    column_name: Mapped[str | None] = mapped_column(sa.String)
    unexpected_count: Mapped[int] = mapped_column(sa.Integer)
    row_numbers: Mapped[list] = mapped_column(sa.JSON)  # agency row numbers only, never values
    how_to_fix: Mapped[str] = mapped_column(sa.String)


# --- the client list ---------------------------------------------------------------------------


class Client(Base):
    __tablename__ = "clients"

    client_id: Mapped[str] = mapped_column(sa.String, primary_key=True)
    first_name: Mapped[str | None] = mapped_column(sa.String)
    middle_name: Mapped[str | None] = mapped_column(sa.String)
    last_name: Mapped[str | None] = mapped_column(sa.String)
    dob: Mapped[date | None] = mapped_column(sa.Date)
    sex: Mapped[str | None] = mapped_column(sa.String)
    gender_identity: Mapped[str | None] = mapped_column(sa.String)
    race: Mapped[str | None] = mapped_column(sa.String)
    address: Mapped[str | None] = mapped_column(sa.String)
    city: Mapped[str | None] = mapped_column(sa.String)
    county: Mapped[str | None] = mapped_column(sa.String)
    zip: Mapped[str | None] = mapped_column(sa.String)
    referral_date: Mapped[date | None] = mapped_column(sa.Date)
    csec_status: Mapped[str | None] = mapped_column(sa.String)
    next_meeting: Mapped[date | None] = mapped_column(sa.Date)
    active: Mapped[bool] = mapped_column(sa.Boolean)
    delivery_id: Mapped[int | None] = mapped_column(_delivery_fk())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime)


def _client_child(class_name: str, table: str, value_column: str) -> type[Base]:
    """One "|"-list of the client list (aliases, risk factors) as ordered child rows.

    The primary key is (client_id, position), not a surrogate id, so replacing a client's rows with
    the same list leaves the table exactly as it was.
    """
    attrs = {
        "__tablename__": table,
        "client_id": mapped_column(
            sa.String, sa.ForeignKey("clients.client_id", ondelete="CASCADE"), primary_key=True
        ),
        "position": mapped_column(sa.Integer, primary_key=True),
        value_column: mapped_column(sa.String, nullable=False),
        "__annotations__": {"client_id": Mapped[str], "position": Mapped[int], value_column: Mapped[str]},
    }
    return type(class_name, (Base,), attrs)


ClientAlias = _client_child("ClientAlias", "client_aliases", "alias")
ClientRiskFactor = _client_child("ClientRiskFactor", "client_risk_factors", "risk_factor")

#: client-list list column -> (child table, value column)
CLIENT_CHILDREN: dict[str, tuple[sa.Table, str]] = {
    "aliases": (ClientAlias.__table__, "alias"),
    "risk_factors": (ClientRiskFactor.__table__, "risk_factor"),
}


# --- agency persons, links and review ------------------------------------------------------------


class SourcePerson(Base):
    """An agency's person record as the agency wrote it; kept only while it has a match or review link."""

    __tablename__ = "source_persons"
    __table_args__ = (sa.UniqueConstraint("source", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String)
    record_id: Mapped[str] = mapped_column(sa.String)
    first_name: Mapped[str | None] = mapped_column(sa.String)
    middle_name: Mapped[str | None] = mapped_column(sa.String)
    last_name: Mapped[str | None] = mapped_column(sa.String)
    aliases: Mapped[str | None] = mapped_column(sa.String)
    dob: Mapped[date | None] = mapped_column(sa.Date)
    sex: Mapped[str | None] = mapped_column(sa.String)
    race: Mapped[str | None] = mapped_column(sa.String)
    address: Mapped[str | None] = mapped_column(sa.String)
    city: Mapped[str | None] = mapped_column(sa.String)
    zip: Mapped[str | None] = mapped_column(sa.String)
    delivery_id: Mapped[int] = mapped_column(_delivery_fk())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime)
    #: the row's identity as keyed tokens (matchers/identity.py), for "is this the same youth?"
    #: without the values; None when the load was given none
    identity: Mapped[str | None] = mapped_column(sa.Text)


class MatchLink(Base):
    __tablename__ = "match_links"
    __table_args__ = (
        sa.UniqueConstraint("source", "record_id", "client_id"),
        _one_of("decision", LINK_DECISIONS),
        _one_of("decided_by", DECIDERS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String)
    record_id: Mapped[str] = mapped_column(sa.String)
    client_id: Mapped[str] = mapped_column(sa.ForeignKey("clients.client_id"), index=True)
    score: Mapped[float | None] = mapped_column(sa.Float)  # None for a human link the model never proposed
    decision: Mapped[str] = mapped_column(sa.String)
    decided_by: Mapped[str] = mapped_column(sa.String)
    explanation: Mapped[str | None] = mapped_column(sa.Text)  # the matcher's JSON, kept as text
    delivery_id: Mapped[int] = mapped_column(_delivery_fk())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime)


class ReviewItem(Base):
    __tablename__ = "review_items"
    __table_args__ = (
        sa.UniqueConstraint("source", "record_id"),
        _one_of("status", REVIEW_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String)
    record_id: Mapped[str] = mapped_column(sa.String)
    status: Mapped[str] = mapped_column(sa.String)
    best_score: Mapped[float | None] = mapped_column(sa.Float)
    delivery_id: Mapped[int] = mapped_column(_delivery_fk())
    opened_at: Mapped[datetime] = mapped_column(sa.DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime)


class ReviewDecision(Base):
    """Append-only: written by the review app, read (never changed) by loads. Decisions win over the model."""

    __tablename__ = "review_decisions"
    __table_args__ = (
        sa.Index(None, "source", "record_id"),
        _one_of("decision", HUMAN_DECISIONS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String)
    record_id: Mapped[str] = mapped_column(sa.String)
    client_id: Mapped[str | None] = mapped_column(sa.ForeignKey("clients.client_id"))
    decision: Mapped[str] = mapped_column(sa.String)
    decided_by: Mapped[str] = mapped_column(sa.String)  # the reviewer's login
    decided_at: Mapped[datetime] = mapped_column(sa.DateTime)
    note: Mapped[str | None] = mapped_column(sa.Text)


# --- facts, generated from the canonical kinds ---------------------------------------------------

_SA_TYPES: dict[ColumnType, type[sa.types.TypeEngine]] = {
    "str": sa.String,
    "list": sa.Text,  # "|"-joined, as in the extract; arrest charges are also split into arrest_charges
    "date": sa.Date,
    "datetime": sa.DateTime,
    "int": sa.Integer,
}

#: derived columns a fact table adds to its canonical columns
_EXTRA_COLUMNS: dict[str, tuple[tuple[str, sa.types.TypeEngine], ...]] = {
    # absent 10% or more of the days enrolled (DESIGN.md "School districts"); None when unknown
    "school_enrollments": (("chronic_absence", sa.Boolean()),),
}


def fact_specs() -> list[TableSpec]:
    """Every canonical table that becomes a fact table: all but the client list and pure person tables."""
    specs = []
    for k in KINDS.values():
        if not k.matched:
            continue
        for spec in k.tables:
            if fact_columns(spec):
                specs.append(spec)
    return specs


def fact_columns(spec: TableSpec) -> tuple[str, ...]:
    """The canonical columns a fact table keeps: its non-person columns (record_id stays separately)."""
    return tuple(c for c in spec.column_names if c not in PERSON_COLUMNS)


def _fact_table(spec: TableSpec) -> sa.Table:
    cols = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("record_id", sa.String, nullable=False),
    ]
    for name in fact_columns(spec):
        col = spec.column(name)
        # natural-key parts are NOT NULL: a NULL would defeat the unique constraint and duplicate rows
        cols.append(sa.Column(name, _SA_TYPES[col.type](), nullable=name not in spec.key))
    cols += [sa.Column(name, type_) for name, type_ in _EXTRA_COLUMNS.get(spec.name, ())]
    cols += [
        sa.Column("delivery_id", sa.Integer, sa.ForeignKey("deliveries.id"), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    ]
    args: list = [sa.UniqueConstraint("source", *spec.key)]
    if spec.key[0] != "record_id":  # lookups and purges go by (source, record_id)
        args.append(sa.Index(None, "source", "record_id"))
    return sa.Table(spec.name, Base.metadata, *cols, *args)


FACT_TABLES: dict[str, sa.Table] = {spec.name: _fact_table(spec) for spec in fact_specs()}


def client_table_specs() -> list[TableSpec]:
    """The client list's other tables (dated residences, services): rows about a listed client."""
    return [t for k in KINDS.values() if not k.matched for t in k.tables if not t.person]


def client_table_columns(spec: TableSpec) -> tuple[str, ...]:
    """The canonical columns a client-list side table keeps (``record_id`` is the ``client_id``)."""
    return tuple(c for c in spec.column_names if c != "record_id")


def _client_table(spec: TableSpec) -> sa.Table:
    """A client-list side table, replaced per client with every list delivery like the "|"-lists:
    (client_id, position) is the key, the list's order (by start date) the position. Values are
    nullable: the expectation suite, not the schema, says what the coordinator must fill in."""
    cols = [
        sa.Column(
            "client_id",
            sa.String,
            sa.ForeignKey("clients.client_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, primary_key=True),
    ]
    cols += [sa.Column(n, _SA_TYPES[spec.column(n).type]()) for n in client_table_columns(spec)]
    return sa.Table(spec.name, Base.metadata, *cols)


#: canonical client-list side table -> its table (``client_residences``, ``client_services``)
CLIENT_TABLES: dict[str, sa.Table] = {spec.name: _client_table(spec) for spec in client_table_specs()}


class ArrestCharge(Base):
    """One charge of a booking, normalised by ``integrations.charges.normalise_charge``."""

    __tablename__ = "arrest_charges"

    arrest_id: Mapped[int] = mapped_column(sa.ForeignKey("arrests.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    charge_text: Mapped[str] = mapped_column(sa.String)
    code: Mapped[str | None] = mapped_column(sa.String)
    section: Mapped[str | None] = mapped_column(sa.String)


# --- alerts (issue 4): what agency contacts and the operator were told, and whether it went out ----

ALERT_CATEGORIES = ("quarantine", "warnings", "overdue", "run_failure")
ALERT_MESSAGE_KINDS = ("problem", "resolved")
ALERT_MESSAGE_STATUSES = ("pending", "sent")


class AlertProblem(Base):
    """One problem worth telling someone about: a failed delivery, an overdue source, a failed run.

    ``problem_key`` identifies it across re-runs (``delivery:<source>:<sha256>``,
    ``overdue:<source>:<last delivery date>``, ``run_failure:<dagster run id>``), so the same
    problem is never announced twice. Quarantines and overdue sources are resolved by a later
    good delivery (``resolved_at``), which sends a short "resolved" message.
    """

    __tablename__ = "alert_problems"
    __table_args__ = (
        sa.UniqueConstraint("problem_key"),
        _one_of("category", ALERT_CATEGORIES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_key: Mapped[str] = mapped_column(sa.String)
    category: Mapped[str] = mapped_column(sa.String)
    source: Mapped[str | None] = mapped_column(sa.String, index=True)
    delivery_id: Mapped[int | None] = mapped_column(_delivery_fk())
    opened_at: Mapped[datetime] = mapped_column(sa.DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    resolved_by_delivery_id: Mapped[int | None] = mapped_column(_delivery_fk())


class AlertMessage(Base):
    """One e-mail to one recipient about one problem; ``pending`` until the transport accepted it.

    Subject and body are stored as sent: they carry source, file, rules, counts and row numbers,
    never client data. A message that failed to send stays ``pending`` and is retried next run.
    """

    __tablename__ = "alert_messages"
    __table_args__ = (
        sa.UniqueConstraint("problem_id", "kind", "recipient"),
        _one_of("kind", ALERT_MESSAGE_KINDS),
        _one_of("status", ALERT_MESSAGE_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(sa.ForeignKey("alert_problems.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String)
    recipient: Mapped[str] = mapped_column(sa.String)
    subject: Mapped[str] = mapped_column(sa.String)
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String)
    attempts: Mapped[int] = mapped_column(sa.Integer)
    #: the last failure's exception type only (an SMTP reply could echo addresses; nothing more)
    last_error: Mapped[str | None] = mapped_column(sa.String)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime)


# --- review app: accounts, sessions, audit log, undo (issue 5) -----------------------------------

USER_ROLES = ("coordinator", "analyst", "admin")


class ReviewUser(Base):
    """A review-app account. The password is an argon2 hash; the TOTP secret is the second factor.

    Lockout state lives on the account: ``failed_logins`` counts consecutive failures and
    ``locked_until`` refuses every login (even a correct one) until it passes.
    """

    __tablename__ = "review_users"
    __table_args__ = (sa.UniqueConstraint("username"), _one_of("role", USER_ROLES))

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64))
    role: Mapped[str] = mapped_column(sa.String)
    password_hash: Mapped[str] = mapped_column(sa.String)
    totp_secret: Mapped[str] = mapped_column(sa.String)
    #: the last TOTP time step accepted: a code is good once (no replay within its 30 s window)
    totp_last_step: Mapped[int | None] = mapped_column(sa.Integer)
    active: Mapped[bool] = mapped_column(sa.Boolean)
    failed_logins: Mapped[int] = mapped_column(sa.Integer)
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime)


class ReviewSession(Base):
    """A server-side login session. The cookie holds a random token; only its SHA-256 is stored here,
    so a copy of the database cannot be replayed as a cookie."""

    __tablename__ = "review_sessions"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("review_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(sa.DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime)  # logout or expiry
    #: review items this session skipped ("skip for now"), JSON list of item ids
    skipped: Mapped[list | None] = mapped_column(sa.JSON)


class AuditEntry(Base):
    """Append-only (UPDATE and DELETE are refused by triggers, see migration 0003): who did what, when,
    to which subject, with which outcome. ``client_ids`` (space-padded, " C1 C2 ") names every client
    whose data the action showed or changed, for the per-client export."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index(None, "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime)
    username: Mapped[str | None] = mapped_column(sa.String(64))  # None: no one logged in (forged cookie)
    action: Mapped[str] = mapped_column(sa.String)
    subject_type: Mapped[str | None] = mapped_column(sa.String)
    subject_id: Mapped[str | None] = mapped_column(sa.String)
    client_ids: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str] = mapped_column(sa.String)
    detail: Mapped[str | None] = mapped_column(sa.Text)  # never a name, DOB or free text typed by a user
    remote_addr: Mapped[str | None] = mapped_column(sa.String)


class ReviewUndo(Base):
    """Append-only: a review decision taken back. Replays of ``review_decisions`` skip undone ones."""

    __tablename__ = "review_undos"

    decision_id: Mapped[int] = mapped_column(sa.ForeignKey("review_decisions.id"), primary_key=True)
    undone_by: Mapped[str] = mapped_column(sa.String)
    undone_at: Mapped[datetime] = mapped_column(sa.DateTime)


class ReviewDecisionLink(Base):
    """The record's links as they stood just before a decision, so an undo can put them back
    (scores and the matcher's explanations: no person data)."""

    __tablename__ = "review_decision_links"

    decision_id: Mapped[int] = mapped_column(sa.ForeignKey("review_decisions.id"), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String, primary_key=True)
    score: Mapped[float | None] = mapped_column(sa.Float)
    decision: Mapped[str] = mapped_column(sa.String)
    decided_by: Mapped[str] = mapped_column(sa.String)
    explanation: Mapped[str | None] = mapped_column(sa.Text)
    delivery_id: Mapped[int] = mapped_column(sa.Integer)


class ClientRef(Base):
    """An opaque, random reference per client for the review app's URLs (no client id in a URL)."""

    __tablename__ = "client_refs"
    __table_args__ = (sa.UniqueConstraint("ref"),)

    client_id: Mapped[str] = mapped_column(
        sa.ForeignKey("clients.client_id", ondelete="CASCADE"), primary_key=True
    )
    ref: Mapped[str] = mapped_column(sa.String(32))


# --- history, sealing (issue 6; migration 0004_history) ------------------------------------------


#: every fact table also says since when (delivery date) its current row has been in force
for _table in FACT_TABLES.values():
    _table.append_column(sa.Column("valid_from", sa.Date))


class FactVersion(Base):
    """SCD-2 history: every version of every fact (and of every client-list row) with its validity.

    ``valid_from``/``valid_to`` are delivery dates (the agency's extract date): a version is what the
    agency said from ``valid_from`` until the delivery that changed it (``valid_to``, exclusive;
    None = still in force). ``fact_key`` is the natural key of the row ("|"-joined), ``data`` its
    canonical columns as JSON text (text, not JSON, so it takes the bulk COPY/executemany path).
    """

    __tablename__ = "fact_versions"
    __table_args__ = (
        sa.Index(None, "table_name", "source", "fact_key"),
        sa.Index(None, "source", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(sa.String)
    source: Mapped[str] = mapped_column(sa.String)
    record_id: Mapped[str] = mapped_column(sa.String)
    fact_key: Mapped[str] = mapped_column(sa.String)
    data: Mapped[str] = mapped_column(sa.Text)
    data_hash: Mapped[str] = mapped_column(sa.String(40))
    delivery_id: Mapped[int] = mapped_column(_delivery_fk(), index=True)
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_to: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)


class SealedRecord(Base):
    """A sealing notice carried out: the tombstone that keeps the record out of later deliveries.

    Append-only, and the audit of the seal at the same time. The record id itself is not kept: only
    a SHA-256 of (source, record id), enough to recognise the record when an agency sends it again.
    """

    __tablename__ = "sealed_records"
    __table_args__ = (sa.UniqueConstraint("source", "record_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String)
    record_hash: Mapped[str] = mapped_column(sa.String(64))
    sealed_at: Mapped[datetime] = mapped_column(sa.DateTime)
    sealed_by: Mapped[str] = mapped_column(sa.String)
    reference: Mapped[str | None] = mapped_column(sa.String)  # the court order / notice number
    removed: Mapped[dict] = mapped_column(sa.JSON)  # rows removed per table (counts only)


# --- sealing meets the append-only review tables -------------------------------------------------


class PurgePermit(Base):
    """A sealing notice's permission to delete one record's append-only review rows.

    ``review_decisions`` and ``review_undos`` refuse DELETE (migration 0003) unless a permit for the
    record exists; ``warehouse.sealing`` writes the permit, purges and deletes the permit in one
    transaction, so a permit is never visible outside it and no other code path can delete history.
    """

    __tablename__ = "purge_permits"

    source: Mapped[str] = mapped_column(sa.String, primary_key=True)
    record_id: Mapped[str] = mapped_column(sa.String, primary_key=True)


# --- one decision per youth, remembered; learned names (issue 17; migration 0008_review_memory) ----

YOUTH_DECISIONS = (*HUMAN_DECISIONS, "none_of_these")


class ReviewYouthDecision(Base):
    """One coordinator decision about one youth: the rows of a review item decided together.

    Each row's part is an ordinary ``review_decisions`` row (``ReviewYouthRow`` ties them together);
    later rows of the same youth that the decision answered are added to it (``remembered``).
    Undoing it undoes every row's decision. ``client_id`` is None for "none of these clients".
    """

    __tablename__ = "review_youth_decisions"
    __table_args__ = (_one_of("decision", YOUTH_DECISIONS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str | None] = mapped_column(sa.ForeignKey("clients.client_id"), index=True)
    decision: Mapped[str] = mapped_column(sa.String)
    decided_by: Mapped[str] = mapped_column(sa.String)
    decided_at: Mapped[datetime] = mapped_column(sa.DateTime)
    #: the review item the coordinator decided it on (None: from a client's profile)
    item_id: Mapped[int | None] = mapped_column(sa.Integer)


class ReviewYouthRow(Base):
    """A row's decision as part of a youth's decision, with the row's identity tokens as decided:
    the memory a later row of the same youth is recognised by (the row itself may have left)."""

    __tablename__ = "review_youth_rows"

    decision_id: Mapped[int] = mapped_column(sa.ForeignKey("review_decisions.id"), primary_key=True)
    youth_decision_id: Mapped[int] = mapped_column(sa.ForeignKey("review_youth_decisions.id"), index=True)
    #: True: applied by a later load to a row that agreed with the decided youth (not asked again)
    remembered: Mapped[bool] = mapped_column(sa.Boolean)
    identity: Mapped[str | None] = mapped_column(sa.Text)


LEARNED_NAME_KINDS = ("given_name", "alias")


class ClientLearnedName(Base):
    """A name a "same person" decision taught about a client (her legal name, a street name), used
    by every later run as one of her aliases. Client data: shown and removable on her page, gone
    with a sealed origin record or an undone decision."""

    __tablename__ = "client_learned_names"
    __table_args__ = (_one_of("kind", LEARNED_NAME_KINDS), sa.Index(None, "source", "record_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.ForeignKey("clients.client_id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String)
    kind: Mapped[str] = mapped_column(sa.String)
    youth_decision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("review_youth_decisions.id"))
    #: the agency row that stated it (sealing that row removes the name)
    source: Mapped[str] = mapped_column(sa.String)
    record_id: Mapped[str] = mapped_column(sa.String)
    learned_at: Mapped[datetime] = mapped_column(sa.DateTime)
    removed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    removed_by: Mapped[str | None] = mapped_column(sa.String)


# --- packets on disk (issue 15 part 5; migration 0010_packet_files) -------------------------------


class PacketFile(Base):
    """A packet file written to disk (HTML, PDF, XLSX) and one youth it shows: the index a seal
    follows to every packet that may carry the sealed record (``warehouse/packet_files.py``).
    No foreign key to ``clients``: a youth taken off the list is still in the packets printed before."""

    __tablename__ = "packet_files"
    __table_args__ = (sa.UniqueConstraint("path", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(sa.Text)
    meeting: Mapped[date] = mapped_column(sa.Date)
    client_id: Mapped[str] = mapped_column(sa.String, index=True)
    written_at: Mapped[datetime] = mapped_column(sa.DateTime)
