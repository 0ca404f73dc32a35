"""Victim assistance (survivors and services) and explosive ordnance risk education sessions."""

from demo import figures
from demo.generation.base import GeneratorBase
from demo.generation.common import (
    DAY_ISO,
    END,
    Table,
    Weighted,
    dated,
    workflow_status,
)
from demo.geometry import point_ewkb
from demo.services import copy_rows

SERVICE_PROVIDERS = {
    "emergency_medical": (("DNS", ""), ("CICR", ""), (None, "Hôpital Sominé Dolo de Mopti"), (None, "Hôpital de Gao")),
    "continuing_medical": (("DNS", ""), ("CICR", ""), (None, "Hôpital du Mali, Bamako")),
    "prosthesis": (("HI", ""), (None, "Centre national d'appareillage orthopédique du Mali (CNAOM)")),
    "physiotherapy": (("HI", ""), (None, "Centre national d'appareillage orthopédique du Mali (CNAOM)")),
    "psychological": (("HI", ""), ("UNICEF", ""), ("CICR", "")),
    "socio_economic": (("HI", ""), ("DRC", "")),
    "referral": (("HI", ""), ("CICR", "")),
}
SERVICE_DAYS = {  # (first day after the incident, spread, duration range)
    "emergency_medical": (0, 2, (1, 20)),
    "continuing_medical": (15, 60, (20, 120)),
    "prosthesis": (60, 200, (30, 120)),
    "physiotherapy": (30, 120, (30, 180)),
    "psychological": (20, 150, (30, 240)),
    "socio_economic": (120, 400, (60, 365)),
    "referral": (5, 60, (0, 0)),
}
# Injuries that leave a lasting disability.
DISABLING = {"lower_limb_amputation", "upper_limb_amputation", "eye", "hearing"}
NEEDS = {
    "prosthesis": "Prothèse et rééducation.",
    "psychological": "Soutien psychosocial.",
    "socio_economic": "Activité génératrice de revenus.",
}

RE_METHODS = Weighted({"direct": 85, "mass_media": 10, "digital": 5})
RE_DIRECT_GROUPS = Weighted(
    {
        "general": 30,
        "school": 25,
        "displaced": 15,
        "returnees": 5,
        "nomads": 8,
        "farmers": 8,
        "travellers": 5,
        "humanitarian": 4,
    }
)
# (girls, boys, women, men) ranges for one session.
RE_AUDIENCE = {
    "school": ((10, 60), (10, 60), (0, 3), (0, 3)),
    "humanitarian": ((0, 0), (0, 0), (2, 10), (5, 20)),
    "travellers": ((0, 2), (0, 5), (0, 10), (10, 50)),
    "nomads": ((2, 15), (3, 20), (5, 25), (8, 35)),
    "farmers": ((0, 10), (0, 15), (5, 30), (10, 40)),
    "mass_media": ((200, 3000), (200, 3000), (400, 6000), (400, 6000)),
    "digital": ((20, 300), (30, 400), (50, 800), (80, 1200)),
}
RE_AUDIENCE_DEFAULT = ((5, 40), (5, 40), (5, 40), (5, 40))


