"""Forms of a project's place in organizations, on its settings page: transferring it to an
organization, removing it from its organization. Each is sent twice: without ``confirm`` it
shows what would change, with it the change is made."""

from typing import Any

import wtforms
from wtforms.fields.choices import SelectChoice

from warehouse_orgs.accounts.models import USERNAME_MAX_LENGTH
from warehouse_orgs.forms import Form, judged_picker
from warehouse_orgs.organizations.models import NAME_MAX_LENGTH
from warehouse_orgs.organizations.project_interfaces import RemovalOwnerChoice


class TransferProjectForm(Form):
    organization = judged_picker(
        "Organization to move it to",
        required="Choose the organization to transfer it to.",
        maximum=NAME_MAX_LENGTH,
    )
    confirm = wtforms.BooleanField("Transfer it")

    def __init__(self, formdata: Any = None, *, targets: list[str], **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.organization.choices = [SelectChoice("", "Choose an organization"), *targets]


class RemoveProjectForm(Form):
    owner = judged_picker(
        "Its Owner afterwards",
        required="Choose who will be the project's Owner.",
        maximum=USERNAME_MAX_LENGTH,
    )
    confirm = wtforms.BooleanField("Remove it")

    def __init__(
        self, formdata: Any = None, *, choices: list[RemovalOwnerChoice], **kwargs: Any
    ) -> None:
        super().__init__(formdata, **kwargs)
        self.owner.choices = [
            SelectChoice("", "Choose a person"),
            *(
                SelectChoice(
                    c.username,
                    f"{c.username} (already an Owner)" if c.is_owner else c.username,
                )
                for c in choices
            ),
        ]
