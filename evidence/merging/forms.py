from __future__ import annotations

from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, InputRequired

from evidence.web.input import BoundedForm
from evidence.web.language import lazy_gettext


class MergeForm(BoundedForm):
    keep = StringField(
        lazy_gettext("Record to keep"),
        validators=[InputRequired(lazy_gettext("Record to keep is required"))],
        description=lazy_gettext("Type to search by name or alias; its key is filled in"),
        render_kw={"autocomplete": "off"},
    )
    confirm = BooleanField(
        lazy_gettext("Merge: move every link and citation to the record kept and retract this one"),
        validators=[DataRequired(lazy_gettext("Tick the box to confirm the merge"))],
    )
