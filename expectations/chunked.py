"""``validate_chunks``: the same suite over a delivery read in chunks (``safetynet validate`` on a
file too large to hold at once). Every rule is row-local except natural-key uniqueness, which is
re-checked across chunks from 64-bit hashes of the key (12 bytes per row with its row number,
never the values): the only memory that grows with the file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from expectations import rules
from expectations.report import MAX_ROW_NUMBERS, RuleResult, ValidationReport
from expectations.validation import validate
from integrations.config import SourceConfig
from integrations.extract import Extract
from integrations.kinds import ROW_NUMBER, kind


def _key_hashes(frame: pd.DataFrame, key: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the rows' keys (rows with a missing key part left out) and their row numbers."""
    cols = [c for c in key if c in frame.columns]
    if len(cols) != len(key) or frame.empty:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int32)
    present = frame[cols].notna().all(axis=1).to_numpy()
    keys = frame.loc[present, cols].astype(str)
    hashes = pd.util.hash_pandas_object(keys, index=False).to_numpy(dtype=np.uint64)
    # int32: agency line numbers stay far below 2**31; 12 bytes a row in all
    return hashes, frame.loc[present, ROW_NUMBER].to_numpy(dtype=np.int32)


def _merge(a: RuleResult, b: RuleResult) -> RuleResult:
    rows = (a.row_numbers + b.row_numbers)[:MAX_ROW_NUMBERS]
    return replace(
        a,
        success=a.success and b.success,
        unexpected_count=a.unexpected_count + b.unexpected_count,
        row_numbers=rows,
    )


def _unique_across(result: RuleResult, hashes: list[np.ndarray], numbers: list[np.ndarray]) -> RuleResult:
    """Every row whose key hash occurs more than once in the whole delivery.

    Memory-lean: one sorted copy of the hashes finds the (few) repeated values, then a membership
    test picks their rows; no inverse index or per-row counts over millions of rows.
    """
    h = np.concatenate(hashes) if hashes else np.empty(0, dtype=np.uint64)
    hashes.clear()
    ordered = np.sort(h)
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    del ordered
    dup = np.isin(h, repeated)
    rows = np.sort(np.concatenate(numbers)[dup]) if numbers else np.empty(0, dtype=np.int32)
    return replace(
        result,
        success=not dup.any(),
        unexpected_count=int(dup.sum()),
        row_numbers=tuple(int(r) for r in rows[:MAX_ROW_NUMBERS]),
    )


def validate_chunks(
    chunks: Iterable[Extract], source_config: SourceConfig | None, today: date | None = None
) -> ValidationReport:
    """One report for the whole delivery, as ``validate`` would give on it read at once.

    Counts add up, row numbers are the first ``MAX_ROW_NUMBERS`` in file order, and a key repeated
    in two chunks is a duplicate like any other. The row-count rule needs history and is not run.
    """
    merged: dict[str, RuleResult] = {}
    order: list[str] = []
    keys: dict[str, tuple[str, ...]] = {}
    hashes: dict[str, list[np.ndarray]] = {}
    numbers: dict[str, list[np.ndarray]] = {}
    report: ValidationReport | None = None
    rows = 0
    for chunk in chunks:
        part = validate(chunk, source_config, today=today)
        report = report or ValidationReport(source=part.source, file_name=part.file_name)
        rows += part.rows_checked
        for r in part.results:
            if r.rule_id in merged:
                merged[r.rule_id] = _merge(merged[r.rule_id], r)
            else:
                merged[r.rule_id] = r
                order.append(r.rule_id)
        for table in kind(chunk.kind).tables:
            frame = chunk.tables.get(table.name)
            if frame is not None:
                keys[table.name] = tuple(table.key)
                h, n = _key_hashes(frame, keys[table.name])
                hashes.setdefault(table.name, []).append(h)
                numbers.setdefault(table.name, []).append(n)
    if report is None:
        raise ValueError("no chunk to validate")
    for table_name in hashes:
        rule_id = rules.unique(table_name, keys[table_name]).rule_id
        if rule_id in merged and len(hashes[table_name]) > 1:  # one chunk: GX has seen every row
            merged[rule_id] = _unique_across(merged[rule_id], hashes[table_name], numbers[table_name])
    report.rows_checked = rows
    report.results = [merged[r] for r in order]
    return report
