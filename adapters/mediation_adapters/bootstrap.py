"""The composition root: a Mediations application on a store bundle, built once.

`open_store(url)` opens the store the URL names, through the store registry, and builds
the application on it; `build(settings)` does so from the settings of config.py, with
automatic sealing when MEDIATION_SEAL_EVERY asks for it. The CLI and the HTTP server are
handed what these build; `service(app)` puts the service layer (who may do what) in
front of it, with reports from the store's report view.
"""

from __future__ import annotations

import threading
from pathlib import Path

from mediation_adapters.config import DEFAULT_STORE, Settings
from mediation_adapters.security.note_keys import load_signer_key
from mediation_adapters.storage.registry import open_bundle
from mediation_adapters.storage.report_view import ReportView
from mediation_adapters.storage.sealing import AutoSeal
from mediation_domain import InvalidInputError, Mediations
from mediation_domain.application.service import MediationService
from mediation_domain.privacy import Sealer
from mediation_domain.reports import Period, Report


def open_store(
    url: str = DEFAULT_STORE,
    *,
    store_key: bytes | None = None,
    sealer: Sealer | None = None,
    env: dict[str, str] | None = None,
    create: bool = True,
) -> Mediations:
    """A Mediations application on the store `url`, its tables created on first use.

    Personal values are sealed with per-subject keys kept in the same database. With a
    `store_key` (32 bytes) a new store is encrypted at rest, and an encrypted store opens;
    a wrong or missing key is a StoreKeyError. `create=False` refuses a store that does not
    exist yet. Closing the application closes the store.
    """
    bundle = open_bundle(url, store_key=store_key, create=create)
    try:
        app = Mediations(env=env, store=bundle, sealer=sealer)
    except BaseException:
        bundle.close()
        raise
    app.on_close.append(bundle.close)
    return app


def build(settings: Settings, *, url: str | None = None, create: bool = True) -> Mediations:
    """The application the settings describe (on `url` instead of the settings' store)."""
    sealing = _auto_seal(settings)  # refused before the store is opened
    app = open_store(
        url or settings.store,
        store_key=settings.store_key(),
        env=dict(settings.core),
        create=create,
    )
    app.on_recorded = sealing
    return app


def _auto_seal(settings: Settings) -> AutoSeal | None:
    """Sealing every MEDIATION_SEAL_EVERY records, with MEDIATION_AUDIT_PRIVATE_KEY."""
    every = settings.sealing_every()
    if every is None:
        return None
    if not settings.audit_private_key:
        message = "MEDIATION_SEAL_EVERY needs the key that signs: MEDIATION_AUDIT_PRIVATE_KEY"
        raise InvalidInputError(message)
    return AutoSeal(load_signer_key(Path(settings.audit_private_key)), every)


def service(app: Mediations) -> MediationService:
    """The service layer over `app`: reports come from its report view, opened on first use."""
    return MediationService(app, reports=_ViewReports(app))


class _ViewReports:
    """The store's report view, opened at the first report and closed with the store."""

    def __init__(self, app: Mediations) -> None:
        self._app = app
        self._view: ReportView | None = None
        self._lock = threading.Lock()

    def __call__(self, period: Period, *, exact: bool = False) -> Report:
        with self._lock:
            if self._view is None:
                self._view = ReportView(self._app)
                self._app.on_close.append(self._view.close)
            view = self._view
        return view.report(period, exact=exact)
