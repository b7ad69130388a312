"""Human review decisions over the matcher's links: people win, and are never asked twice.

Pure functions on DataFrames, so the rules can be read and tested without a database.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from warehouse.frames import ids

LINK_COLUMNS = ("record_id", "client_id", "score", "decision", "decided_by", "explanation")
KEPT_DECISIONS = ("match", "review")


def _model_links(links: pd.DataFrame) -> pd.DataFrame:
    """The matcher's output, normalised: str ids, known decisions only, at most one match per record."""
    if links.empty:  # "no candidates at all" may come without columns
        return pd.DataFrame(columns=[*LINK_COLUMNS]).astype(object)
    missing = {"record_id", "client_id", "score", "decision"} - set(links.columns)
    if missing:
        raise ValueError(f"links lack column(s): {', '.join(sorted(missing))}")
    out = pd.DataFrame(
        {
            "record_id": ids(links["record_id"]),
            "client_id": ids(links["client_id"]),
            "score": pd.to_numeric(links["score"], errors="coerce").astype(float),
            "decision": links["decision"].astype(object),
            "explanation": links["explanation"].astype(object) if "explanation" in links else None,
        }
    )
    unknown = ~out["decision"].isin((*KEPT_DECISIONS, "nonmatch"))
    if unknown.any():
        raise ValueError(f"{int(unknown.sum())} links have a decision other than match/review/nonmatch")
    if out["record_id"].isna().any() or out["client_id"].isna().any():
        raise ValueError("links have missing record or client ids")
    out = out.drop_duplicates(["record_id", "client_id"], keep="last")
    # The contract says at most one match per record. Should a matcher break it, the weaker matches
    # become review pairs: a person then looks, instead of a record silently joining two clients.
    matches = out[out["decision"] == "match"].sort_values("score", ascending=False, kind="stable")
    extra = matches.index[matches.duplicated("record_id", keep="first")]
    out.loc[extra, "decision"] = "review"
    out["decided_by"] = "model"
    return out


def decision_state(decisions: pd.DataFrame) -> tuple[dict[str, str], set[tuple[str, str]], dict[str, object]]:
    """Replay the append-only decisions in time order.

    Returns ``(linked, excluded, decided_at)``: record -> client a person linked it to
    (same_person / link_other_client; a later decision replaces an earlier one), the (record, client)
    pairs a person ruled out (not_this_person), and record -> time of its latest decision.
    """
    linked: dict[str, str] = {}
    excluded: set[tuple[str, str]] = set()
    decided_at: dict[str, object] = {}
    if decisions.empty:
        return linked, excluded, decided_at
    ordered = decisions.sort_values(["decided_at", "id"], kind="stable")
    for rec, client, decision, at in zip(
        ordered["record_id"], ordered["client_id"], ordered["decision"], ordered["decided_at"], strict=True
    ):
        rec = str(rec)
        client = None if client is None or pd.isna(client) else str(client)
        decided_at[rec] = at
        if decision in ("same_person", "link_other_client") and client is not None:
            linked[rec] = client
            excluded.discard((rec, client))
        elif decision == "not_this_person" and client is not None:
            excluded.add((rec, client))
            if linked.get(rec) == client:
                del linked[rec]
    return linked, excluded, decided_at


def final_links(links: pd.DataFrame, decisions: pd.DataFrame, record_ids: Iterable[str]) -> pd.DataFrame:
    """The links to keep for this delivery's records, after human decisions (LINK_COLUMNS).

    - same_person / link_other_client: the record gets exactly one ``match`` link, decided_by
      ``human``, to that client (the model's score and explanation for that pair kept if it had one);
    - not_this_person: that pair is dropped, the record's other candidates stay;
    - nonmatch pairs are never kept (privacy rule 1).
    """
    ids = {str(r) for r in record_ids}
    model = _model_links(links)
    model = model[model["record_id"].isin(ids)]
    linked, excluded, _ = decision_state(decisions)
    linked = {r: c for r, c in linked.items() if r in ids}

    keep = model["decision"].isin(KEPT_DECISIONS) & ~model["record_id"].isin(linked)
    if excluded:
        pairs = pd.MultiIndex.from_arrays([model["record_id"], model["client_id"]])
        keep &= ~pairs.isin(list(excluded))
    kept = model[keep]

    human = pd.DataFrame({"record_id": list(linked), "client_id": list(linked.values())})
    if not human.empty:
        human = human.merge(
            model[["record_id", "client_id", "score", "explanation"]],
            how="left",
            on=["record_id", "client_id"],
        )
        human["decision"] = "match"
        human["decided_by"] = "human"
        kept = pd.concat([kept, human], ignore_index=True) if not kept.empty else human
    return kept[list(LINK_COLUMNS)].reset_index(drop=True)
