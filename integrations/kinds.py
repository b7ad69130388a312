"""The canonical schema: what each kind of source delivers once its agency columns are mapped.

Every source in ``config/sources.yaml`` has a ``kind``. A kind names the canonical tables its
delivery produces, the columns of each (with a type and whether the agency must supply it) and the
table's natural key. Readers, expectation suites, the matcher and the warehouse loader all speak
this schema, so a new agency of a known kind is a config change only.

Every canonical table also carries ``row_number``: the row as the agency sees it in its own file
(CSV: the physical line number, header = line 1; XLSX: the Excel row number on that sheet), so an
error or an alert can point at a row without quoting its contents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["str", "date", "datetime", "int", "list"]

#: Person fields used for matching, in the canonical person schema (see DESIGN.md / issue 3).
#: ``aliases`` is "|"-separated; ``dob`` is a date or missing.
PERSON_COLUMNS: tuple[str, ...] = (
    "record_id",
    "first_name",
    "middle_name",
    "last_name",
    "aliases",
    "dob",
    "sex",
    "race",
    "address",
    "city",
    "zip",
)

#: the person fields without the id (the id column is record_id or client_id by context)
PERSON_FIELDS: tuple[str, ...] = PERSON_COLUMNS[1:]

#: optional column of the matcher's client list: True where the client's given name on an agency's
#: record may be another name of hers (a transgender or non-binary youth's legal name), so a given
#: name unlike hers is no evidence (warehouse.clients.read_clients_frame, matchers/compare.py)
GIVEN_MAY_DIFFER = "given_name_may_differ"

ROW_NUMBER = "row_number"

SEX_CODES = ("F", "M", "X", "U")  # X = non-binary / other, U = unknown
RACE_CODES = (
    "Black",
    "Hispanic",
    "White",
    "Asian",
    "Pacific Islander",
    "Native American",
    "Multiracial",
    "Other",
    "Unknown",
)
CSEC_STATUSES = ("identified", "at_risk")
SUPERVISION_STATUSES = ("informal", "wardship", "probation", "warrant", "pending", "closed")
ALLEGATION_DISPOSITIONS = ("substantiated", "inconclusive", "unfounded", "evaluated_out")
WELFARE_PLACEMENT_TYPES = (
    "foster_home",
    "relative",
    "group_home",
    "str_tp",
    "shelter",
    "guardian",
    "home_of_parent",
)
PROBATION_PLACEMENT_TYPES = (
    "juvenile_hall",
    "camp",
    "group_home",
    "str_tp",
    "home",
    "relative",
    "foster_home",
)


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "str"
    required: bool = True
    #: allowed values (after reader normalisation), checked by the expectation suite
    codes: tuple[str, ...] | None = None
    #: a controlled vocabulary (``integrations.vocabularies``): a value outside it is kept and
    #: warned about (``<table>.<column>.in_vocabulary``); for a list column, each of its items
    vocabulary: str | None = None


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    #: columns whose combination identifies one row of this table
    key: tuple[str, ...]
    #: True when the table's rows describe a person to be matched (carries PERSON_COLUMNS)
    person: bool = False
    #: how a reader names the table (packet, review app, profiles): one description per table
    title: str = ""
    #: the part of a youth's profile it belongs to ("Probation", "Social Services", ...)
    section: str = ""
    #: the column that dates a row: rows dated after an as-of date are not shown; newest first
    event_date: str | None = None
    #: (start, end, columns cleared while not begun): a range that ended after an as-of date is open
    #: on it, and one that had not begun shows neither its dates nor these columns
    open_range: tuple[str, str, tuple[str, ...]] | None = None
    #: the open ranges of one record (same ``record_id``) are episodes that cannot overlap (a youth
    #: lives at one residence, is in one placement at a time): an overlap is warned about
    no_overlap: bool = False
    #: a source may leave this table out (its config does not map it): e.g. a CSV client list has
    #: no residences sheet. Required tables must be mapped and present in every delivery.
    optional: bool = False

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class KindSpec:
    name: str
    tables: tuple[TableSpec, ...]
    description: str = ""
    #: kinds whose persons are matched to the client list (all but the client list itself)
    matched: bool = True
    extra: dict = field(default_factory=dict)

    def table(self, name: str) -> TableSpec:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    @property
    def person_table(self) -> TableSpec:
        return next(t for t in self.tables if t.person)


def _person() -> tuple[Column, ...]:
    return (
        Column("record_id"),
        Column("first_name"),
        Column("middle_name", required=False),
        Column("last_name"),
        Column("aliases", "list", required=False),
        Column("dob", "date", required=False),
        Column("sex", required=False, codes=SEX_CODES),
        Column("race", required=False, codes=RACE_CODES),
        Column("address", required=False),
        Column("city", required=False),
        Column("zip", required=False),
    )


KINDS: dict[str, KindSpec] = {
    k.name: k
    for k in (
        KindSpec(
            "safetynet_clients",
            description="the coordinator's client list (the master list rows are matched to)",
            matched=False,
            tables=(
                TableSpec(
                    "clients",
                    key=("record_id",),
                    person=True,
                    title="SafetyNet client list",
                    section="SafetyNet",
                    columns=(
                        *_person(),
                        Column("gender_identity", required=False),
                        Column("county", required=False),
                        Column("referral_date", "date"),
                        Column("csec_status", codes=CSEC_STATUSES),
                        Column("risk_factors", "list", required=False, vocabulary="risk_factors"),
                        Column("next_meeting", "date", required=False),
                    ),
                ),
                TableSpec(
                    "client_residences",
                    key=("record_id", "start_date"),
                    optional=True,
                    title="Residences",
                    section="SafetyNet",
                    event_date="start_date",
                    open_range=("start_date", "end_date", ()),
                    no_overlap=True,
                    columns=(
                        Column("record_id"),
                        Column("city", required=False),
                        Column("county", required=False),
                        Column("state", vocabulary="us_states"),
                        Column("start_date", "date"),
                        Column("end_date", "date", required=False),
                    ),
                ),
                TableSpec(
                    "client_services",
                    key=("record_id", "service", "start_date"),
                    optional=True,
                    title="Services",
                    section="SafetyNet",
                    event_date="start_date",
                    open_range=("start_date", "end_date", ()),
                    columns=(
                        Column("record_id"),
                        Column("service", vocabulary="services"),
                        Column("provider", required=False, vocabulary="providers"),
                        Column("start_date", "date"),
                        Column("end_date", "date", required=False),
                    ),
                ),
            ),
        ),
        KindSpec(
            "probation",
            description="juvenile probation referrals, supervision and placements (one row per referral)",
            tables=(
                TableSpec(
                    "probation_referrals",
                    key=("referral_id",),
                    person=True,
                    title="Probation referrals, placements",
                    section="Probation",
                    event_date="referral_date",
                    open_range=("placement_start", "placement_end", ("placement_type", "facility")),
                    columns=(
                        *_person(),
                        Column("referral_id"),
                        Column("referral_date", "date"),
                        Column("supervision_status", codes=SUPERVISION_STATUSES),
                        Column("officer", required=False),
                        Column("court", required=False),
                        Column("placement_type", required=False, codes=PROBATION_PLACEMENT_TYPES),
                        Column("facility", required=False),
                        Column("placement_start", "date", required=False),
                        Column("placement_end", "date", required=False),
                    ),
                ),
            ),
        ),
        KindSpec(
            "social_services",
            description="child welfare workbook: clients, referrals with dispositions, placement episodes",
            tables=(
                TableSpec(
                    "welfare_clients",
                    key=("record_id",),
                    person=True,
                    title="Social Services clients",
                    section="Social Services",
                    columns=_person(),
                ),
                TableSpec(
                    "welfare_referrals",
                    key=("referral_id",),
                    title="Social Services referrals",
                    section="Social Services",
                    event_date="referral_date",
                    columns=(
                        Column("referral_id"),
                        Column("record_id"),
                        Column("referral_date", "date"),
                        Column("allegation_type"),
                        Column("disposition", codes=ALLEGATION_DISPOSITIONS),
                    ),
                ),
                TableSpec(
                    "welfare_placements",
                    key=("episode_id",),
                    title="Social Services placements",
                    section="Social Services",
                    event_date="start_date",
                    open_range=("start_date", "end_date", ()),
                    no_overlap=True,
                    columns=(
                        Column("episode_id"),
                        Column("record_id"),
                        Column("placement_type", codes=WELFARE_PLACEMENT_TYPES),
                        Column("start_date", "date"),
                        Column("end_date", "date", required=False),
                    ),
                ),
            ),
        ),
        KindSpec(
            "school_district",
            description="one district's enrolment and attendance (one row per student per school per year)",
            tables=(
                TableSpec(
                    "school_enrollments",
                    key=("record_id", "school", "enroll_start"),
                    person=True,
                    title="School enrolment and attendance",
                    section="Education",
                    event_date="enroll_start",
                    open_range=("enroll_start", "enroll_end", ()),
                    columns=(
                        *_person(),
                        Column("state_ssid", required=False),
                        Column("school"),
                        Column("grade", required=False),
                        Column("school_year", required=False),
                        Column("enroll_start", "date"),
                        Column("enroll_end", "date", required=False),
                        Column("days_enrolled", "int"),
                        Column("days_absent", "int"),
                    ),
                ),
            ),
        ),
        KindSpec(
            "arrest_log",
            description="one police agency's arrest log (one row per booking; charges as free text)",
            tables=(
                TableSpec(
                    "arrests",
                    key=("record_id",),
                    person=True,
                    title="Arrests (bookings)",
                    section="Arrests",
                    event_date="arrest_datetime",
                    columns=(
                        *_person(),  # record_id is the booking number: a booking is one person
                        Column("agency_ori", required=False),
                        Column("arrest_datetime", "datetime"),
                        Column("charges", "list"),
                    ),
                ),
            ),
        ),
    )
}


#: every canonical table by name (a table name is unique across kinds)
TABLES: dict[str, TableSpec] = {t.name: t for k in KINDS.values() for t in k.tables}


def table_spec(name: str) -> TableSpec:
    """The one description of a canonical table: columns, key, title, section, event date, range."""
    try:
        return TABLES[name]
    except KeyError:
        raise ValueError(f"unknown canonical table {name!r}") from None


def kind(name: str) -> KindSpec:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown source kind {name!r}; known kinds: {', '.join(KINDS)}") from None
