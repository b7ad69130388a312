"""Are relatives of clients in this extract? The evidence that may lift the review caps.

The review caps (config ``review_caps``) and the household rule exist because a client's twin or
sibling shares her surname, DOB and address and differs in one field, which is exactly what a
corrupted given name or DOB looks like. One pair cannot tell the two apart. The extract as a whole
can: each agency holds one record per person, so where relatives of clients appear, the client's
*own* record usually appears too and is auto-matched by another row. Among the records held at
review by a cap or the household rule ("relative-shaped"), count those whose best client is
auto-matched by another row (``conflicts``):

- if a share rho of the relative-shaped records are relatives, a conflict occurs with probability
  about ``coverage`` for them (the share of clients that have an auto-matched row here; relatives
  of clients turn up with their families, so this errs low) and about ``repeat`` for the rest (the
  share of matched clients matched by two or more rows: duplicate ids, or one file holding several
  agencies);
- so P(conflict) = repeat + rho (coverage - repeat). A one-sided Clopper-Pearson upper bound on
  P(conflict) gives an upper bound on rho.

When that bound is at most ``max_rate`` (1 % by default, the error the match threshold accepts),
the data rule relatives out and the caps are lifted for this run: the held rows are scored again
without caps and without the household rule. A small extract never rules them out (few records,
wide bound), nor does one where coverage and repeat are close (the test has no power), and every
conflict widens the bound. On FEBRL4 (one duplicate per person, no families) they are ruled out;
on our generator's data (twins, siblings) they are not, and look-alikes stay in review.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.stats import beta

from matchers.decide import MATCH, REVIEW


@dataclass(frozen=True)
class RelativeEvidence:
    #: records in review whose best pair was held by a review cap or weighed by the household rule
    shaped: int = 0
    #: of those, records whose best client is auto-matched by another row
    conflicts: int = 0
    #: share of clients auto-matched by some row
    coverage: float = 0.0
    #: share of auto-matched clients matched by two or more rows
    repeat: float = 0.0
    #: upper confidence bound on the share of relatives among the relative-shaped records
    rate_upper: float = 1.0
    #: the caps were lifted for this run
    ruled_out: bool = False

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def relative_evidence(
    links: pd.DataFrame,
    n_clients: int,
    confidence: float = 0.95,
    max_rate: float = 0.01,
    min_separation: float = 0.2,
) -> RelativeEvidence:
    """Evidence from a first pass's pairs: record_id, client_id, score, decision and
    ``relative_shaped`` (the pair was at a review cap or under the household rule)."""
    if links.empty or n_clients <= 0:
        return RelativeEvidence()
    matched = links.loc[links["decision"] == MATCH, "client_id"]
    rows_per_client = matched.value_counts()
    coverage = len(rows_per_client) / n_clients
    repeat = float((rows_per_client >= 2).mean()) if len(rows_per_client) else 0.0
    review = links[links["decision"] == REVIEW]
    best = review.sort_values(["record_id", "score"], ascending=[True, False], kind="stable")
    best = best.drop_duplicates("record_id")
    best = best[best["relative_shaped"].to_numpy(dtype=bool)]
    shaped = len(best)
    conflicts = int(best["client_id"].isin(rows_per_client.index).sum())
    if shaped == 0:
        return RelativeEvidence(0, 0, coverage, repeat)
    p_upper = 1.0 if conflicts >= shaped else float(beta.ppf(confidence, conflicts + 1, shaped - conflicts))
    separation = coverage - repeat
    rate_upper = 1.0 if separation < min_separation else float(np.clip((p_upper - repeat) / separation, 0, 1))
    return RelativeEvidence(shaped, conflicts, coverage, repeat, rate_upper, rate_upper <= max_rate)
