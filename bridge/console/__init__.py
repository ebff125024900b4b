"""The web console: server-rendered pages (Jinja2 + htmx) served by the bridge at
``/console``.

A browser signs in once with a brand's client credential, the operator token or an agent
token; the secret is exchanged for a server-side session (:mod:`bridge.console.sessions`)
and every page then calls the core as the bridge's API routes do, with that credential, so
the console shows exactly what the API would (same scopes, same tenancy). Nothing here is
mounted under the API prefixes: the package has no ``ROUTES`` (see :func:`bridge.app.api_modules`).
"""
