"""The concurrent load of `make bench` (bench/run.py starts it against gunicorn): each client is a
partner's script or an officer's page with an account of its own, reading details, lists (JSON,
GeoJSON, a box of the map, next pages), map tiles and now and then statistics, waiting one to three
seconds between requests (50 clients offer about 25 requests a second). Accounts and incident ids
come from the file named by BENCH_USERS."""

import itertools
import json
import math
import os
import random

from locust import HttpUser, between, task

with open(os.environ["BENCH_USERS"]) as loaded:
    LOADED = json.load(loaded)
TOKENS = itertools.cycle(LOADED["tokens"])
INCIDENTS = LOADED["incidents"]
BOXES = [(-4.7, 14.0, -3.7, 15.0), (-8.5, 12.2, -7.5, 13.2), (-1.5, 16.0, -0.5, 17.0)]
STATISTICS = [
    "casualties/?group_by=year,admin_area,device_category&admin_area_level=1",
    "casualties/?group_by=sex,age_group,outcome",
    "incidents/?group_by=year,incident_class",
    "land-release-activities/?group_by=year,kind",
]


def tile(lon: float, lat: float, z: int) -> str:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"{z}/{x}/{y}"


class Client(HttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {next(TOKENS)}"
        self.next_page = None

    @task(6)
    def detail(self):
        self.client.get(f"/api/v1/incidents/{random.choice(INCIDENTS)}/", name="detail")

    @task(3)
    def list_page(self):
        if self.next_page and random.random() < 0.7:
            url, self.next_page = self.next_page, None
            answer = self.client.get(url, name="list: next page")
        else:
            answer = self.client.get("/api/v1/incidents/?page_size=100", name="list")
        if answer.ok:
            self.next_page = answer.json().get("next")

    @task(2)
    def list_geojson_in_box(self):
        box = ",".join(map(str, random.choice(BOXES)))
        resource = random.choice(["incidents", "hazard-areas"])
        self.client.get(f"/api/v1/{resource}/?format=geojson&page_size=100&bbox={box}", name="list: GeoJSON in a box")

    @task(2)
    def map_tile(self):
        west, south, east, north = random.choice(BOXES)
        lon, lat = random.uniform(west, east), random.uniform(south, north)
        layer = random.choice(["incidents", "hazard-areas"])
        self.client.get(f"/tiles/{layer}/{tile(lon, lat, random.choice([6, 9, 12]))}.pbf", name="tile")

    @task(1)
    def statistics(self):
        self.client.get(f"/api/v1/statistics/{random.choice(STATISTICS)}", name="statistics")
