"""Sign-in (password, then a second factor when the account has one), sign-out,
the signed-in session of each request, the user's own account page, and
account administration.

Sessions live in the database (evidence/accounts/sessions.py): the signed
Flask cookie carries only a random token under ``sid``; ``check_session`` runs
before every request, finds the live session of that token (bound to the
browser's User-Agent, within the idle and absolute limits) and puts it in
``g.user_session``; Flask-Login's user loader only returns that session's
user, so neither an old cookie nor a forged "remember me" cookie signs anyone
in once the row is gone. Flask-Login's own session protection is off: it
would also bind the session to the IP address, which changes under Tor and on
mobile networks.

Signing in clears everything in the Flask session first and starts a new
session row under a new token, so nothing planted before sign-in survives.
An account with two-factor sign-in gets a row at the "second-factor" stage
after the password; only the code (``/sign-in/code``) completes it, under yet
another token. Roles listed in EVIDENCE_REQUIRE_2FA are sent to set up
two-factor sign-in and can open nothing else until they have.

Times come from ``now()``, which tests replace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from evidence.accounts import two_factor as totp
from evidence.accounts.forms import (
    ChangePasswordForm,
    CodeForm,
    ConfirmForm,
    EnrolForm,
    LanguageForm,
    NewAccountForm,
    PasswordForm,
    RoleForm,
    SignInForm,
)
from evidence.accounts.models import User, UserSession
from evidence.accounts.services import (
    authenticate,
    change_own_password,
    change_role,
    create_user,
    end_all_sessions,
    list_users,
    set_active,
    set_language,
    set_password,
)
from evidence.accounts.sessions import (
    COMPLETE,
    ENDED,
    IDLE,
    LIFETIME,
    SECOND_FACTOR,
    SessionLimits,
    complete_session,
    end_session,
    find_session,
    open_sessions,
    purge_expired_sessions,
    start_session,
    touch_session,
)
from evidence.accounts.throttling import (
    Pause,
    ThrottlePolicy,
    address_hash,
    clear_account,
    pause,
    record_failure,
)
from evidence.audit.log import log_event, set_actor
from evidence.core.timestamps import utcnow
from evidence.drafts.services import prune_drafts
from evidence.permissions import PUBLIC, SESSION, requires
from evidence.vocabularies import translatable
from evidence.web.language import chosen_language, error_text, remember_language
from evidence.web.record_views import commit_once, submit_form
from evidence.web.request_context import get_session

bp = Blueprint("accounts", __name__)

SESSION_TOKEN = "sid"
# What a signed-in user whose role requires two-factor sign-in may open before setting it up.
ENROLMENT_ENDPOINTS = frozenset({"accounts.two_factor", "accounts.sign_out", "static"})
SESSION_END_MESSAGES = {
    IDLE: translatable("You were signed out after a period of inactivity. Please sign in again."),
    LIFETIME: translatable("Your session reached its maximum length. Please sign in again."),
    ENDED: translatable(
        "Your session was ended (signed out elsewhere, or the account's password, role or"
        " status changed). Please sign in again."
    ),
}


def now() -> dt.datetime:
    """The current time (UTC); tests replace this to move time."""
    return utcnow()


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in, never another host."""
    if target:
        parts = urlsplit(target)
        same_site = not parts.scheme and not parts.netloc
        if same_site and target.startswith("/") and not target.startswith(("//", "/\\")):
            return target
    return url_for("dashboard.index")


def session_limits() -> SessionLimits:
    config = current_app.config
    return SessionLimits(
        idle=dt.timedelta(minutes=config["IDLE_TIMEOUT_MINUTES"]),
        lifetime=dt.timedelta(hours=config["SESSION_LIFETIME_HOURS"]),
    )


def throttle_policy() -> ThrottlePolicy:
    config = current_app.config
    return ThrottlePolicy(
        limit=config["SIGN_IN_LIMIT"],
        address_limit=config["SIGN_IN_ADDRESS_LIMIT"],
        first_cooldown=dt.timedelta(seconds=config["SIGN_IN_COOLDOWN_SECONDS"]),
        memory=dt.timedelta(hours=config["SIGN_IN_MEMORY_HOURS"]),
    )


def _user_agent() -> str:
    return request.headers.get("User-Agent", "")


def _client_address() -> str:
    return address_hash(current_app.secret_key, request.remote_addr or "unknown")


