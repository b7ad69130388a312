"""Where things live on the embedded default, each overridable by an environment variable.

The lowest layer of the project: it imports nothing from the other folders, so every folder
(the CLI, the Dagster resources, alerts, the review app) can read its settings here.
Paths are relative to the working directory (the repo root for `make demo` and `dagster dev`),
so an installed deployment points them wherever the operator wants.
"""

from __future__ import annotations

import os
from pathlib import Path


def var_dir() -> Path:
    """Run state of the embedded default: warehouse, Dagster home, outbox, reports."""
    return Path(os.environ.get("SAFETYNET_VAR_DIR") or "var")


def landing_dir() -> Path:
    """The landing zone: one folder per source (``landing:`` in config/sources.yaml)."""
    return Path(os.environ.get("SAFETYNET_LANDING_DIR") or "landing")


def warehouse_url() -> str:
    """``SAFETYNET_WAREHOUSE_URL`` (PostgreSQL in production), else SQLite under var/."""
    url = os.environ.get("SAFETYNET_WAREHOUSE_URL")
    if url:
        return url
    return f"sqlite:///{var_dir() / 'warehouse.db'}"


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or (var_dir() / "dagster_home")).resolve()


def warehouse_display_url() -> str:
    """The warehouse URL with any password masked, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(warehouse_url()).render_as_string(hide_password=True)
