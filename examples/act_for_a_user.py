"""Act for a user through the service layer: each role may do what the deontology gives it."""

from mediation_domain import CaseNotFoundError, Mediations
from mediation_domain.application.service import MediationService
from mediation_domain.authorisation import NotAllowedError, Principal, Role

service = MediationService(Mediations())  # in memory
coordinator = service.for_principal(Principal(Role.COORDINATOR, "coord-1"))
amina = service.for_principal(Principal(Role.MEDIATOR, "med-amina"))
partner = service.for_principal(Principal(Role.PARTNER, "ville-de-poitiers"))

opened = coordinator.request_mediation(
    domain="public-transport", neighbourhood="Beaulieu", referral="transport-operator",
    parties=["Mme A", "M. B"],
)  # fmt: skip
case_id = opened.case.case_id
a, b = (party.id for party in opened.case.parties)

try:
    amina.get_case(case_id)  # not hers yet: as if it did not exist
except CaseNotFoundError as hidden:
    print("hidden:", hidden)
coordinator.assign_mediator(case_id, mediator="med-amina")
done = amina.give_consent(case_id, party=a)
print("recorded:", done.recorded, "version", done.case.version, "status", done.case.status.value)
print("her cases:", len(amina.list_cases()))
try:
    partner.list_cases()  # partners receive the masked report, never a case
except NotAllowedError as refused:
    print("refused:", refused)
