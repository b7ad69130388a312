"""Agency names and kinds per source, from config/sources.yaml (the warehouse stores source names only)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _sources() -> dict:
    try:
        from integrations.config import load_sources

        return load_sources()
    except Exception:  # no config here: source names shown as they are, every fact table looked at
        return {}


def agency_names() -> dict[str, str]:
    return {name: s.agency for name, s in _sources().items()}


def source_kinds() -> dict[str, str]:
    return {name: s.kind for name, s in _sources().items()}
