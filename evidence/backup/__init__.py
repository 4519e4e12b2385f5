"""Backup and restore of the whole database and data directory (issue 12)."""
