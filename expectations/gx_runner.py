"""Our small wrapper around Great Expectations: one cached ephemeral context, one run per table.

Why a wrapper:
- ``import great_expectations`` costs ~3.5 s, so it happens on first use only (``gx()``), never
  at import time of ``expectations``: the CLI and Dagster's code server stay fast to start.
- GX results carry cell values (``partial_unexpected_list``, ``unexpected_index_list`` dicts with
  the column's value). Nothing of a GX result leaves this module except, per rule, whether it
  passed, the complete unexpected count and agency row numbers. We ask GX not to collect values
  at all (``exclude_unexpected_values``) and read only positional indices, which we map to the
  table's ``row_number`` column ourselves.
- GX's progress bars (tqdm on stderr), usage analytics and its logger are switched off: a log
  line or an exception message from a metric could quote a value (privacy rule 5).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from expectations.report import MAX_ROW_NUMBERS
from integrations.kinds import ROW_NUMBER

log = logging.getLogger(__name__)

#: SUMMARY keeps the first MAX_ROW_NUMBERS indices (the count stays complete) and is much cheaper
#: than COMPLETE on a 500,000-row delivery with many failures; no values, no pandas query string.
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": MAX_ROW_NUMBERS,
    "exclude_unexpected_values": True,
    "return_unexpected_index_query": False,
    "include_unexpected_rows": False,
}

_DATASOURCE = "safetynet_expectations"
#: GX's context and its datasource registry are not documented as thread-safe
_lock = threading.RLock()
_batch_definitions: dict[str, Any] = {}


class ValidationRunError(RuntimeError):
    """GX failed as a whole on a table; the message names the suite and the error type only."""


@dataclass(frozen=True)
class Outcome:
    """One expectation's verdict, with nothing from the data but counts and row numbers."""

    success: bool
    unexpected_count: int = 0
    row_numbers: tuple[int, ...] = ()
    #: the expectation raised inside GX (its message is dropped: it may quote a value)
    errored: bool = False


@functools.cache
def gx() -> Any:
    """The ``great_expectations`` module, imported once, with analytics and logging off."""
    # Set before the import: GX reads it when a context is created. Forced, not defaulted: the
    # service handles children's records and must not send usage events anywhere.
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    logging.getLogger("great_expectations").setLevel(logging.CRITICAL)
    import great_expectations

    return great_expectations


@functools.cache
def context() -> Any:
    """One ephemeral (in-memory) data context per process: nothing is written to disk."""
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx().get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return ctx


def _batch_definition(name: str) -> Any:
    """A whole-dataframe batch definition per suite name, created once and reused for every run."""
    bd = _batch_definitions.get(name)
    if bd is None:
        ctx = context()
        try:
            source = ctx.data_sources.get(_DATASOURCE)
        except Exception:  # GX raises its own not-found error type; any failure means "create it"
            source = ctx.data_sources.add_pandas(_DATASOURCE)
        asset = source.add_dataframe_asset(name=name)
        bd = asset.add_batch_definition_whole_dataframe(name)
        _batch_definitions[name] = bd
    return bd


def _raised(exception_info: Any) -> bool:
    """GX 1.x reports an expectation's exception flat or keyed per metric; look at both shapes."""
    if not isinstance(exception_info, Mapping):
        return False
    if "raised_exception" in exception_info:
        return bool(exception_info["raised_exception"])
    return any(isinstance(v, Mapping) and v.get("raised_exception") for v in exception_info.values())


def run_suite(name: str, suite: Any, frame: pd.DataFrame) -> dict[str, Outcome]:
    """Validate ``frame`` against ``suite`` in one GX run; rule id (``meta.rule_id``) -> outcome.

    ``frame`` must have a default RangeIndex (positional indices are mapped to ``row_number``).
    """
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 or frame.index.step != 1:
        frame = frame.reset_index(drop=True)
    row_numbers = frame[ROW_NUMBER].to_numpy()
    try:
        with _lock:
            batch = _batch_definition(name).get_batch(batch_parameters={"dataframe": frame})
            result = batch.validate(suite, result_format=RESULT_FORMAT)
    except Exception as exc:
        # re-raised without GX's message or traceback chain: either could quote a cell value
        raise ValidationRunError(
            f"Great Expectations could not run suite {name} ({type(exc).__name__})"
        ) from None
    outcomes: dict[str, Outcome] = {}
    for r in result.results:
        rule_id = (r.expectation_config.meta or {}).get("rule_id")
        if rule_id is None:
            continue
        if _raised(r.exception_info):
            # the message is deliberately not logged: GX messages can quote cell values
            log.warning("expectation for rule %s could not run on suite %s", rule_id, name)
            outcomes[rule_id] = Outcome(success=False, errored=True)
            continue
        res = r.result or {}
        # positional indices only; a dict here would be a named index carrying values: never used
        idx = [
            int(i) for i in res.get("partial_unexpected_index_list") or () if isinstance(i, (int, np.integer))
        ]
        outcomes[rule_id] = Outcome(
            success=bool(r.success),
            unexpected_count=int(res.get("unexpected_count") or 0),
            row_numbers=tuple(int(row_numbers[i]) for i in idx[:MAX_ROW_NUMBERS]),
        )
    return outcomes
