"""The stored forms of a case: its snapshot's state as lists and codes, older event versions."""

from __future__ import annotations

import dataclasses
from typing import Any

from eventsourcing.domain import Snapshot

from mediation_domain.case_values import HeldSession
from mediation_domain.values import CaseStatus, ConsentStatus, PartyId


class CaseSnapshot(Snapshot):
    """eventsourcing's snapshot, a case's state kept as lists and codes: MediationCase.Snapshot."""

    @classmethod
    def take(cls, aggregate: Any) -> Any:  # noqa: ANN401 - eventsourcing's signature
        """The snapshot of `aggregate`, a MediationCase."""
        snapshot = super().take(aggregate)
        state = dict(snapshot.state)
        state["parties"] = list(state["parties"].values())
        state["consents"] = [[p.value, status.value] for p, status in state["consents"].items()]
        state["sessions"] = [
            [s.kind, list(s.attendees), s.held_on, s.notes] for s in state["sessions"]
        ]
        state["withdrawal"] = list(state["withdrawal"] or ())
        state["closed_as"] = state["closed_as"] and state["closed_as"].value
        state["erased"] = sorted(state["erased"])
        return dataclasses.replace(snapshot, state=state)

    def mutate(self, _: None) -> Any:  # noqa: ANN401 - eventsourcing's signature
        """The case as it stood when the snapshot was taken."""
        state = dict(self.state)
        state["parties"] = {party.id: party for party in state["parties"]}
        state["consents"] = {PartyId(pid): ConsentStatus(code) for pid, code in state["consents"]}
        state["sessions"] = [
            HeldSession(kind, tuple(attendees), held_on, notes)
            for kind, attendees, held_on, notes in state["sessions"]
        ]
        state["withdrawal"] = tuple(state["withdrawal"]) or None
        state["closed_as"] = state["closed_as"] and CaseStatus(state["closed_as"])
        state["erased"] = set(state["erased"])
        whole = dataclasses.replace(self, state=state)
        return Snapshot.mutate(whole, None)


def upcast_session_held_v1_v2(state: dict[str, Any]) -> None:
    """Version 1 had no notes."""
    state["notes"] = None
