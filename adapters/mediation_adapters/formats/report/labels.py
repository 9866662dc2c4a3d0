"""The words of a report, French (the services are French) and English: labels, domains, months."""

from __future__ import annotations

from mediation_adapters.formats.report.activity_labels import ACTIVITY_VALUES, ACTIVITY_WORDS
from mediation_domain.reports import MEASURES, Shown

LANGUAGES = ("fr", "en")

_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Rapport d'activité de la médiation sociale",
        "period": "Du {start} au {end}, selon l'historique au {as_of} ({zone})",
        "partner": "Vue partenaires : quartiers, domaines et institutions par trimestre, le "
        "service entier par mois.",
        "quarters": "{count} trimestre(s) terminé(s) : {first} à {last}",
        "legend.small": "< 5 : entre 1 et 4 dossiers, non affiché pour protéger les personnes "
        "concernées.",
        "legend.range": "12\u201320 : un total qui inclut un chiffre masqué ; un chiffre masqué "
        "autre que « < 5 » vaut au moins 5.",
        "by.month": "Par mois (tout le service)",
        "by.neighbourhood": "Par quartier (trimestres entiers)",
        "by.domain": "Par domaine (trimestres entiers)",
        "quarter": "T{number} {year}",
        "exact": "Vue interne : comptes exacts, à ne pas diffuser aux partenaires.",
        "total": "Ensemble de la période",
        "neighbourhood": "Quartier",
        "domain": "Domaine",
        "month": "Mois",
        "indicator": "Indicateur",
        "value": "Valeur",
        "chart.neighbourhood": "Demandes par quartier, sur toute la période",
        "chart.domain": "Demandes par domaine, sur toute la période",
        "chart.month": "Demandes et clôtures par mois (tout le service)",
        "chart.range": "12\u201320, < 5 : chiffre non connu, entre ses deux bornes "
        "(< 5 : de 1 à 4)",
        "chart.open": "\u2265 635 : au moins 635, sans borne haute",
        "partial.running": "mois en cours (partiel)",
        "partial.cut": "mois coupé par la période (partiel)",
        "rows": "Détail",
        "none": "aucune activité sur la période",
        "requests": "Demandes",
        "referral.resident": "  orientées par un habitant",
        "referral.landlord": "  orientées par un bailleur",
        "referral.school": "  orientées par un établissement scolaire",
        "referral.transport-operator": "  orientées par le transporteur",
        "referral.city": "  orientées par la ville",
        "referral.partner": "  orientées par un partenaire",
        "referral.mediator-on-patrol": "  repérées par un médiateur en tournée",
        "proposed": "Médiations proposées",
        "accepted": "Médiations acceptées (tous les consentements)",
        "refused": "Médiations refusées",
        "withdrawn": "Médiations interrompues",
        "withdrawn.party": "  par une partie",
        "withdrawn.mediator": "  par le médiateur",
        "withdrawn.service": "  par le service",
        "resolved": "Médiations menées à leur terme",
        "resolved.agreement": "  accord",
        "resolved.partial-agreement": "  accord partiel",
        "resolved.no-agreement": "  sans accord",
        "resolved.oriented-to-partner": "  orientation vers un partenaire",
        "closed": "Dossiers clos",
        "sessions": "Entretiens et rencontres",
        "sessions.individual-interview": "  entretiens individuels",
        "sessions.joint-session": "  rencontres de médiation",
        "open": "Dossiers en cours en fin de période",
        "open.0-30d": "  ouverts depuis 30 jours au plus",
        "open.31-90d": "  depuis 31 à 90 jours",
        "open.91-180d": "  depuis 91 à 180 jours",
        "open.181d+": "  depuis plus de 180 jours",
        "sessions_per_closed_case.mean": "Entretiens par dossier clos (moyenne)",
        "closure_days.median": "Jours de la demande à la clôture (médiane)",
        "closure_days.p90": "Jours de la demande à la clôture (9 sur 10 en moins de)",
        "open_age_days.median": "Ancienneté des dossiers en cours, en jours (médiane)",
        "institution": "Dossiers impliquant une institution",
        "by.institution": "Dossiers impliquant une institution, par type",
        "institution.kind": "Type d'institution",
        "institution.cases": "Dossiers",
        "institution.none": "aucun sur la période",
        "detail": " : ",
        "short.requests": "Demandes",
        "short.proposed": "Proposées",
        "short.accepted": "Acceptées",
        "short.refused": "Refusées",
        "short.withdrawn": "Interrompues",
        "short.resolved": "Terminées",
        "short.open": "En cours",
        "short.closed": "Clos",
        "short.sessions": "Entretiens",
        "line.requests": "demandes",
        "line.closed": "clôtures",
    },
    "en": {
        "title": "Social mediation activity report",
        "period": "From {start} to {end}, as the history stood at {as_of} ({zone})",
        "partner": "Partners' view: neighbourhoods, domains and institutions by quarter, the "
        "whole service by month.",
        "quarters": "{count} finished quarter(s): {first} to {last}",
        "legend.small": "< 5: between 1 and 4 cases, not shown to protect the people concerned.",
        "legend.range": "12\u201320: a total that includes a hidden figure; a hidden figure "
        "other than “< 5” is 5 or more.",
        "by.month": "By month (the whole service)",
        "by.neighbourhood": "By neighbourhood (whole quarters)",
        "by.domain": "By domain (whole quarters)",
        "quarter": "Q{number} {year}",
        "exact": "Internal view: exact counts, not for partners.",
        "total": "Whole period",
        "neighbourhood": "Neighbourhood",
        "domain": "Domain",
        "month": "Month",
        "indicator": "Indicator",
        "value": "Value",
        "chart.neighbourhood": "Requests by neighbourhood, whole period",
        "chart.domain": "Requests by domain, whole period",
        "chart.month": "Requests and closures by month (the whole service)",
        "chart.range": "12\u201320, < 5: figure not known, between its two bounds (< 5: 1 to 4)",
        "chart.open": "\u2265 635: at least 635, no upper bound",
        "partial.running": "current month (partial)",
        "partial.cut": "month cut by the period (partial)",
        "rows": "Detail",
        "none": "no activity in the period",
        "requests": "Requests",
        "referral.resident": "  referred by a resident",
        "referral.landlord": "  referred by a landlord",
        "referral.school": "  referred by a school",
        "referral.transport-operator": "  referred by the transport operator",
        "referral.city": "  referred by the city",
        "referral.partner": "  referred by a partner",
        "referral.mediator-on-patrol": "  found by a mediator on patrol",
        "proposed": "Mediations proposed",
        "accepted": "Mediations accepted (every consent given)",
        "refused": "Mediations refused",
        "withdrawn": "Mediations withdrawn",
        "withdrawn.party": "  by a party",
        "withdrawn.mediator": "  by the mediator",
        "withdrawn.service": "  by the service",
        "resolved": "Mediations resolved",
        "resolved.agreement": "  agreement",
        "resolved.partial-agreement": "  partial agreement",
        "resolved.no-agreement": "  no agreement",
        "resolved.oriented-to-partner": "  oriented to a partner",
        "closed": "Cases closed",
        "sessions": "Sessions held",
        "sessions.individual-interview": "  individual interviews",
        "sessions.joint-session": "  joint sessions",
        "open": "Cases open at the end of the period",
        "open.0-30d": "  open for 30 days or less",
        "open.31-90d": "  for 31 to 90 days",
        "open.91-180d": "  for 91 to 180 days",
        "open.181d+": "  for more than 180 days",
        "sessions_per_closed_case.mean": "Sessions per closed case (mean)",
        "closure_days.median": "Days from request to closure (median)",
        "closure_days.p90": "Days from request to closure (90th percentile)",
        "open_age_days.median": "Age of open cases in days (median)",
        "institution": "Cases involving an institution",
        "by.institution": "Cases involving an institution, by kind",
        "institution.kind": "Kind of institution",
        "institution.cases": "Cases",
        "institution.none": "none in the period",
        "detail": ": ",
        "short.requests": "Requests",
        "short.proposed": "Proposed",
        "short.accepted": "Accepted",
        "short.refused": "Refused",
        "short.withdrawn": "Withdrawn",
        "short.resolved": "Resolved",
        "short.open": "Open",
        "short.closed": "Closed",
        "short.sessions": "Sessions",
        "line.requests": "requests",
        "line.closed": "closures",
    },
}
# Each kind of institution as a detail of "institution" (a CSV column: "Cases involving an
# institution: landlord"), in the words the watch reports' partners are named with.
_INSTITUTIONS = {
    lang: {
        f"institution.{code}": f"  {name[0].lower()}{name[1:]}"
        for code, name in ACTIVITY_VALUES["partner"][lang].items()
    }
    for lang in LANGUAGES
}
_DOMAINS = {
    "fr": {
        "public-space-and-housing": "Espace public et habitat collectif",
        "access-to-rights": "Accès aux droits et aux services",
        "public-transport": "Transports en commun",
        "schools-and-youth": "Milieu scolaire et jeunesse",
        "residents-participation": "Participation des habitants",
    },
    "en": {
        "public-space-and-housing": "Public space and collective housing",
        "access-to-rights": "Access to rights and services",
        "public-transport": "Public transport",
        "schools-and-youth": "Schools and youth",
        "residents-participation": "Residents' participation",
    },
}
_MONTHS = {
    "fr": [
        *("janv.", "févr.", "mars", "avr.", "mai", "juin"),
        *("juil.", "août", "sept.", "oct.", "nov.", "déc."),
    ],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}
