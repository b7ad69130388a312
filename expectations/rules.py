"""The validation rules: stable ids, severities and the words an agency data contact reads.

A ``Rule`` is defined once per (kind, table) by ``expectations.suites``; its description and
how-to-fix are templates rendered per source with the agency's own column headers (``{col}``),
so the Probation contact reads "BIRTH_DT" where the schema says ``dob``. Templates only ever
mention headers, code lists and thresholds from the configuration, never a cell of a delivery.

Rule ids are ``<table>.<column>.<check>`` (``probation_referrals.dob.parses``); table-level rules
use ``<table>.<check>`` and delivery-level rules ``delivery.<check>``. They are stored with every
result in the warehouse and named in alerts, so they must not change once released.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from expectations.report import Severity
from integrations.config import SourceConfig

BLOCKING: Severity = "blocking"
WARNING: Severity = "warning"

#: dates that record something that already happened: one in the future is a wrong date (blocking)
EVENT_DATES: tuple[str, ...] = ("referral_date", "placement_start", "start_date", "arrest_datetime")
#: dates that may legitimately be planned: districts pre-enrol students for the coming school year
#: in their summer extracts, and an end date can be a planned end. A future value is only a warning.
PLANNED_DATES: tuple[str, ...] = ("enroll_start", "placement_end", "end_date", "enroll_end")
#: "table.column" exceptions to EVENT_DATES: a service can be booked to start next week
PLANNED_TABLE_DATES: tuple[str, ...] = ("client_services.start_date",)
#: end dates and the start they close
END_DATES: dict[str, str] = {
    "placement_end": "placement_start",
    "end_date": "start_date",
    "enroll_end": "enroll_start",
}

#: the date agencies and old systems write when the real date of birth is unknown
PLACEHOLDER_DOB = date(1900, 1, 1)

#: plausible age range (whole years) per kind. Youth sources: at the delivery date. Child welfare
#: serves newborns, hence 0. Arrest logs hold adults too: the age at the arrest, 10..100.
AGE_RANGES: dict[str, tuple[int, int]] = {
    "safetynet_clients": (5, 30),
    "probation": (5, 30),
    "social_services": (0, 30),
    "school_district": (5, 30),
    "arrest_log": (10, 100),
}

#: SB 439 (2018): no juvenile court jurisdiction under 12 (but for murder and rape) from this date,
#: so a booking of a child under 12 is almost always a wrong date of birth or a wrong person
SB439_FROM = date(2019, 1, 1)
MIN_BOOKING_AGE = 12

#: SB 1322 (2016): PC 647(b) and 653.22 do not apply to minors from this date
SB1322_FROM = date(2017, 1, 1)
#: SB 357 (2022): PC 653.22 repealed for everyone from this date
SB357_FROM = date(2023, 1, 1)

#: row-count band around the median of recent good deliveries
ROW_COUNT_LOW = 0.5
ROW_COUNT_HIGH = 3.0

_TYPE_WORDS = {"date": "a date", "datetime": "a date and time", "int": "a whole number"}


@dataclass(frozen=True)
class Rule:
    rule_id: str
    severity: Severity
    #: templates: ``{col}`` / ``{other}`` = agency headers, ``{codes}`` = agreed codes,
    #: ``{fmt}`` = date layout, ``{where}`` = sheet or file
    description: str
    how_to_fix: str
    table: str | None = None
    column: str | None = None
    other_column: str | None = None

    def render(self, source: SourceConfig | None, **extra: str) -> tuple[str, str]:
        """(description, how_to_fix) in the words of ``source``'s own layout."""
        key_cols = (self.column or "").split(",")
        fields = {
            **{f"k{i}": column_label(source, self.table, c) for i, c in enumerate(key_cols)},
            "col": ", ".join(column_label(source, self.table, c) for c in key_cols) if self.column else "",
            "other": column_label(source, self.table, self.other_column),
            "codes": agency_codes(source, self.table, self.column),
            "fmt": date_layout(source, self.table, self.column),
            "where": where_label(source, self.table),
            "Where": where_label(source, self.table).capitalize(),
            **extra,
        }
        return self.description.format_map(fields), self.how_to_fix.format_map(fields)


# --- labels in the agency's words -----------------------------------------------------------------


def column_label(source: SourceConfig | None, table: str | None, column: str | None) -> str:
    """The agency header(s) of a column, e.g. ``'BIRTH_DT'`` or ``'ARREST_DATE' + 'ARREST_TIME'``."""
    if column is None:
        return ""
    mapping = source.tables.get(table) if source and table else None
    agency = mapping.columns.get(column) if mapping else None
    if agency is None:
        return f"'{column}'"
    cols = [agency] if isinstance(agency, str) else agency
    label = " + ".join(f"'{c}'" for c in cols)
    if mapping is not None and mapping.sheet:
        label += f" (sheet '{mapping.sheet}')"
    return label


def where_label(source: SourceConfig | None, table: str | None) -> str:
    """Where a table lives in the agency's delivery: a worksheet, or the file itself."""
    mapping = source.tables.get(table) if source and table else None
    if mapping is not None and mapping.sheet:
        return f"sheet '{mapping.sheet}'"
    return "the file" if source is not None and source.format == "csv" else f"table '{table}'"


