"""Record linkage of agency extract rows to the SafetyNet client list (docs/CONTRACTS.md "Matcher").

``default_matcher()`` is the engine the pipeline uses, configured by ``config/matching.yaml``
(or the file named by ``$SAFETYNET_MATCHING_FILE``).
"""

from __future__ import annotations

import os

from matchers.config import MatchingConfig, load
from matchers.engine import FellegiSunterMatcher, LinkStats, Matcher


def default_matcher(path: str | os.PathLike[str] | None = None) -> Matcher:
    """The pipeline's matcher, configured from ``path`` / ``$SAFETYNET_MATCHING_FILE`` / the repo default."""
    return FellegiSunterMatcher(load(path))


__all__ = ["FellegiSunterMatcher", "LinkStats", "Matcher", "MatchingConfig", "default_matcher"]
