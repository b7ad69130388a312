"""Agency names per source, from config/sources.yaml (the warehouse stores source names only)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def agency_names() -> dict[str, str]:
    try:
        from integrations.config import load_sources

        return {name: s.agency for name, s in load_sources().items()}
    except Exception:  # no config here: show source names as they are
        return {}


@lru_cache(maxsize=1)
def source_kinds() -> dict[str, str]:
    try:
        from integrations.config import load_sources

        return {name: s.kind for name, s in load_sources().items()}
    except Exception:  # no config here: every fact table is looked at
        return {}
