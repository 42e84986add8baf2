"""Forms of an organization's projects page: adding a project one owns, creating a new one."""

from typing import Any

import wtforms
from wtforms.fields.choices import SelectChoice

from warehouse_orgs.forms import Form, judged_picker
from warehouse_orgs.packaging.models import PROJECT_NAME_MAX_LENGTH

NO_PROJECT_CHOICE = SelectChoice("", "Choose a project")


class AddProjectForm(Form):
    """The picker lists the projects one could add."""

    project = judged_picker(
        "Project", required="Choose a project to add.", maximum=PROJECT_NAME_MAX_LENGTH
    )
    # Absent: show what would change. Present: do it.
    confirm = wtforms.BooleanField("Add it")

    def __init__(self, formdata: Any = None, *, project_names: list[str], **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.project.choices = [NO_PROJECT_CHOICE, *project_names]
