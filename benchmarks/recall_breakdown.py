"""Where recall goes: what differs between a true link's row and its client, and why ours held a row.

Used by match_vs_splink.py. Two views, both as Markdown tables:

- **What differs** (matcher-independent): each true link's record and client compared field by field
  on the raw canonical values (case and spacing folded): given, middle, last name, DOB, sex, address
  differ, agree or are blank on a side. The true links ours held in review, the ones it missed
  altogether, and the ones Splink missed at its best threshold are counted by that pattern.
- **Held by** (ours): every record whose best pair waits in review, by the decision rule that holds
  it: below the match threshold (the model is unsure), each of the config's review caps
  (matchers/decide.at_review_cap, one cap at a time, so a row held by two caps counts under both),
  the look-alike rule (the runner-up within ``look_alike_margin_bits``), any reason the explanation
  names itself (keys other than fields/prior/total), or none of these. Computed in the worker
  process from the matcher's own pairs, explanations and fitted config (reasons_for_held).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

#: canonical field -> its short name in a pattern
COMPARED = {
    "first_name": "given",
    "middle_name": "middle",
    "last_name": "last",
    "dob": "dob",
    "sex": "sex",
    "address": "address",
}
TOP_PATTERNS = 12


def _fold(col: pd.Series) -> pd.Series:
    return col.fillna("").astype(str).str.casefold().str.split().str.join(" ")


def _close(a: np.ndarray, b: np.ndarray, field: str) -> np.ndarray:
    """Values that differ only a little: a DOB one edit apart or with day and month swapped; other
    text at Jaro-Winkler similarity >= 0.85 (a typo or a variant spelling, not another name)."""
    from rapidfuzz.distance import JaroWinkler, Levenshtein

    if field == "dob":
        return np.array(
            [
                Levenshtein.distance(x, y) <= 1
                or (x[:4] == y[:4] and x[5:7] == y[8:10] and x[8:10] == y[5:7])
                for x, y in zip(a, b, strict=True)
            ],
            dtype=bool,
        )
    return np.array(
        [JaroWinkler.normalized_similarity(x, y) >= 0.85 for x, y in zip(a, b, strict=True)], dtype=bool
    )


def difference_patterns(data: Path, truth: pd.DataFrame) -> pd.Series:
    """One label per true link (indexed by (record_id, client_id)): the fields that differ, ``~`` for
    a small difference (see _close), the ones blank on one side marked (e.g. ``given``, ``given~``,
    ``dob+address``, ``dob blank``, ``none``). A field that one side never has (FEBRL: middle name,
    sex; W2/1099: DOB, sex) is left out."""
    clients = pd.read_csv(data / "clients.csv", dtype=str, keep_default_na=False).set_index("client_id")
    records = pd.read_csv(data / "records.csv", dtype=str, keep_default_na=False).set_index("record_id")
    left = records.reindex(truth["record_id"])
    right = clients.reindex(truth["client_id"])
    parts = []
    for field, short in COMPARED.items():
        if field not in left.columns or field not in right.columns:
            continue
        a, b = _fold(left[field]).to_numpy(), _fold(right[field]).to_numpy()
        if (records[field] == "").all() or (clients[field] == "").all():
            continue
        blank = (a == "") != (b == "")
        differ = np.where(_close(a, b, field), f"{short}~", short)
        parts.append(np.where(blank, f"{short} blank", np.where(a != b, differ, "")))
    labels = ["+".join(p for p in row if p) or "none" for row in zip(*parts, strict=True)]
    return pd.Series(labels, index=pd.MultiIndex.from_frame(truth[["record_id", "client_id"]]))


def patterns_table(patterns: pd.Series, columns: dict[str, set[tuple[str, str]]]) -> str:
    """Markdown: true links per difference pattern, and how many fall in each named set of pairs
    (e.g. ours held, ours missed, Splink missed). The patterns with the most such links first."""
    counts = {name: Counter(patterns[list(pairs & set(patterns.index))]) for name, pairs in columns.items()}
    total = Counter(patterns)
    lost = Counter()
    for c in counts.values():
        lost.update(c)
    ranked = [p for p, _ in lost.most_common()]
    shown = ranked[:TOP_PATTERNS]
    head = "| what differs (true links) | true links | " + " | ".join(columns) + " |"
    lines = [head, "| --- " * (2 + len(columns)) + "|"]
    for p in shown:
        lines.append(f"| {p} | {total[p]:,} | " + " | ".join(f"{counts[n][p]:,}" for n in columns) + " |")
    rest = [p for p in total if p not in shown]
    if rest:
        lines.append(
            f"| other ({len(rest)} patterns) | {sum(total[p] for p in rest):,} | "
            + " | ".join(f"{sum(counts[n][p] for p in rest):,}" for n in columns)
            + " |"
        )
    lines.append(
        f"| **all** | {sum(total.values()):,} | "
        + " | ".join(f"{sum(counts[n].values()):,}" for n in columns)
        + " |"
    )
    return "\n".join(lines)


# ---------------------------------------------------------------- held by (runs in ours' worker)


def _levels_frame(explanations: pd.Series) -> pd.DataFrame:
    """<field>_level codes (matchers.compare.LEVELS order) from the explanations' level names."""
    from matchers.compare import LEVELS

    rows = []
    for text in explanations:
        fields = {f["field"]: f["level"] for f in json.loads(text)["fields"]}
        rows.append(
            {
                f"{name}_level": LEVELS[name].index(fields[name])
                for name in LEVELS
                if name in fields and fields[name] in LEVELS[name]
            }
        )
    return pd.DataFrame(rows).fillna(-1).astype(np.int64)


