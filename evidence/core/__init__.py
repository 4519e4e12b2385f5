"""What every layer may use and that uses nothing of ours or of Flask.

Canonical records and their hashes (records), validation errors and input
cleaning (validation), keys (keys), optimistic versioning columns
(versioning), timestamps (timestamps), name matching in SQL (matching) and
pages of results (pagination). import-linter's contracts in pyproject.toml keep
it that way.
"""
