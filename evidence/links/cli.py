"""`evidence links check` and `evidence sources capture`: sources' web addresses and their
archived copies."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from evidence.commandline import actor_option, cli_session, fail
from evidence.links.models import PROBLEM_VERDICTS
from evidence.store import store_for


@click.group("links")
def links_group() -> None:
    """Check that sources' web addresses still answer as they did."""


@links_group.command("check")
@click.option("--concurrency", default=8, show_default=True, help="Fetches at once, overall.")
@click.option("--per-host", default=2, show_default=True, help="Fetches at once per host.")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for answers.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per source.")
@actor_option
@with_appcontext
def links_check_command(
    concurrency: int, per_host: int, timeout: float, as_json: bool, actor: str
) -> None:
    """Fetch every source's URL; store and print the verdicts (ok, moved, changed, http-4xx,
    http-5xx, dns-failure, conn-refused, tls-error, timeout, policy, too-large, error).

    Exits with status 1 when any link is flagged, or when this server cannot reach the
    internet at all (EVIDENCE_NETWORK_PROBE; then nothing is checked or marked).
    """
    from evidence.audit.reads import log_read
    from evidence.links.services import NoNetwork, check_as_json, check_links, sources_to_check
    from evidence.outbound import SettingError

    if concurrency < 1 or per_host < 1:
        fail("--concurrency and --per-host must be at least 1")
    with cli_session(write=True) as session:
        sources = sources_to_check(session)
        try:
            with click.progressbar(length=len(sources), label="Checking", file=sys.stderr) as bar:
                checks = check_links(
                    session,
                    sources,
                    concurrency=concurrency,
                    per_host=per_host,
                    timeout=timeout,
                    progress=bar.update,
                )
        except (NoNetwork, SettingError) as error:
            fail(str(error))
        for check in checks:
            if as_json:
                click.echo(json.dumps(check_as_json(check), ensure_ascii=False))
            else:
                reason = f"  ({check.reason})" if check.reason else ""
                click.echo(f"{check.verdict:12} {check.source.key}  {check.url}{reason}")
        problems = sum(check.verdict in PROBLEM_VERDICTS for check in checks)
        log_read(session, "link-check", actor, checked=len(checks), problems=problems)
    click.echo(f"{len(checks)} source(s) checked, {problems} flagged.", err=True)
    if problems:
        sys.exit(1)


@click.group("sources")
def sources_group() -> None:
    """Sources' web pages."""


@sources_group.command("capture")
@click.argument("key", required=False)
@click.option("--all", "capture_all", is_flag=True, help="Capture every source with a URL.")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for answers.")
@actor_option
@with_appcontext
def sources_capture_command(key: str | None, capture_all: bool, timeout: float, actor: str) -> None:
    """Keep a source's page (KEY, or --all) as a WARC file in the store."""
    from evidence.links.services import CaptureError, capture, sources_to_check
    from evidence.sources.models import Source

    if bool(key) == capture_all:
        fail("Give a source KEY or --all (not both).")
    store = store_for(current_app.config)
    failures = 0
    with cli_session(actor, write=True) as session:
        if capture_all:
            sources = sources_to_check(session)
        else:
            source = session.scalar(select(Source).where(Source.key == key))
            if source is None:
                fail(f"KEY: no source with key {key!r}")
            sources = [source]
        for source in sources:
            try:
                kept = capture(session, source, store, by=actor, timeout=timeout)
            except CaptureError as error:
                failures += 1
                click.echo(f"failed   {source.key}: {error}", err=True)
                continue
            click.echo(f"captured {source.key}  {kept.sha256}  {kept.size} bytes")
    if failures:
        fail(f"{failures} of {len(sources)} source(s) could not be captured.")