def _cap_label(cap) -> str:
    unless = " or ".join(
        "(" + ", ".join(f"{f} {'/'.join(lv)}" for f, lv in alt.items()) + ")" for alt in cap.unless
    )
    return f"cap: {cap.name} {'/'.join(cap.levels)}" + (f" unless {unless}" if unless else "")


def reasons_for_held(links: pd.DataFrame, config) -> pd.DataFrame:
    """Per record whose best pair is in review: record_id, client_id, score, reasons ("|"-joined).

    ``config``: the config the run decided with (its match threshold is the run's)."""
    from matchers.decide import at_review_cap

    review = links[links["decision"] == "review"]
    if review.empty:
        return pd.DataFrame(columns=["record_id", "client_id", "score", "reasons"])
    order = review.sort_values(["record_id", "score"], ascending=[True, False], kind="stable")
    best = order.drop_duplicates("record_id").reset_index(drop=True)
    second = order[order.duplicated("record_id")].drop_duplicates("record_id").set_index("record_id")["score"]
    levels = _levels_frame(best["explanation"])
    reasons: list[list[str]] = [[] for _ in range(len(best))]
    below = best["score"].to_numpy() < config.match_threshold
    for i in np.flatnonzero(below):
        reasons[i].append("below match threshold")
    for cap in config.review_caps:
        hit = at_review_cap(levels, replace(config, review_caps=(cap,)))
        for i in np.flatnonzero(hit & ~below):
            reasons[i].append(_cap_label(cap))

    runner_up = second.reindex(best["record_id"]).to_numpy()
    for i in np.flatnonzero(~np.isnan(runner_up) & (runner_up >= config.review_threshold)):
        reasons[i].append("another candidate client is plausible too")
    for i, text in enumerate(best["explanation"]):
        doc = json.loads(text)
        for rel in doc.get("relatives") or ():  # the relative classes about as likely (1 in 8 or more)
            if rel["weight"] >= -3:
                reasons[i].append(f"relative: {rel['class']}")
        if (doc.get("presence") or {}).get("level") == "present":
            reasons[i].append("the client has another confirmed row here")
    return pd.DataFrame(
        {
            "record_id": best["record_id"],
            "client_id": best["client_id"],
            "score": best["score"],
            "reasons": ["|".join(r) or "none of these (at or above threshold)" for r in reasons],
        }
    )


def held_table(held: pd.DataFrame, truth: set[tuple[str, str]]) -> str:
    """Markdown: held records per reason, how many of them hold a true link, their median score."""
    if held.empty:
        return "| held by | records |\n| --- | --- |\n| (nothing held) | 0 |"
    is_true = np.array([(r, c) in truth for r, c in zip(held["record_id"], held["client_id"], strict=True)])
    rows = []
    median = held["score"].where(is_true)
    exploded = held.assign(reason=held["reasons"].str.split("|"), true_link=is_true, true_score=median)
    exploded = exploded.explode("reason")
    for reason, group in exploded.groupby("reason", sort=False):
        rows.append(
            (
                reason,
                len(group),
                int(group["true_link"].sum()),
                float(group.loc[group["true_link"], "score"].median())
                if group["true_link"].any()
                else np.nan,
            )
        )
    rows.sort(key=lambda r: -r[1])
    lines = [
        "| held by (a record may count under several) | records | of which the best pair is the true link "
        "| median score of those |",
        "| --- | ---: | ---: | ---: |",
    ]
    for reason, n, t, med in rows:
        lines.append(f"| {reason} | {n:,} | {t:,} | {med:.4f} |" if t else f"| {reason} | {n:,} | 0 | |")
    lines.append(f"| **records in review** | {len(held):,} | {int(is_true.sum()):,} | |")
    return "\n".join(lines)
