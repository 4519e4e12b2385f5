"""Settings read from the environment (EVIDENCE_*)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_instance_dir() -> Path:
    return Path(os.environ.get("EVIDENCE_INSTANCE_DIR", Path.cwd() / "instance"))


def _default_database_url() -> str:
    return f"sqlite:///{_default_instance_dir() / 'evidence.sqlite'}"


@dataclass
class Config:
    """Everything the application reads from its environment, in one place."""

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
    # Largest exhibit upload; Flask refuses any request larger than this plus room for the form.
    MAX_UPLOAD_MB: int = field(
        default_factory=lambda: int(os.environ.get("EVIDENCE_MAX_UPLOAD_MB", "512"))
    )
    MAX_CONTENT_LENGTH: int | None = None
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
