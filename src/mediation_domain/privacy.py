"""Personal data in events: sealed values, the sealing port, and the erased placeholder."""

from __future__ import annotations

from typing import Protocol

import attrs

ERASED = "[erased]"
SEALED = "[sealed]"  # a value sealed by a scheme this sealer cannot open


@attrs.frozen
class Sealed:
    """A personal value as stored in an event: whose it is, how it was sealed, the sealed text.

    The subject is the data subject (a party id, or the case id for case-level free text);
    erasing a subject makes every value sealed for it unreadable.
    """

    subject: str
    scheme: str
    text: str


class Sealer(Protocol):
    """Seals personal values for storage and opens them for reading."""

    def seal(self, subject: str, plaintext: str) -> Sealed:
        """Return `plaintext` sealed for `subject`."""
        ...

    def open(self, sealed: Sealed) -> str:
        """Return the plaintext, or ERASED when the subject's data was erased."""
        ...


class ClearTextSealer:
    """Stores values as they are: pseudonymous structure, no confidentiality.

    The default until a key-store sealer is configured; its scheme ('clear') marks
    every value it produced so that an auditor sees which values were never encrypted.
    """

    scheme = "clear"

    def seal(self, subject: str, plaintext: str) -> Sealed:
        """Wrap `plaintext` without encrypting it."""
        return Sealed(subject=subject, scheme=self.scheme, text=plaintext)

    def open(self, sealed: Sealed) -> str:
        """Return the stored text; a value of another scheme is shown as SEALED, not erased."""
        return sealed.text if sealed.scheme == self.scheme else SEALED
