"""benchmarks/review_workload.py stays runnable (it broke twice unnoticed: a refit call and a
delivery status it did not know): two weeks of a tiny world, onboarding and refit included."""

from __future__ import annotations

import argparse
from datetime import date

import pytest

from benchmarks import review_workload

pytestmark = pytest.mark.slow


def test_two_weeks_of_a_tiny_world(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SAFETYNET_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SAFETYNET_MATCHER_PARAMS_DIR", str(tmp_path / "var" / "matcher"))
    args = argparse.Namespace(
        weeks=2,
        clients=20,
        scale=3,
        seed=7,
        end=date(2026, 11, 26),
        url=None,
        out=str(tmp_path / "work"),
        world=None,
        refit=True,
        onboarding=True,
        json=None,
    )
    weeks = review_workload.run(args)
    assert [w.week for w in weeks] == [-1, 0, 1]
    total = review_workload.summary(weeks)
    assert total["repeat_questions"] == 0 and total["repeat_questions_known_identity"] == 0
    assert total["profile_precision"] == 1.0 and total["profile_recall"] > 0.9
    assert all(w.open_after_sync >= w.items for w in weeks)  # every open item asked once at most