def agency_codes(source: SourceConfig | None, table: str | None, column: str | None) -> str:
    """The agreed codes as the agency writes them (its ``values:`` map), else the canonical codes
    (a controlled vocabulary's from ``config/vocabularies.yaml``)."""
    from integrations.kinds import kind  # local: keeps this module light for the CLI

    if column is None or table is None:
        return ""
    mapping = source.tables.get(table) if source else None
    values = mapping.values.get(column) if mapping else None
    if values:
        return ", ".join(values)
    spec = kind(source.kind).table(table) if source else None
    col = spec.column(column) if spec and column in spec.column_names else None
    if col is not None and col.vocabulary:
        from integrations.vocabularies import vocabulary

        return ", ".join(vocabulary(col.vocabulary).codes)
    return ", ".join((col.codes if col else None) or ())


def date_layout(source: SourceConfig | None, table: str | None, column: str | None) -> str:
    """The agreed date layout in words (``MM/DD/YYYY``), or a neutral phrase when none is set."""
    mapping = source.tables.get(table) if source and table else None
    if mapping is None or column is None:
        return "the agreed date layout"
    is_datetime = column == "arrest_datetime"
    fmt = mapping.datetime_format if is_datetime else mapping.date_format
    if not fmt:
        return "a US date (month first)" if mapping.sheet is None else "an Excel date cell"
    words = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%H": "HH", "%M": "MM", "%S": "SS", "%y": "YY"}
    for k, v in words.items():
        fmt = fmt.replace(k, v)
    return fmt


# --- the rule catalogue ---------------------------------------------------------------------------


def table_present(table: str) -> Rule:
    return Rule(
        f"{table}.present",
        BLOCKING,
        f"The delivery contains the '{table}' table ({{where}}).",
        "Send the delivery with every agreed sheet/table.",
        table,
    )


def has_rows(table: str, severity: Severity) -> Rule:
    return Rule(
        f"{table}.has_rows",
        severity,
        "{Where} has at least one data row.",
        "Check the export's filter and date range; the extract should not be empty.",
        table,
    )


def present(table: str, column: str) -> Rule:
    return Rule(
        f"{table}.{column}.present",
        BLOCKING,
        "Column {col} is present.",
        "Deliver every column of the agreed layout with its exact header.",
        table,
        column,
    )


def not_null(table: str, column: str) -> Rule:
    return Rule(
        f"{table}.{column}.not_null",
        BLOCKING,
        "Every row has a value in column {col}.",
        "Fill in {col} on the listed rows (or remove rows that are not real records).",
        table,
        column,
    )


def unique(table: str, key: tuple[str, ...]) -> Rule:
    if len(key) == 1:
        return Rule(
            f"{table}.{key[0]}.unique",
            BLOCKING,
            "Each value of {col} appears on one row only.",
            "Remove duplicated rows, or give each record its own {col}.",
            table,
            key[0],
        )
    return Rule(
        f"{table}.key.unique",
        BLOCKING,
        "Each combination of "
        + ", ".join(f"{{k{i}}}" for i in range(len(key)))
        + " appears on one row only.",
        "Remove the duplicated rows (all listed rows share their key with another row).",
        table,
        ",".join(key),
    )


def parses(table: str, column: str, col_type: str) -> Rule:
    what = _TYPE_WORDS[col_type]
    fix = (
        "Write {col} as {fmt} on the listed rows."
        if col_type in ("date", "datetime")
        else "Write {col} as a whole number (digits only) on the listed rows."
    )
    return Rule(
        f"{table}.{column}.parses",
        BLOCKING,
        f"Every value in column {{col}} can be read as {what}.",
        fix,
        table,
        column,
    )


def not_in_future(table: str, column: str, severity: Severity) -> Rule:
    return Rule(
        f"{table}.{column}.not_in_future",
        severity,
        "No date in column {col} lies in the future (after the day of the check).",
        "Correct the date on the listed rows; a future date is usually a typo in the year "
        "or a day/month swap.",
        table,
        column,
    )


def end_not_before_start(table: str, end: str, start: str) -> Rule:
    return Rule(
        f"{table}.{end}.not_before_{start}",
        WARNING,
        "Column {col} is not earlier than {other}.",
        "Check both dates on the listed rows; they may be swapped.",
        table,
        end,
        start,
    )


def in_code_set(table: str, column: str) -> Rule:
    return Rule(
        f"{table}.{column}.in_code_set",
        BLOCKING,
        "Every value in column {col} is one of the agreed codes ({codes}).",
        "Use only the agreed codes. If your system has a new code, tell the SafetyNet team so it "
        "can be added to the configuration before the next delivery.",
        table,
        column,
    )


