"""Hash-chained audit log: the session hook (log.py) and its verification (verify.py)."""
