"""Settings read from the environment (EVIDENCE_*)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

# Templates, static files, dossier templates and migrations, as the package carries them
# (in a checkout these are links to the folders at the top, where DESIGN.md puts them), so a
# plain `pip install .` has everything a command needs.
PACKAGE_DIR = Path(__file__).parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
REPORTS_DIR = PACKAGE_DIR / "report_templates"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"


def _default_instance_dir() -> Path:
    return Path(os.environ.get("EVIDENCE_INSTANCE_DIR", Path.cwd() / "instance"))


def _default_database_url() -> str:
    return f"sqlite:///{_default_instance_dir() / 'evidence.sqlite'}"


@dataclass
class Config:
    """Everything the application reads from its environment, in one place.

    Except the outbound guard's settings (EVIDENCE_FETCH_ALLOW_NETWORKS,
    EVIDENCE_MAX_CAPTURE_MB, EVIDENCE_FETCH_DEADLINE_SECONDS, EVIDENCE_NETWORK_PROBE):
    evidence/outbound.py reads them at each fetch, so a worker or a command that
    fetches without an application applies the same policy.
    """

    DATABASE_URL: str = field(
        default_factory=lambda: os.environ.get("EVIDENCE_DATABASE_URL") or _default_database_url()
    )
    DATA_DIR: str = field(
        default_factory=lambda: (
            os.environ.get("EVIDENCE_DATA_DIR") or str(_default_instance_dir() / "data")
        )
    )
    SECRET_KEY: str = field(
        default_factory=lambda: os.environ.get("EVIDENCE_SECRET_KEY") or _persistent_secret()
    )
    TESTING: bool = False
    WTF_CSRF_ENABLED: bool = True
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    SESSION_COOKIE_SECURE: bool = field(
        default_factory=lambda: os.environ.get("EVIDENCE_SECURE_COOKIES", "0") == "1"
    )
    REMEMBER_COOKIE_HTTPONLY: bool = True
    IDLE_TIMEOUT_MINUTES: int = field(
        default_factory=lambda: int(os.environ.get("EVIDENCE_IDLE_TIMEOUT_MINUTES", "30"))
    )
    SESSION_LIFETIME_HOURS: int = field(
        default_factory=lambda: int(os.environ.get("EVIDENCE_SESSION_LIFETIME_HOURS", "12"))
    )
    # Sign-in throttling (evidence/accounts/throttling.py).
    SIGN_IN_LIMIT: int = field(default_factory=lambda: _int_setting("EVIDENCE_SIGN_IN_LIMIT", 10))
    SIGN_IN_ADDRESS_LIMIT: int = field(
        default_factory=lambda: _int_setting("EVIDENCE_SIGN_IN_ADDRESS_LIMIT", 10)
    )
    SIGN_IN_COOLDOWN_SECONDS: int = field(
        default_factory=lambda: _int_setting("EVIDENCE_SIGN_IN_COOLDOWN_SECONDS", 60)
    )
    SIGN_IN_MEMORY_HOURS: int = field(
        default_factory=lambda: _int_setting("EVIDENCE_SIGN_IN_MEMORY_HOURS", 24)
    )
    # Roles that must sign in with a second factor, e.g. "admin,lawyer".
    REQUIRE_2FA: tuple[str, ...] = field(
        default_factory=lambda: _roles_setting("EVIDENCE_REQUIRE_2FA")
    )
    # The name authenticator apps show beside the account, e.g. the organisation's.
    TOTP_ISSUER: str = field(
        default_factory=lambda: os.environ.get("EVIDENCE_TOTP_ISSUER") or "evidence"
    )
    # Reverse proxies in front of the server whose X-Forwarded-For is trusted (0: none), so
    # throttling counts the real client address rather than the proxy's.
    PROXY_COUNT: int = field(default_factory=lambda: _int_setting("EVIDENCE_PROXY_COUNT", 0))
    # Largest exhibit upload; Flask refuses any request larger than this plus room for the form.
    MAX_UPLOAD_MB: int = field(
        default_factory=lambda: int(os.environ.get("EVIDENCE_MAX_UPLOAD_MB", "512"))
    )
    MAX_CONTENT_LENGTH: int | None = None
    # Largest spreadsheet imported from the browser: it is kept in the database between the
    # steps of the import and read again at each, so its bound is far below exhibits'.
    MAX_SHEET_MB: int = field(default_factory=lambda: _int_setting("EVIDENCE_MAX_SHEET_MB", 20))
    # RFC 3161 time-stamp authorities that anchor the audit chain, and their trusted roots.
    TSA_URLS: list[str] = field(
        default_factory=lambda: os.environ.get("EVIDENCE_TSA_URLS", "").split()
    )
    TSA_CA_FILE: str | None = field(
        default_factory=lambda: os.environ.get("EVIDENCE_TSA_CA_FILE") or None
    )
    INSTANCE_DIR: str = field(default_factory=lambda: str(_default_instance_dir()))
    # Background work: Huey with SQLite storage beside the database unless this names
    # a Redis server (redis://host:6379/0), which every web and worker machine shares.
    QUEUE_URL: str = field(default_factory=lambda: os.environ.get("EVIDENCE_QUEUE_URL", ""))
    # Tests: run each task at once inside the request that queues it.
    QUEUE_IMMEDIATE: bool = False
    # An unfinished job silent this long has lost its worker: shown stuck, queued again.
    JOB_STALE_SECONDS: float = field(
        default_factory=lambda: float(os.environ.get("EVIDENCE_JOB_STALE_SECONDS", "120"))
    )
    # Tries per job (transient failures, workers that died) before it is marked failed.
    JOB_ATTEMPTS: int = field(
        default_factory=lambda: int(os.environ.get("EVIDENCE_JOB_ATTEMPTS", "3"))
    )
    # Days an unsaved form's draft is kept after its last change (pruned at each sign-in
    # and by `evidence drafts prune`): a draft may hold a protected witness's name.
    DRAFT_DAYS: int = field(default_factory=lambda: _int_setting("EVIDENCE_DRAFT_DAYS", 30))
    # Jobs one `evidence worker` runs at once (threads).
    WORKER_THREADS: int = field(
        default_factory=lambda: int(os.environ.get("EVIDENCE_WORKER_THREADS", "2"))
    )
    # `evidence serve`: gunicorn worker processes, and threads in each.
    WEB_WORKERS: int = field(
        default_factory=lambda: int(os.environ.get("EVIDENCE_WEB_WORKERS", "4"))
    )
    WEB_THREADS: int = field(
        default_factory=lambda: int(os.environ.get("EVIDENCE_WEB_THREADS", "4"))
    )
    # Behind a reverse proxy that sets X-Forwarded-For/-Proto/-Host (one hop): trust them.
    PROXY_FIX: bool = field(
        default_factory=lambda: os.environ.get("EVIDENCE_PROXY_FIX", "0") == "1"
    )

    def __post_init__(self) -> None:
        if self.MAX_CONTENT_LENGTH is None:
            self.MAX_CONTENT_LENGTH = (self.MAX_UPLOAD_MB + 1) * 1024 * 1024

    def as_flask_mapping(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _int_setting(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise ValueError(f"{name} must be a whole number of 0 or more, not {text!r}")
    return int(text)


def _roles_setting(name: str) -> tuple[str, ...]:
    from evidence.vocabularies import ROLES

    roles = tuple(part.strip() for part in os.environ.get(name, "").split(",") if part.strip())
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise ValueError(
            f"{name} names unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}"
        )
    return roles


def _persistent_secret() -> str:
    """A random key kept under the instance folder, so sessions survive a restart.

    Deployments set EVIDENCE_SECRET_KEY instead.
    """
    path = _default_instance_dir() / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def config_for_tests(database_url: str, data_dir: str) -> Config:
    return Config(
        DATABASE_URL=database_url,
        DATA_DIR=data_dir,
        SECRET_KEY="test-secret-key",
        TESTING=True,
        QUEUE_IMMEDIATE=True,
    )
