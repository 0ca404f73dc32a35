"""Hazardous areas, land release activities, items found, QA inspections and community reports."""

import math

from django.db import connection

from demo import figures
from demo.generation.base import GeneratorBase
from demo.generation.common import (
    APPROVED,
    DAY_ISO,
    END,
    ERW,
    FINAL_MARGIN_M2,
    LAST_STAMP,
    OFFICE_TIMES,
    Table,
    Weighted,
    array_literal,
    dated,
    workflow_status,
)
from demo.geometry import irregular_polygon_ewkb, point_ewkb
from demo.services import copy_rows

# --- What the records look like ----------------------------------------------------------------

LAND_CLASSES = Weighted({"cha": 45, "sha": 38, "indication": 7, "ammunition_storage": 2, "eod_spot_task": 8})
DIRECT_EVIDENCE = {"cha", "ammunition_storage", "eod_spot_task"}
LAND_CLASS_LABEL = {
    "sha": "Zone suspecte",
    "cha": "Zone dangereuse confirmée",
    "indication": "Indice",
    "ammunition_storage": "Dépôt de munitions",
    "eod_spot_task": "Objet isolé",
}
CONTAMINATION = Weighted(
    {
        ("improvised_ap_mines",): 22,
        ("improvised_ap_mines", "other_ieds"): 14,
        ("av_mines",): 14,
        ("av_mines", "improvised_ap_mines"): 8,
        ("other_ieds",): 10,
        ("uxo",): 18,
        ("uxo", "axo"): 8,
        ("axo",): 4,
        ("ap_mines",): 2,
    }
)
EVIDENCE_TEXT = {
    "direct": (
        "Engin observé et signalé par les habitants.",
        "Accident de véhicule sur la piste, fragments d'engin retrouvés.",
        "Engins repérés lors de l'enquête technique.",
        "Restes d'engins explosifs visibles en surface.",
    ),
    "indirect": (
        "La population évite la zone depuis les combats.",
        "Témoignages d'explosions dans les champs voisins.",
        "Ancienne position militaire abandonnée.",
        "Animaux tués par une explosion près du point d'eau.",
    ),
}
BLOCKED_LAND_USE = Weighted(
    {
        ("agriculture",): 20,
        ("grazing",): 18,
        ("road",): 22,
        ("agriculture", "grazing"): 12,
        ("water",): 8,
        ("road", "infrastructure"): 6,
        ("housing",): 5,
        ("forest",): 6,
        ("other",): 3,
    }
)
PRIORITIES = Weighted({1: 30, 2: 50, 3: 20})

# What becomes of a hazardous area: nothing yet, part released, all released, handed over.
FATES = Weighted({"untouched": 30, "partial": 35, "closed": 22, "handed_over": 13})
# Days an activity lasts, shortest and longest.
DURATION_DAYS = {
    "nts": (1, 4),
    "ts": (5, 30),
    "clearance": (10, 120),
    "marking": (1, 3),
    "post_clearance": (1, 5),
    "handover": (0, 1),
}
CLEARANCE_DEPTHS = Weighted({13: 15, 20: 30, 30: 40, 50: 15})

ITEMS_ON_HAZARDS = Weighted(
    {"improvised_ap_mine": 25, "improvised_av_mine": 20, "av_mine": 15, "other_ied": 10, "uxo": 25, "axo": 5}
)
ITEMS_ON_SPOT_TASKS = Weighted({"uxo": 60, "axo": 25, "improvised_av_mine": 5, "improvised_ap_mine": 5, "other_ied": 5})
ITEM_CONDITIONS = Weighted({"armed": 35, "unarmed": 20, "damaged": 20, "unknown": 25})
NON_CONFORMITIES = (
    ("Couloir de travail non balisé.", "Baliser les couloirs avant la reprise."),
    ("Détecteur non vérifié avant usage.", "Vérifier chaque détecteur au début de la journée."),
    ("Profondeur de dépollution inférieure à la norme.", "Reprendre la dépollution de la parcelle."),
    ("Trousse de premiers secours incomplète.", "Compléter la trousse et la contrôler chaque semaine."),
    ("Distance de sécurité non respectée.", "Rappel des procédures à l'équipe."),
    ("Registre des engins détruits incomplet.", "Mettre à jour le registre avec le chef d'équipe."),
)