def in_vocabulary(table: str, column: str) -> Rule:
    return Rule(
        f"{table}.{column}.in_vocabulary",
        WARNING,
        "Every value in column {col} is on the agreed list ({codes}); other values are loaded as "
        "written but reports count them as 'Other'.",
        "Use the agreed code on the listed rows. If a new value is needed, ask the SafetyNet team to "
        "add it to config/vocabularies.yaml so that reports count it.",
        table,
        column,
    )


def no_overlap(table: str, start: str, end: str) -> Rule:
    return Rule(
        f"{table}.{start}.no_overlap",
        WARNING,
        "No two rows of the same person in {where} overlap in time ({col} to {other}): one episode "
        "ends before (or on the day) the next begins.",
        "Check the dates of the listed rows: an earlier episode may lack its end date, or a date "
        "may be mistyped.",
        table,
        start,
        end,
    )


def min_booking_age(table: str) -> Rule:
    return Rule(
        f"{table}.dob.min_booking_age",
        WARNING,
        f"Data-quality and identity flag: no one booked on or after {SB439_FROM.isoformat()} is under "
        f"{MIN_BOOKING_AGE} at the arrest (by the date of birth in column {{col}}); since SB 439 the "
        "juvenile court has no jurisdiction under 12 but for the gravest offences, so such a row "
        "usually means a wrong date of birth or a wrong person.",
        "Check the date of birth and the identity of the arrested person on the listed rows.",
        table,
        "dob",
    )


def plausible_age(table: str, kind_name: str) -> Rule:
    low, high = AGE_RANGES[kind_name]
    at = "at the arrest" if kind_name == "arrest_log" else "on the delivery date"
    return Rule(
        f"{table}.dob.plausible_age",
        WARNING,
        f"The date of birth in column {{col}} gives an age {at} between {low} and {high} years.",
        "Check the date of birth on the listed rows (year typos and day/month swaps are common).",
        table,
        "dob",
    )


def placeholder_dob(table: str) -> Rule:
    return Rule(
        f"{table}.dob.placeholder",
        WARNING,
        f"Column {{col}} does not hold the placeholder {PLACEHOLDER_DOB.isoformat()} "
        "(it is treated as a missing date of birth).",
        "Leave the date of birth empty when it is unknown, or fill in the real one.",
        table,
        "dob",
    )


def days_not_negative(table: str, column: str) -> Rule:
    return Rule(
        f"{table}.{column}.not_negative",
        BLOCKING,
        "Column {col} is 0 or more.",
        "Day counts must be 0 or more.",
        table,
        column,
    )


def absent_not_above_enrolled(table: str) -> Rule:
    return Rule(
        f"{table}.days_absent.not_above_days_enrolled",
        BLOCKING,
        "Column {col} is not greater than {other} (a student cannot miss more days than they were enrolled).",
        "Check both day counts on the listed rows.",
        table,
        "days_absent",
        "days_enrolled",
    )


def charges_normalise(table: str) -> Rule:
    return Rule(
        f"{table}.charges.normalises",
        WARNING,
        "Every charge in column {col} has a recognisable code section (such as 'PC 647(b)').",
        "Write each charge with its section number, e.g. '647(b) PC' or 'HS 11350'.",
        table,
        "charges",
    )


def charges_known_code(table: str) -> Rule:
    return Rule(
        f"{table}.charges.known_code",
        WARNING,
        "Every charge in column {col} is under a known code: PC, HS (H&S), VC, WI (W&I) or BP "
        "(B&P); a bare section is read as PC.",
        "Write the code as PC, HS, VC, WI or BP; if the charge is under another code (e.g. a "
        "municipal code), tell the SafetyNet team so it can be added.",
        table,
        "charges",
    )


def sb1322_minor(table: str) -> Rule:
    return Rule(
        f"{table}.charges.sb1322_minor",
        WARNING,
        "Data-quality and identity flag: no one under 18 at the arrest (by the row's date of birth) "
        f"is charged with PC 647(b) or PC 653.22 on or after {SB1322_FROM.isoformat()}; "
        "since SB 1322 these charges do not apply to minors, so such a row usually means a wrong "
        "date of birth or a wrong person.",
        "Check the date of birth and the identity of the arrested person on the listed rows, and the "
        "charge itself; SafetyNet does not take these rows at face value.",
        table,
        "charges",
    )


def sb357_repealed(table: str) -> Rule:
    return Rule(
        f"{table}.charges.sb357_repealed",
        WARNING,
        f"Data-quality flag: no one is charged with PC 653.22 on or after {SB357_FROM.isoformat()}; "
        "SB 357 repealed it.",
        "Check the charge and the arrest date on the listed rows.",
        table,
        "charges",
    )


def client_on_clients_sheet(table: str, clients_table: str) -> Rule:
    return Rule(
        f"{table}.record_id.on_clients_sheet",
        BLOCKING,
        "Every client id in column {col} is on the clients sheet.",
        "Include every client referred to by referrals and placements on the clients sheet.",
        table,
        "record_id",
    )


def row_count_in_range() -> Rule:
    return Rule(
        "delivery.row_count.in_recent_range",
        WARNING,
        "{detail}",
        "If the delivery is incomplete (or duplicated), export it again; if the change is real, "
        "no action is needed.",
    )
