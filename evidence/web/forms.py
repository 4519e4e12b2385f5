"""Connecting service errors to the form field they name."""

from __future__ import annotations

from flask_wtf import FlaskForm


def attach_service_error(form: FlaskForm, error: Exception) -> None:
    """Show a service error ("field: message") under that field, else above the form.

    Services raise errors whose text starts with the field name (``"date:
    '2020-13' is not a date"``); a view catches them and calls this so the
    page shows the message next to what the user typed.
    """
    field_name, separator, message = str(error).partition(": ")
    field = getattr(form, field_name, None) if separator else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(str(error))
