"""Staff pages under /admin/.

Nothing to register: the routes are declared in routes.py, who may open each page is the root
ACL in root.py, and the views in admin/views/ are found by ``config.scan()``.
"""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    """Kept so the package can be included like any feature once it owns services or tasks."""
