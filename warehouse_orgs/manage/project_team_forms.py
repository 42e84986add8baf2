"""Forms for the teams of an organization project's collaboration page: give a team a role,
change it, take it away."""

from typing import Any

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from warehouse_orgs.confirmation import confirmation_field
from warehouse_orgs.forms import Form, bounded, role_picker, strip
from warehouse_orgs.organizations.models import TEAM_NAME_MAX_LENGTH, TeamProjectRoleType

TEAM_ROLE_CHOICES = [role.value for role in TeamProjectRoleType]
# A UUID's text form.
GRANT_ID_LENGTH = 36


def team_role_field(*, chosen_by_default: bool = True) -> wtforms.SelectField:
    return role_picker(TEAM_ROLE_CHOICES, chosen_by_default=chosen_by_default)


def grant_id_field() -> wtforms.StringField:
    return wtforms.StringField(
        validators=[
            validators.InputRequired(message="Choose a team."),
            bounded(GRANT_ID_LENGTH),
        ],
        filters=[strip],
    )


class GrantTeamForm(Form):
    team_name = wtforms.SelectField(
        "Team",
        validators=[validators.InputRequired(message="Choose a team.")],
        # validate_team_name says why in words; "Not a valid choice" would not.
        validate_choice=False,
    )
    role_name = team_role_field(chosen_by_default=False)

    def __init__(self, formdata: Any = None, *, team_names: list[str], **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.team_names = team_names
        self.team_name.choices = [SelectChoice("", "Choose a team"), *team_names]

    def validate_team_name(self, field: wtforms.Field) -> None:
        if len(field.data or "") > TEAM_NAME_MAX_LENGTH or field.data not in self.team_names:
            raise validators.StopValidation(
                "Choose a team from the list: only teams of the project's organization "
                "without a role on it yet can be added."
            )


class ChangeTeamGrantForm(Form):
    grant_id = grant_id_field()
    role_name = team_role_field()


class RemoveTeamGrantForm(Form):
    grant_id = grant_id_field()
    confirm_team_name = confirmation_field("Team name", TEAM_NAME_MAX_LENGTH)
