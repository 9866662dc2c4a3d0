"""Files holding secrets (keys, tokens): created new, never through a link, readable by the owner.

Writing follows no symbolic link and overwrites nothing: `O_CREAT | O_EXCL` refuses a path
that exists, a dangling link included (POSIX), and `O_NOFOLLOW` a link in its last part.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mediation_domain import InvalidInputError

OWNER_ONLY = 0o600
READABLE = 0o644


class SecretFileError(InvalidInputError):
    """A key or token file cannot be written where it was asked for."""


def create_new(path: Path, data: bytes, what: str, *, mode: int = OWNER_ONLY) -> None:
    """Write `data` to a new file at `path` with `mode`; refuse an existing path or a link."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except FileExistsError:
        message = (
            f"{path} is a symbolic link: refusing to write the {what} through it"
            if path.is_symlink()
            else f"{path} exists: refusing to overwrite it with the {what}"
        )
        raise SecretFileError(message) from None
    except OSError as error:
        message = f"cannot write the {what} {path}: {error.strerror}"
        raise SecretFileError(message) from None
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), mode)  # whatever the umask
        file.write(data)


def distinct(*paths: Path) -> None:
    """Refuse two of `paths` naming one file: the second would replace the first."""
    seen: dict[str, Path] = {}
    for path in paths:
        key = os.path.realpath(path)
        if key in seen:
            message = (
                f"{path} is given for two keys (the same file): give each key a file of its own"
            )
            raise SecretFileError(message)
        seen[key] = path


def replace_owner_only(path: Path, data: bytes, what: str) -> None:
    """Replace the file at `path` whole with `data`, mode 0600; refuse when `path` is a link.

    The new content goes to a fresh temporary file beside it (created exclusively, never
    through a link, 0600), then is renamed over `path`: a reader sees the old or the new.
    """
    if path.is_symlink():
        message = f"{path} is a symbolic link: refusing to write the {what} through it"
        raise SecretFileError(message)
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        message = f"cannot write the {what} beside {path}: {error.strerror}"
        raise SecretFileError(message) from None
    try:
        with os.fdopen(descriptor, "wb") as file:
            os.fchmod(file.fileno(), OWNER_ONLY)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