class PeopleSteps(GeneratorBase):
    def victim_assistance(self) -> str:
        """Survivors with the services they received (IMAS 13.10), dated after their incident."""
        rng = self.rng("assistance")
        rnd = rng.random
        survivors = self.thin(rng, self.survivor_candidates, self.scale.survivors)
        organisations = self.organisations_weighted(figures.VICTIM_ASSISTANCE)
        table = Table("assistance_survivor")
        services = Table("assistance_assistanceservice")
        columns = (
            "id", "created_at", "updated_at", "status", "external_id", "needs", "has_disability", "casualty_id",
            "organisation_id",
        )  # fmt: skip
        given: list[tuple] = []
        with copy_rows(table.name, columns) as write:
            for k, (casualty_id, _, day, _, wounds) in enumerate(survivors):
                survivor_id = table.first_id + k
                organisation = organisations.draw(rnd)
                amputee = "lower_limb_amputation" in wounds or "upper_limb_amputation" in wounds
                kinds = ["emergency_medical"]
                for kind, share in (
                    ("continuing_medical", 0.5),
                    ("prosthesis", 0.8 if amputee else 0.0),
                    ("physiotherapy", 0.5 if amputee else 0.2),
                    ("psychological", 0.4),
                    ("socio_economic", 0.25),
                    ("referral", 0.1),
                ):
                    if rnd() < share:
                        kinds.append(kind)
                status = workflow_status(rnd(), day + 30)
                # Followed once the incident is on record (it is recorded within 15 days).
                created, updated = self.stamps(rnd, min(day + 15 + int(rnd() * 60), END), status)
                needs = " ".join(NEEDS[kind] for kind in kinds if kind in NEEDS)
                disabled = True if DISABLING & set(wounds) else (False if rnd() < 0.6 else None)
                write((survivor_id, created, updated, status, self.external_id(rnd, organisation, "VA"), needs,
                       disabled, casualty_id, organisation))  # fmt: skip
                for kind in kinds:
                    first, spread_days, (low, high) = SERVICE_DAYS[kind]
                    start = day + first + int(rnd() * (spread_days + 1))
                    if start > END:
                        continue
                    end: int | None = start + low + int(rnd() * (high - low + 1))
                    outcome = "completed" if kind != "referral" else "referred"
                    if end > END:
                        end, outcome = None, "ongoing"
                    elif kind != "emergency_medical" and rnd() < 0.08:
                        outcome = "discontinued"
                    acronym, provider_name = SERVICE_PROVIDERS[kind][int(rnd() * len(SERVICE_PROVIDERS[kind]))]
                    provider = self.acronym_id.get(acronym) if acronym else None
                    if acronym and provider is None:
                        provider_name = acronym
                    given.append((survivor_id, organisation, kind, provider, provider_name, start, end, outcome))
        table.close(len(survivors))
        service_columns = (
            "id", "created_at", "updated_at", "status", "external_id", "service_type", "provider_name", "start_date",
            "end_date", "outcome", "notes", "organisation_id", "provider_id", "survivor_id",
        )  # fmt: skip
        with copy_rows(services.name, service_columns) as write:
            for k, (survivor_id, organisation, kind, provider, provider_name, start, end, outcome) in enumerate(given):
                status = workflow_status(rnd(), start)
                created, updated = self.stamps(rnd, end if end is not None else start, status)
                write(
                    (
                        services.first_id + k, created, updated, status, self.external_id(rnd, organisation, "VAS"),
                        kind, provider_name, DAY_ISO[start], None if end is None else DAY_ISO[end], outcome, "",
                        organisation, provider, survivor_id,
                    )
                )  # fmt: skip
        services.close(len(given))
        self.counts |= {table.name: len(survivors), services.name: len(given)}
        return f"{len(survivors):,} survivors, {len(given):,} services"

    def risk_education(self) -> str:
        rng = self.rng("risk_education")
        rnd = rng.random
        total = self.scale.risk_education_sessions
        educators = self.organisations_weighted(figures.RISK_EDUCATORS)
        table = Table("education_riskeducationsession", "RE")
        columns = (
            "id", "created_at", "updated_at", "status", "external_id", "reference", "session_date", "location",
            "method", "target_group", "girls", "boys", "women", "men", "with_disability", "notes", "admin_area_id",
            "organisation_id",
        )  # fmt: skip
        with copy_rows(table.name, columns) as write:
            for k, day in enumerate(dated(rng, total, figures.RISK_EDUCATION_BY_YEAR)):
                region = self.session_regions[k]
                x, y = self.point(region)
                method = RE_METHODS.draw(rnd)
                group = RE_DIRECT_GROUPS.draw(rnd) if method == "direct" else "general"
                ranges = RE_AUDIENCE.get(method if method != "direct" else group, RE_AUDIENCE_DEFAULT)
                girls, boys, women, men = (low + int(rnd() * (high - low + 1)) for low, high in ranges)
                people = girls + boys + women + men
                organisation = educators.draw(rnd)
                status = workflow_status(rnd(), day)
                created, updated = self.stamps(rnd, day, status)
                write(
                    (
                        table.first_id + k, created, updated, status, self.external_id(rnd, organisation, "RE"),
                        table.reference(k), DAY_ISO[day], point_ewkb(x, y), method, group, girls, boys, women, men,
                        int(people * 0.03 * rnd()), "", self.regions[region].id, organisation,
                    )
                )  # fmt: skip
        table.close(total)
        self.counts[table.name] = total
        return f"{total:,} rows"
