"""Verified domains: an organization's Owners prove a web domain is theirs with a DNS TXT
record; a verified domain is a badge on the organization's public page and a hint in staff
review of applications whose website is on it. A daily task checks the records again.

Depends on organizations through its models, interfaces and hooks; organizations imports
nothing of it.
"""

import datetime

from pyramid.config import Configurator

from warehouse_orgs.domains.badges import (
    BADGE_KIND,
    BADGE_NAME,
    directory_badge_column,
    keys_for_domain,
    verified_domains_column,
)
from warehouse_orgs.domains.interfaces import IDomainVerificationService
from warehouse_orgs.domains.models import OrganizationDomain
from warehouse_orgs.domains.review import FACT_NAME, verified_domains_fact
from warehouse_orgs.domains.services import DatabaseDomainVerificationService
from warehouse_orgs.domains.tasks import recheck_verified_domains


def includeme(config: Configurator) -> None:
    config.register_service_factory(
        DatabaseDomainVerificationService.create_service, IDomainVerificationService
    )
    config.add_organization_badge(BADGE_NAME, BADGE_KIND, verified_domains_column)
    config.add_directory_badge(BADGE_NAME, directory_badge_column)
    config.register_origin_cache_keys(OrganizationDomain, keys_for_domain)
    config.add_application_review_fact(FACT_NAME, verified_domains_fact)
    config.add_periodic_task(recheck_verified_domains, datetime.timedelta(days=1))
