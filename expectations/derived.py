"""Helper columns the suites check, computed vectorised in pandas before the one GX run per table.

Some rules depend on the day of the check (future dates), on another column or table (age at the
arrest, client ids on the Clients sheet) or on parsing free text (charges). GX expectations are
per-column or per-pair, so we derive one column per such rule and let a plain GX expectation
check it. Suites stay static (cached per kind and table); only these columns change per run.

Helper columns start with ``_chk_`` and never leave validation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from expectations import rules
from integrations.charges import normalise_charge, unknown_code
from integrations.kinds import ROW_NUMBER, TableSpec

AGE = "_chk_age"
CHARGES_UNPARSED = "_chk_charges_unparsed"
CHARGES_UNKNOWN_CODE = "_chk_charges_unknown_code"
SB1322 = "_chk_sb1322_minor"
SB357 = "_chk_sb357_repealed"
ON_CLIENTS_SHEET = "_chk_on_clients_sheet"
BOOKING_AGE_OK = "_chk_booking_age_ok"
OVERLAP = "_chk_overlap"
_DAYS_AHEAD = "_chk_days_ahead__"
_VOCAB = "_chk_unknown__"


def unknown_in_vocabulary(column: str) -> str:
    """Helper column: how many of the row's values in ``column`` are outside its vocabulary."""
    return f"{_VOCAB}{column}"


def days_ahead(column: str) -> str:
    """Helper column: days the date lies after the day of the check (NaN when missing)."""
    return f"{_DAYS_AHEAD}{column}"


@dataclass(frozen=True)
class RunContext:
    """What a run knows besides the table: the day of the check and the delivery's other tables."""

    today: date
    #: the date ages are computed at for youth sources (the delivery date, else today)
    as_of: date
    kind: str
    tables: dict[str, pd.DataFrame]


