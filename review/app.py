"""The Flask application: login, the queue, review items, client profiles, reports, admin.

Every request but the login page needs a live session; every POST needs the session's CSRF token;
every view of a client or a review item, every login, decision and undo is written to the audit log.
URLs carry only opaque ids (review item numbers, random client references), never client data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, abort, g, redirect, render_template, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from integrations.vocabularies import label
from review import accounts, audit
from review.queue import QueueOrder
from review.ratelimit import LoginLimits
from review.settings import ReviewSettings
from warehouse.db import make_engine, resolve_url, write_transaction

SESSION_COOKIE = "snr_session"
LOGIN_CSRF_COOKIE = "snr_login_csrf"
#: pages anyone may open without a session
PUBLIC_ENDPOINTS = {"auth.login", "auth.login_post", "static"}
HOME = {"coordinator": "review.queue_view", "analyst": "reports.summary", "admin": "admin.users"}
MESSAGES = {
    # "expired" is written per app: it names the configured idle time (see ``_messages``)
    "invalid": "Your session is not valid. Please log in.",
    "logged_out": "You are logged out.",
    "undone": "Decision undone.",
    "nothing_to_undo": "You have no decision left to undo.",
    "skipped": "Skipped for now: the item stays in the queue.",
    "name_removed": "The learned name is removed: later runs no longer match with it.",
}


def create_app(warehouse_url: str | None = None, settings: ReviewSettings | None = None) -> Flask:
    app = Flask(__name__)
    settings = settings or ReviewSettings.configured()
    app.config["SAFETYNET_SETTINGS"] = settings
    app.config["SAFETYNET_ENGINE"] = make_engine(resolve_url(warehouse_url))
    app.config["SAFETYNET_QUEUE_ORDER"] = QueueOrder()
    app.config["SAFETYNET_LOGIN_LIMITS"] = LoginLimits(
        settings.logins_per_minute_per_address,
        settings.logins_per_minute_per_account,
        settings.password_checks_at_once,
    )
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024  # forms only
    # every template escapes, whatever its name (Flask's default only covers .html/.htm/.xml/.svg)
    app.jinja_env.autoescape = True
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.jinja_env.globals.update(MESSAGES=_messages(settings))
    app.jinja_env.filters["vocab"] = label  # a code's words (integrations/vocabularies.py)
    app.jinja_env.filters["pct"] = lambda v: "" if v is None else f"{100 * float(v):.1f}%"
    app.jinja_env.filters["day"] = lambda v: (
        "" if v is None else (v.date() if hasattr(v, "date") else v).isoformat()
    )

    from review.views_admin import bp as admin_bp
    from review.views_auth import bp as auth_bp
    from review.views_reports import bp as reports_bp
    from review.views_review import bp as review_bp

    for bp in (auth_bp, review_bp, reports_bp, admin_bp):
        app.register_blueprint(bp)
    app.before_request(_require_session)
    app.after_request(_secure_headers)
    app.register_error_handler(
        403, lambda e: (render_template("error.html", code=403, text=e.description), 403)
    )
    app.register_error_handler(
        404, lambda e: (render_template("error.html", code=404, text="Not found."), 404)
    )
    app.register_error_handler(
        400, lambda e: (render_template("error.html", code=400, text=e.description), 400)
    )
    return app


def _messages(settings: ReviewSettings) -> dict[str, str]:
    minutes = settings.idle_minutes
    idle = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return MESSAGES | {"expired": f"Your session expired after {idle} without activity. Please log in again."}


def engine() -> sa.Engine:
    from flask import current_app

    return current_app.config["SAFETYNET_ENGINE"]


def queue_order() -> QueueOrder:
    from flask import current_app

    return current_app.config["SAFETYNET_QUEUE_ORDER"]


def login_limits() -> LoginLimits:
    from flask import current_app

    return current_app.config["SAFETYNET_LOGIN_LIMITS"]


def settings() -> ReviewSettings:
    from flask import current_app

    return current_app.config["SAFETYNET_SETTINGS"]


def log(action: str, outcome: str = "ok", **kw: Any) -> None:
    """One audit entry for the current user and request, in its own transaction."""
    with write_transaction(engine()) as conn:
        audit_in(conn, action, outcome, **kw)


def audit_in(conn: sa.Connection, action: str, outcome: str = "ok", **kw: Any) -> None:
    """One audit entry for the current user and request, in the caller's transaction."""
    user = getattr(g, "user", None)
    audit.record(
        conn,
        username=kw.pop("username", user.username if user else None),
        action=action,
        outcome=outcome,
        remote_addr=request.remote_addr,
        **kw,
    )


def _require_session() -> Response | None:
    g.user = g.session = None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = request.cookies.get(SESSION_COOKIE)
    session, why = accounts.load_session(engine(), settings(), token)
    if session is None:
        if why != "none":
            log("session_refused", outcome=why)
        response = redirect(
            url_for("auth.login", m="expired" if why == "expired" else "invalid" if token else None)
        )
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
    g.session, g.user = session, session.user
    if request.method == "POST" and not accounts.csrf_ok(session.csrf_token, request.form.get("csrf_token")):
        log("csrf_refused", outcome="refused", subject_type="path", subject_id=request.path)
        abort(400, "The form was missing its security token (CSRF). Reload the page and try again.")
    return None


def _secure_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if cookie_secure():
        # RFC 6797: only over https (or when the operator says a TLS proxy is in front)
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


def cookie_secure() -> bool:
    configured = settings().secure_cookies
    return request.is_secure if configured is None else configured


def requires(*roles: str) -> Callable:
    """Only these roles; anyone else gets 403, and the attempt is audited."""

    def wrap(view: Callable) -> Callable:
        @wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if g.user is None or g.user.role not in roles:
                log("access_denied", outcome="denied", subject_type="path", subject_id=request.endpoint)
                abort(403, "Your role does not give access to this page.")
            return view(*args, **kwargs)

        return inner

    return wrap


def parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
