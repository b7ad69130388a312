"""The coordinator's pages: the queue, a review item and its decisions, a client's profile."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from matchers.reasons import REASONS
from review import accounts, deciding, queue
from review.app import audit_in, engine, log, parse_date, queue_order, requires, settings
from review.item import ITEMS, item_view
from review.profile import client_for_ref, measures_today, profile, refs_for, search_clients
from review.queue import group_items
from review.sources import agency_names
from warehouse import decisions, youth
from warehouse.db import write_transaction
from warehouse.errors import WarehouseError
from warehouse.learned_names import active_names, remove_name
from warehouse.models import ReviewDecision, ReviewUndo

bp = Blueprint("review", __name__)
COORDINATOR = "coordinator"
DECISION_WORDS = {
    "same_person": "Same person",
    "not_this_person": "Not this person",
    "link_other_client": "Linked to another client",
    "none_of_these": "None of these clients",
}


@bp.get("/queue")
@requires(COORDINATOR)
def queue_view():
    flt = queue.QueueFilter(
        source=request.args.get("source") or None,
        received_from=parse_date(request.args.get("from")),
        received_to=parse_date(request.args.get("to")),
        reason=request.args.get("reason") or None,
    )
    page = request.args.get("page", "1")
    with engine().connect() as conn:
        result = queue.queue_page(
            conn, queue_order(), flt, int(page) if page.isdigit() else 1, settings().page_size
        )
    filters = {k: request.args[k] for k in ("source", "from", "to", "reason") if request.args.get(k)}
    return render_template(
        "queue.html",
        q=result,
        flt=flt,
        page_url=lambda n: url_for("review.queue_view", page=n, **filters),
        agencies=agency_names(),
        reason_words=REASONS,
        done=_done_banner(),
        message=request.args.get("m"),
    )


@bp.get("/items/<int:item_id>")
@requires(COORDINATOR)
def item(item_id: int, search: dict | None = None):
    with engine().connect() as conn:
        view = item_view(
            conn, item_id, request.args.get("c"), refs_for, group_items(conn, queue_order(), item_id)
        )
        if view is None:
            abort(404)
        results = []
        if search is not None:
            results = search_clients(conn, search["q"])
            refs = refs_for(conn, [r["client_id"] for r in results])
            results = [dict(r, ref=refs[r["client_id"]]) for r in results]
        history_refs = refs_for(conn, [view.chosen.client_id]) if view.chosen else {}
    log(
        "view_item",
        subject_type="review_item",
        subject_id=item_id,
        clients=[c.client_id for c in view.candidates] + [r["client_id"] for r in results],
        detail=f"items {' '.join(str(r.item['id']) for r in view.rows)}" if len(view.rows) > 1 else None,
    )
    return render_template(
        "item.html",
        v=view,
        agencies=agency_names(),
        search=search,
        results=results,
        history_ref=history_refs.get(view.chosen.client_id) if view.chosen else None,
        done=_done_banner(),
        message=request.args.get("m"),
    )


@bp.post("/items/<int:item_id>/search")
@requires(COORDINATOR)
def item_search(item_id: int):
    # a POST, so what was typed (a name) never appears in a URL, a log line or the browser history
    text = request.form.get("q", "").strip()[:100]
    log("search_clients", subject_type="review_item", subject_id=item_id, detail=f"{len(text.split())} words")
    return item(item_id, search={"q": text})


@bp.post("/items/<int:item_id>/decide")
@requires(COORDINATOR)
def decide(item_id: int):
    """One decision for the youth's rows ticked on the item page (all of them by default)."""
    decision = request.form.get("decision", "")
    if decision not in DECISION_WORDS:
        abort(400, "Unknown decision.")
    with engine().connect() as conn:
        row = conn.execute(sa.select(ITEMS).where(ITEMS.c.id == item_id)).mappings().first()
        client_id = client_for_ref(conn, request.form.get("client_ref", ""))
    if row is None:
        abort(404)
    if row["status"] != "open":
        log("decision", outcome="refused_not_open", subject_type="review_item", subject_id=item_id)
        abort(400, "This item was already decided.")
    if client_id is None and decision != "none_of_these":
        abort(400, "Choose a client first.")
    ticked = request.form.getlist("rows")
    rows = [int(r) for r in ticked if r.isdigit()] if ticked else None
    note = request.form.get("note", "").strip()[:2000] or None

    audited = _decision_audit("review_item", item_id, client_id, decision)
    try:
        outcome = deciding.decide_item(
            engine(),
            item_id,
            client_id=client_id,
            decision=decision,
            decided_by=g.user.username,
            rows=rows,
            note=note,
            order=queue_order(),
            also=audited,
        )
    except WarehouseError as exc:
        log(
            "decision",
            outcome="failed",
            subject_type="review_item",
            subject_id=item_id,
            clients=[client_id] if client_id else [],
        )
        abort(400, str(exc))
    with engine().connect() as conn:
        still = [i for i in group_items(conn, queue_order(), item_id) if _is_open(conn, i)]
    if still:  # rows remain (other candidates, or rows left unticked): stay on this youth
        return redirect(url_for("review.item", item_id=still[0], done=outcome.youth_decision_id), code=303)
    return _to_next(item_id, done=outcome.youth_decision_id)


