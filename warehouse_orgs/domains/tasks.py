"""Periodic work for verified domains."""

from pyramid.request import Request

from warehouse_orgs.domains.interfaces import IDomainVerificationService


def recheck_verified_domains(request: Request) -> dict[str, int]:
    """Look every verified domain's record up again (see the service); returns the counts."""
    summary = request.find_service(IDomainVerificationService).recheck_verified_domains()
    return {
        "checked": summary.checked,
        "still_verified": summary.still_verified,
        "lost": summary.lost,
        "unanswered": summary.unanswered,
    }
