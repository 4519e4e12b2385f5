"""Sign-in and account administration forms (no database writes here)."""

from __future__ import annotations

from wtforms import PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from evidence.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from evidence.accounts.services import NAME_PATTERN
from evidence.vocabularies import LANGUAGE_NAMES, LANGUAGES, ROLES
from evidence.web.input import TranslatedForm
from evidence.web.language import lazy_gettext

ROLE_DESCRIPTIONS = {
    "admin": lazy_gettext("admin (accounts, audit)"),
    "documenter": lazy_gettext("documenter (create, edit)"),
    "lawyer": lazy_gettext("lawyer (cases, dossiers)"),
    "auditor": lazy_gettext("auditor (audit tools)"),
    "viewer": lazy_gettext("viewer (read, protected view)"),
}
ROLE_HELP = lazy_gettext(
    "Everyone reads records. Documenters also create, edit and retract them; lawyers build "
    "cases and export dossiers; auditors use the audit log; admins manage accounts. "
    "Viewers see witnesses protected as the public would."
)
ROLE_CHOICES = [SelectChoice(role, ROLE_DESCRIPTIONS[role]) for role in ROLES]


class SignInForm(TranslatedForm):
    name = StringField(lazy_gettext("Account name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(
        lazy_gettext("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    submit = SubmitField(lazy_gettext("Sign in"))


class CodeForm(TranslatedForm):
    """The second step of signing in: a code from the authenticator app, or a recovery code."""

    code = StringField(
        lazy_gettext("Code"),
        validators=[DataRequired(), Length(max=40)],
        description=lazy_gettext(
            "The 6 digits your authenticator app shows now, or one of your recovery"
            " codes (xxxx-xxxx-xxxx-xxxx)."
        ),
    )
    submit = SubmitField(lazy_gettext("Continue"))


class EnrolForm(TranslatedForm):
    code = StringField(
        lazy_gettext("Code"),
        validators=[DataRequired(), Length(max=40)],
        description=lazy_gettext(
            "After adding the account to your app, type the 6 digits it shows."
        ),
    )
    submit = SubmitField(lazy_gettext("Turn on two-factor sign-in"))


def _password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=lazy_gettext(
                    "Use at least %(minimum)s characters (at most %(maximum)s).",
                    minimum=MIN_PASSWORD_LENGTH,
                    maximum=MAX_PASSWORD_LENGTH,
                ),
            ),
        ],
        description=lazy_gettext(
            "At least %(minimum)s characters, not easy to guess (common passwords, names,"
            " keyboard rows and repeats are refused); a passphrase of four or more unrelated"
            " words is easiest.",
            minimum=MIN_PASSWORD_LENGTH,
        ),
    )


def _confirm_field() -> PasswordField:
    return PasswordField(
        lazy_gettext("Repeat the password"),
        validators=[
            DataRequired(),
            EqualTo("password", message=lazy_gettext("The passwords differ.")),
        ],
    )


class NewAccountForm(TranslatedForm):
    name = StringField(
        lazy_gettext("Account name"),
        validators=[
            DataRequired(),
            Length(max=80),
            Regexp(
                NAME_PATTERN,
                message=lazy_gettext("Use letters, digits, '.', '_', '-' or '@' only."),
            ),
        ],
        description=lazy_gettext("What the person types to sign in, e.g. a.petrova."),
    )
    role = SelectField(
        lazy_gettext("Role"), choices=ROLE_CHOICES, default="viewer", description=ROLE_HELP
    )
    password = _password_field(lazy_gettext("Password"))
    confirm = _confirm_field()
    submit = SubmitField(lazy_gettext("Create account"))


class RoleForm(TranslatedForm):
    role = SelectField(lazy_gettext("Role"), choices=ROLE_CHOICES, description=ROLE_HELP)
    submit = SubmitField(lazy_gettext("Change role"))


class PasswordForm(TranslatedForm):
    password = _password_field(lazy_gettext("New password"))
    confirm = _confirm_field()
    submit = SubmitField(lazy_gettext("Set password"))


class ChangePasswordForm(TranslatedForm):
    current_password = PasswordField(
        lazy_gettext("Current password"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
    )
    password = _password_field(lazy_gettext("New password"))
    confirm = _confirm_field()
    submit = SubmitField(lazy_gettext("Change my password"))


class ConfirmForm(TranslatedForm):
    """A button-only form: carries the CSRF token of a POST action (enable, sign out)."""

    submit = SubmitField(lazy_gettext("Confirm"))


class LanguageForm(TranslatedForm):
    """The account's interface language; none follows the browser."""

    language = SelectField(
        lazy_gettext("Language"),
        choices=[
            SelectChoice("", lazy_gettext("As my browser asks")),
            *(SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES),
        ],
    )
    submit = SubmitField(lazy_gettext("Save language"))