def _is_open(conn: sa.Connection, item_id: int) -> bool:
    return conn.execute(sa.select(ITEMS.c.status).where(ITEMS.c.id == item_id)).scalar_one_or_none() == "open"


@bp.post("/items/<int:item_id>/skip")
@requires(COORDINATOR)
def skip(item_id: int):
    with write_transaction(engine()) as conn:
        accounts.remember_skip(conn, g.session, item_id)
    log("skip", subject_type="review_item", subject_id=item_id)
    return _to_next(item_id, skipped=(*g.session.skipped, item_id), m="skipped")


def _to_next(item_id: int, skipped: tuple[int, ...] | None = None, **args: object):
    with engine().connect() as conn:
        nxt = queue.next_item(
            conn, queue_order(), after=item_id, skipped=g.session.skipped if skipped is None else skipped
        )
    if nxt is None:
        return redirect(url_for("review.queue_view", **args), code=303)
    return redirect(url_for("review.item", item_id=nxt, **args), code=303)


@bp.post("/undo")
@requires(COORDINATOR)
def undo():
    """Undo this user's latest decision that still stands: the whole decision about a youth (every
    row it decided, later rows it answered, names it taught)."""
    with engine().connect() as conn:
        youth_id = youth.latest_standing(conn, g.user.username)
        found = youth.youth_decision(conn, youth_id) if youth_id is not None else None
    if found is None:
        return _undo_single()
    client_id = found["client_id"]
    clients = sorted({r["client_id"] for r in found["rows"] if r["client_id"]})

    def audited(conn, outcome: youth.YouthOutcome) -> None:
        audit_in(
            conn,
            "undo",
            subject_type="youth_decision",
            subject_id=youth_id,
            clients=[*clients, *outcome.clients],
            detail=f"item {found['item_id']}; {len(outcome.outcomes)} row decisions undone",
        )

    try:
        youth.undo_youth(engine(), youth_id, g.user.username, also=audited)
    except WarehouseError as exc:
        log("undo", outcome="refused", subject_type="youth_decision", subject_id=youth_id, clients=clients)
        abort(400, str(exc))
    back = request.form.get("back")
    if back == "client" and client_id:
        with engine().connect() as conn:
            ref = refs_for(conn, [client_id])[client_id]
        return redirect(url_for("review.client", ref=ref, m="undone"), code=303)
    if found["item_id"] is None:
        return redirect(url_for("review.queue_view", m="undone"), code=303)
    return redirect(url_for("review.item", item_id=found["item_id"], m="undone"), code=303)


def _undo_single():
    """A decision made before decisions were per youth (no youth decision holds it)."""
    rd, un = ReviewDecision.__table__, ReviewUndo.__table__
    yr = youth.YR
    with engine().connect() as conn:
        last = conn.execute(
            sa.select(rd.c.id, rd.c.source, rd.c.record_id, rd.c.client_id)
            .outerjoin(un, un.c.decision_id == rd.c.id)
            .outerjoin(yr, yr.c.decision_id == rd.c.id)
            .where(rd.c.decided_by == g.user.username, un.c.decision_id.is_(None), yr.c.decision_id.is_(None))
            .order_by(rd.c.id.desc())
            .limit(1)
        ).first()
        item_id = (
            conn.execute(
                sa.select(ITEMS.c.id).where(
                    ITEMS.c.source == last.source, ITEMS.c.record_id == last.record_id
                )
            ).scalar_one_or_none()
            if last
            else None
        )
    if last is None:
        return redirect(url_for("review.queue_view", m="nothing_to_undo"), code=303)

    def audited(conn, outcome: decisions.Outcome) -> None:
        audit_in(
            conn,
            "undo",
            subject_type="decision",
            subject_id=last.id,
            clients=[last.client_id, *outcome.clients],
            detail=f"item {item_id}; item {outcome.item_status or 'none'}",
        )

    try:
        decisions.undo(engine(), last.id, g.user.username, also=audited)
    except WarehouseError as exc:
        log("undo", outcome="refused", subject_type="decision", subject_id=last.id, clients=[last.client_id])
        abort(400, str(exc))
    if item_id is None:
        return redirect(url_for("review.queue_view", m="undone"), code=303)
    return redirect(url_for("review.item", item_id=item_id, m="undone"), code=303)


