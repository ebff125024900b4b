"""Platform alias administration (operator only): list aliases with their history,
dry-run a proposed chain, replace a chain on every replica, roll back. See
``docs/catalog-admin.md``."""
