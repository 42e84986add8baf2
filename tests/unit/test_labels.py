"""Stored codes are shown as words: every labelled enum says how, and the filter finds it."""

import pytest

from warehouse_orgs.labels import LabelledEnum, label
from warehouse_orgs.organizations.models import (
    ApplicationMessageKind,
    OrganizationApplicationStatus,
    OrganizationInvitationStatus,
)

LABELLED = [OrganizationApplicationStatus, OrganizationInvitationStatus, ApplicationMessageKind]


@pytest.mark.parametrize("enum_class", LABELLED)
def test_every_code_reads_as_words(enum_class):
    for member in enum_class:
        words = label(str(member))  # as a column holds it: a plain string
        assert words == member.label
        assert words[0].isupper()
        assert words != member.value or " " not in member.value


def test_the_codes_people_saw_before_have_words_now():
    assert label("moreinformationneeded") == "More information needed"
    assert label("submitted") == "Waiting for review"
    assert label(OrganizationApplicationStatus.Approved) == "Approved"


def test_a_value_without_a_label_is_shown_as_it_is():
    assert label("Community") == "Community"
    assert label(None) == ""


def test_two_enums_cannot_give_one_code_two_labels():
    with pytest.raises(ValueError, match="elsewhere 'Waiting for review'"):

        class Clash(LabelledEnum):
            Submitted = ("submitted", "Sent")
