"""What every step of the generator shares: reference data, the plan, points, shared fields."""

import itertools
import random
from array import array
from collections import Counter
from collections.abc import Callable, Mapping

from django.db import connection
from psycopg import sql

from core.exceptions import ApplicationError
from demo import figures
from demo.figures import Scale
from demo.generation.common import (
    DAY_ISO,
    LAST_STAMP,
    OFFICE_TIMES,
    Region,
    Weighted,
    spread,
)
from demo.geometry import distance_km_and_bearing
from demo.services import Log, domain_tables
from hazards.services import hazard_areas_recompute

# What becomes of community reports, drawn at planning time so that their points are drawn too.
REPORT_OUTCOMES = Weighted({"hazard_area": 30, "spot_task": 35, "no_action": 10, "pending": 25})


class GeneratorBase:
    """State shared by the steps: reference data, planned régions, points, shared fields."""

    def __init__(self, *, scale: Scale, seed: int, log: Log) -> None:
        self.scale = scale
        self.seed = seed
        self.log = log
        self.counts: dict[str, int] = {}
        self.external_ids: Counter = Counter()

    def rng(self, part: str) -> random.Random:
        # One stream per part: changing how one table is drawn leaves the others alone.
        return random.Random(f"{self.seed}:{part}")

    # --- Reference data and plan -------------------------------------------------------------

    def load_reference(self) -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, pcode, name_fr FROM reference_administrativearea "
                "WHERE level = 1 AND valid_to IS NULL AND geometry IS NOT NULL ORDER BY pcode"
            )
            self.regions = [Region(*row) for row in cursor.fetchall()]
            cursor.execute("SELECT id, acronym FROM reference_organisation ORDER BY acronym")
            self.organisations = dict(cursor.fetchall())
            cursor.execute("SELECT category, id FROM reference_ordnancetype ORDER BY model")
            self.ordnance: dict[str, list[int]] = {}
            for category, type_id in cursor.fetchall():
                self.ordnance.setdefault(category, []).append(type_id)
            cursor.execute(
                "SELECT name, ST_X(location), ST_Y(location), admin_area_id FROM reference_locality ORDER BY name, id"
            )
            localities = cursor.fetchall()
        if not self.regions or not self.organisations:
            raise ApplicationError("Reference data (régions with boundaries, organisations) is not loaded.")
        self.acronym_id = {acronym: pk for pk, acronym in self.organisations.items()}
        region_index = {r.id: i for i, r in enumerate(self.regions)}
        self.localities: list[list[tuple[str, float, float]]] = [[] for _ in self.regions]
        for name, x, y, area_id in localities:
            if area_id in region_index:
                self.localities[region_index[area_id]].append((name, x, y))
        self.all_localities = [(name, x, y) for name, x, y, _ in localities]
        return f"{len(self.regions)} régions, {len(self.organisations)} organisations, {len(localities)} localities"

    def organisations_weighted(self, weights: Mapping[str, float]) -> Weighted:
        present = {self.acronym_id[a]: w for a, w in weights.items() if a in self.acronym_id}
        return Weighted(present or dict.fromkeys(self.organisations, 1))

    def region_weights(self, shares: Mapping[str, float]) -> list[float]:
        weights = [float(shares.get(r.pcode, 0)) for r in self.regions]
        return weights if sum(weights) else [1.0] * len(self.regions)

    def plan(self) -> str:
        rng = self.rng("plan")
        scale = self.scale
        incident_weights = self.region_weights(figures.INCIDENT_SHARE_BY_PCODE)
        self.hazard_regions = spread(rng, scale.hazard_areas, incident_weights)
        self.spot_task_regions = spread(rng, scale.spot_tasks, incident_weights)
        self.report_outcomes = [REPORT_OUTCOMES.draw(rng.random) for _ in range(scale.community_reports)]
        # One point for every report: those linked to a hazard or a spot task leave theirs unused.
        self.report_regions = spread(rng, scale.community_reports, incident_weights)
        self.incident_regions = spread(rng, scale.incidents, incident_weights)
        self.session_regions = spread(
            rng, scale.risk_education_sessions, self.region_weights(figures.RISK_EDUCATION_SHARE_BY_PCODE)
        )
        self.operators = self.organisations_weighted(figures.OPERATORS)
        self.own_ids = {self.acronym_id[a] for a in figures.WITH_OWN_IDS if a in self.acronym_id}
        return f"{len(self.incident_regions):,} incidents over {len(self.regions)} régions"

    def draw_points(self) -> str:
        """Random points inside each région's boundary, from PostGIS with a seed."""
        needed = Counter(
            itertools.chain(
                self.hazard_regions,
                self.spot_task_regions,
                self.report_regions,
                self.incident_regions,
                self.session_regions,
            )
        )
        rng = self.rng("points")
        self.points_x: list[array] = []
        self.points_y: list[array] = []
        self.points_taken = [0] * len(self.regions)
        with connection.cursor() as cursor:
            for i, region in enumerate(self.regions):
                point_seed = rng.randrange(1, 2**31 - 1)
                xs, ys = array("d"), array("d")
                if needed[i]:
                    cursor.execute(
                        "SELECT ST_X(d.geom), ST_Y(d.geom) FROM reference_administrativearea a, "
                        "LATERAL ST_Dump(ST_GeneratePoints(a.geometry, %s::int, %s::int)) d "
                        "WHERE a.id = %s ORDER BY d.path[1]",
                        [needed[i], point_seed, region.id],
                    )
                    for x, y in cursor.fetchall():
                        xs.append(x)
                        ys.append(y)
                self.points_x.append(xs)
                self.points_y.append(ys)
        return f"{sum(needed.values()):,} points"

    def point(self, region: int) -> tuple[float, float]:
        k = self.points_taken[region]
        self.points_taken[region] = k + 1
        return self.points_x[region][k], self.points_y[region][k]

    @staticmethod
    def thin(rng: random.Random, candidates: list, wanted: int) -> list:
        """At most `wanted` candidates, keeping their order."""
        if len(candidates) <= wanted:
            return candidates
        return [candidates[i] for i in sorted(rng.sample(range(len(candidates)), wanted))]

    # --- Shared fields ---------------------------------------------------------------------------

    def stamps(self, rnd: Callable[[], float], day: int, status: str, delay: int = 15) -> tuple[str, str]:
        """created_at some days after the event; updated_at at approval (drafts: never updated)."""
        created = min(day + int(rnd() * delay), LAST_STAMP)
        created_time = int(rnd() * 300)
        if status == "draft":
            stamp = f"{DAY_ISO[created]} {OFFICE_TIMES[created_time]}"
            return stamp, stamp
        updated = min(created + int(rnd() * 21), LAST_STAMP)
        updated_time = created_time + int(rnd() * 300)
        return f"{DAY_ISO[created]} {OFFICE_TIMES[created_time]}", f"{DAY_ISO[updated]} {OFFICE_TIMES[updated_time]}"

    def external_id(self, rnd: Callable[[], float], organisation: int, kind: str) -> str | None:
        """The reporting organisation's own identifier: unique per organisation, or none."""
        if organisation not in self.own_ids or rnd() >= 0.6:
            return None
        key = (organisation, kind)
        self.external_ids[key] += 1
        return f"{self.organisations[organisation]}-{kind}-{self.external_ids[key]:06d}"

    def ordnance_type(self, rnd: Callable[[], float], category: str, share: float = 0.7) -> int | None:
        types = self.ordnance.get(category)
        if not types or rnd() >= share:
            return None
        return types[int(rnd() * len(types))]

    def place_name(self, region: int, x: float, y: float) -> str:
        """The nearest locality, with distance and direction: "Boni, 12 km NE"."""
        candidates = self.localities[region] or self.all_localities
        if not candidates:
            return self.regions[region].name
        name, lx, ly = min(candidates, key=lambda c: (c[1] - x) ** 2 + (c[2] - y) ** 2)
        km, bearing = distance_km_and_bearing(lx, ly, x, y)
        return name if km < 1 else f"{name}, {km:.0f} km {bearing}"

    def clip_to_regions(self, table: str, column: str, first_id: int) -> int:
        """Clips polygons that cross their région's border to a boundary drawn 0.1 m inside it, so
        that rounding of the new vertices cannot put them outside."""
        clipped = 0
        statement = sql.SQL(
            "UPDATE {table} t SET {column} = ST_Multi(ST_CollectionExtract(ST_Intersection(t.{column}, a.inside), 3)) "
            "FROM (SELECT geometry, ST_Buffer(geometry, -0.000001) AS inside "
            "      FROM reference_administrativearea WHERE id = %s) a "
            "WHERE t.admin_area_id = %s AND t.id >= %s AND t.{column} IS NOT NULL "
            "AND NOT ST_CoveredBy(t.{column}, a.geometry)"
        ).format(table=sql.Identifier(table), column=sql.Identifier(column))
        with connection.cursor() as cursor:
            for region in self.regions:
                cursor.execute(statement, [region.id, region.id, first_id])
                clipped += cursor.rowcount
        return clipped

    # --- Derived figures ---------------------------------------------------------------------------

    def recompute(self) -> str:
        updated = hazard_areas_recompute()
        return f"{updated:,} hazardous areas"

    def analyze(self) -> str:
        with connection.cursor() as cursor:
            for table in domain_tables():
                cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
        return "tables analysed"
