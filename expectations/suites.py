"""One Great Expectations suite per (kind, table), built from the canonical schema in ``integrations.kinds``.

``table_checks`` is the rule list: a generic part driven by the schema (required columns not null,
natural key unique, typed columns parse, codes in their sets, dates not in the future, plausible
ages) plus kind-specific rules (school day counts, arrest charges, social-services client ids).
Each check pairs a ``Rule`` with a builder of its GX expectation; ``table_suite`` materialises the
GX ``ExpectationSuite`` once per process (cached) so every delivery reuses it.

Rules that depend on the run (today, other tables) check helper columns from ``derived``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from expectations import derived, rules
from expectations.gx_runner import context, gx
from expectations.rules import BLOCKING, WARNING, Rule
from integrations.kinds import KINDS, ROW_NUMBER, Column, TableSpec, kind

#: builds one GX expectation from the ``great_expectations.expectations`` module
Builder = Callable[[Any], Any]


@dataclass(frozen=True)
class Check:
    rule: Rule
    build: Builder
    #: helper columns (``derived``) the expectation reads
    helpers: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSuite:
    kind: str
    table: str
    suite: Any  # great_expectations.ExpectationSuite (typed loosely: GX is imported lazily)
    checks: tuple[Check, ...]
    helpers: tuple[str, ...]
    #: columns GX needs (the rest, e.g. names and addresses, is not handed to GX at all)
    columns: tuple[str, ...] = ()
    #: for tables that reference the person table by record_id (social services)
    clients_table: str | None = None


def _clients_table(kind_name: str, table: TableSpec) -> str | None:
    """The person table a non-person table of the same delivery refers to by ``record_id``."""
    spec = kind(kind_name)
    if table.person or "record_id" not in table.column_names:
        return None
    return spec.person_table.name


def _required_not_null(t: str, col: Column) -> Check:
    if col.type in ("date", "datetime", "int"):
        # a value that is there but unreadable is the ``parses`` rule's row, not an empty cell
        def build(E: Any, c: str = col.name) -> Any:
            from great_expectations.expectations.row_conditions import Column as Cond

            return E.ExpectColumnValuesToNotBeNull(column=c, row_condition=Cond(f"_unparsed_{c}").is_null())
    else:

        def build(E: Any, c: str = col.name) -> Any:
            return E.ExpectColumnValuesToNotBeNull(column=c)

    return Check(rules.not_null(t, col.name), build)


def table_checks(kind_name: str, table_name: str) -> tuple[Check, ...]:
    """Every GX-backed check of one canonical table, in report order."""
    spec = kind(kind_name)
    table = spec.table(table_name)
    t = table.name
    names = set(table.column_names)
    checks: list[Check] = [
        Check(
            rules.has_rows(t, BLOCKING if table.person else WARNING),
            lambda E: E.ExpectTableRowCountToBeBetween(min_value=1),
        ),
    ]
    checks += [_required_not_null(t, c) for c in table.columns if c.required]
    key = table.key
    if len(key) == 1:
        checks.append(
            Check(rules.unique(t, key), lambda E, k=key[0]: E.ExpectColumnValuesToBeUnique(column=k))
        )
    else:
        checks.append(
            Check(
                rules.unique(t, key),
                lambda E, k=key: E.ExpectCompoundColumnsToBeUnique(
                    column_list=list(k), ignore_row_if="any_value_is_missing"
                ),
            )
        )
    for c in table.columns:
        if c.type in ("date", "datetime", "int"):
            checks.append(
                Check(
                    rules.parses(t, c.name, c.type),
                    lambda E, n=c.name: E.ExpectColumnValuesToBeNull(column=f"_unparsed_{n}"),
                )
            )
    for c in table.columns:
        if c.codes:
            checks.append(
                Check(
                    rules.in_code_set(t, c.name),
                    lambda E, n=c.name, v=c.codes: E.ExpectColumnValuesToBeInSet(column=n, value_set=list(v)),
                )
            )
    for c in table.columns:
        if c.vocabulary:
            h = derived.unknown_in_vocabulary(c.name)
            checks.append(
                Check(
                    rules.in_vocabulary(t, c.name),
                    lambda E, h=h: E.ExpectColumnValuesToBeBetween(column=h, max_value=0),
                    (h,),
                )
            )
    if table.no_overlap and table.open_range:
        start, end, _ = table.open_range
        checks.append(
            Check(
                rules.no_overlap(t, start, end),
                lambda E: E.ExpectColumnValuesToBeInSet(column=derived.OVERLAP, value_set=[True]),
                (derived.OVERLAP,),
            )
        )
    for c in table.columns:
        planned = c.name in rules.PLANNED_DATES or f"{t}.{c.name}" in rules.PLANNED_TABLE_DATES
        future_severity = WARNING if planned else BLOCKING if c.name in rules.EVENT_DATES else None
        if future_severity is not None:
            h = derived.days_ahead(c.name)
            checks.append(
                Check(
                    rules.not_in_future(t, c.name, future_severity),
                    lambda E, h=h: E.ExpectColumnValuesToBeBetween(column=h, max_value=0),
                    (h,),
                )
            )
    for end, start in rules.END_DATES.items():
        if end in names and start in names:
            checks.append(
                Check(
                    rules.end_not_before_start(t, end, start),
                    lambda E, a=end, b=start: E.ExpectColumnPairValuesAToBeGreaterThanB(
                        column_A=a, column_B=b, or_equal=True, ignore_row_if="either_value_is_missing"
                    ),
                )
            )
    if "dob" in names:
        checks.append(
            Check(
                rules.placeholder_dob(t),
                lambda E: E.ExpectColumnValuesToNotBeInSet(
                    column="dob", value_set=[_placeholder_timestamp()]
                ),
            )
        )
        low, high = rules.AGE_RANGES[kind_name]
        checks.append(
            Check(
                rules.plausible_age(t, kind_name),
                lambda E, lo=low, hi=high: E.ExpectColumnValuesToBeBetween(
                    column=derived.AGE, min_value=lo, max_value=hi
                ),
                (derived.AGE,),
            )
        )
    checks += _kind_specific(kind_name, table)
    return tuple(checks)


def _placeholder_timestamp() -> Any:
    import pandas as pd

    return pd.Timestamp(rules.PLACEHOLDER_DOB)


def _kind_specific(kind_name: str, table: TableSpec) -> list[Check]:
    t = table.name
    out: list[Check] = []
    if kind_name == "school_district" and t == "school_enrollments":
        for c in ("days_enrolled", "days_absent"):
            out.append(
                Check(
                    rules.days_not_negative(t, c),
                    lambda E, c=c: E.ExpectColumnValuesToBeBetween(column=c, min_value=0),
                )
            )
        out.append(
            Check(
                rules.absent_not_above_enrolled(t),
                lambda E: E.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="days_enrolled",
                    column_B="days_absent",
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                ),
            )
        )
    if kind_name == "arrest_log" and t == "arrests":
        out.append(
            Check(
                rules.charges_normalise(t),
                lambda E: E.ExpectColumnValuesToBeBetween(column=derived.CHARGES_UNPARSED, max_value=0),
                (derived.CHARGES_UNPARSED,),
            )
        )
        out.append(
            Check(
                rules.charges_known_code(t),
                lambda E: E.ExpectColumnValuesToBeBetween(column=derived.CHARGES_UNKNOWN_CODE, max_value=0),
                (derived.CHARGES_UNKNOWN_CODE,),
            )
        )
        out.append(
            Check(
                rules.sb1322_minor(t),
                lambda E: E.ExpectColumnValuesToBeInSet(column=derived.SB1322, value_set=[True]),
                (derived.SB1322,),
            )
        )
        out.append(
            Check(
                rules.min_booking_age(t),
                lambda E: E.ExpectColumnValuesToBeInSet(column=derived.BOOKING_AGE_OK, value_set=[True]),
                (derived.BOOKING_AGE_OK,),
            )
        )
        out.append(
            Check(
                rules.sb357_repealed(t),
                lambda E: E.ExpectColumnValuesToBeInSet(column=derived.SB357, value_set=[True]),
                (derived.SB357,),
            )
        )
    clients = _clients_table(kind_name, table)
    if clients is not None:
        out.append(
            Check(
                rules.client_on_clients_sheet(t, clients),
                lambda E: E.ExpectColumnValuesToBeInSet(column=derived.ON_CLIENTS_SHEET, value_set=[True]),
                (derived.ON_CLIENTS_SHEET,),
            )
        )
    return out


def presence_rules(kind_name: str, table_name: str) -> tuple[Rule, ...]:
    """Required columns must exist in the table (checked before GX: a missing column would make
    every expectation on it raise instead of report)."""
    table = kind(kind_name).table(table_name)
    return tuple(rules.present(table.name, c.name) for c in table.columns if c.required)


def all_rules(kind_name: str) -> list[Rule]:
    """Every rule a delivery of this kind is checked against (for docs, the CLI and tests)."""
    out: list[Rule] = []
    for table in kind(kind_name).tables:
        out.append(rules.table_present(table.name))
        out += presence_rules(kind_name, table.name)
        out += [c.rule for c in table_checks(kind_name, table.name)]
    out.append(rules.row_count_in_range())
    return out


@functools.cache
def table_suite(kind_name: str, table_name: str) -> TableSuite:
    """The GX suite of one (kind, table), built once per process."""
    g = gx()
    context()  # a suite needs an active context, even one never saved to a store
    checks = table_checks(kind_name, table_name)
    table = kind(kind_name).table(table_name)
    suite = g.ExpectationSuite(name=f"{kind_name}.{table_name}")
    # row conditions read the ``_unparsed_`` columns; every other column is named in the kwargs
    columns: list[str] = [ROW_NUMBER] + [
        f"_unparsed_{c.name}" for c in table.columns if c.type in ("date", "datetime", "int")
    ]
    for check in checks:
        expectation = check.build(g.expectations)
        expectation.meta = {"rule_id": check.rule.rule_id}
        suite.add_expectation(expectation)
        kwargs = expectation.configuration.kwargs
        columns += [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
        columns += list(kwargs.get("column_list") or ())
    helpers = tuple(dict.fromkeys(h for c in checks for h in c.helpers))
    return TableSuite(
        kind_name,
        table_name,
        suite,
        checks,
        helpers,
        tuple(dict.fromkeys(columns)),
        _clients_table(kind_name, table),
    )


def warm_up(kind_names: tuple[str, ...] | None = None) -> None:
    """Import GX and build the suites ahead of the first delivery (e.g. in a thread at start-up).

    Optional: ``validate`` does the same lazily; this only moves the ~3.5 s GX import off the
    critical path of a run that knows it will validate.
    """
    for name in kind_names or tuple(KINDS):
        for table in kind(name).tables:
            table_suite(name, table.name)
