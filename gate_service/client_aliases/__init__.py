"""Client aliases (``client:<client_id>/<name>``): a brand's own chains over its own keys.

``records`` holds the plain types, ``validation`` the checks, ``store`` the table,
``manager`` the operations on behalf of a caller, ``book`` the in-memory snapshot that
routing reads (no I/O on the request path).
"""
