import datetime
import functools

import factory

from tests.common.db import ModelFactory
from warehouse_orgs.accounts.models import Email, User
from warehouse_orgs.accounts.services import hash_secret, totp_for

PASSWORD = "correct horse battery staple"


@functools.cache
def password_hash() -> str:
    # argon2 is slow on purpose; hash the shared test password once per process.
    return hash_secret(PASSWORD)


class EmailFactory(ModelFactory):
    class Meta:
        model = Email

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    primary = True
    verified = True


class UserFactory(ModelFactory):
    """A user who can do everything: verified primary email, two-factor on, known password."""

    class Meta:
        model = User

    class Params:
        without_two_factor = factory.Trait(totp_secret=None)

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Faker("name")
    password = factory.LazyFunction(password_hash)
    totp_secret = factory.Sequence(lambda n: n.to_bytes(4, "big") + b"totp-secret-tests")
    primary_email = factory.RelatedFactory(
        EmailFactory,
        factory_related_name="user",
        email=factory.LazyAttribute(lambda o: f"{o.factory_parent.username}@example.com"),
    )


def totp_code(user: User, step_offset: int = 0) -> str:
    """A code the user's authenticator would show now (or ``step_offset`` steps later)."""
    totp = totp_for(user.totp_secret)
    step = totp.timecode(datetime.datetime.now(datetime.UTC)) + step_offset
    return totp.generate_otp(step)
