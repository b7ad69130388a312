"""Record linkage of agency extract rows to the SafetyNet client list (docs/CONTRACTS.md "Matcher").

``default_matcher()`` is the engine the pipeline uses, configured by ``config/matching.yaml``
(or the file named by ``$SAFETYNET_MATCHING_FILE``).
"""

from __future__ import annotations

import os

from matchers import params
from matchers.config import MatchingConfig, load
from matchers.engine import FellegiSunterMatcher, LinkStats, Matcher


def default_matcher(path: str | os.PathLike[str] | None = None) -> Matcher:
    """The pipeline's matcher, configured from ``path`` / ``$SAFETYNET_MATCHING_FILE`` / the repo default,
    scoring with the published trained parameters (matchers/params.py) when there are any, else
    estimating m/u on each run's own data."""
    return FellegiSunterMatcher(load(path), params.load_current())


__all__ = ["FellegiSunterMatcher", "LinkStats", "Matcher", "MatchingConfig", "default_matcher", "load"]
