"""Search across every record, matching names however they were spelled."""
