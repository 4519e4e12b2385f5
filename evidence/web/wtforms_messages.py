"""WTForms' own messages (a required field, a length, a number range, a choice...) for our
catalogs: WTForms ships no Belarusian, so forms take these from the catalogs that
translate everything else (``_BoundedMeta.get_translations`` in evidence/web/input.py).

The English must stay WTForms' exact text: it is what WTForms asks the catalog for.
Messages only a programmer can cause (a form built with no choices) are left out.
"""

from __future__ import annotations

from evidence.core.messages import plural_forms
from evidence.vocabularies import translatable

MESSAGES = (
    translatable("This field is required."),
    translatable("Invalid input."),
    translatable("Field must be equal to %(other_name)s."),
    translatable("Field must be between %(min)d and %(max)d characters long."),
    translatable("Number must be at least %(min)s."),
    translatable("Number must be at most %(max)s."),
    translatable("Number must be between %(min)s and %(max)s."),
    translatable("Date must be at least %(min)s."),
    translatable("Date must be at most %(max)s."),
    translatable("Date must be between %(min)s and %(max)s."),
    translatable("Invalid email address."),
    translatable("Invalid IP address."),
    translatable("Invalid Mac address."),
    translatable("Invalid URL."),
    translatable("Invalid UUID."),
    translatable("Invalid value, must be one of: %(values)s."),
    translatable("Invalid value, can't be any of: %(values)s."),
    translatable("This field cannot be edited."),
    translatable("This field is disabled and cannot have a value."),
    translatable("Invalid CSRF Token."),
    translatable("CSRF token missing."),
    translatable("CSRF failed."),
    translatable("CSRF token expired."),
    translatable("Invalid Choice: could not coerce."),
    translatable("Not a valid choice."),
    translatable("Invalid choice(s): one or more data inputs could not be coerced."),
    translatable("Not a valid datetime value."),
    translatable("Not a valid date value."),
    translatable("Not a valid time value."),
    translatable("Not a valid week value."),
    translatable("Not a valid integer value."),
    translatable("Not a valid decimal value."),
    translatable("Not a valid float value."),
)
PLURAL_MESSAGES = (
    plural_forms(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
    ),
    plural_forms(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
    ),
    plural_forms(
        "Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.",
    ),
    plural_forms(
        "'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.",
    ),
)
