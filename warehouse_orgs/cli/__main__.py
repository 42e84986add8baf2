from warehouse_orgs.cli import warehouse_orgs

warehouse_orgs()