def current_user_session() -> UserSession | None:
    """The signed-in session of this request (set by ``check_session``)."""
    return g.get("user_session")


def signed_in_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the user of this request's live session, and no other."""
    record = current_user_session()
    return record.user if record is not None and str(record.user_id) == user_id else None


def two_factor_required(user: User) -> bool:
    return user.role in current_app.config["REQUIRE_2FA"]


def check_session() -> Response | None:
    """Before every request: the live session of the cookie's token, or sign the browser out."""
    g.user_session = None
    token = session.get(SESSION_TOKEN)
    if request.endpoint == "static" or not token:
        return None
    db = get_session()
    moment = now()
    lookup = find_session(
        db, token, user_agent=_user_agent(), at=moment, limits=session_limits(), stage=COMPLETE
    )
    db.commit()  # ends the reading transaction, so the update below is a transaction of its own
    if lookup.stale:
        touch_session(db, lookup.record, moment)
        db.commit()
    g.user_session = lookup.record
    if lookup.ended:
        logout_user()
        session.clear()
        if request.endpoint == "accounts.sign_in":
            return None
        flash(_(SESSION_END_MESSAGES[lookup.ended]), "info")
        target = request.full_path if request.method == "GET" else None
        return redirect(url_for("accounts.sign_in", next=target))
    user = lookup.record.user if lookup.record else None
    if (
        user is not None
        and two_factor_required(user)
        and not user.has_two_factor
        and request.endpoint not in ENROLMENT_ENDPOINTS
    ):
        flash(_("Your role requires two-factor sign-in. Set it up to continue."), "info")
        return redirect(url_for("accounts.two_factor"))
    return None


