"""The vocabularies of a mediator's work beside cases: rounds, watch, orientations, actions.

Codes are stored in events and published: never renamed. Kinds follow the indicators
funders ask for (France Médiation / CITER: presence, contacts, orientations and their
outcomes, collective actions and attendance) and the registers of AFNOR XP X60-600.
"""

from __future__ import annotations

from mediation_domain.values import _Vocabulary

MAX_COUNT = 10_000  # contacts of one round, attendance of one action: a count, not a typo
MAX_ROUND_HOURS = 16  # a round is one stretch of presence, at most a long day
MAX_PARTNERS = 20  # partners of one collective action
MAX_LINE_LENGTH = 16  # a bus line's code ("1", "2A", "N1", "Vitalis 21")


class ContactKind(_Vocabulary):
    """What passed between a mediator on a round and someone they met."""

    GREETING = "greeting"  # presence, a word exchanged
    INFORMATION = "information"  # a question answered
    LISTENING = "listening"  # someone heard out
    DEFUSING = "defusing"  # a tension or conflict calmed on the spot
    RULE_REMINDER = "rule-reminder"  # a reminder of the rules of a place
    ORIENTATION = "orientation"  # told where to go (recorded as an orientation when followed)


class WatchKind(_Vocabulary):
    """What a watch report is about: social and technical watch."""

    DAMAGED_EQUIPMENT = "damaged-equipment"  # a broken door, lighting, a lift
    CLEANLINESS = "cleanliness"  # refuse, graffiti, bulky waste
    SAFETY_HAZARD = "safety-hazard"  # something that could hurt someone
    NUISANCE = "nuisance"  # noise, a gathering that troubles a place
    PERSON_IN_DIFFICULTY = "person-in-difficulty"  # someone isolated or in distress


class PartnerKind(_Vocabulary):
    """The kind of institution a report, an orientation or an action involves."""

    LANDLORD = "landlord"
    TRANSPORT_OPERATOR = "transport-operator"
    SOCIAL_SERVICE = "social-service"
    CITY_SERVICE = "city-service"
    SCHOOL = "school"
    HEALTH_SERVICE = "health-service"
    EMPLOYMENT_SERVICE = "employment-service"
    BENEFITS_OFFICE = "benefits-office"  # CAF, CPAM, pension funds
    ASSOCIATION = "association"
    LEGAL_ACCESS_POINT = "legal-access-point"  # point-justice, lawyers' free hours


class AccessNeed(_Vocabulary):
    """The access-to-rights need a person is oriented for."""

    HOUSING = "housing"
    BENEFITS = "benefits"
    HEALTH = "health"
    EMPLOYMENT = "employment"
    ADMINISTRATIVE = "administrative"  # papers, residence, identity
    DIGITAL = "digital"  # online procedures
    LEGAL = "legal"
    ENERGY = "energy"
    EDUCATION = "education"


class SharedItem(_Vocabulary):
    """What a person consented to share with the partner they are oriented to."""

    NAME = "name"
    CONTACT = "contact"
    SITUATION = "situation"  # a description of their need
    DOCUMENTS = "documents"


class OrientationOutcome(_Vocabulary):
    """What became of an orientation, as the follow-up found it."""

    RIGHT_OPENED = "right-opened"  # the person reached the service and their right opened
    IN_PROGRESS = "in-progress"  # reached, not settled yet: a further follow-up is due
    NOT_REACHED = "not-reached"  # the person did not get to the service
    LOST_CONTACT = "lost-contact"  # the mediator could not reach the person again


FINAL_OUTCOMES = frozenset(
    {
        OrientationOutcome.RIGHT_OPENED,
        OrientationOutcome.NOT_REACHED,
        OrientationOutcome.LOST_CONTACT,
    }
)


class ActionKind(_Vocabulary):
    """A collective action the service led or took part in."""

    RESIDENTS_MEETING = "residents-meeting"
    WORKSHOP = "workshop"
    CONSULTATION = "consultation"
    SCHOOL_ACTION = "school-action"


class WatchAnswer(_Vocabulary):
    """The partner's answer that closes a watch report."""

    FIXED = "fixed"  # the situation was dealt with
    PLANNED = "planned"  # work or a visit is planned
    REDIRECTED = "redirected"  # another partner has it
    DECLINED = "declined"  # the partner will not act
    NO_ANSWER = "no-answer"  # closed by the service after waiting in vain


class WatchStatus(_Vocabulary):
    """Where a watch report stands."""

    REPORTED = "reported"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"
