"""The staff pages, one module per area: dashboard.py, users.py."""
