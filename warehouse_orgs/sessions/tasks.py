from pyramid.request import Request

from warehouse_orgs.sessions.interfaces import ISessionStore


def purge_expired_sessions(request: Request) -> int:
    """Delete sessions past their expiry; they no longer work, this only frees the space."""
    return request.find_service(ISessionStore).purge_expired()
