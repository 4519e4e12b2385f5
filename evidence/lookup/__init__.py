"""JSON helpers for forms: autocomplete of records and the plain-language EDTF preview."""
