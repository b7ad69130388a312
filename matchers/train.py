"""Training: m/u estimated from a clients list and an extract, refined by reviewer decisions, saved
as a new parameters version (matchers/params.py) that the nightly run then scores with."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from matchers import params
from matchers.config import MatchingConfig
from matchers.engine import FellegiSunterMatcher
from matchers.labels import refine_with_labels


def train(
    config: MatchingConfig, clients: pd.DataFrame, records: pd.DataFrame, labels: pd.DataFrame | None = None
) -> tuple[MatchingConfig, dict[str, Any]]:
    """The fitted config and what it was trained on (counts only: safe to store and print).

    Refuses extracts smaller than ``estimation.min_rows``: among few rows a random pair is too often
    the same person, and u (so every weight) would be wrong.
    """
    if len(records) < config.estimate_min_rows:
        raise ValueError(
            f"training needs at least {config.estimate_min_rows} records "
            f"(estimation.min_rows in config/matching.yaml); got {len(records)}"
        )
    fitted = FellegiSunterMatcher(replace(config, estimate=True)).fit(clients, records)
    label_counts = {"positive": 0, "negative": 0}
    if labels is not None and not labels.empty:
        fitted, label_counts = refine_with_labels(fitted, labels)
    trained_on = {
        "clients": int(len(clients)),
        "records": int(len(records)),
        "labels_same_person": label_counts["positive"],
        "labels_not_this_person": label_counts["negative"],
    }
    return fitted, trained_on


def train_and_save(
    config: MatchingConfig,
    clients: pd.DataFrame,
    records: pd.DataFrame,
    labels: pd.DataFrame | None = None,
    directory=None,
    note: str = "",
) -> dict[str, Any]:
    fitted, trained_on = train(config, clients, records, labels)
    if note:
        trained_on["note"] = note
    return params.save(fitted, trained_on, directory)