EN_DASH = "\u2013"  # between the ends of a range, as typeset


class Labels:
    """The words of one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.words = _LABELS[lang] | _INSTITUTIONS[lang] | ACTIVITY_WORDS[lang]

    def __getitem__(self, key: str) -> str:
        return self.words[key]

    def column(self, name: str) -> str:
        """A count or measure named whole, as a column heading: a detail with its parent."""
        parent, dot, _ = name.partition(".")
        if not dot or name in MEASURES:
            return self.words[name]
        head = self.words["requests" if parent == "referral" else parent]
        return f"{head}{self.words['detail']}{self.words[name].strip()}"

    def value(self, dimension: str, value: str) -> str:
        """A neighbourhood, a domain, a month or an activity's code as a reader says it."""
        if dimension == "domain":
            return _DOMAINS[self.lang][value]
        if dimension in ACTIVITY_VALUES:  # a partner kind, a need, an action's kind
            return ACTIVITY_VALUES[dimension][self.lang][value]
        if dimension == "month":
            year, month = value.split("-")
            return f"{_MONTHS[self.lang][int(month) - 1]} {year}"
        return value

    def quarter(self, label: str) -> str:
        """A quarter (2026-Q1) as a reader says it: T1 2026, Q1 2026."""
        year, number = label.split("-Q")
        return self.words["quarter"].format(number=number, year=year)

    def number(self, value: float | None) -> str:
        """A measure, with the language's decimal mark ("—" when not shown)."""
        if value is None:
            return "—"
        text = f"{value:.1f}"
        return text.replace(".", ",") if self.lang == "fr" else text

    def count(self, shown: Shown) -> str:
        """A count: exact, "< 5", or a range with an en dash ("12\u201320")."""
        return str(shown).replace("-", EN_DASH).replace(">=", "\u2265")
