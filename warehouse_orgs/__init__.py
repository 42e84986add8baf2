"""warehouse-orgs: PyPI Organizations, built the way Warehouse is built."""

import warnings

# Pyramid 2.1 still imports pkg_resources, and current setuptools announces its deprecation on
# every start of every command. It is Pyramid's to fix; the notice tells our users nothing.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
