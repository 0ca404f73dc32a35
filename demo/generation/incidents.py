"""Incidents, casualties, their sources and the identities of a few casualties."""

import datetime
import functools
import itertools
from array import array
from collections.abc import Callable

from demo import figures
from demo.generation.base import GeneratorBase
from demo.generation.common import (
    APPROVED,
    CLOCK,
    DAY_ISO,
    EPOCH,
    ERW,
    LAST_STAMP,
    OFFICE_TIMES,
    YEAR_START,
    YEARS,
    Table,
    Weighted,
    allocate,
    array_literal,
    workflow_status,
)
from demo.geometry import point_ewkb
from demo.services import copy_rows
from incidents.services import age_group_for, classify_device

# Devices as reported, with how they are set off (incidents.models.Incident.HowActivated).
DEVICE_PROFILE = {
    "av_mine": ("mine", "victim", {"vehicle": 90, "animal": 3, "unknown": 7}),
    "improvised_av_mine": ("improvised", "victim", {"vehicle": 85, "unknown": 15}),
    "improvised_ap_mine": ("improvised", "victim", {"stepped_on": 75, "tripwire": 15, "unknown": 10}),
    "other_ied": ("improvised", "command", {"command": 100}),
    "uxo": ("uxo_axo", "unknown", {"handled": 60, "fire": 10, "stepped_on": 5, "unknown": 25}),
    "axo": ("uxo_axo", "unknown", {"handled": 60, "fire": 10, "stepped_on": 5, "unknown": 25}),
    "unspecified_mine": ("mine", "victim", {"vehicle": 55, "stepped_on": 20, "unknown": 25}),
    "unknown": ("other", "unknown", {"unknown": 100}),
}
PERSON_ACTIVATED_HOW = Weighted({"stepped_on": 85, "tripwire": 15})
BY_A_PERSON = {"stepped_on": True, "tripwire": True, "handled": True, "unknown": None}
# Chance that a civilian casualty is a child, by what was going on; tuned so that children are
# about a fifth of civilian casualties, most of them hurt by ERW they played with or handled.
CHILD_SHARE = {"playing": 0.95, "tampering": 0.5, "erw": 0.2, "other": 0.1}
MILITARY, CIVILIAN, DEMINER = 0, 1, 2
# The circumstances that choose the activity at the time and the description.
SETTINGS = {
    "vehicle": "vehicle",
    "command": "command",
    "stepped_on": "person",
    "tripwire": "person",
    "handled": "handled",
}
ACTIVITIES = {
    (MILITARY, "any"): Weighted({"military": 85, "travelling": 15}),
    (CIVILIAN, "vehicle"): Weighted({"travelling": 90, "other": 10}),
    (CIVILIAN, "person"): Weighted(
        {"farming": 30, "herding": 25, "collecting_wood": 15, "collecting_water": 10, "travelling": 15, "other": 5}
    ),
    (CIVILIAN, "handled"): Weighted({"tampering": 40, "playing": 35, "farming": 10, "collecting_wood": 10, "other": 5}),
    (CIVILIAN, "any"): Weighted({"unknown": 50, "travelling": 20, "farming": 15, "herding": 15}),
}
DESCRIPTIONS = {
    (MILITARY, "vehicle"): "Un véhicule militaire a sauté sur un engin explosif lors d'une patrouille.",
    (MILITARY, "command"): "Engin explosif déclenché à distance au passage d'un convoi militaire.",
    (MILITARY, "any"): "Des militaires ont été touchés par l'explosion d'un engin.",
    (CIVILIAN, "vehicle"): "Un véhicule civil a sauté sur un engin explosif sur une piste.",
    (CIVILIAN, "command"): "Engin explosif déclenché à distance au passage de civils.",
    (CIVILIAN, "person"): "Une personne a déclenché un engin explosif en marchant.",
    (CIVILIAN, "handled"): "Un engin non explosé a explosé lors de sa manipulation.",
    (CIVILIAN, "any"): "Explosion dont les circonstances restent à établir.",
    (DEMINER, "any"): "Accident de déminage sur un chantier.",
}
INJURIES = Weighted(
    {
        ("fragmentation",): 30,
        ("lower_limb_amputation", "fragmentation"): 15,
        ("lower_limb_amputation",): 10,
        ("burns", "fragmentation"): 10,
        ("eye", "fragmentation"): 7,
        ("upper_limb_amputation", "eye"): 5,
        ("hearing", "fragmentation"): 8,
        ("internal",): 5,
        ("other",): 10,
    }
)
SECOND_SOURCES = (
    ("health", "Hôpital Sominé Dolo de Mopti"),
    ("health", "Centre de santé de référence"),
    ("health", "Hôpital de Gao"),
    ("media", "Studio Tamani"),
    ("media", "ORTM"),
    ("community", "Chef de village"),
    ("un", "OCHA"),
)
SOURCE_TYPE_BY_ACRONYM = {
    "UNMAS": "un",
    "UNICEF": "un",
    "FAMa-GEN": "security_forces",
    "CNLPAL": "authority",
    "HI": "operator",
    "DRC": "operator",
    "CICR": "other",
    "DNS": "health",
}
RELIABILITY = Weighted({"confirmed": 70, "probable": 25, "unconfirmed": 5})


