"""Bounded input: every text field of every form has a length limit and refuses control
characters, before anything else looks at what was typed.

Forms get this by deriving from ``BoundedForm`` (a page form, with CSRF) or
``BoundedSubform`` (a row inside a FieldList). Each text field is bound with
the limit evidence.limits gives for its name: the browser is told
(``maxlength`` and a hint under the field) and the server checks it, with a
message naming the field. A text field whose name has no limit is an error
when the form is built, so a new field cannot slip through unbounded.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request
from flask_babel import get_translations
from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, PasswordField, StringField
from wtforms.validators import StopValidation

from evidence import limits
from evidence.web.language import lazy_gettext


class BoundedText:
    """WTForms validator: at most ``limit`` characters, no control characters.

    Runs before the field's other validators and stops them on failure, so no
    date parser or lookup ever sees five megabytes or a NUL byte.
    """

    def __init__(self, limit: int, *, multiline: bool) -> None:
        self.limit = limit
        self.multiline = multiline
        self.field_flags = {"maxlength": limit}  # rendered as the input's maxlength

    def __call__(self, form: Any, field: Any) -> None:
        text = field.data if isinstance(field.data, str) else ""
        if len(text) > self.limit:
            raise StopValidation(
                lazy_gettext(
                    "at most %(limit)s characters (this has %(length)s); nothing was saved",
                    limit=format(self.limit, ","),
                    length=format(len(text), ","),
                )
            )
        refused = limits.control_character(text, multiline=self.multiline)
        if refused:
            raise StopValidation(
                lazy_gettext(
                    "contains a control character (%(refused)s) that cannot be stored; remove"
                    " it (it often comes with text pasted from other programs)",
                    refused=refused,
                )
                if self.multiline
                else lazy_gettext(
                    "contains a control character, tab or line break (%(refused)s) that cannot"
                    " be stored; remove it (it often comes with text pasted from other programs)",
                    refused=refused,
                )
            )


def limit_hint(limit: int) -> Any:
    return lazy_gettext("At most %(limit)s characters.", limit=format(limit, ","))


def _with_hint(description: str, limit: int) -> str:
    if not description:
        return limit_hint(limit)
    stop = "" if description.endswith((".", "?", "!", "..")) else "."
    return f"{description}{stop} {limit_hint(limit)}"


def _is_bounded_text(field_class: type) -> bool:
    return issubclass(field_class, StringField) and not issubclass(
        field_class, PasswordField | HiddenField
    )


class _CatalogTranslations:
    """WTForms' own messages from our catalogs, in the page's language (see
    evidence/web/wtforms_messages.py)."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


class _TranslatedMeta:
    def get_translations(self, form: Any) -> _CatalogTranslations:
        return _CatalogTranslations()


class TranslatedForm(FlaskForm):
    """A page's form (with CSRF) whose WTForms messages come in the page's language."""

    Meta = _TranslatedMeta


class _BoundedMeta(_TranslatedMeta):
    """Adds BoundedText (first) and the hint to each text field as the form binds it."""

    def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
        if _is_bounded_text(unbound_field.field_class):
            name = options.get("name") or unbound_field.name
            if name not in limits.TEXT_LIMITS:
                raise LookupError(f"text field {name!r} has no limit in evidence.limits")
            limit = limits.TEXT_LIMITS[name]
            kwargs = dict(unbound_field.kwargs)
            check = BoundedText(limit, multiline=name in limits.MULTILINE)
            kwargs["validators"] = [check, *(kwargs.get("validators") or ())]
            kwargs["description"] = _with_hint(kwargs.get("description") or "", limit)
            unbound_field = unbound_field.field_class(*unbound_field.args, **kwargs)
        return super().bind_field(form, unbound_field, options)  # type: ignore[misc]


class BoundedForm(FlaskForm):
    """A page's form (with CSRF) whose text fields are all bounded."""

    Meta = _BoundedMeta


class BoundedSubform(Form):
    """A row inside a FieldList (no CSRF token of its own), its text fields bounded."""

    Meta = _BoundedMeta


def field_errors(form: Any) -> list[tuple[Any, str]]:
    """Every field with an error, nested rows included, with its first message: for the
    summary above a form."""
    found = []
    for field in form:
        if hasattr(field, "entries"):
            for entry in field.entries:
                found += field_errors(entry.form) if hasattr(entry, "form") else []
                if not hasattr(entry, "form") and entry.errors:
                    found.append((entry, entry.errors[0]))
        elif hasattr(field, "form"):
            found += field_errors(field.form)
        elif field.errors and isinstance(field.errors, list):
            found.append((field, field.errors[0]))
    return found


class BoundedRequest(Request):
    """A request without a file upload may not be larger than limits.FORM_BYTES (413).

    Checked when the body is read, whoever reads it first (the CSRF check does).
    """

    @property
    def max_content_length(self) -> int | None:
        configured = super().max_content_length
        if self.mimetype == "multipart/form-data":
            return configured
        return min(configured or limits.FORM_BYTES, limits.FORM_BYTES)


def register_input_limits(app: Flask) -> None:
    app.request_class = BoundedRequest
    app.add_template_global(field_errors)
    app.add_template_global(limits, "limits")
