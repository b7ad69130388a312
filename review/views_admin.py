"""The admin's pages: accounts (unlock, deactivate) and the audit log (view, per-client export)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from review import accounts, audit
from review.app import engine, log, requires
from warehouse.db import write_transaction

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@requires("admin")
def users():
    with engine().connect() as conn:
        rows = accounts.list_users(conn)
    return render_template("admin_users.html", users=rows, locked=accounts.locked)


@bp.post("/users/<int:user_id>/<action>")
@requires("admin")
def user_action(user_id: int, action: str):
    with write_transaction(engine()) as conn:
        if action == "unlock":
            accounts.unlock(conn, user_id)
        elif action in ("deactivate", "activate"):
            accounts.set_active(conn, user_id, action == "activate")
        else:
            abort(404)
    log(f"account_{action}", subject_type="user", subject_id=user_id)
    return redirect(url_for("admin.users"), code=303)


@bp.get("/audit")
@requires("admin")
def audit_log():
    action = request.args.get("action") or None
    username = request.args.get("user") or None
    before = request.args.get("before", "")
    with engine().connect() as conn:
        rows = audit.entries(
            conn, action=action, username=username, before_id=int(before) if before.isdigit() else None
        )
    log("view_audit_log")
    return render_template("admin_audit.html", rows=rows, action=action, username=username)


@bp.post("/audit/export")
@requires("admin")
def audit_export():
    # the client id comes in the form body, not the URL
    client_id = request.form.get("client_id", "").strip()[:64]
    if not client_id:
        abort(400, "Enter a client id.")
    with engine().connect() as conn:
        text = audit.export_client_csv(conn, client_id)
    log("export_audit", subject_type="client", subject_id=client_id, clients=[client_id])
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit_client.csv"'},
    )
