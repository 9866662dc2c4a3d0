"""The HTTP API: an ASGI application (Starlette) over a Mediations store.

    from mediation_adapters.entrypoints.http import create_app
    app = create_app(open_store(url), Tokens.load(path))

Bearer tokens map to a role (`mediation_domain.authorisation`); every refusal is an RFC 9457
problem document; the case version is the ETag, and a command sent with If-Match applies
only to that version. Run it with `mediation serve`.
"""

from __future__ import annotations

from mediation_adapters.entrypoints.http.app import create_app
from mediation_adapters.entrypoints.http.endpoints import REPORTS_WAITING

__all__ = ["REPORTS_WAITING", "create_app"]