def _pause_text(seconds: int) -> str:
    if seconds < 120:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    if seconds < 7200:
        return ngettext("%(num)d minute", "%(num)d minutes", (seconds + 59) // 60)
    return ngettext("%(num)d hour", "%(num)d hours", (seconds + 3599) // 3600)


def _paused(template: str, waiting: Pause, **context: object) -> Response:
    if waiting.by_account:
        message = _(
            "Too many failed sign-ins for this account. Wait %(time)s before trying again,"
            " or ask an admin to unlock the account.",
            time=_pause_text(waiting.seconds),
        )
    else:
        message = _(
            "Too many failed sign-ins from your network address. Wait %(time)s before trying"
            " again, or ask an admin to unlock the account.",
            time=_pause_text(waiting.seconds),
        )
    response = make_response(render_template(template, paused=message, **context), 429)
    response.headers["Retry-After"] = str(waiting.seconds)
    return response


def _refuse(name: str, detail: str) -> None:
    """Count and audit a failed sign-in step (never the password or code tried)."""
    db = get_session()
    moment = now()
    started = record_failure(
        db, throttle_policy(), account=name, address=_client_address(), at=moment
    )
    actor = current_user.name if current_user.is_authenticated else "anonymous"
    log_event(db, "login-failed", detail, actor)
    if started is not None:
        log_event(
            db,
            "login-throttled",
            f"sign-in for account name {name!r} paused for {_pause_text(started.seconds)}"
            " after repeated failures",
            actor,
        )
    db.commit()


def _signed_in(record: UserSession, token: str, how: str) -> Response:
    """The last step of signing in: the cookie gets the token, the audit log the event."""
    db = get_session()
    user = record.user
    session[SESSION_TOKEN] = token
    session.permanent = True
    login_user(user)
    g.user_session = record
    clear_account(db, user.name)
    purge_expired_sessions(db, at=now(), limits=session_limits())
    prune_drafts(db, older_than=now() - dt.timedelta(days=current_app.config["DRAFT_DAYS"]))
    set_actor(db, user.name)
    log_event(db, "login", f"{user.name} signed in as {user.role}{how}", user.name)
    db.commit()  # also keeps a password hash that authenticate() upgraded
    return redirect(safe_next(request.args.get("next")))


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
        waiting = pause(db, throttle_policy(), account=name, address=_client_address(), at=now())
        if waiting is not None:
            return _paused("accounts/sign_in.html", waiting, form=form, refused=False)
        user = authenticate(db, name, form.password.data)
        if user is None:
            _refuse(name, f"sign-in refused for account name {name!r}")
            refused = True
        else:
            session.clear()
            stage = SECOND_FACTOR if user.has_two_factor else COMPLETE
            record, token = start_session(db, user, stage=stage, user_agent=_user_agent(), at=now())
            if stage == COMPLETE:
                return _signed_in(record, token, "")
            session[SESSION_TOKEN] = token
            db.commit()
            return redirect(url_for("accounts.second_factor", next=request.args.get("next")))
    status = 401 if refused else 200
    return render_template("accounts/sign_in.html", form=form, refused=refused), status


@bp.route("/sign-in/code", methods=["GET", "POST"])
@requires(PUBLIC)
def second_factor() -> Response | tuple[str, int] | str:
    """The second step of signing in, for accounts with two-factor sign-in."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    db = get_session()
    record = find_session(
        db,
        session.get(SESSION_TOKEN),
        user_agent=_user_agent(),
        at=now(),
        limits=session_limits(),
        stage=SECOND_FACTOR,
    ).record
    if record is None:
        db.commit()
        session.clear()
        flash(_("Sign in with your account name and password first."), "info")
        return redirect(url_for("accounts.sign_in"))
    user = record.user
    form = CodeForm()
    if form.validate_on_submit():
        waiting = pause(
            db, throttle_policy(), account=user.name, address=_client_address(), at=now()
        )
        if waiting is not None:
            return _paused("accounts/second_factor.html", waiting, form=form)
        how = totp.check_code(db, user, form.code.data, now())
        if how == "totp":
            return _signed_in(record, complete_session(db, record, now()), " (authenticator code)")
        if how == "recovery":
            left = totp.unused_recovery_codes(db, user)
            token = complete_session(db, record, now())
            if left <= 3:
                flash(
                    ngettext(
                        "You have %(num)d recovery code left. Make new ones on My account.",
                        "You have %(num)d recovery codes left. Make new ones on My account.",
                        left,
                    ),
                    "info",
                )
            return _signed_in(record, token, f" (recovery code; {left} left)")
        _refuse(user.name, f"second-factor code refused for account name {user.name!r}")
        form.code.errors = [
            _("this code is wrong, already used or expired; type the code your app shows now")
        ]
        return render_template("accounts/second_factor.html", form=form), 401
    db.commit()
    return render_template("accounts/second_factor.html", form=form)


@bp.post("/sign-out")
@requires(SESSION)
def sign_out() -> Response:
    db = get_session()
    record = current_user_session()
    if record is not None:
        end_session(db, record)
    log_event(db, "logout", f"{current_user.name} signed out", current_user.name)
    db.commit()
    return _signed_out()


def _signed_out() -> Response:
    """The browser forgets the session: its cookie is cleared, and it goes to sign-in."""
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.sign_in"))


# The signed-in user's own account: sessions, password, two-factor sign-in.


def _my_account_page(code_form: CodeForm | None = None) -> str:
    db = get_session()
    user = current_user
    return render_template(
        "accounts/me.html",
        user_sessions=open_sessions(db, user, at=now(), limits=session_limits()),
        this_session=current_user_session(),
        code_form=code_form or CodeForm(formdata=None),
        language_form=LanguageForm(formdata=None, language=user.language or ""),
        recovery_codes_left=totp.unused_recovery_codes(db, user) if user.has_two_factor else 0,
        two_factor_required=two_factor_required(user),
    )


def _recovery_codes_page(codes: list[str], heading: str) -> Response:
    """The codes, shown this once; never stored by a browser or proxy cache."""
    page = render_template("accounts/recovery_codes.html", codes=codes, heading=heading)
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def _back_to_my_account(message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("accounts.me"))


@bp.get("/account/")
@requires(SESSION)
def me() -> str:
    return _my_account_page()


@bp.post("/account/language")
@requires(SESSION)
def change_my_language() -> Response:
    """The account's interface language, from its settings page."""
    form = LanguageForm()
    saved = submit_form(
        form,
        lambda: set_language(get_session(), current_user, form.language.data or None),
        lambda _changed: _back_to_my_account(_("Your language is saved.")),
    )
    return saved or abort(400)


@bp.post("/language")
@requires(PUBLIC)
def switch_language() -> Response:
    """The switch in the header: this browser's language, and the account's once signed in."""
    language = chosen_language(request.form.get("language"))
    if language is None or not ConfirmForm().validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        db = get_session()
        set_language(db, current_user, language)
        db.commit()
    response = redirect(safe_next(request.form.get("next")))
    return remember_language(
        response, language, secure=bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    )


@bp.post("/account/sessions/<int:session_id>/end")
@requires(SESSION)
def end_my_session(session_id: int) -> Response:
    """End one of the user's own sessions (another user's id is 404, like a missing one)."""
    db = get_session()
    record = db.get(UserSession, session_id)
    if record is None or record.user_id != current_user.id:
        abort(404)
    this_one = record.id == current_user_session().id
    client = record.client

    def end() -> None:
        end_session(db, record)
        log_event(db, "sessions-ended", f"1 session of {current_user.name} ended by its owner")

    def ended(_changed: None) -> Response:
        if this_one:
            return _signed_out()
        return _back_to_my_account(_("The session in %(client)s is ended.", client=client))

    return submit_form(ConfirmForm(), end, ended) or abort(400)


@bp.post("/account/sessions/end-others")
@requires(SESSION)
def end_my_other_sessions() -> Response:

    def end_others() -> int:
        keep = current_user_session()
        return end_all_sessions(get_session(), current_user, "ended by their owner", keep=keep)

    def ended(count: int) -> Response:
        message = ngettext("%(num)d other session ended.", "%(num)d other sessions ended.", count)
        return _back_to_my_account(message)

    return submit_form(ConfirmForm(), end_others, ended) or abort(400)


@bp.route("/account/password", methods=["GET", "POST"])
@requires(SESSION)
def change_my_password() -> Response | tuple[str, int] | str:
    """The owner changes their password; their other sessions end."""
    db = get_session()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        name = current_user.name
        waiting = pause(db, throttle_policy(), account=name, address=_client_address(), at=now())
        if waiting is not None:
            return _paused("accounts/change_password.html", waiting, form=form)

        def change() -> None:
            change_own_password(
                db,
                current_user,
                current=form.current_password.data,
                new=form.password.data,
                keep=current_user_session(),
            )

        changed = commit_once(
            form,
            change,
            lambda _changed: _back_to_my_account(
                _("Your password is changed. Your other sessions were ended.")
            ),
        )
        if changed is not None:
            return changed
        if form.current_password.errors:
            _refuse(name, f"current password refused on the password page of {name!r}")
        return render_template("accounts/change_password.html", form=form), 400
    return render_template("accounts/change_password.html", form=form)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@requires(SESSION)
def two_factor() -> Response | tuple[str, int] | str:
    """Set up two-factor sign-in: scan the QR code (made here), confirm with a code."""
    if current_user.has_two_factor:
        return redirect(url_for("accounts.me"))
    db = get_session()
    secret = totp.enrolment_secret(current_app.secret_key, current_user_session().token_hash)
    form = EnrolForm()

    def enable() -> list[str]:
        codes = totp.enable(db, current_user, secret, code=form.code.data, at=now())
        log_event(db, "totp-enrolled", f"{current_user.name} turned on two-factor sign-in")
        return codes

    enabled = submit_form(
        form, enable, lambda codes: _recovery_codes_page(codes, _("Two-factor sign-in is on"))
    )
    if enabled is not None:
        return enabled
    status = 400 if form.is_submitted() else 200
    uri = totp.provisioning_uri(secret, current_user.name, current_app.config["TOTP_ISSUER"])
    page = render_template(
        "accounts/two_factor.html",
        form=form,
        qr_svg=totp.qr_code_svg(uri),
        secret=secret,
        required=two_factor_required(current_user),
    )
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/two-factor/recovery-codes")
@requires(SESSION)
def renew_recovery_codes() -> Response | tuple[str, int]:
    """Ten new recovery codes (the old ones stop working), for a code from the app."""
    if not current_user.has_two_factor:
        return redirect(url_for("accounts.two_factor"))
    db = get_session()
    form = CodeForm()
    if form.validate_on_submit():
        name = current_user.name
        waiting = pause(db, throttle_policy(), account=name, address=_client_address(), at=now())
        if waiting is not None:
            return redirect(url_for("accounts.me"))
        if totp.check_code(db, current_user, form.code.data, now()):
            codes = totp.new_recovery_codes(db, current_user)
            log_event(db, "recovery-codes-renewed", f"{name} made new recovery codes")
            db.commit()
            return _recovery_codes_page(codes, _("New recovery codes"))
        _refuse(name, f"second-factor code refused on the account page of {name!r}")
        form.code.errors = [
            _("this code is wrong, already used or expired; type the code your app shows now")
        ]
    return _my_account_page(code_form=form), 400


# Account administration (admins).


@bp.get("/accounts/")
@requires("accounts")
def index() -> str:
    return render_template("accounts/index.html", users=list_users(get_session()))


@bp.route("/accounts/new", methods=["GET", "POST"])
@requires("accounts")
def new() -> str | Response | tuple[str, int]:
    form = NewAccountForm()

    def create() -> User:
        return create_user(
            get_session(),
            name=form.name.data.strip(),
            role=form.role.data,
            password=form.password.data,
        )

    def created(user: User) -> Response:
        message = _("Account %(name)s created as %(role)s.", name=user.name, role=_(user.role))
        return _back_to_account(user, message)

    return submit_form(form, create, created) or (
        render_template("accounts/new.html", form=form),
        400 if form.is_submitted() else 200,
    )


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
        open_session_count=len(
            open_sessions(get_session(), user, at=now(), limits=session_limits())
        ),
    )


@bp.get("/accounts/<int:user_id>")
@requires("accounts")
def show(user_id: int) -> str:
    return _account_page(_load_user(user_id))


def _back_to_account(user: User, message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("accounts.show", user_id=user.id))


def _apply(
    user: User, form: FlaskForm, form_name: str, change: Callable[[], None], done: str
) -> Response | tuple[str, int]:
    """Validate ``form``, run ``change()``, commit and go back to the account page; or
    the account page again with the form's problems beside its fields (400)."""
    return submit_form(form, change, lambda _changed: _back_to_account(user, done)) or (
        _account_page(user, **{form_name: form}),
        400,
    )


@bp.post("/accounts/<int:user_id>/role")
@requires("accounts")
def role(user_id: int) -> Response | tuple[str, int]:
    user = _load_user(user_id)
    form = RoleForm()
    return _apply(
        user,
        form,
        "role_form",
        lambda: change_role(get_session(), user, form.role.data),
        _(
            "%(name)s now has the role %(role)s; their open sessions were ended.",
            name=user.name,
            role=_(form.role.data),
        ),
    )


@bp.post("/accounts/<int:user_id>/password")
@requires("accounts")
def password(user_id: int) -> Response | tuple[str, int]:
    user = _load_user(user_id)
    form = PasswordForm()
    own = current_user_session() if user.id == current_user.id else None
    return _apply(
        user,
        form,
        "password_form",
        lambda: set_password(get_session(), user, form.password.data, keep=own),
        _("A new password is set for %(name)s; their open sessions were ended.", name=user.name),
    )


@bp.post("/accounts/<int:user_id>/sessions/end")
@requires("accounts")
def end_sessions_of(user_id: int) -> Response:
    user = _load_user(user_id)
    keep = current_user_session() if user.id == current_user.id else None

    def end() -> int:
        return end_all_sessions(get_session(), user, f"ended by {current_user.name}", keep=keep)

    def ended(count: int) -> Response:
        message = ngettext(
            "%(num)d session of %(name)s ended.",
            "%(num)d sessions of %(name)s ended.",
            count,
            name=user.name,
        )
        return _back_to_account(user, message)

    return submit_form(ConfirmForm(), end, ended) or redirect(
        url_for("accounts.show", user_id=user.id)
    )


def _set_active(user_id: int, active: bool) -> Response:
    """Enable or disable from a button: a refusal comes back as a message on the page."""
    user = _load_user(user_id)
    form = ConfirmForm()
    done = (
        _("%(name)s is enabled.", name=user.name)
        if active
        else _("%(name)s is disabled.", name=user.name)
    )
    changed = submit_form(
        form,
        lambda: set_active(get_session(), user, active),
        lambda _changed: _back_to_account(user, done),
        refused=lambda error: flash(error_text(error), "error"),
    )
    return changed or redirect(url_for("accounts.show", user_id=user.id))


@bp.post("/accounts/<int:user_id>/disable")
@requires("accounts")
def disable(user_id: int) -> Response:
    return _set_active(user_id, active=False)


@bp.post("/accounts/<int:user_id>/enable")
@requires("accounts")
def enable(user_id: int) -> Response:
    return _set_active(user_id, active=True)
