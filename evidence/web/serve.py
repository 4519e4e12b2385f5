"""`evidence serve`: the web application under gunicorn, the production server."""

from __future__ import annotations

import gc
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    """gunicorn driven from our settings rather than its command line."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            if name in self.cfg.settings:  # newer gunicorn settings are skipped by older ones
                self.cfg.set(name, value)

    def load(self) -> Any:
        # Each worker builds its own application (and database engine) after the fork.
        from evidence import create_app

        app = create_app()
        # What the worker has built lives as long as it: out of the collector's full
        # passes, which otherwise walk those ~200k objects (80-100 ms, paid by whichever
        # request triggers one; 4-8 ms frozen, measured by bench/search_bench.py).
        gc.freeze()
        return app


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the web application with gunicorn (EVIDENCE_WEB_WORKERS x EVIDENCE_WEB_THREADS).

    Put an HTTPS reverse proxy in front of it and set EVIDENCE_PROXY_FIX=1 so
    that addresses and https:// links come from the proxy's headers.
    """
    config = current_app.config
    workers, threads = config["WEB_WORKERS"], config["WEB_THREADS"]
    click.echo(
        f"evidence serve: http://{host}:{port} ({workers} workers x {threads} threads)", err=True
    )
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            # Dossier downloads and exhibit uploads can be large and slow on poor networks.
            "timeout": 120,
            "graceful_timeout": 30,
            "accesslog": "-",
            # No query strings in the access log: search words can name people.
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
            "forwarded_allow_ips": "*" if config["PROXY_FIX"] else "127.0.0.1",
            # No control socket in the home directory, shared by every server of the user.
            "control_socket_disable": True,
        }
    ).run()
