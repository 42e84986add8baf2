"""Forms of an organization's projects page: adding a project one owns, creating a new one."""

import wtforms

from warehouse_orgs.forms import Form, judged_name
from warehouse_orgs.packaging.models import PROJECT_NAME_MAX_LENGTH


class AddProjectForm(Form):
    """The project's name is typed (a person may own thousands); whether they may add it is
    the organization project service's judgement, beside the field."""

    project = judged_name(
        "Name of a project you own",
        required="Enter the name of a project to add.",
        maximum=PROJECT_NAME_MAX_LENGTH,
    )
    # Absent: show what would change. Present: do it.
    confirm = wtforms.BooleanField("Add it")
