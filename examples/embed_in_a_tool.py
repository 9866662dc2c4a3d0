"""Embed mediation-domain in another tool: the public API in thirty lines."""

from mediation_domain import ConsentError, InterventionDomain, Mediations, Outcome, ReferralSource

app = Mediations()  # in memory; or mediation_adapters.bootstrap.open_store(url)

case_id = app.request_mediation(
    domain=InterventionDomain.PUBLIC_SPACE_AND_HOUSING,
    neighbourhood="Couronneries",
    referral=ReferralSource.LANDLORD,
    parties=["Mme A", "M. B"],
    summary="noise at night",
)
a, b = (party.id for party in app.get_case(case_id).parties)  # pseudonymous ids

app.assign_mediator(case_id, mediator="med-1", ties=())  # declares no tie with a party
app.give_consent(case_id, party=a)
try:
    app.hold_session(case_id, kind="joint-session", attendees=[a, b])
except ConsentError as refusal:  # M. B has not consented: nothing was recorded
    print("refused:", refusal)

app.give_consent(case_id, party=b)
app.hold_session(case_id, kind="joint-session", attendees=[a, b])
app.resolve(case_id, outcome=Outcome.AGREEMENT)

case = app.get_case(case_id)
print(case.status.value, "after", case.version, "events; consenting:", len(case.consenting))
print("as first requested:", app.get_case(case_id, version=1).status.value)
for view in app.iter_cases(
    domain=InterventionDomain.PUBLIC_SPACE_AND_HOUSING
):  # streamed: one page in memory
    print(view.case_id, view.status.value)
page = app.cases_page(limit=50)  # the next: app.cases_page(limit=50, after=page.after)
print(len(page.cases), "case(s) on the first page; more after it:", page.after is not None)
