"""Sign-in and account administration forms (no database writes here)."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from evidence.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from evidence.accounts.services import NAME_PATTERN
from evidence.vocabularies import LANGUAGE_NAMES, LANGUAGES, ROLES

ROLE_DESCRIPTIONS = {
    "admin": "admin (accounts, audit)",
    "documenter": "documenter (create, edit)",
    "lawyer": "lawyer (cases, dossiers)",
    "auditor": "auditor (audit tools)",
    "viewer": "viewer (read, protected view)",
}
ROLE_HELP = (
    "Everyone reads records. Documenters also create, edit and retract them; lawyers build "
    "cases and export dossiers; auditors use the audit log; admins manage accounts. "
    "Viewers see witnesses protected as the public would."
)
ROLE_CHOICES = [SelectChoice(role, ROLE_DESCRIPTIONS[role]) for role in ROLES]


class SignInForm(FlaskForm):
    name = StringField("Account name", validators=[DataRequired(), Length(max=80)])
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    submit = SubmitField("Sign in")


class CodeForm(FlaskForm):
    """The second step of signing in: a code from the authenticator app, or a recovery code."""

    code = StringField(
        "Code",
        validators=[DataRequired(), Length(max=40)],
        description="The 6 digits your authenticator app shows now, or one of your recovery"
        " codes (xxxx-xxxx-xxxx-xxxx).",
    )
    submit = SubmitField("Continue")


class EnrolForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[DataRequired(), Length(max=40)],
        description="After adding the account to your app, type the 6 digits it shows.",
    )
    submit = SubmitField("Turn on two-factor sign-in")


def _password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=f"Use at least {MIN_PASSWORD_LENGTH} characters"
                f" (at most {MAX_PASSWORD_LENGTH}).",
            ),
        ],
        description=f"At least {MIN_PASSWORD_LENGTH} characters, not easy to guess (common"
        " passwords, names, keyboard rows and repeats are refused); a passphrase of four or"
        " more unrelated words is easiest.",
    )


def _confirm_field() -> PasswordField:
    return PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )


class NewAccountForm(FlaskForm):
    name = StringField(
        "Account name",
        validators=[
            DataRequired(),
            Length(max=80),
            Regexp(NAME_PATTERN, message="Use letters, digits, '.', '_', '-' or '@' only."),
        ],
        description="What the person types to sign in, e.g. a.petrova.",
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default="viewer", description=ROLE_HELP)
    password = _password_field("Password")
    confirm = _confirm_field()
    submit = SubmitField("Create account")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, description=ROLE_HELP)
    submit = SubmitField("Change role")


class PasswordForm(FlaskForm):
    password = _password_field("New password")
    confirm = _confirm_field()
    submit = SubmitField("Set password")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    password = _password_field("New password")
    confirm = _confirm_field()
    submit = SubmitField("Change my password")


class ConfirmForm(FlaskForm):
    """A button-only form: carries the CSRF token of a POST action (enable, sign out)."""

    submit = SubmitField("Confirm")


class LanguageForm(FlaskForm):
    """The account's interface language; none follows the browser."""

    language = SelectField(
        lazy_gettext("Language"),
        choices=[
            SelectChoice("", lazy_gettext("As my browser asks")),
            *(SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES),
        ],
    )
    submit = SubmitField(lazy_gettext("Save language"))
