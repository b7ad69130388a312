"""The peer: Splink 5 (DuckDB backend) linking a client list to an extract, as its link-only docs do.

Used by match_vs_splink.py (in a child process of its own). Splink 5 moved from 4 in ways that
matter here: inputs are registered with the backend first (``db_api.register(frame,
dataset_display_name=...)``) and the Linker takes those SplinkDataFrames (no ``db_api=`` or
``input_table_aliases=`` arguments); match weights replace Bayes factors in its internals (output
columns ``mw_`` instead of ``bf_``; ``match_probability`` is unchanged); u estimation samples in
chunks with early stopping (``min_count_per_level``). The model below is the one these benchmarks
gave Splink 4, fields present on both sides only, plus the middle name where the data has one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: canonical person fields Splink compares (aliases, race: no comparison in its docs' person models)
SPLINK_COLUMNS = ["first_name", "middle_name", "last_name", "dob", "sex", "address", "city", "zip"]


def splink_frame(path: Path, id_column: str) -> pd.DataFrame:
    """Splink's own preparation as in its tutorials: lower-cased, trimmed strings, blank = null."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = pd.DataFrame({"unique_id": frame[id_column]})
    for col in SPLINK_COLUMNS:
        values = frame[col].str.strip().str.lower() if col in frame else pd.Series("", index=frame.index)
        out[col] = values.replace("", None)
    out["dob"] = iso_dates(out["dob"])
    return out


def iso_dates(values: pd.Series) -> pd.Series:
    """DOBs as YYYY-MM-DD, the layout Splink's DateOfBirthComparison is given: an ISO date is kept,
    another layout (DD-MON-YYYY, "15 march 2008", 03/15/2008) is read as pandas reads it, so that
    Splink is not left without a DOB our matcher can read; an unreadable one becomes null."""
    iso = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    other = values.notna() & iso.isna()
    if other.any():
        iso[other] = pd.to_datetime(values[other], format="mixed", errors="coerce")
    text = iso.dt.strftime("%Y-%m-%d").astype(object)
    text[iso.isna()] = None
    return text


def _middle_name_comparison():
    """Exact, else the same initial (one side may hold only an initial), else different."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="middle_name",
        comparison_levels=[
            cll.NullLevel("middle_name"),
            cll.ExactMatchLevel("middle_name"),
            cll.CustomLevel(
                "substr(middle_name_l, 1, 1) = substr(middle_name_r, 1, 1)", label_for_charts="same initial"
            ),
            cll.ElseLevel(),
        ],
    )


def splink_settings(present: set[str]):
    """The model: a comparison per field that both sides have; blocking and training rules that use
    only those fields. ``present``: the fields with a value on both sides."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    comparisons = [
        cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
    ]
    if "middle_name" in present:
        comparisons.append(_middle_name_comparison())
    if "dob" in present:
        comparisons.append(
            cl.DateOfBirthComparison(
                "dob", input_is_string=True, datetime_format="%Y-%m-%d", invalid_dates_as_null=True
            )
        )
    if "address" in present:
        comparisons.append(cl.JaroWinklerAtThresholds("address", [0.95, 0.88]))
    for col in ("city", "zip"):
        if col in present:
            comparisons.append(cl.ExactMatch(col).configure(term_frequency_adjustments=True))
    if "sex" in present:  # FEBRL and W2/1099 forms have none
        comparisons.append(cl.ExactMatch("sex"))
    rules = [block_on("first_name", "last_name")]
    if "dob" in present:
        rules += [block_on("dob"), block_on("last_name", "substr(dob, 1, 4)")]
    if "zip" in present:
        rules.append(block_on("first_name", "zip"))
    if "address" in present:
        rules.append(block_on("address"))
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
        retain_intermediate_calculation_columns=False,
    )
    # Deterministic rules for the prior and EM blocks, on fields both sides have.
    anchor = "dob" if "dob" in present else "address"
    deterministic = [block_on("first_name", "last_name", anchor)]
    if "dob" in present and "zip" in present:
        deterministic.append(block_on("dob", "zip"))
    em_blocks = [block_on("first_name", "last_name"), block_on(anchor)]
    return settings, deterministic, em_blocks


def run_splink(data: Path, out: Path) -> None:
    """Link data/clients.csv to data/records.csv; write (record_id, client_id, score) to ``out``."""
    from splink import DuckDBAPI, Linker

    clients = splink_frame(data / "clients.csv", "client_id")
    records = splink_frame(data / "records.csv", "record_id")
    present = {c for c in SPLINK_COLUMNS if clients[c].notna().any() and records[c].notna().any()}
    settings, deterministic, em_blocks = splink_settings(present)
    db_api = DuckDBAPI()
    linker = Linker(
        [
            db_api.register(clients, dataset_display_name="clients"),
            db_api.register(records, dataset_display_name="records"),
        ],
        settings,
    )
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for block in em_blocks:
        linker.training.estimate_parameters_using_expectation_maximisation(block)
    pred = linker.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe()
    # Orient each pair as (record, client) whatever side Splink put them on.
    left_is_client = pred["source_dataset_l"] == "clients"
    pd.DataFrame(
        {
            "record_id": np.where(left_is_client, pred["unique_id_r"], pred["unique_id_l"]),
            "client_id": np.where(left_is_client, pred["unique_id_l"], pred["unique_id_r"]),
            "score": pred["match_probability"],
        }
    ).to_csv(out, index=False)
