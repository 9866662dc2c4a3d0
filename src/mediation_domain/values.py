"""Value objects of a mediation: identifiers, the closed vocabularies, configured neighbourhoods."""

from __future__ import annotations

import re
import unicodedata
from enum import Enum
from typing import Any, Self

import attrs

from mediation_domain import names
from mediation_domain.errors import InvalidInputError, quoted

_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_REASON_CODE = re.compile(r"[a-z][a-z0-9-]{0,39}")
MAX_NAME_LENGTH = 200
MAX_PARTIES = 50  # a case's parties at most: with the text limits, the largest request
MAX_TEXT_LENGTH = 4000
MAX_PLACE_LENGTH = 80  # a neighbourhood's name, as reports and messages show it
_LISTED = 12  # configured names a message lists


def _identifier(kind: str) -> Any:  # noqa: ANN401 - an attrs validator
    def validate(_: object, __: attrs.Attribute[str], value: object) -> None:
        if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
            message = (
                f"invalid {kind} {quoted(value)}: use 1 to 64 letters, digits, '.', '_', ':' or '-'"
            )
            raise InvalidInputError(message)

    return validate


@attrs.frozen
class PartyId:
    """Pseudonymous id of a party: never a name."""

    value: str = attrs.field(validator=_identifier("party id"))

    def __str__(self) -> str:
        return self.value


@attrs.frozen
class MediatorId:
    """Id of a mediator in the service's staff register."""

    value: str = attrs.field(validator=_identifier("mediator id"))

    def __str__(self) -> str:
        return self.value


def _reason_code(_: object, __: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not _REASON_CODE.fullmatch(value):
        # Not echoed: what is refused is free text, which may well name someone.
        message = (
            "invalid reason code: use a short lowercase code such as 'unavailable' or "
            "'no-longer-needed' (no free text: it could hold personal data)"
        )
        raise InvalidInputError(message)


@attrs.frozen
class ReasonCode:
    """Why someone withdrew, as a code: free text would invite personal data."""

    value: str = attrs.field(validator=_reason_code)

    def __str__(self) -> str:
        return self.value


class _Vocabulary(Enum):
    """A closed list whose values are stable codes, parsed leniently from user input."""

    @classmethod
    def parse(cls, text: object) -> Self:
        """Return the member whose code or name matches `text`, or raise InvalidInputError."""
        if isinstance(text, cls):
            return text
        key = str(text).strip().lower().replace("_", "-").replace(" ", "-")
        for member in cls:
            if key in {member.value, member.name.lower().replace("_", "-")}:
                return member
        choices = ", ".join(member.value for member in cls)
        message = f"unknown {cls.label()} {quoted(text)}; expected one of: {choices}"
        raise InvalidInputError(message)

    @classmethod
    def label(cls) -> str:
        """Human name of the vocabulary, for messages."""
        return re.sub(r"(?<!^)(?=[A-Z])", " ", cls.__name__).lower()


class InterventionDomain(_Vocabulary):
    """The five domains social mediation intervenes in."""

    PUBLIC_SPACE_AND_HOUSING = "public-space-and-housing"
    ACCESS_TO_RIGHTS = "access-to-rights"
    PUBLIC_TRANSPORT = "public-transport"
    SCHOOLS_AND_YOUTH = "schools-and-youth"
    RESIDENTS_PARTICIPATION = "residents-participation"


class ReferralSource(_Vocabulary):
    """Who brought the situation to the service."""

    RESIDENT = "resident"
    LANDLORD = "landlord"
    SCHOOL = "school"
    TRANSPORT_OPERATOR = "transport-operator"
    CITY = "city"
    PARTNER = "partner"
    MEDIATOR_ON_PATROL = "mediator-on-patrol"


class SessionKind(_Vocabulary):
    """An interview with one party, or a joint session bringing parties together."""

    INDIVIDUAL_INTERVIEW = "individual-interview"
    JOINT_SESSION = "joint-session"


class Outcome(_Vocabulary):
    """How a resolved mediation ended."""

    AGREEMENT = "agreement"
    PARTIAL_AGREEMENT = "partial-agreement"
    NO_AGREEMENT = "no-agreement"
    ORIENTED_TO_PARTNER = "oriented-to-partner"


class WithdrawnBy(_Vocabulary):
    """Who ended a mediation before its resolution."""

    PARTY = "party"
    MEDIATOR = "mediator"
    SERVICE = "service"


class ConsentStatus(_Vocabulary):
    """Where a party's consent stands; only GIVEN is live."""

    PENDING = "pending"
    GIVEN = "given"
    WITHDRAWN = "withdrawn"
    REFUSED = "refused"


class CaseStatus(_Vocabulary):
    """Where a case stands, derived from its events."""

    AWAITING_MEDIATOR = "awaiting-mediator"
    IN_MEDIATION = "in-mediation"
    WITHDRAWN = "withdrawn"
    RESOLVED = "resolved"


def _fold(name: str) -> str:
    """Compare names regardless of case, accents and spacing ('saint eloi' ~ 'Saint-Éloi')."""
    decomposed = unicodedata.normalize("NFKD", names.dashes_as_hyphens(name).casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_-]+", "-", letters.strip())


def _normalised(names: tuple[str, ...]) -> tuple[str, ...]:
    """Names in NFKC: a full-width or ligatured spelling becomes the plain one."""
    return tuple(unicodedata.normalize("NFKC", name).strip() for name in names)


def _neighbourhood_names(
    _: object, __: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]
) -> None:
    if not value:
        raise InvalidInputError("at least one neighbourhood must be configured")
    for name in value:
        _check_neighbourhood_name(name)
    folded = [_fold(name) for name in value]
    if any(not name for name in folded) or len(set(folded)) != len(folded):
        message = f"neighbourhood names must be non-empty and distinct: {quoted(list(value))}"
        raise InvalidInputError(message)
    for first, second in names.lookalike_pairs(value):
        message = f"neighbourhoods {quoted(first)} and {quoted(second)} read alike: keep one"
        raise InvalidInputError(message)


