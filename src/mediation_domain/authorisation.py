"""Who may do what: the roles of the service and one pure policy, shared by every adapter.

- mediator:    reads and acts on the cases assigned to them, and only those;
- coordinator: every case, assigns mediators, erases, reports, audits, administers;
- partner:     the aggregated report only, small counts suppressed: no case, no personal data;
- auditor:     the pseudonymised export and its verification: no personal data.

`decide(principal, action, mediator_of_case)` answers ALLOWED, FORBIDDEN (the role may never
do this: HTTP 403) or HIDDEN (a case the principal may not see: answered as if it did not
exist, HTTP 404, so that its existence is not revealed).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from enum import Enum

import attrs

from mediation_domain.errors import CaseNotFoundError, InvalidInputError, MediationError, quoted
from mediation_domain.names import hidden_characters, mixed_scripts
from mediation_domain.values import MediatorId, _Vocabulary


class Role(_Vocabulary):
    """The four kinds of user of the service."""

    MEDIATOR = "mediator"
    COORDINATOR = "coordinator"
    PARTNER = "partner"
    AUDITOR = "auditor"


class Action(Enum):
    """What a user asks to do."""

    REQUEST = "request"
    LIST_CASES = "list-cases"
    READ_CASE = "read-case"
    ACT_ON_CASE = "act-on-case"  # join, consents, sessions, withdrawal, resolution
    MEDIATOR_WITHDRAWS = "mediator-withdraws"
    ASSIGN = "assign"
    ERASE = "erase"
    REPORT = "report"
    AUDIT = "audit"  # the pseudonymised export and its verification
    ADMINISTER = "administer"  # keys, tokens, copies, serving: the operator's work
    NAME_PARTY_IDS = "name party ids"  # others add parties under generated ids
    REPORT_EXACT = "receive exact counts"  # partners receive small counts hidden
    RECORD_ACTIVITY = "record activities"  # rounds, watch reports, orientations, actions
    READ_ACTIVITIES = "read activities"  # their lists (a mediator's own orientations only)
    FOLLOW_UP = "follow up an orientation"  # and read its person's name: its mediator's
    READ_ARCHIVE = "read the archive"  # an archived record's personal values, with a reason


class Decision(Enum):
    """The policy's answer."""

    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"
    HIDDEN = "hidden"


@attrs.frozen
class Principal:
    """An authenticated user: a role and an identity (a mediator's id, for a mediator)."""

    role: Role
    identity: str

    def __attrs_post_init__(self) -> None:
        if self.role is Role.MEDIATOR:
            MediatorId(self.identity)  # a mediator acts under their mediator id
        elif not _printable_identity(self.identity):
            message = (
                f"invalid identity {quoted(self.identity)}: 1 to {IDENTITY_LENGTH} printable "
                "characters, no control, invisible or direction-changing character"
            )
            raise InvalidInputError(message)


IDENTITY_LENGTH = 64


def _printable_identity(identity: object) -> bool:
    """An identity that reads as what it is in a log: visible characters, trimmed, short."""
    return (
        isinstance(identity, str)
        and 0 < len(identity) <= IDENTITY_LENGTH
        and identity == identity.strip()
        and not hidden_characters(identity)
        and not any(unicodedata.category(c) == "Zs" and c != " " for c in identity)
        and not mixed_scripts(identity)
    )


