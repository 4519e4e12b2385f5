"""Sign-in, sign-out, session limits and account administration.

Sessions are Flask's signed cookies. "A new session id at sign-in" is done
by clearing the whole session before signing in and storing a fresh random
``sid`` in it, so nothing set before sign-in (by an attacker who planted a
cookie, say) survives, and the cookie's content and signature change. The
cookie is HttpOnly, SameSite=Lax, and Secure when EVIDENCE_SECURE_COOKIES=1
or the request came over HTTPS (see evidence/__init__.py).

Two limits end a session, checked before every request: no request for
IDLE_TIMEOUT_MINUTES (idle timeout), or SESSION_LIFETIME_HOURS since sign-in
(absolute lifetime; also the cookie's own expiry). Times come from ``now()``,
which tests replace. Because the session lives in the cookie, signing out
cannot revoke a copy of the cookie taken earlier; the two limits bound how
long such a copy works, and disabling the account ends it at once.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from evidence.accounts.forms import ConfirmForm, NewAccountForm, PasswordForm, RoleForm, SignInForm
from evidence.accounts.models import User
from evidence.accounts.services import (
    AccountError,
    authenticate,
    change_role,
    create_user,
    list_users,
    set_active,
    set_password,
)
from evidence.audit.log import log_event, set_actor
from evidence.db import get_session
from evidence.permissions import PUBLIC, SESSION, requires
from evidence.web.forms import attach_service_error

bp = Blueprint("accounts", __name__)

SIGNED_IN_AT = "signed_in_at"
LAST_SEEN = "last_seen"
SESSION_ID = "sid"


def now() -> float:
    """Seconds since the epoch; tests replace this to move time."""
    return time.time()


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in, never another host."""
    if target:
        parts = urlsplit(target)
        same_site = not parts.scheme and not parts.netloc
        if same_site and target.startswith("/") and not target.startswith(("//", "/\\")):
            return target
    return url_for("dashboard.index")


@bp.before_app_request
def end_expired_session() -> Response | None:
    """Sign out a session that was idle too long or outlived its absolute lifetime."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    moment = now()
    idle_limit = current_app.config["IDLE_TIMEOUT_MINUTES"] * 60
    lifetime = current_app.config["SESSION_LIFETIME_HOURS"] * 3600
    if moment - session.get(LAST_SEEN, 0) > idle_limit:
        reason = "You were signed out after a period of inactivity. Please sign in again."
    elif moment - session.get(SIGNED_IN_AT, 0) > lifetime:
        reason = "Your session reached its maximum length. Please sign in again."
    else:
        session[LAST_SEEN] = moment
        return None
    logout_user()
    session.clear()
    flash(reason, "info")
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("accounts.sign_in", next=target))


@bp.route("/sign-in", methods=["GET", "POST"])
@requires(PUBLIC)
def sign_in() -> Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = SignInForm()
    refused = False
    if form.validate_on_submit():
        db = get_session()
        name = form.name.data.strip()
        user = authenticate(db, name, form.password.data)
        if user is None:
            log_event(db, "login-failed", f"sign-in refused for account name {name!r}", "anonymous")
            db.commit()
            refused = True
        else:
            session.clear()
            login_user(user)
            session.permanent = True
            session[SESSION_ID] = secrets.token_urlsafe(24)
            session[SIGNED_IN_AT] = session[LAST_SEEN] = now()
            set_actor(db, user.name)
            log_event(db, "login", f"{user.name} signed in as {user.role}", user.name)
            db.commit()  # also keeps a password hash that authenticate() upgraded
            return redirect(safe_next(request.args.get("next")))
    status = 401 if refused else 200
    return render_template("accounts/sign_in.html", form=form, refused=refused), status


@bp.post("/sign-out")
@requires(SESSION)
def sign_out() -> Response:
    db = get_session()
    log_event(db, "logout", f"{current_user.name} signed out", current_user.name)
    db.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("accounts.sign_in"))


@bp.get("/accounts/")
@requires("accounts")
def index() -> str:
    return render_template("accounts/index.html", users=list_users(get_session()))


@bp.route("/accounts/new", methods=["GET", "POST"])
@requires("accounts")
def new() -> str | Response:
    form = NewAccountForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            user = create_user(
                db, name=form.name.data.strip(), role=form.role.data, password=form.password.data
            )
        except AccountError as error:
            attach_service_error(form, error)
        else:
            db.commit()
            flash(f"Account {user.name} created as {user.role}.", "success")
            return redirect(url_for("accounts.show", user_id=user.id))
    return render_template("accounts/new.html", form=form)


def _load_user(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _account_page(user: User, **forms: FlaskForm) -> str:
    return render_template(
        "accounts/show.html",
        account=user,
        role_form=forms.get("role_form") or RoleForm(role=user.role),
        password_form=forms.get("password_form") or PasswordForm(formdata=None),
        active_form=ConfirmForm(formdata=None),
    )


@bp.get("/accounts/<int:user_id>")
@requires("accounts")
def show(user_id: int) -> str:
    return _account_page(_load_user(user_id))


def _apply(
    user: User, form: FlaskForm, form_name: str, change: Callable[[], None], done: str
) -> str | Response | tuple[str, int]:
    """Validate ``form``, run ``change()``, commit and go back to the account page."""
    if form.validate_on_submit():
        try:
            change()
        except AccountError as error:
            get_session().rollback()
            attach_service_error(form, error)
        else:
            get_session().commit()
            flash(done, "success")
            return redirect(url_for("accounts.show", user_id=user.id))
    return _account_page(user, **{form_name: form}), 400


@bp.post("/accounts/<int:user_id>/role")
@requires("accounts")
def role(user_id: int) -> str | Response | tuple[str, int]:
    user = _load_user(user_id)
    form = RoleForm()
    return _apply(
        user,
        form,
        "role_form",
        lambda: change_role(get_session(), user, form.role.data),
        f"{user.name} now has the role {form.role.data}.",
    )


@bp.post("/accounts/<int:user_id>/password")
@requires("accounts")
def password(user_id: int) -> str | Response | tuple[str, int]:
    user = _load_user(user_id)
    form = PasswordForm()
    return _apply(
        user,
        form,
        "password_form",
        lambda: set_password(get_session(), user, form.password.data),
        f"A new password is set for {user.name}.",
    )


def _set_active(user_id: int, active: bool) -> Response:
    user = _load_user(user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            set_active(get_session(), user, active)
        except AccountError as error:
            get_session().rollback()
            flash(str(error).partition(": ")[2], "error")
        else:
            get_session().commit()
            flash(f"{user.name} is {'enabled' if active else 'disabled'}.", "success")
    return redirect(url_for("accounts.show", user_id=user.id))


@bp.post("/accounts/<int:user_id>/disable")
@requires("accounts")
def disable(user_id: int) -> Response:
    return _set_active(user_id, active=False)


@bp.post("/accounts/<int:user_id>/enable")
@requires("accounts")
def enable(user_id: int) -> Response:
    return _set_active(user_id, active=True)