@bp.get("/clients/<ref>")
@requires(COORDINATOR)
def client(ref: str):
    with engine().connect() as conn:
        client_id = client_for_ref(conn, ref)
        prof = profile(conn, client_id) if client_id else None
    if prof is None:
        log("view_client", outcome="not_found", subject_type="client_ref")
        abort(404)
    measures = measures_today(engine(), client_id, date.today())
    with engine().connect() as conn:
        learned = active_names(conn, [client_id]).get(client_id, [])
        remembered = youth.client_decisions(conn, client_id)
    log("view_client", subject_type="client", subject_id=client_id, clients=[client_id])
    return render_template(
        "client.html",
        p=prof,
        measures=measures,
        learned=learned,
        remembered=remembered,
        decision_words=DECISION_WORDS,
        ref=ref,
        agencies=agency_names(),
        done=_done_banner(),
        message=request.args.get("m"),
    )


@bp.post("/clients/<ref>/reject")
@requires(COORDINATOR)
def reject_link(ref: str):
    """Undo a wrong match from the profile: "not this person" for that agency row and this client."""
    link_id = request.form.get("link_id", "")
    with engine().connect() as conn:
        client_id = client_for_ref(conn, ref)
        links = decisions.MatchLink.__table__
        link = conn.execute(
            sa.select(links.c.source, links.c.record_id, links.c.client_id).where(
                links.c.id == int(link_id) if link_id.isdigit() else sa.false()
            )
        ).first()
    if client_id is None or link is None or link.client_id != client_id:
        abort(404)
    audited = _decision_audit("match_link", link_id, client_id, "not_this_person from the profile")
    outcome = youth.decide_youth(
        engine(),
        rows=[(link.source, link.record_id)],
        client_id=client_id,
        decision="not_this_person",
        decided_by=g.user.username,
        note=request.form.get("note", "").strip()[:2000] or None,
        also=audited,
    )
    return redirect(url_for("review.client", ref=ref, done=outcome.youth_decision_id), code=303)


@bp.post("/clients/<ref>/learned/<int:name_id>/remove")
@requires(COORDINATOR)
def remove_learned(ref: str, name_id: int):
    """Stop matching with a name a decision taught about the client."""
    with engine().connect() as conn:
        client_id = client_for_ref(conn, ref)
    if client_id is None:
        abort(404)

    def audited(conn) -> None:
        audit_in(
            conn, "remove_learned_name", subject_type="client", subject_id=client_id, clients=[client_id]
        )

    try:
        remove_name(engine(), name_id, client_id, g.user.username, also=audited)
    except WarehouseError:
        abort(404)
    return redirect(url_for("review.client", ref=ref, m="name_removed"), code=303)


def _decision_audit(subject_type: str, subject_id: object, client_id: str | None, what: str):
    """The audit entry of a decision, written in the decision's own transaction (both or neither)."""

    def audited(conn, outcome: youth.YouthOutcome) -> None:
        rows = len({(o.source, o.record_id) for o in outcome.outcomes})
        audit_in(
            conn,
            "decision",
            subject_type=subject_type,
            subject_id=subject_id,
            clients=[*([client_id] if client_id else []), *outcome.clients],
            detail=f"{outcome.decision or what}; youth decision {outcome.youth_decision_id}; {rows} rows"
            + (f"; {len(outcome.open_rows)} rows still open" if outcome.open_rows else "")
            + (f"; {outcome.purged} rows left the warehouse" if outcome.purged else "")
            + (f"; {outcome.learned} names learned" if outcome.learned else ""),
        )

    return audited


def _done_banner() -> dict | None:
    """The decision just made by this user (``?done=<youth decision id>``), for the banner with Undo."""
    done = request.args.get("done", "")
    if not done.isdigit():
        return None
    with engine().connect() as conn:
        found = youth.youth_decision(conn, int(done))
    if found is None or found["decided_by"] != g.user.username or not found["standing"]:
        return None
    rows = len([r for r in found["rows"] if not r["remembered"]])
    return {"id": found["id"], "word": DECISION_WORDS.get(found["decision"], found["decision"]), "rows": rows}
