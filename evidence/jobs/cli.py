"""`evidence worker`: run background jobs from the task queue."""

from __future__ import annotations

import logging
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from evidence.jobs.queue import TaskQueue, job_context, queue_location, task_queue
from evidence.jobs.work import anchor_audit_heads

log = logging.getLogger(__name__)

ANCHOR_INTERVAL_SECONDS = 24 * 60 * 60


def _recover_forever(queue: TaskQueue, stop: threading.Event, interval: float) -> None:
    """Every ``interval`` seconds, queue again the jobs whose worker died (any machine's)."""
    while not stop.wait(interval):
        try:
            queue.recover()
        except Exception as error:  # the database may be briefly away; try at the next round
            log.warning("recovering stale jobs failed: %s", error)


def _anchor_daily(queue: TaskQueue, stop: threading.Event) -> None:
    """At start and then daily, anchor the audit heads that moved (EVIDENCE_TSA_URLS)."""
    while True:
        try:
            anchor_audit_heads(job_context(queue.app))
        except Exception as error:  # the database may be briefly away; try at the next round
            log.warning("anchoring the audit log failed: %s", error)
        if stop.wait(ANCHOR_INTERVAL_SECONDS):
            return


@click.command("worker")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="Jobs run at once [default: EVIDENCE_WORKER_THREADS, 2].",
)
@with_appcontext
def worker_command(threads: int | None) -> None:
    """Run dossiers, link checks and captures from the task queue until stopped (Ctrl-C).

    Run one per machine, or several: they share the queue (EVIDENCE_QUEUE_URL)
    and the database. Each also queues again the jobs of workers that died, and,
    when EVIDENCE_TSA_URLS is set, time-stamps the audit log's heads daily and
    before every dossier (only where they moved since their last anchor).
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    queue = task_queue(app)
    threads = threads or app.config["WORKER_THREADS"]
    recovered = queue.recover()
    click.echo(
        f"evidence worker: {threads} thread(s) on {queue_location(app.config)};"
        f" {recovered} stale job(s) queued again",
        err=True,
    )
    stop = threading.Event()
    interval = max(app.config["JOB_STALE_SECONDS"] / 2, 0.5)
    recovery = threading.Thread(
        target=_recover_forever,
        args=(queue, stop, interval),
        name="recover-stale-jobs",
        daemon=True,
    )
    recovery.start()
    if app.config.get("TSA_URLS"):
        threading.Thread(
            target=_anchor_daily, args=(queue, stop), name="anchor-audit-log", daemon=True
        ).start()
    consumer = queue.huey.create_consumer(workers=threads, worker_type="thread", periodic=False)
    try:
        consumer.run()
    finally:
        stop.set()
