"""warehouse-orgs: PyPI Organizations, built the way Warehouse is built."""
