"""evidence: an accountability evidence database."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from evidence.config import PROJECT_ROOT, Config


def create_app(config: Config | None = None) -> Flask:
    """Build the application in named steps: settings, database, web, errors, CLI."""
    config = config or Config()
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(Path(config.DATABASE_URL.removeprefix("sqlite:///")).parent)
        if config.DATABASE_URL.startswith("sqlite:///")
        else None,
    )
    app.config.from_mapping(config.as_flask_mapping())
    register_database(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_cli(app)
    return app


def register_database(app: Flask, config: Config) -> None:
    import evidence.audit.log  # noqa: F401  (installs the audit session hook)
    from evidence.db import close_session, make_engine, make_session_factory

    if config.DATABASE_URL.startswith("sqlite:///"):
        Path(config.DATABASE_URL.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    engine = make_engine(config.DATABASE_URL)
    app.extensions["evidence.engine"] = engine
    app.extensions["evidence.sessions"] = make_session_factory(engine)
    app.teardown_appcontext(close_session)


def register_extensions(app: Flask) -> None:
    """Sign-in and CSRF protection (arrive with the web UI)."""


def register_blueprints(app: Flask) -> None:
    from evidence.home import bp as home_bp

    app.register_blueprint(home_bp)


def register_error_handlers(app: Flask) -> None:
    """Friendly pages for user errors (arrive with the web UI)."""


def register_cli(app: Flask) -> None:
    from evidence.cli import register_commands

    register_commands(app)
