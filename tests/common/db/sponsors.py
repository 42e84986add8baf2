import factory

from tests.common.db import ModelFactory
from warehouse_orgs.sponsors.models import (
    InquiryStatus,
    Sponsor,
    SponsorInquiry,
    SponsorLevel,
    SponsorOrigin,
)


class SponsorFactory(ModelFactory):
    """An active, hand-curated sponsor that is on no list yet: set ``psf_sponsor``,
    ``infra_sponsor`` (which needs ``white_logo_url``), ``one_time`` or ``footer``.

    A test that adds footer or infrastructure sponsors and then asks for a page must forget
    the footer's per-process cache (``app_registry["sponsors.footer_cache"].forget()``), as
    the service does after its transaction: a test's writes never commit, so PostgreSQL never
    announces them."""

    class Meta:
        model = Sponsor

    name = factory.Sequence(lambda n: f"Sponsor {n}")
    slug = factory.Sequence(lambda n: f"sponsor-{n}")
    link_url = factory.LazyAttribute(lambda o: f"https://{o.slug}.example.com/")
    color_logo_url = factory.LazyAttribute(lambda o: f"/static/sponsorlogos/{o.slug}-color.png")
    white_logo_url = None
    origin = SponsorOrigin.Manual.value
    is_active = True
    footer = False
    psf_sponsor = False
    infra_sponsor = False
    one_time = False
    level_order = 0

    class Params:
        with_white_logo = factory.Trait(
            white_logo_url=factory.LazyAttribute(
                lambda o: f"/static/sponsorlogos/{o.slug}-white.png"
            )
        )


class SponsorLevelFactory(ModelFactory):
    """An open level of the prospectus."""

    class Meta:
        model = SponsorLevel

    name = factory.Sequence(lambda n: f"Level {n}")
    yearly_amount = 10_000
    benefits = "Your logo on /sponsors/\nA thank-you on the PSF blog"
    position = factory.Sequence(lambda n: n)
    is_open = True


class SponsorInquiryFactory(ModelFactory):
    """A new inquiry with no level ("Not sure yet"); pass ``level=`` for one."""

    class Meta:
        model = SponsorInquiry
        exclude = ("level",)

    level = None
    company = factory.Sequence(lambda n: f"Company {n}")
    contact_name = "Pat Contact"
    contact_email = factory.Sequence(lambda n: f"contact{n}@company.example.com")
    message = "We would like to sponsor the index."
    level_id = factory.LazyAttribute(lambda o: o.level.id if o.level is not None else None)
    level_name = factory.LazyAttribute(lambda o: o.level.name if o.level is not None else None)
    status = InquiryStatus.New.value
    notes = ""