@functools.cache
def counted_category(device: str, person_activated: bool | None, how: str) -> str:
    """The category the national database counts, by the services' own Mali rule (a handful of
    combinations, so decided once each)."""
    return str(classify_device(reported=device, person_activated=person_activated, how_activated=how))


class IncidentSteps(GeneratorBase):
    # --- Incidents and casualties ----------------------------------------------------------------

    def device_weights(self) -> dict[str, float]:
        """Incident-level weights that give the 2017 casualty-level device mix once vehicles,
        which carry more people, get more of the extra casualties."""
        target = figures.CASUALTY_DEVICE_MIX
        person = figures.IMPROVISED_AV_PERSON_ACTIVATED
        extra = {d: figures.EXTRA_CASUALTY_WEIGHT.get(d, 1.0) for d in target}
        extra["improvised_av_mine"] = (1 - person) * extra["improvised_av_mine"] + person
        mean_extra = self.scale.casualties / self.scale.incidents - 1
        weights = dict(target)
        for _ in range(30):
            average = sum(weights[d] * extra[d] for d in target) / sum(weights.values())
            weights = {d: target[d] / (1 + mean_extra * extra[d] / average) for d in target}
        return weights

    def incidents(self) -> str:
        rng = self.rng("incidents")
        rnd = rng.random
        scale = self.scale
        weights = list(figures.CASUALTIES_BY_YEAR.values())
        incidents_by_year = allocate(scale.incidents, weights)
        casualties_by_year = allocate(scale.casualties, weights)
        devices = Weighted(self.device_weights())
        how_by_device = {d: Weighted(profile[2]) for d, profile in DEVICE_PROFILE.items()}
        reporters = {
            MILITARY: self.organisations_weighted(figures.INCIDENT_REPORTERS_MILITARY),
            CIVILIAN: self.organisations_weighted(figures.INCIDENT_REPORTERS_CIVILIAN),
        }
        reporters[DEMINER] = self.operators
        activity_names = sorted({k for w in ACTIVITIES.values() for k in w.keys} | {"demining"})
        self.activity_names = activity_names
        activity_code = {name: i for i, name in enumerate(activity_names)}
        self.device_names = list(DEVICE_PROFILE)
        device_code = {name: i for i, name in enumerate(self.device_names)}
        # Compact columns kept for the casualties and sources written next.
        self.inc = {
            "day": array("i"),
            "created": array("i"),
            "time": array("h"),
            "device": array("b"),
            "group": array("b"),
            "activity": array("b"),
            "region": array("b"),
            "casualties": array("h"),
            "organisation": array("i"),
            "approved": array("b"),
        }
        inc = self.inc
        table = Table("incidents_incident", "INC")
        columns = (
            "id", "created_at", "updated_at", "status", "external_id", "reference", "incident_class",
            "incident_date", "incident_time", "location", "device_category", "device_category_reported",
            "activation", "how_activated", "person_activated", "moved_or_tampered", "activity_at_time",
            "description", "admin_area_id", "ordnance_type_id", "organisation_id",
        )  # fmt: skip
        count = 0
        regions = self.incident_regions
        with copy_rows(table.name, columns) as write:
            for year, n, casualties in zip(YEARS, incidents_by_year, casualties_by_year, strict=True):
                start, length = YEAR_START[year], YEAR_START[year + 1] - YEAR_START[year]
                days = sorted(start + int(rnd() * length) for _ in range(n))
                drawn = []
                for _ in range(n):
                    device = devices.draw(rnd)
                    by_person = device == "improvised_av_mine" and rnd() < figures.IMPROVISED_AV_PERSON_ACTIVATED
                    drawn.append((device, by_person))
                # Extra casualties go more often to vehicles hit by AV mines and IEDs.
                extra = [
                    1.0 if by_person else figures.EXTRA_CASUALTY_WEIGHT.get(device, 1.0) for device, by_person in drawn
                ]
                per_incident = [1] * n
                if n and casualties > n:
                    for j in rng.choices(range(n), cum_weights=list(itertools.accumulate(extra)), k=casualties - n):
                        per_incident[j] += 1
                for j in range(n):
                    day = days[j]
                    device, by_person = drawn[j]
                    incident_class, activation, _ = DEVICE_PROFILE[device]
                    how = PERSON_ACTIVATED_HOW.draw(rnd) if by_person else how_by_device[device].draw(rnd)
                    person_activated = BY_A_PERSON.get(how, False)
                    military_share = figures.MILITARY_SHARE_BY_DEVICE["improvised_ap_mine" if by_person else device]
                    if device != "other_ied" and rnd() < 0.006:
                        group, incident_class = DEMINER, "demining"
                    else:
                        group = MILITARY if rnd() < military_share else CIVILIAN
                    setting = SETTINGS.get(how, "any")
                    if group == DEMINER:
                        activity = "demining"
                    elif group == MILITARY:
                        activity = ACTIVITIES[(MILITARY, "any")].draw(rnd)
                    else:
                        activity = ACTIVITIES.get((CIVILIAN, setting), ACTIVITIES[(CIVILIAN, "any")]).draw(rnd)
                    description = DESCRIPTIONS.get((group, setting)) or DESCRIPTIONS[(group, "any")]
                    organisation = reporters[group].draw(rnd)
                    status = workflow_status(rnd(), day)
                    created_day = min(day + int(rnd() * 15), LAST_STAMP)
                    created_time = int(rnd() * 300)
                    created = f"{DAY_ISO[created_day]} {OFFICE_TIMES[created_time]}"
                    updated = created
                    if status != "draft":
                        updated_day = min(created_day + int(rnd() * 21), LAST_STAMP)
                        updated = f"{DAY_ISO[updated_day]} {OFFICE_TIMES[created_time + int(rnd() * 300)]}"
                    region = regions[count]
                    x, y = self.point(region)
                    write(
                        (
                            table.first_id + count, created, updated, status,
                            self.external_id(rnd, organisation, "INC"), table.reference(count), incident_class,
                            DAY_ISO[day], CLOCK[360 + int(rnd() * 840)] if rnd() < 0.7 else None, point_ewkb(x, y),
                            counted_category(device, person_activated, how),
                            device, activation, how, person_activated,
                            True if how == "handled" else None if how == "unknown" else False, activity, description,
                            self.regions[region].id, self.ordnance_type(rnd, device, 0.5), organisation,
                        )
                    )  # fmt: skip
                    count += 1
                    inc["day"].append(day)
                    inc["created"].append(created_day)
                    inc["time"].append(created_time)
                    inc["device"].append(device_code[device])
                    inc["group"].append(group)
                    inc["activity"].append(activity_code[activity])
                    inc["region"].append(region)
                    inc["casualties"].append(per_incident[j])
                    inc["organisation"].append(organisation)
                    inc["approved"].append(status == APPROVED)
        table.close(count)
        self.incident_first_id = table.first_id
        self.counts[table.name] = count
        return f"{count:,} rows"

    def casualties(self) -> str:
        """Casualties with the 2017 shares: about 0.3 killed, 55/133 civilian, a fifth of the
        civilians children; age groups from ages as incidents.services.age_group_for decides."""
        rng = self.rng("casualties")
        rnd = rng.random
        inc = self.inc
        scale = self.scale
        table = Table("incidents_casualty")
        columns = (
            "id", "created_at", "updated_at", "outcome", "sex", "age", "age_group", "civilian_status", "injuries",
            "injury_description", "incident_id",
        )  # fmt: skip
        # Age groups of every age, computed once by the services' own rule.
        age_groups = {age: str(age_group_for(age)) for age in (None, *range(121))}
        erw_codes = {self.device_names.index(d) for d in ERW}
        ied_code = self.device_names.index("other_ied")
        playing = self.activity_names.index("playing")
        tampering = self.activity_names.index("tampering")
        injuries = {key: array_literal(key) for key in INJURIES.keys}
        # Survivors are followed among the injured of approved incidents; identities among all.
        survivor_share = min(1.0, 1.25 * scale.survivors / max(1.0, 0.7 * 0.93 * scale.casualties))
        identity_share = min(1.0, 1.25 * scale.identities / max(1, scale.casualties))
        self.survivor_candidates: list[tuple[int, int, int, str, tuple[str, ...]]] = []
        self.identity_candidates: list[tuple[int, int, int, str, int | None]] = []
        count = 0
        with copy_rows(table.name, columns) as write:
            for i in range(len(inc["day"])):
                incident_id = self.incident_first_id + i
                stamp = f"{DAY_ISO[inc['created'][i]]} {OFFICE_TIMES[inc['time'][i]]}"
                device, group, activity = inc["device"][i], inc["group"][i], inc["activity"][i]
                killed_share = figures.KILLED_SHARE * (1.3 if device == ied_code else 0.9 if device in erw_codes else 1)
                for _ in range(inc["casualties"][i]):
                    r = rnd()
                    if group == MILITARY:
                        status = "military" if r < 0.97 else "civilian"
                    elif group == DEMINER:
                        status = "deminer"
                    else:
                        status = "civilian" if r < 0.96 else "unknown"
                    if status == "civilian":
                        if activity == playing:
                            child_share = CHILD_SHARE["playing"]
                        elif activity == tampering:
                            child_share = CHILD_SHARE["tampering"]
                        else:
                            child_share = CHILD_SHARE["erw" if device in erw_codes else "other"]
                        child = rnd() < child_share
                    else:
                        child = False
                    r = rnd()
                    if child:
                        age = 4 + int(rnd() * 14)
                        sex = "male" if r < 0.72 else "female" if r < 0.98 else "unknown"
                    elif status in ("military", "deminer"):
                        age = 19 + int(rnd() * 27)
                        sex = "male" if r < 0.97 else "female" if r < 0.99 else "unknown"
                    else:
                        age = 18 + int(62 * rnd() ** 1.6)
                        sex = "male" if r < 0.74 else "female" if r < 0.97 else "unknown"
                    if not child and rnd() < 0.05:
                        age = None
                    killed = rnd() < killed_share
                    wounds = () if killed else INJURIES.draw(rnd)
                    casualty_id = table.first_id + count
                    write(
                        (
                            casualty_id, stamp, stamp, "killed" if killed else "injured", sex, age, age_groups[age],
                            status, injuries[wounds] if wounds else "{}", "", incident_id,
                        )
                    )  # fmt: skip
                    count += 1
                    if not killed and inc["approved"][i] and rnd() < survivor_share:
                        self.survivor_candidates.append((casualty_id, i, inc["day"][i], sex, wounds))
                    if rnd() < identity_share:
                        self.identity_candidates.append((casualty_id, i, inc["day"][i], sex, age))
        table.close(count)
        self.counts[table.name] = count
        return f"{count:,} rows"

    def incident_sources(self) -> str:
        """Every incident keeps its reporter as a source; a third have a second one."""
        rng = self.rng("sources")
        rnd = rng.random
        inc = self.inc
        table = Table("incidents_incidentsource")
        columns = (
            "id", "created_at", "updated_at", "source_type", "name", "reliability", "reported_on",
            "source_reference", "incident_id", "organisation_id",
        )  # fmt: skip
        count = 0
        with copy_rows(table.name, columns) as write:
            for i in range(len(inc["day"])):
                stamp = f"{DAY_ISO[inc['created'][i]]} {OFFICE_TIMES[inc['time'][i]]}"
                day = inc["day"][i]
                organisation = inc["organisation"][i]
                source_type = SOURCE_TYPE_BY_ACRONYM.get(self.organisations[organisation], "other")
                reported = DAY_ISO[min(day + int(rnd() * 4), LAST_STAMP)]
                incident_id = self.incident_first_id + i
                write((table.first_id + count, stamp, stamp, source_type, "", RELIABILITY.draw(rnd), reported, "",
                       incident_id, organisation))  # fmt: skip
                count += 1
                if rnd() < 0.35:
                    source_type, name = SECOND_SOURCES[int(rnd() * len(SECOND_SOURCES))]
                    reliability = "probable" if rnd() < 0.7 else "unconfirmed"
                    reported = DAY_ISO[min(day + int(rnd() * 11), LAST_STAMP)]
                    write((table.first_id + count, stamp, stamp, source_type, name, reliability, reported, "",
                           incident_id, None))  # fmt: skip
                    count += 1
        table.close(count)
        self.counts[table.name] = count
        return f"{count:,} rows"

    def person_name(self, rnd: Callable[[], float], sex: str, region: int) -> str:
        given = figures.GIVEN_NAMES_FEMALE if sex == "female" else figures.GIVEN_NAMES_MALE
        names = figures.FAMILY_NAMES_BY_PCODE
        families = names.get(self.regions[region].pcode) or names["ML09"]
        family = families[int(rnd() * len(families))]
        if sex == "female" and family.startswith("Ag "):
            # Tamasheq names: "ag" (son of) for men, "walet" (daughter of) for women.
            family = "Walet " + family[3:]
        return f"{given[int(rnd() * len(given))]} {family}"

    def identities(self) -> str:
        """Personal data for a small share of casualties only: invented names, never real ones."""
        rng = self.rng("identities")
        rnd = rng.random
        table = Table("incidents_casualtyidentity")
        chosen = self.thin(rng, self.identity_candidates, self.scale.identities)
        columns = (
            "id", "created_at", "updated_at", "full_name", "date_of_birth", "address", "phone", "contact_person",
            "casualty_id",
        )  # fmt: skip
        with copy_rows(table.name, columns) as write:
            for k, (casualty_id, i, day, sex, age) in enumerate(chosen):
                region = self.inc["region"][i]
                stamp = f"{DAY_ISO[self.inc['created'][i]]} {OFFICE_TIMES[self.inc['time'][i]]}"
                born = None
                if age is not None and rnd() < 0.6:
                    born = (EPOCH + datetime.timedelta(days=day - int(age * 365.25) - int(rnd() * 364))).isoformat()
                places = self.localities[region]
                address = f"{places[int(rnd() * len(places))][0]}, " if places else ""
                address += f"région de {self.regions[region].name}"
                phone = f"+223 {(66, 76, 70, 79, 65, 90)[int(rnd() * 6)]} " + " ".join(
                    f"{int(rnd() * 100):02d}" for _ in range(3)
                )
                contact = self.person_name(rnd, "male" if rnd() < 0.6 else "female", region) if rnd() < 0.5 else ""
                write(
                    (
                        table.first_id + k, stamp, stamp, self.person_name(rnd, sex, region), born, address,
                        phone if rnd() < 0.7 else "", contact, casualty_id,
                    )
                )  # fmt: skip
        table.close(len(chosen))
        self.counts[table.name] = len(chosen)
        return f"{len(chosen):,} rows"
