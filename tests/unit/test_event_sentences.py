"""Every event tag reads as a sentence; the history pages show nothing raw."""

import pytest

from warehouse_orgs.events.tags import EventTag, describe


@pytest.mark.parametrize("tag", list(EventTag))
def test_every_tag_has_a_sentence(tag):
    sentence = describe(tag, {})
    assert sentence
    assert sentence != str(tag)


@pytest.mark.parametrize(
    ("tag", "details", "sentence"),
    [
        (
            EventTag.AccountLoginSuccess,
            {"two_factor_method": "totp"},
            "Logged in with two-factor authentication",
        ),
        (
            EventTag.AccountLoginSuccess,
            {"two_factor_method": "recovery_code"},
            "Logged in with a recovery code",
        ),
        (
            EventTag.AccountStaffFlagChange,
            {"flag": "Admin", "value": True, "actor": "ada"},
            "Admin role granted by ada",
        ),
        (
            EventTag.AccountStaffFlagChange,
            {"flag": "Support", "value": False},
            "Support role removed from the command line",
        ),
        (
            EventTag.OrganizationDetailsChange,
            {"actor": "ada", "fields": ["display_name", "link_url", "orgtype"]},
            "ada changed the display name, the website, the type",
        ),
        (
            EventTag.ProjectRoleChange,
            {"actor": "ada", "username": "bob", "old_role": "Owner", "role": "Maintainer"},
            "ada changed bob from Owner to Maintainer",
        ),
    ],
)
def test_sentences_name_the_people_involved(tag, details, sentence):
    assert describe(tag, details) == sentence


def test_a_tag_from_a_newer_release_is_shown_as_it_is():
    assert describe("organization:teleport", {}) == "organization:teleport"
