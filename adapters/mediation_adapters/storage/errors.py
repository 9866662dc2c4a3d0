"""How stores refuse: one-line typed errors that never show a password."""

from __future__ import annotations

import re

from mediation_domain import InvalidInputError


class StoreError(InvalidInputError):
    """The store URL is malformed or unsupported, or the store cannot be opened or used.

    One line, safe to show: a store adapter raises it with the URL passed through
    `redacted` and the driver's error cut to its first line (`first_line`).
    """


class StoreKeyError(StoreError):
    """The store key is missing, malformed, or not the one that opens this store."""


class StoreModeError(StoreError):
    """A store file is open to other users than its owner."""


_SECRET_PARAMETERS = re.compile(
    r"([?&;](?:password|passwd|pwd|sslpassword|secret|token)=)[^&;#]*", re.IGNORECASE
)


def redacted(url: str) -> str:
    """`url` without its password, for messages and logs.

    The password is whatever lies between the user's name and the last `@` before the
    query, even holding a `/` or an `@` its writer did not percent-encode; and a
    `password=` (or `pwd=`, `token=`...) parameter of the query is hidden too.
    """
    scheme, separator, rest = url.partition("://")
    if separator and not rest.startswith("/"):
        authority = rest.split("?", 1)[0].split("#", 1)[0]
        user, colon, _ = authority.rpartition("@")[0].partition(":")
        if "@" in authority and colon and "/" not in user:
            rest = f"{user}:***@{rest[authority.rindex('@') + 1 :]}"
    return _SECRET_PARAMETERS.sub(r"\1***", f"{scheme}{separator}{rest}")


def first_line(error: BaseException) -> str:
    """A driver error's first line, or its type's name when it says nothing."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
