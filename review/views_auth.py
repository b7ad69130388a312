"""Login (password + one-time code, lockout) and logout."""

from __future__ import annotations

import math
import secrets

from flask import Blueprint, g, make_response, redirect, render_template, request, url_for

from review import accounts
from review.app import (
    HOME,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    cookie_secure,
    engine,
    log,
    login_limits,
    settings,
)
from warehouse.db import write_transaction

bp = Blueprint("auth", __name__)


@bp.get("/login")
def login():
    return _login_page(message=request.args.get("m"))


def _login_page(message: str | None = None, error: str | None = None, status: int = 200):
    # double-submit CSRF token (there is no session yet); kept while the cookie lives, so another
    # tab or a background request (favicon) loading the login page does not void this form
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render_template("login.html", csrf_token=token, message=message, error=error), status
    resp = make_response(response)
    resp.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict", secure=cookie_secure(), path="/login"
    )
    return resp


@bp.post("/login")
def login_post():
    if not accounts.csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), request.form.get("csrf_token")):
        log("login", outcome="csrf_refused", username=None)
        return _login_page(error="The form expired. Please try again.", status=400)
    username = request.form.get("username", "").strip()[:64]
    limits = login_limits()
    verdict, limit = limits.check(request.remote_addr, username)
    if not verdict.allowed:
        # one audit entry a minute per address / account name, not one per request of a flood
        if verdict.report:
            log("login", outcome=f"rate_limited_{limit}", username=username or None)
        response = _login_page(
            error="Too many login attempts. Please wait a minute and try again.", status=429
        )
        response.headers["Retry-After"] = str(max(1, math.ceil(verdict.retry_after)))
        return response
    if not limits.password_checks.try_acquire():
        response = _login_page(error="The server is busy. Please try again in a few seconds.", status=503)
        response.headers["Retry-After"] = "5"
        return response
    try:
        result = accounts.authenticate(
            engine(), settings(), username, request.form.get("password", ""), request.form.get("code", "")
        )
    finally:
        limits.password_checks.release()
    log("login", outcome=result.outcome, username=username or None)
    if result.user is None:
        s = settings()
        return _login_page(
            error=(
                "Login failed: wrong user name, password or one-time code. After "
                f"{s.max_failed_logins} failed attempts an account is locked for {s.lockout_minutes} minutes."
            ),
            status=401,
        )
    token = result.token
    response = redirect(url_for(HOME[result.user.role]), code=303)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="Strict", secure=cookie_secure(), path="/"
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@bp.post("/logout")
def logout():
    with write_transaction(engine()) as conn:
        accounts.end_session(conn, g.session)
    log("logout")
    response = redirect(url_for("auth.login", m="logged_out"), code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@bp.get("/")
def home():
    return redirect(url_for(HOME[g.user.role]))
