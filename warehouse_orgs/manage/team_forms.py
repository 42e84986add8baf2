"""Forms for an organization's teams: create, rename, delete, members."""

import wtforms
from wtforms import validators

from warehouse_orgs.accounts.models import USERNAME_MAX_LENGTH
from warehouse_orgs.confirmation import confirmation_field
from warehouse_orgs.forms import Form, bounded, judged_name, strip
from warehouse_orgs.manage.organization_forms import ID_LENGTH
from warehouse_orgs.organizations.models import TEAM_NAME_MAX_LENGTH, TEAM_NAME_RULE


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
    """The username is typed (an organization may have thousands of members); whether they
    may be on the team is the team service's judgement, beside the field."""

    username = judged_name(
        "Member's username",
        required="Enter the username of a member to add.",
        maximum=USERNAME_MAX_LENGTH,
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
