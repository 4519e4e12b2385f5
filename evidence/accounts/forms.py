"""Sign-in and account administration forms (no database writes here)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from evidence.accounts.services import MIN_PASSWORD_LENGTH, NAME_PATTERN
from evidence.vocabularies import ROLES

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
    password = PasswordField("Password", validators=[DataRequired()])
    submit = SubmitField("Sign in")


def _password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=1024,
                message=f"Use at least {MIN_PASSWORD_LENGTH} characters.",
            ),
        ],
        description=f"At least {MIN_PASSWORD_LENGTH} characters; a passphrase is easiest.",
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


class ConfirmForm(FlaskForm):
    """A button-only form: carries the CSRF token of a POST action (enable, sign out)."""

    submit = SubmitField("Confirm")
