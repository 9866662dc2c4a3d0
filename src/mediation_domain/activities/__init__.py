"""The rest of a mediator's work, each its own aggregate beside cases, in the same log.

Proximity rounds, watch reports, orientations with follow-up, collective actions: their
rules are in the same catalogue as a case's (`mediation_domain.rules`) and the auditor's
replay re-checks them.
"""

from mediation_domain.activities.actions import CollectiveAction
from mediation_domain.activities.base import Activity
from mediation_domain.activities.orientations import PERSON_NAME, Orientation
from mediation_domain.activities.rounds import ProximityRound
from mediation_domain.activities.watch import WatchReport

ACTIVITIES: tuple[type[Activity], ...] = (
    ProximityRound,
    WatchReport,
    Orientation,
    CollectiveAction,
)

__all__ = [
    "ACTIVITIES",
    "PERSON_NAME",
    "Activity",
    "CollectiveAction",
    "Orientation",
    "ProximityRound",
    "WatchReport",
]
