"""Forms for an organization's teams: create, rename, delete, members."""

from typing import Any

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from warehouse_orgs.accounts.models import USERNAME_MAX_LENGTH
from warehouse_orgs.confirmation import confirmation_field
from warehouse_orgs.forms import Form, bounded, strip
from warehouse_orgs.manage.organization_forms import ID_LENGTH
from warehouse_orgs.organizations.models import TEAM_NAME_MAX_LENGTH, TEAM_NAME_RULE

# The empty first choice of the member picker: nobody is added until someone is chosen.
NO_MEMBER_CHOICE = SelectChoice("", "Choose a member")


class TeamNameForm(Form):
    """Creating and renaming: the rules beyond the length are the service's (TeamRefused)."""

    name = wtforms.StringField(
        "Team name",
        description=TEAM_NAME_RULE,
        validators=[
            validators.InputRequired(message="Enter a name for the team."),
            bounded(TEAM_NAME_MAX_LENGTH),
        ],
        filters=[strip],
    )


class DeleteTeamForm(Form):
    confirm_team_name = confirmation_field("Team name", TEAM_NAME_MAX_LENGTH)


class AddTeamMemberForm(Form):
    username = wtforms.SelectField(
        "Member",
        validators=[validators.InputRequired(message="Choose a member to add.")],
        # validate_username says why in words; "Not a valid choice" would not.
        validate_choice=False,
    )

    def __init__(self, formdata: Any = None, *, usernames: list[str], **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.usernames = usernames
        self.username.choices = [NO_MEMBER_CHOICE, *usernames]

    def validate_username(self, field: wtforms.Field) -> None:
        if field.data not in self.usernames:
            raise validators.StopValidation(
                "Choose someone from the list: only members of the organization who are not "
                "Billing Managers and not on the team already can be added."
            )


class RemoveTeamMemberForm(Form):
    """Removing someone asks for their username; leaving asks for the team's name. Which one
    applies is known only once the membership is found, so the view checks it."""

    role_id = wtforms.StringField(
        validators=[validators.InputRequired(message="Choose a member."), bounded(ID_LENGTH)],
        filters=[strip],
    )
    confirm_username = confirmation_field("Their username", USERNAME_MAX_LENGTH)
    confirm_team_name = confirmation_field("Team name", TEAM_NAME_MAX_LENGTH)