def _as_datetime(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    return pd.to_datetime(series, errors="coerce")


def whole_years(born: pd.Series, at: pd.Series | pd.Timestamp) -> pd.Series:
    """Age in whole years (birthday counted on the day), NaN where either date is missing."""
    born = _as_datetime(born)
    if isinstance(at, pd.Timestamp):
        at_year, at_md = at.year, at.month * 100 + at.day
    else:
        at = _as_datetime(at)
        at_year, at_md = at.dt.year, at.dt.month * 100 + at.dt.day
    years = at_year - born.dt.year - ((born.dt.month * 100 + born.dt.day) > at_md).astype("float64")
    return years.astype("float64")


def _dob(frame: pd.DataFrame) -> pd.Series:
    """Date of birth with the 1900-01-01 placeholder treated as missing."""
    dob = _as_datetime(frame["dob"])
    return dob.where(dob != pd.Timestamp(rules.PLACEHOLDER_DOB))


def age_column(frame: pd.DataFrame, ctx: RunContext) -> pd.Series:
    if ctx.kind == "arrest_log":
        return whole_years(_dob(frame), _as_datetime(frame["arrest_datetime"]))
    return whole_years(_dob(frame), pd.Timestamp(ctx.as_of))


def days_ahead_column(frame: pd.DataFrame, column: str, ctx: RunContext) -> pd.Series:
    values = _as_datetime(frame[column]).dt.normalize()
    return ((values - pd.Timestamp(ctx.today)) / pd.Timedelta(days=1)).astype("float64")


def _charge_flags(joined: str) -> tuple[float, bool, bool, float]:
    """(charges without a section, has PC 647(b), has PC 653.22, charges under an unknown code)
    for one "|"-joined charges cell."""
    unparsed, p647b, p65322, unknown = 0, False, False, 0
    for text in joined.split("|"):
        if not text.strip():
            continue
        unknown += unknown_code(text)
        code, section = normalise_charge(text)
        if section is None:
            unparsed += 1
        elif code == "PC":
            p647b = p647b or section.startswith("647(b)")
            p65322 = p65322 or section.startswith("653.22")
    return float(unparsed), p647b, p65322, float(unknown)


def charge_columns(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Unparseable charges per row, and the SB 1322 / SB 357 flags, from the "|"-joined charges.

    ``normalise_charge`` is a regex per charge; charge cells repeat a lot (a 500,000-row log has a
    few thousand distinct cells), so it runs once per distinct cell and numpy maps the results back.
    """
    codes, uniques = pd.factorize(frame["charges"], use_na_sentinel=True)
    flags = np.array([_charge_flags(str(u)) for u in uniques], dtype=float).reshape(-1, 4)
    # one extra row for missing charges (code -1): no count (the not_null rule's business), no flags
    flags = np.vstack([flags, [np.nan, 0.0, 0.0, np.nan]])
    per_row = flags[codes]  # codes == -1 picks the extra last row
    index = frame.index
    n_unparsed = pd.Series(per_row[:, 0], index=index)
    has_647b = per_row[:, 1] > 0
    has_65322 = per_row[:, 2] > 0

    when = _as_datetime(frame["arrest_datetime"])
    age = whole_years(_dob(frame), when)
    minor = (age < 18).to_numpy(dtype=bool, na_value=False)
    after_1322 = (when >= pd.Timestamp(rules.SB1322_FROM)).to_numpy(dtype=bool, na_value=False)
    after_357 = (when >= pd.Timestamp(rules.SB357_FROM)).to_numpy(dtype=bool, na_value=False)
    # flags as "row is fine" booleans: the suite expects every value in {True}
    sb1322_ok = pd.Series(~(minor & after_1322 & (has_647b | has_65322)), index=index)
    sb357_ok = pd.Series(~(after_357 & has_65322), index=index)
    n_unknown = pd.Series(per_row[:, 3], index=index)
    return {CHARGES_UNPARSED: n_unparsed, SB1322: sb1322_ok, SB357: sb357_ok, CHARGES_UNKNOWN_CODE: n_unknown}


def on_clients_sheet(frame: pd.DataFrame, ctx: RunContext, clients_table: str) -> pd.Series:
    """True where the row's client id is on the clients sheet; None where the id is missing
    (a missing id is the ``not_null`` rule's business, not this one's)."""
    clients = ctx.tables.get(clients_table)
    known = clients["record_id"].dropna().astype(str).unique() if clients is not None else []
    ids = frame["record_id"]
    ok = pd.array(ids.astype(object).isin(known), dtype="boolean")
    ok[ids.isna().to_numpy()] = pd.NA
    return pd.Series(ok, index=frame.index)


def vocabulary_column(frame: pd.DataFrame, column: str, vocabulary_name: str) -> pd.Series:
    """Values of ``column`` outside the vocabulary, per row (items of a "|"-list each count); NaN
    where the cell is empty (an empty cell is the ``not_null`` rule's business, if any)."""
    from integrations.vocabularies import vocabulary

    vocab = vocabulary(vocabulary_name)
    codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
    per_unique = np.array(
        [sum(not vocab.known(v.strip()) for v in str(u).split("|") if v.strip()) for u in uniques] + [np.nan],
        dtype=float,
    )
    return pd.Series(per_unique[codes], index=frame.index)


def overlap_column(frame: pd.DataFrame, start: str, end: str) -> pd.Series:
    """True where a row's range overlaps another row of the same ``record_id`` (an open end runs
    on for ever; ending on the day the next begins is no overlap); None where the start is missing.

    Sorted by (record, start): a row overlaps when it starts before the latest end of the rows
    before it, or ends after the next row starts.
    """
    work = pd.DataFrame(
        {
            "rec": frame["record_id"].astype(object),
            "start": _as_datetime(frame[start]),
            "end": _as_datetime(frame[end]).fillna(pd.Timestamp.max),
        },
        index=frame.index,
    )
    dated = work[work["start"].notna() & work["rec"].notna()].sort_values(["rec", "start"], kind="stable")
    group = dated.groupby("rec", sort=False)
    reach = group["end"].cummax().groupby(dated["rec"]).shift(1)
    after = group["start"].shift(-1)
    hit = (dated["start"] < reach).fillna(False) | (dated["end"] > after).fillna(False)
    out = pd.array([pd.NA] * len(frame), dtype="boolean")
    flags = pd.Series(out, index=frame.index)
    flags[hit.index] = ~hit.to_numpy(dtype=bool)  # "row is fine": the suite expects {True}
    return flags


def booking_age_column(frame: pd.DataFrame) -> pd.Series:
    """False where someone under ``MIN_BOOKING_AGE`` was booked on or after SB 439 (2019)."""
    when = _as_datetime(frame["arrest_datetime"])
    age = whole_years(_dob(frame), when)
    young = (age < rules.MIN_BOOKING_AGE).to_numpy(dtype=bool, na_value=False)
    since = (when >= pd.Timestamp(rules.SB439_FROM)).to_numpy(dtype=bool, na_value=False)
    return pd.Series(~(young & since), index=frame.index)


def add_helpers(
    frame: pd.DataFrame,
    helpers: tuple[str, ...],
    ctx: RunContext,
    clients_table: str | None = None,
    table: TableSpec | None = None,
) -> pd.DataFrame:
    """``frame`` plus the named helper columns (a new frame; the extract is never modified)."""
    new: dict[str, pd.Series] = {}
    for name in helpers:
        if name in new:
            continue
        if name == AGE:
            new[AGE] = age_column(frame, ctx)
        elif name.startswith(_DAYS_AHEAD):
            new[name] = days_ahead_column(frame, name[len(_DAYS_AHEAD) :], ctx)
        elif name in (CHARGES_UNPARSED, SB1322, SB357, CHARGES_UNKNOWN_CODE):
            new.update(charge_columns(frame))
        elif name == ON_CLIENTS_SHEET:
            assert clients_table is not None
            new[name] = on_clients_sheet(frame, ctx, clients_table)
        elif name == BOOKING_AGE_OK:
            new[name] = booking_age_column(frame)
        elif name == OVERLAP:
            assert table is not None and table.open_range is not None
            new[name] = overlap_column(frame, table.open_range[0], table.open_range[1])
        elif name.startswith(_VOCAB):
            assert table is not None
            column = name[len(_VOCAB) :]
            new[name] = vocabulary_column(frame, column, table.column(column).vocabulary or "")
        else:
            raise ValueError(f"unknown helper column {name}")
    if not new:
        return frame
    return pd.concat([frame, pd.DataFrame(new, index=frame.index)], axis=1)


def encode_for_gx(frame: pd.DataFrame, table: TableSpec) -> pd.DataFrame:
    """The GX frame with no identifying text in it, in cheap dtypes.

    GX only ever asks of a text column whether it is empty (not_null, parses), whether it repeats
    (natural keys) or whether it is a known code. So: coded columns become categoricals (the values
    are agreed codes), key columns become integer codes of their values (duplicates stay duplicates)
    and every other text column becomes 1.0 / NaN (present / empty). Integer columns become float.
    Names and ids never reach GX, and GX's batch fingerprint (a hash of the whole frame) and its
    null checks run on numbers instead of Python strings: several seconds on 500,000 rows.
    """
    coded = {c.name for c in table.columns if c.codes}
    key = set(table.key)
    out: dict[str, pd.Series] = {}
    for name in frame.columns:
        col = frame[name]
        if name.startswith("_chk_") or name == ROW_NUMBER:
            out[name] = col
        elif isinstance(col.dtype, pd.Int64Dtype):
            out[name] = col.astype("float64")
        elif pd.api.types.is_object_dtype(col.dtype) or pd.api.types.is_string_dtype(col.dtype):
            if name in coded:
                out[name] = col.astype("category")
            elif name in key:
                codes, _ = pd.factorize(col, use_na_sentinel=True)
                out[name] = pd.Series(np.where(codes < 0, np.nan, codes), index=col.index)
            else:
                out[name] = pd.Series(np.where(col.isna().to_numpy(), np.nan, 1.0), index=col.index)
        else:
            out[name] = col
    return pd.DataFrame(out, index=frame.index)
