"""Stores found by URL scheme, through the entry-point group `mediation_domain.stores`.

Every store, this project's own included, is a distribution's entry point:

    [project.entry-points."mediation_domain.stores"]
    sqlite = "mediation_adapters.storage.sqlite:FACTORY"

whose object is a `StoreFactory`: the URL form (for help and errors) and the function
that opens a bundle. `open_bundle(url)` finds the factory of the URL's scheme.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import EntryPoint, entry_points

import attrs
from eventsourcing.persistence import PersistenceError

from mediation_adapters.storage.errors import StoreError, first_line, redacted
from mediation_domain.errors import quoted
from mediation_domain.ports import StoreBundle

GROUP = "mediation_domain.stores"
DISTRIBUTION = "mediation-domain"
# This distribution's stores whose driver comes with one of its extras (pyproject.toml).
EXTRAS = {"postgresql": "postgres", "postgres": "postgres"}
Opener = Callable[..., StoreBundle]  # (url, *, store_key=None, create=True) -> StoreBundle


@attrs.frozen
class StoreFactory:
    """What a store distribution registers: its URL form and how to open it.

    `open(url, *, store_key=None, create=True)` returns the bundle, or raises StoreError
    (one line, password hidden); `create=False` refuses a store that does not exist yet.
    """

    form: str
    open: Opener


def schemes() -> list[str]:
    """The URL schemes of the installed stores, sorted."""
    return sorted({point.name for point in entry_points(group=GROUP)})


def factory(scheme: str) -> StoreFactory:
    """The installed store factory for `scheme`; StoreError listing the others if none."""
    found = [point for point in entry_points(group=GROUP) if point.name == scheme]
    if not found:
        message = (
            f"no store is installed for {quoted(scheme + '://')}: installed are "
            f"{', '.join(f'{name}://' for name in schemes()) or 'none'}"
        )
        raise StoreError(message)
    try:
        loaded = found[0].load()
    except ImportError as error:
        raise StoreError(_unimportable(found[0], error)) from None
    if not isinstance(loaded, StoreFactory):
        message = f"the store entry point {found[0].value} is not a StoreFactory"
        raise StoreError(message)
    return loaded


def _unimportable(point: EntryPoint, error: ImportError) -> str:
    """Why the store of `point` cannot be imported, and what to install to mend it."""
    scheme, registrant = point.name, point.dist
    if registrant is not None and registrant.name == DISTRIBUTION and scheme in EXTRAS:
        return (
            f"the {scheme}:// store needs what is not installed ({first_line(error)}): "
            f"install its extra, pip install '{DISTRIBUTION}[{EXTRAS[scheme]}]'"
        )
    plug_in = point.value if registrant is None else f"{registrant.name} {registrant.version}"
    return (
        f"the {scheme}:// store's plug-in ({plug_in}) cannot be imported "
        f"({first_line(error)}): reinstall it"
    )


def forms() -> list[str]:
    """Each installed store's URL form, for help texts (a store that cannot load: its scheme)."""
    found = []
    for scheme in schemes():
        try:
            found.append(factory(scheme).form)
        except StoreError:
            found.append(f"{scheme}://...")
    return list(dict.fromkeys(found))


def open_bundle(url: str, *, store_key: bytes | None = None, create: bool = True) -> StoreBundle:
    """The bundle of the store `url` names, through its scheme's factory."""
    scheme, separator, _ = url.partition("://")
    if not separator or not scheme:
        message = (
            f"invalid store URL {quoted(redacted(url))}: expected SCHEME://..., one of "
            f"{', '.join(f'{name}://' for name in schemes())}"
        )
        raise StoreError(message)
    chosen = factory(scheme.lower())
    with _opening(url):
        return chosen.open(url, store_key=store_key, create=create)


@contextmanager
def _opening(url: str) -> Iterator[None]:
    """Any failure to open, as one StoreError naming the store (password hidden)."""
    try:
        yield
    except StoreError:
        raise
    except (PersistenceError, OSError) as error:
        message = f"cannot open store {quoted(redacted(url))}: {first_line(error)}"
        raise StoreError(message) from error
