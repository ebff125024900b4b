"""The catalog: which providers exist, which models they serve, and the task aliases.

The catalog is data, not code. It ships as YAML in ``data/`` (``loader``), is copied into
the database on first start (``persist``) so an operator can change chains at run time,
and is read through an immutable, indexed snapshot (``snapshot.Catalog``). ``schema``
holds the plain typed records and the one JSON-document converter used by both the YAML
files and the database rows, so the two can never drift apart.
"""
