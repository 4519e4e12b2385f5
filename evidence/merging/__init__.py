"""Duplicates and merging of persons, units, places and sources."""