def _check_neighbourhood_name(name: str) -> None:
    """One name: not empty nor too long, no invisible character, letters of one script."""
    if not 0 < len(name) <= MAX_PLACE_LENGTH:
        message = (
            f"neighbourhood {quoted(name)} is empty or longer than {MAX_PLACE_LENGTH} characters"
        )
        raise InvalidInputError(message)
    if names.hidden_characters(name):
        message = (
            f"neighbourhood {quoted(name)} holds an invisible or control character: "
            "type the name again"
        )
        raise InvalidInputError(message)
    if names.mixed_scripts(name):
        found = ", ".join(sorted(names.scripts(name))).lower()
        message = f"neighbourhood {quoted(name)} mixes scripts ({found}): a lookalike?"
        raise InvalidInputError(message)


@attrs.frozen
class Neighbourhoods:
    """The configured neighbourhoods a service works in (configuration, not an enum).

    Names are kept in NFKC; one with an invisible character, mixed scripts, or that reads
    like another (a Cyrillic Ve, U+0412, for a Latin "B") is refused: reports would show two rows
    that look the same.
    """

    names: tuple[str, ...] = attrs.field(converter=_normalised, validator=_neighbourhood_names)

    @classmethod
    def from_text(cls, text: str) -> Neighbourhoods:
        """Parse a comma-separated list, as found in an environment variable.

        An empty entry (`Beaulieu,,Gare`, or a comma at either end) is refused: a name
        missing, or a typo.
        """
        return cls(tuple(part.strip() for part in text.split(",")))

    def canonical(self, name: object) -> str:
        """Return the configured spelling of `name`, or raise InvalidInputError."""
        key = _fold(str(name))
        for configured in self.names:
            if _fold(configured) == key:
                return configured
        shown = ", ".join(self.names[:_LISTED])
        more = f" and {len(self.names) - _LISTED} more" if len(self.names) > _LISTED else ""
        message = f"unknown neighbourhood {quoted(name)}; configured: {shown}{more}"
        raise InvalidInputError(message)


POITIERS = Neighbourhoods(
    ("Beaulieu", "Bel-Air", "Bellejouanne", "Couronneries", "Saint-Éloi", "Trois-Cités"),
)