# Which roles may ever take each action; mediators only on their own cases.
_MAY: dict[Action, frozenset[Role]] = {
    Action.REQUEST: frozenset({Role.COORDINATOR}),
    Action.LIST_CASES: frozenset({Role.COORDINATOR, Role.MEDIATOR}),
    Action.READ_CASE: frozenset({Role.COORDINATOR, Role.MEDIATOR}),
    Action.ACT_ON_CASE: frozenset({Role.COORDINATOR, Role.MEDIATOR}),
    Action.MEDIATOR_WITHDRAWS: frozenset({Role.COORDINATOR, Role.MEDIATOR}),
    Action.ASSIGN: frozenset({Role.COORDINATOR}),
    Action.ERASE: frozenset({Role.COORDINATOR}),
    Action.REPORT: frozenset({Role.COORDINATOR, Role.PARTNER}),
    Action.AUDIT: frozenset({Role.COORDINATOR, Role.AUDITOR}),
    Action.ADMINISTER: frozenset({Role.COORDINATOR}),
    # Choosing ids is the coordinator's: a mediator could otherwise probe other cases' ids.
    Action.NAME_PARTY_IDS: frozenset({Role.COORDINATOR}),
    Action.REPORT_EXACT: frozenset({Role.COORDINATOR}),
    Action.RECORD_ACTIVITY: frozenset({Role.COORDINATOR, Role.MEDIATOR}),
    Action.READ_ACTIVITIES: frozenset({Role.COORDINATOR, Role.MEDIATOR}),
    Action.FOLLOW_UP: frozenset({Role.COORDINATOR, Role.MEDIATOR}),
    Action.READ_ARCHIVE: frozenset({Role.COORDINATOR}),
}
_WHY = {
    Action.NAME_PARTY_IDS: ": parties are added under generated ids only",
    Action.REPORT_EXACT: ": a partner receives the partners' view only",
}
_ON_A_CASE = frozenset(
    {
        Action.READ_CASE,
        Action.ACT_ON_CASE,
        Action.MEDIATOR_WITHDRAWS,
        Action.ASSIGN,
        Action.FOLLOW_UP,  # on an orientation: its mediator's, as a case is
    }
)
_NO_CASE = object()


def decide(principal: Principal, action: Action, case_mediator: object = _NO_CASE) -> Decision:
    """Whether `principal` may take `action` (on a case whose mediator is `case_mediator`).

    Call it without `case_mediator` first, to refuse a role before looking the case up;
    then with the case's mediator (a string, or None when unassigned).
    """
    if principal.role not in _MAY[action]:
        return Decision.FORBIDDEN
    if principal.role is Role.MEDIATOR and action in _ON_A_CASE and case_mediator is not _NO_CASE:
        return Decision.ALLOWED if case_mediator == principal.identity else Decision.HIDDEN
    return Decision.ALLOWED


def sees_all_cases(principal: Principal) -> bool:
    """True for a coordinator; a mediator's lists hold their own cases only."""
    return principal.role is Role.COORDINATOR


class NotAllowedError(MediationError):
    """The principal's role may never take this action."""


def authorise(
    principal: Principal, action: Action, case: tuple[object, str | None] | None = None
) -> None:
    """Raise what `decide` refuses: NotAllowedError, or CaseNotFoundError for a hidden case.

    `case`, when the action is on one, is (its id, its mediator).
    """
    decision = decide(principal, action) if case is None else decide(principal, action, case[1])
    if decision is Decision.FORBIDDEN:
        role = principal.role.value
        article = "an" if role[0] in "aeiou" else "a"
        message = f"{article} {role} may not {action.value.replace('-', ' ')}"
        message += _WHY.get(action, "")
        raise NotAllowedError(message, rule="role-may-act")
    if decision is Decision.HIDDEN and case is not None:
        message = f"no case {case[0]}"  # as if it did not exist: its existence stays private
        raise CaseNotFoundError(message)


def authorise_speaking_for(principal: Principal, mediator: str) -> None:
    """A mediator speaks for themselves only (their own refusal or withdrawal)."""
    if principal.role is Role.MEDIATOR and mediator != principal.identity:
        message = "a mediator withdraws for themselves only"
        raise NotAllowedError(message, rule="role-may-act")


def authorise_recording_for(principal: Principal, team: Sequence[str], what: str) -> None:
    """A mediator records their own work only: they are one of its team."""
    if principal.role is Role.MEDIATOR and principal.identity not in team:
        message = f"a mediator records {what} they took part in only: name yourself in it"
        raise NotAllowedError(message, rule="role-may-act")


def principal_from(text: str) -> Principal:
    """A principal written ROLE:IDENTITY (the CLI's --as), e.g. mediator:med-1."""
    role, separator, identity = text.partition(":")
    if not separator or not identity.strip():
        message = f"invalid principal {quoted(text)}: expected ROLE:IDENTITY, e.g. mediator:med-1"
        raise InvalidInputError(message)
    return Principal(Role.parse(role), identity.strip())
