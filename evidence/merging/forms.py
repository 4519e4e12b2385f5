from __future__ import annotations

from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, InputRequired

from evidence.web.input import BoundedForm


class MergeForm(BoundedForm):
    keep = StringField(
        "Record to keep",
        validators=[InputRequired("Record to keep is required")],
        description="Type to search by name or alias; its key is filled in",
        render_kw={"autocomplete": "off"},
    )
    confirm = BooleanField(
        "Merge: move every link and citation to the record kept and retract this one",
        validators=[DataRequired("Tick the box to confirm the merge")],
    )
