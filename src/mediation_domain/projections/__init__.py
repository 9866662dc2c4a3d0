"""Projections of the log kept beside the events: the view machinery and the case index."""

from mediation_domain.projections.memory import MemoryProjectionStore
from mediation_domain.projections.view import PAGE, EventLog, Position, View

__all__ = ["PAGE", "EventLog", "MemoryProjectionStore", "Position", "View"]
