"""evidence: an accountability evidence database."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, abort, has_request_context, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext
from markupsafe import escape

from evidence.config import STATIC_DIR, TEMPLATES_DIR, Config
from evidence.vocabularies import translatable
from evidence.web.headers import register_security_headers
from evidence.web.input import register_input_limits
from evidence.web.language import register_languages


def create_app(config: Config | None = None, *, web: bool = True) -> Flask:
    """Build the application in named steps: settings, database, web, errors, CLI.

    Without ``web`` it is the application of a command (`evidence dossier`, `evidence
    audit verify`...): settings, database, languages and commands, but no pages, sign-in
    or task queue, whose imports cost a command more than its own work (the task
    queue is built when a command first asks for it, see evidence.jobs.queue)."""
    config = config or Config()
    app = _Application(
        __name__,
        template_folder=str(TEMPLATES_DIR),
        static_folder=str(STATIC_DIR),
        instance_path=str(Path(config.DATABASE_URL.removeprefix("sqlite:///")).parent)
        if config.DATABASE_URL.startswith("sqlite:///")
        else None,
    )
    app.config.from_mapping(config.as_flask_mapping())
    # Behind reverse proxies: EVIDENCE_PROXY_FIX=1 trusts one hop's X-Forwarded-* headers,
    # EVIDENCE_PROXY_COUNT=N trusts N hops (sign-in throttling counts the real client).
    hops = config.PROXY_COUNT or (1 if config.PROXY_FIX else 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    register_database(app, config)
    register_languages(app)
    if web or app.config["TESTING"]:
        # Argon2's cost follows TESTING; a command's application outside the tests keeps
        # the full cost the hasher has from its import, and does not import it for nothing.
        from evidence.accounts.passwords import use_cheap_hashing

        use_cheap_hashing(app.config["TESTING"])
    if web:
        register_queue(app)
        register_extensions(app)
        register_security_headers(app)
        register_input_limits(app)
        register_blueprints(app)
        register_error_handlers(app)
    register_cli(app)
    return app


class _Application(Flask):
    """Flask, with each request retried whole when the database says "try again".

    A transaction that fails as transient (SQLite still busy after its waits,
    a PostgreSQL serialization failure or deadlock) wrote nothing, so the
    request runs again from the start in a fresh session, a bounded number of
    times; only then does the user see the error page.
    """

    def full_dispatch_request(self) -> Any:
        from flask import g

        from evidence.db import is_transient, retry_delays
        from evidence.web.request_context import close_session

        delays = retry_delays()
        while True:
            try:
                return super().full_dispatch_request()
            except Exception as error:
                delay = next(delays)
                if delay is None or not is_transient(error):
                    raise
                self.logger.warning("retrying %s %s: %s", request.method, request.path, error)
            close_session()
            g.pop("_login_user", None)  # reloaded in the fresh session
            for upload in request.files.values():
                upload.stream.seek(0)
            time.sleep(delay)


def register_database(app: Flask, config: Config) -> None:
    from evidence.audit.log import set_seal_key
    from evidence.db import make_engine, make_session_factory, make_writer_factory
    from evidence.hooks import install_hooks
    from evidence.web.request_context import close_session

    if config.DATABASE_URL.startswith("sqlite:///"):
        Path(config.DATABASE_URL.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    set_seal_key(config.SECRET_KEY)
    engine = make_engine(config.DATABASE_URL)
    app.extensions["evidence.engine"] = engine
    app.extensions["evidence.sessions"] = install_hooks(make_session_factory(engine))
    app.extensions["evidence.writers"] = install_hooks(make_writer_factory(engine))
    app.teardown_appcontext(close_session)


def register_queue(app: Flask) -> None:
    """The task queue that runs dossiers, link checks and captures (evidence.jobs)."""
    from evidence.jobs.queue import register_queue as register

    register(app)


def register_extensions(app: Flask) -> None:
    """Sign-in (Flask-Login over server-side sessions), CSRF on every form (Flask-WTF),
    session cookies, template helpers.

    Also a fail-closed guard: a request to an endpoint that declared no
    action with @requires is refused, so a forgotten check cannot open a page.
    """
    from flask_login import LoginManager, current_user
    from flask_wtf.csrf import CSRFProtect

    from evidence.accounts.views import check_session, signed_in_user
    from evidence.audit.log import set_actor
    from evidence.jobs.queue import job_is_stuck, job_progress
    from evidence.permissions import can, required_action
    from evidence.web.formatting import action_label, describe_times, when
    from evidence.web.navigation import current_section, navigation_for, record_url, url_with
    from evidence.web.output import install_output_protection, shown_user
    from evidence.web.request_context import current_protection, get_session

    app.session_interface = _SessionInterface()
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["SESSION_LIFETIME_HOURS"])

    login_manager = LoginManager(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = translatable("Please sign in to open that page.")
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    # Server-side sessions (evidence/accounts/views.py) replace Flask-Login's protection,
    # which would also tie a session to an IP address that Tor and mobile networks change.
    login_manager.session_protection = None
    # The user of this request's live session row, or nobody: neither an old session
    # cookie nor a "remember me" cookie can sign anyone in without that row.
    login_manager.user_loader(signed_in_user)

    CSRFProtect(app)

    @app.before_request
    def refuse_undeclared_endpoints() -> None:
        view = app.view_functions.get(request.endpoint or "")
        if view is not None and request.endpoint != "static" and required_action(view) is None:
            app.logger.error("endpoint %s declares no action; refusing it", request.endpoint)
            abort(403)

    app.before_request(check_session)

    @app.before_request
    def refuse_nul_bytes_in_the_address() -> None:
        # No search or filter needs a NUL byte, and PostgreSQL cannot compare text holding one.
        if any("\x00" in name + value for name, value in request.args.items(multi=True)):
            abort(400)

    @app.before_request
    def record_actor() -> None:
        if current_user.is_authenticated:
            set_actor(get_session(), current_user.name)

    install_output_protection(app)
    app.add_template_filter(when)
    app.add_template_filter(action_label)
    # Globals rather than a context processor, so imported macros can use them too.
    app.jinja_env.globals.update(
        has_page=lambda endpoint: endpoint in app.view_functions,
        can=lambda action, obj=None: can(shown_user(), action, obj),
        navigation=lambda: navigation_for(shown_user()),
        current_section=current_section,
        record_url=record_url,
        url_with=url_with,
        protection=_LazyProtection(current_protection),
        job_is_stuck=job_is_stuck,
        job_times=lambda job: describe_times(job_progress(job)),
    )


class _LazyProtection:
    """Loads the request's Protection only when a template first uses it."""

    def __init__(self, load: Any) -> None:
        self._load = load

    def __getattr__(self, name: str) -> Any:
        return getattr(self._load(), name)


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with the Secure flag also set on any HTTPS request."""

    def get_cookie_secure(self, app: Flask) -> bool:
        secure = super().get_cookie_secure(app)
        return secure or (has_request_context() and request.is_secure)


def register_blueprints(app: Flask) -> None:
    """Every blueprint of the web UI. Each view declares its action with @requires."""
    from importlib import import_module

    from evidence.accounts.views import bp as accounts_bp
    from evidence.audit.views import bp as audit_bp
    from evidence.dashboard.views import bp as dashboard_bp

    for blueprint in (dashboard_bp, accounts_bp, audit_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(import_module("evidence.places.views").bp)
    app.register_blueprint(import_module("evidence.actors.views").units)
    app.register_blueprint(import_module("evidence.actors.views").persons)
    app.register_blueprint(import_module("evidence.sources.views").bp)
    app.register_blueprint(import_module("evidence.cases.views").bp)
    app.register_blueprint(import_module("evidence.incidents.violation_views").bp)
    app.register_blueprint(import_module("evidence.incidents.views").bp)
    app.register_blueprint(import_module("evidence.statements.views").bp)
    app.register_blueprint(import_module("evidence.lookup.views").bp)
    app.register_blueprint(import_module("evidence.dossiers.views").bp)
    app.register_blueprint(import_module("evidence.search.views").bp)
    app.register_blueprint(import_module("evidence.links.views").bp)
    app.register_blueprint(import_module("evidence.exhibits.views").bp)
    app.register_blueprint(import_module("evidence.reports.views").bp)
    app.register_blueprint(import_module("evidence.interchange.views").bp)
    app.register_blueprint(import_module("evidence.drafts.views").bp)


ERROR_PAGES = {
    400: (
        translatable("Bad request"),
        translatable("The request could not be understood. Go back and try again."),
    ),
    403: (
        translatable("Not allowed"),
        translatable("Your account's role does not allow this. Ask an admin if you need it."),
    ),
    404: (
        translatable("Not found"),
        translatable("There is nothing at this address. It may have been mistyped."),
    ),
    405: (translatable("Not allowed here"), translatable("This page cannot be used that way.")),
    409: (
        translatable("Changed by someone else"),
        translatable(
            "Someone else changed this record while you were editing it. Nothing was "
            "overwritten: open the record again to see the current version and redo your change."
        ),
    ),
    413: (
        translatable("Too large"),
        translatable("What you sent is larger than this site accepts."),
    ),
    500: (
        translatable("Something went wrong"),
        translatable(
            "The server failed to complete the request and nothing was saved. Please try again; "
            "if it keeps happening, tell an admin the time it happened."
        ),
    ),
}
CSRF_EXPIRED = translatable(
    "The form expired or was sent without its security token, so nothing was saved. "
    "Go back, reload the page and send the form again."
)


def render_error(status: int, message: str | None = None) -> tuple[str, int]:
    """The friendly error page for a status; falls back to plain text if the layout fails."""
    title, default_message = ERROR_PAGES.get(status, ERROR_PAGES[500])
    title, message = gettext(title), gettext(message or default_message)
    try:
        page = render_template(
            "errors/error.html", status=status, title=title, message=message, error_page=True
        )
    except Exception:  # the layout itself failed (e.g. the database is down)
        text = escape(message)
        page = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{text}</p>"
    return page, status


def register_error_handlers(app: Flask) -> None:
    """Friendly pages for every error a user can cause, and for our own failures."""
    from flask_wtf.csrf import CSRFError
    from sqlalchemy.orm.exc import StaleDataError
    from werkzeug.exceptions import HTTPException

    from evidence.web.request_context import get_session

    def http_error(error: HTTPException) -> HTTPException | tuple[str, int]:
        if error.code not in ERROR_PAGES:
            return error
        return render_error(error.code)

    def csrf_error(_error: CSRFError) -> tuple[str, int]:
        return render_error(400, CSRF_EXPIRED)

    def stale_record(_error: StaleDataError) -> tuple[str, int]:
        get_session().rollback()
        return render_error(409)

    def server_error(error: Exception) -> tuple[str, int]:
        app.logger.exception("unhandled error", exc_info=error)
        get_session().rollback()
        return render_error(500)

    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(StaleDataError, stale_record)
    app.register_error_handler(500, server_error)


def register_cli(app: Flask) -> None:
    from evidence.cli import register_commands

    register_commands(app)
