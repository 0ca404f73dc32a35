"""Generates Mali's national mine action database in bulk, deterministically from a seed.

Every part draws from its own `random.Random(f"{seed}:{part}")` in a fixed order, and points
come from PostGIS's seeded ST_GeneratePoints, so one seed and scale always give the same rows.
Rows are streamed with COPY; ids and reference codes are numbered here and the sequences
advanced past them afterwards.
"""

from django.db import connection

from demo.generation.hazards import HazardSteps
from demo.generation.incidents import IncidentSteps
from demo.generation.people import PeopleSteps
from demo.services import Stopwatch


class DemoGenerator(HazardSteps, IncidentSteps, PeopleSteps):
    def run(self) -> None:
        with connection.cursor() as cursor:
            # Foreign keys are checked as each table is loaded, not all at once at commit: the
            # time of each step then includes its checks, and a bad reference fails at its table.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        steps = (
            ("reference data", self.load_reference),
            ("plan", self.plan),
            ("points in the régions", self.draw_points),
            ("hazardous areas", self.hazard_areas),
            ("land release activities", self.land_release),
            ("items found and inspections", self.items_and_inspections),
            ("community reports", self.community_reports),
            ("incidents", self.incidents),
            ("casualties", self.casualties),
            ("incident sources", self.incident_sources),
            ("casualty identities", self.identities),
            ("victim assistance", self.victim_assistance),
            ("risk education", self.risk_education),
            ("remaining areas and hazard status", self.recompute),
            ("statistics", self.analyze),
        )
        for label, step in steps:
            watch = Stopwatch()
            done = step()
            self.log(f"  {label}: {done or 'done'} ({watch.seconds():.1f} s)")
        with connection.cursor() as cursor:
            # Back to Django's default for the rest of a caller's transaction.
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
