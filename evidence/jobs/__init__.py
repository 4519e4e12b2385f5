"""Background work: dossiers, link-check runs and captures, run as tasks of a Huey queue.

The queue (Huey: SQLite storage beside the database by default, Redis with
EVIDENCE_QUEUE_URL) only carries "run job KIND #ID". Everything that must
survive a crash lives in the job's row: its state, attempts, the worker
that claimed it and that worker's heartbeat. Huey removes a task from the
queue when a worker takes it, so a worker killed mid-task loses it; the
other workers find such jobs by their stale heartbeat and queue them again
(``runner.recover_stale``). Work is deterministic, so redoing it is safe.
"""