REPORTED_ITEMS = Weighted({"uxo": 55, "improvised_ap_mine": 15, "improvised_av_mine": 10, "axo": 15, "unknown": 5})
REPORT_TEXT = {
    "item": "Un objet suspect a été vu près du village ; la population a été éloignée.",
    "area": "Des habitants signalent des explosions et évitent la zone.",
}
REPORTERS = ("Chef de village", "Conseiller municipal", "Comité de gestion de l'école", "Agent de santé")


class HazardSteps(GeneratorBase):
    # --- Hazardous areas and land release --------------------------------------------------------

    def hazard_areas(self) -> str:
        rng = self.rng("hazards")
        rnd = rng.random
        total = self.scale.hazard_areas
        days = dated(rng, total, figures.SURVEYS_BY_YEAR)
        table = Table("hazards_hazardarea", "HA")
        columns = (
            "id", "created_at", "updated_at", "status", "external_id", "reference", "name", "land_class",
            "geometry", "contamination_types", "evidence", "evidence_description", "hazard_status",
            "hazard_status_date", "hazard_status_reason", "blocked_land_use", "beneficiaries", "priority",
            "survey_date", "area_cancelled_m2", "area_reduced_m2", "area_cleared_m2", "admin_area_id",
            "organisation_id",
        )  # fmt: skip
        # (id, région index, centre as EWKB, survey day, workflow status, organisation, x, y)
        self.hazards: list[tuple[int, int, str, int, str, int, float, float]] = []
        with copy_rows(table.name, columns) as write:
            for k in range(total):
                region = self.hazard_regions[k]
                x, y = self.point(region)
                day = days[k]
                land_class = LAND_CLASSES.draw(rnd)
                evidence = "direct" if land_class in DIRECT_EVIDENCE else "indirect"
                # Log-uniform radius, 50 m to 1 km: many small areas, a few large ones.
                geometry = irregular_polygon_ewkb(
                    x, y, radius_m=50 * 20 ** rnd(), vertices=8 + int(rnd() * 7), random=rnd
                )
                organisation = self.operators.draw(rnd)
                status = workflow_status(rnd(), day)
                created, updated = self.stamps(rnd, day, status)
                texts = EVIDENCE_TEXT[evidence]
                hazard_id = table.first_id + k
                write(
                    (
                        hazard_id, created, updated, status, self.external_id(rnd, organisation, "HA"),
                        table.reference(k), f"{LAND_CLASS_LABEL[land_class]} – {self.place_name(region, x, y)}",
                        land_class, geometry, array_literal(CONTAMINATION.draw(rnd)), evidence,
                        texts[int(rnd() * len(texts))], "open", DAY_ISO[day], "",
                        array_literal(BLOCKED_LAND_USE.draw(rnd)), int(50 * 100 ** rnd()), PRIORITIES.draw(rnd),
                        DAY_ISO[day], 0.0, 0.0, 0.0, self.regions[region].id, organisation,
                    )
                )  # fmt: skip
                self.hazards.append((hazard_id, region, point_ewkb(x, y), day, status, organisation, x, y))
        table.close(total)
        clipped = self.clip_to_regions(table.name, "geometry", table.first_id)
        with connection.cursor() as cursor:
            cursor.execute("SELECT area_m2 FROM hazards_hazardarea WHERE id >= %s ORDER BY id", [table.first_id])
            self.hazard_area_m2 = [area for (area,) in cursor.fetchall()]
        self.counts[table.name] = total
        return f"{total:,} rows, {clipped:,} clipped to their région"

    def land_release(self) -> str:
        """Activities on each hazard in date order; released areas add up to less than the
        hazard's area (DOMAIN.md invariant), the last one leaving 0.1 m² so that the hazard closes."""
        rng = self.rng("land_release")
        rnd = rng.random
        table = Table("hazards_landreleaseactivity", "LR")
        columns = (
            "id", "created_at", "updated_at", "status", "external_id", "reference", "kind", "report_type",
            "location", "start_date", "end_date", "area_cancelled_m2", "area_reduced_m2", "area_cleared_m2",
            "clearance_depth_cm", "handover_men", "handover_women", "handover_boys", "handover_girls", "notes",
            "admin_area_id", "hazard_area_id", "organisation_id",
        )  # fmt: skip
        # (activity id, kind, start day, end day) of activities that find items or get inspected.
        self.worksites: list[tuple[int, str, int, int]] = []
        # (id, région index, location as EWKB, day, x, y)
        self.spot_tasks: list[tuple[int, int, str, int, float, float]] = []
        count = 0

        def uniform(low: float, high: float) -> float:
            return low + (high - low) * rnd()

        with copy_rows(table.name, columns) as write:
            for k, (hazard_id, region, location, survey_day, status, organisation, _, _) in enumerate(self.hazards):
                fate = FATES.draw(rnd)
                if status != APPROVED:
                    continue
                area = self.hazard_area_m2[k]
                steps: list[tuple[str, str | None, float | None]] = []
                if fate == "untouched":
                    if rnd() < 0.3:
                        steps.append(("marking", None, 0.0))
                elif fate == "partial":
                    steps = (
                        [("nts", "area_cancelled_m2", uniform(0.1, 0.5))],
                        [("ts", "area_reduced_m2", uniform(0.1, 0.4))],
                        [("clearance", "area_cleared_m2", uniform(0.05, 0.35))],
                        [("nts", "area_cancelled_m2", uniform(0.1, 0.3)), ("clearance", "area_cleared_m2", 0.2)],
                    )[int(rnd() * 4)]
                else:
                    if rnd() < 0.6:
                        steps.append(("nts", "area_cancelled_m2", uniform(0.0, 0.45)))
                    if rnd() < 0.5:
                        steps.append(("ts", "area_reduced_m2", uniform(0.1, 0.3)))
                    steps.append(("clearance", "area_cleared_m2", None))
                    if fate == "handed_over" or rnd() < 0.4:
                        steps.append(("post_clearance", None, 0.0))
                    if fate == "handed_over":
                        steps.append(("handover", None, 0.0))
                operator = organisation if rnd() < 0.7 else self.operators.draw(rnd)
                day = survey_day + 15 + int(rnd() * 350)
                released = 0.0
                for kind, field, fraction in steps:
                    if day > END:
                        break
                    low, high = DURATION_DAYS[kind]
                    end = day + low + int(rnd() * (high - low + 1))
                    ongoing = end > END
                    amounts = {"area_cancelled_m2": 0.0, "area_reduced_m2": 0.0, "area_cleared_m2": 0.0}
                    final = fraction is None
                    if field is not None:
                        amount = area - released - FINAL_MARGIN_M2 if final else area * fraction
                        if ongoing:
                            amount /= 2
                        amount = max(math.floor(amount * 100) / 100, 0.0)
                        amounts[field] = amount
                        released += amount
                    activity_status = workflow_status(rnd(), day)
                    report_type = "progress"
                    if not ongoing and (final or kind == "handover"):
                        report_type = "completion"
                    elif not ongoing and kind == "nts":
                        report_type = "cancellation"
                    depth = None
                    if kind == "clearance" or (kind == "ts" and rnd() < 0.3):
                        depth = CLEARANCE_DEPTHS.draw(rnd)
                    people = (0, 0, 0, 0)
                    if kind == "handover":
                        people = (5 + int(rnd() * 56), 5 + int(rnd() * 56), int(rnd() * 41), int(rnd() * 41))
                    created, updated = self.stamps(rnd, end if not ongoing else day, activity_status)
                    activity_id = table.first_id + count
                    write(
                        (
                            activity_id, created, updated, activity_status,
                            self.external_id(rnd, operator, "LR"), table.reference(count), kind, report_type,
                            location, DAY_ISO[day], None if ongoing else DAY_ISO[end], amounts["area_cancelled_m2"],
                            amounts["area_reduced_m2"], amounts["area_cleared_m2"], depth, *people, "",
                            self.regions[region].id, hazard_id, operator,
                        )
                    )  # fmt: skip
                    count += 1
                    if kind in ("clearance", "ts"):
                        self.worksites.append((activity_id, kind, day, min(end, END)))
                    # The next step waits for this one to be approved and finished.
                    if activity_status != APPROVED or ongoing:
                        break
                    day = end + 5 + int(rnd() * 60)
            hazard_activities = count
            for k, day in enumerate(dated(rng, self.scale.spot_tasks, figures.SURVEYS_BY_YEAR)):
                region = self.spot_task_regions[k]
                x, y = self.point(region)
                end = min(day + int(rnd() * 3), END)
                operator = self.operators.draw(rnd)
                activity_status = workflow_status(rnd(), day)
                created, updated = self.stamps(rnd, end, activity_status)
                activity_id = table.first_id + count
                location = point_ewkb(x, y)
                write(
                    (
                        activity_id, created, updated, activity_status, self.external_id(rnd, operator, "LR"),
                        table.reference(count), "eod_spot_task", "completion", location, DAY_ISO[day],
                        DAY_ISO[end], 0.0, 0.0, 0.0, None, 0, 0, 0, 0, "", self.regions[region].id, None, operator,
                    )
                )  # fmt: skip
                count += 1
                self.worksites.append((activity_id, "eod_spot_task", day, end))
                self.spot_tasks.append((activity_id, region, location, day, x, y))
        table.close(count)
        self.counts[table.name] = count
        return f"{count:,} rows ({hazard_activities:,} on hazardous areas, {len(self.spot_tasks):,} EOD spot tasks)"

    def items_and_inspections(self) -> str:
        rng = self.rng("items")
        rnd = rng.random
        items = Table("hazards_itemfound")
        inspections: list[tuple[int, int, str, int, str]] = []
        count = 0
        columns = (
            "id", "created_at", "updated_at", "category", "quantity", "condition", "depth_cm", "destroyed",
            "ordnance_type_id", "activity_id",
        )  # fmt: skip
        inspectors = self.organisations_weighted(figures.QUALITY_INSPECTORS)
        with copy_rows(items.name, columns) as write:
            for activity_id, kind, start, end in self.worksites:
                spot_task = kind == "eod_spot_task"
                found = 1 + int(rnd() * 3) if spot_task or rnd() < (0.7 if kind == "clearance" else 0.4) else 0
                stamp = f"{DAY_ISO[end]} {OFFICE_TIMES[int(rnd() * 600)]}"
                for _ in range(found):
                    category = (ITEMS_ON_SPOT_TASKS if spot_task else ITEMS_ON_HAZARDS).draw(rnd)
                    quantity = 5 + int(rnd() * 296) if category == "axo" else 1 + int(rnd() * rnd() * 4)
                    depth = None if category in ERW and rnd() < 0.5 else int(rnd() * 41)
                    write(
                        (
                            items.first_id + count, stamp, stamp, category, quantity, ITEM_CONDITIONS.draw(rnd),
                            depth, rnd() < 0.92, self.ordnance_type(rnd, category), activity_id,
                        )
                    )  # fmt: skip
                    count += 1
                # Quality management samples a few worksites (IMAS 07.40).
                if not spot_task and rnd() < 0.06:
                    qa = rnd() < 0.6
                    day = start + int(rnd() * (end - start + 1)) if qa else min(end + int(rnd() * 20), END)
                    result = "passed" if rnd() < 0.78 else "failed"
                    inspections.append((activity_id, day, "qa" if qa else "qc", inspectors.draw(rnd), result))
        items.close(count)
        self.counts[items.name] = count

        table = Table("hazards_qualityinspection")
        findings = Table("hazards_nonconformity")
        non_conformities = []
        columns = (
            "id", "created_at", "updated_at", "kind", "inspection_date", "result", "notes", "activity_id",
            "inspector_organisation_id",
        )  # fmt: skip
        with copy_rows(table.name, columns) as write:
            for k, (activity_id, day, kind, inspector, result) in enumerate(inspections):
                stamp = f"{DAY_ISO[min(day + 2, LAST_STAMP)]} {OFFICE_TIMES[int(rnd() * 600)]}"
                write((table.first_id + k, stamp, stamp, kind, DAY_ISO[day], result, "", activity_id, inspector))
                found = 1 + int(rnd() * 2) if result == "failed" else int(rnd() < 0.25)
                for _ in range(found):
                    severity = ("major" if rnd() < 0.7 else "critical") if result == "failed" else "minor"
                    description, action = NON_CONFORMITIES[int(rnd() * len(NON_CONFORMITIES))]
                    closed = day + 7 + int(rnd() * 24)
                    non_conformities.append(
                        (table.first_id + k, stamp, severity, description, action, closed if closed <= END else None)
                    )
        table.close(len(inspections))
        with copy_rows(findings.name, ("id", "created_at", "updated_at", "severity", "description",
                                       "corrective_action", "closed_on", "inspection_id")) as write:  # fmt: skip
            for k, (inspection_id, stamp, severity, description, action, closed) in enumerate(non_conformities):
                closed_on = None if closed is None else DAY_ISO[closed]
                write((findings.first_id + k, stamp, stamp, severity, description, action, closed_on, inspection_id))
        findings.close(len(non_conformities))
        self.counts |= {table.name: len(inspections), findings.name: len(non_conformities)}
        return f"{count:,} items, {len(inspections):,} inspections, {len(non_conformities):,} non-conformities"

    def community_reports(self) -> str:
        """Reports from communities, some of which became a hazardous area or an EOD spot task."""
        rng = self.rng("community")
        rnd = rng.random
        hazards = [h for h in self.hazards if h[4] == APPROVED and h[3] >= 30]
        outcomes = self.report_outcomes
        linked_hazards = iter(sorted(rng.sample(hazards, min(outcomes.count("hazard_area"), len(hazards)))))
        tasks = [t for t in self.spot_tasks if t[3] >= 30]
        linked_tasks = iter(sorted(rng.sample(tasks, min(outcomes.count("spot_task"), len(tasks)))))
        liaison = self.organisations_weighted(figures.COMMUNITY_LIAISON)
        free_regions = iter(self.report_regions)
        reports = []
        for planned in outcomes:
            outcome = planned
            linked = None
            if planned == "hazard_area":
                linked = next(linked_hazards, None)
            elif planned == "spot_task":
                linked = next(linked_tasks, None)
            # Each report owns a planned point, used when it is not linked to a record.
            region = next(free_regions)
            x, y = self.point(region)
            hazard_id = task_id = None
            if linked is not None and planned == "hazard_area":
                hazard_id, region, x, y = linked[0], linked[1], linked[6], linked[7]
                day = linked[3] - 3 - int(rnd() * 25)
            elif linked is not None:
                task_id, region, x, y = linked[0], linked[1], linked[4], linked[5]
                day = linked[3] - 1 - int(rnd() * 20)
            else:
                if outcome != "pending":
                    outcome = "no_action"
                day = END - int(rnd() * 120) if outcome == "pending" else int(rnd() * END)
            reports.append((day, outcome, region, x, y, hazard_id, task_id))
        reports.sort(key=lambda r: (r[0], r[5] or 0, r[6] or 0))
        table = Table("community_communityreport", "CR")
        columns = (
            "id", "created_at", "updated_at", "status", "external_id", "reference", "report_date", "subject",
            "location", "suspected_area", "item_category", "item_count", "reporter_name", "description",
            "outcome", "admin_area_id", "hazard_area_id", "organisation_id", "spot_task_id",
        )  # fmt: skip
        with copy_rows(table.name, columns) as write:
            for k, (day, outcome, region, x, y, hazard_id, task_id) in enumerate(reports):
                subject = "area" if hazard_id is not None or (task_id is None and rnd() < 0.3) else "item"
                suspected_area = None
                if subject == "area":
                    suspected_area = irregular_polygon_ewkb(
                        x, y, radius_m=30 + 170 * rnd(), vertices=8 + int(rnd() * 5), random=rnd
                    )
                status = "submitted" if outcome == "pending" and rnd() < 0.8 else workflow_status(rnd(), day)
                if outcome != "pending":
                    status = APPROVED
                organisation = liaison.draw(rnd)
                created, updated = self.stamps(rnd, day, status, delay=4)
                item = REPORTED_ITEMS.draw(rnd) if subject == "item" else ""
                write(
                    (
                        table.first_id + k, created, updated, status, self.external_id(rnd, organisation, "CR"),
                        table.reference(k), DAY_ISO[day], subject, point_ewkb(x, y), suspected_area, item,
                        1 + int(rnd() * rnd() * 5) if subject == "item" else 0,
                        REPORTERS[int(rnd() * len(REPORTERS))], REPORT_TEXT[subject], outcome,
                        self.regions[region].id, hazard_id, organisation, task_id,
                    )
                )  # fmt: skip
        table.close(len(reports))
        clipped = self.clip_to_regions(table.name, "suspected_area", table.first_id)
        self.counts[table.name] = len(reports)
        return f"{len(reports):,} rows, {clipped} suspected areas clipped"
