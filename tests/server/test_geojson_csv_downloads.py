"""GeoJSON and CSV downloads: strict RFC 7946 checks, and CSV read back with `csv`."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from typing import Any

import geojson  # type: ignore[import-untyped]
import msgspec
import pytest
from litestar.testing import TestClient

from server.controllers.review_models import RecordResponse
from server.datadir import DataDir
from tests.server.conftest import PROJECT
from tests.server.review_fixtures import MakeDevice, grave, supervisor

BASE = f"/v1/projects/{PROJECT}"
# Walked clockwise (seen from above, longitude east and latitude north): RFC 7946 wants
# the exterior ring counterclockwise, so the server must turn it around.
OUTLINE_CW = [
    {"lat": 40.1, "lon": 46.9},
    {"lat": 40.1001, "lon": 46.9},
    {"lat": 40.1001, "lon": 46.9001},
    {"lat": 40.1, "lon": 46.9001},
    {"lat": 40.1, "lon": 46.9},
]


def _position(pos: Any) -> tuple[float, float]:
    assert isinstance(pos, list) and len(pos) in (2, 3), pos
    assert all(isinstance(x, int | float) and not isinstance(x, bool) for x in pos)
    assert all(math.isfinite(x) for x in pos)
    lon, lat = pos[0], pos[1]
    assert -180 <= lon <= 180 and -90 <= lat <= 90, pos
    return lon, lat


def _ring_area(ring: list[list[float]]) -> float:
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in itertools.pairwise(ring)) / 2


def _geometry(geometry: Any) -> None:
    assert isinstance(geometry, dict)
    kind = geometry["type"]
    coords = geometry["coordinates"]
    assert set(geometry) <= {"type", "coordinates", "bbox"}
    if kind == "Point":
        _position(coords)
    elif kind == "LineString":
        assert len(coords) >= 2
        for pos in coords:
            _position(pos)
    elif kind == "Polygon":
        assert isinstance(coords, list) and coords
        for i, ring in enumerate(coords):
            assert len(ring) >= 4 and ring[0] == ring[-1], "a linear ring is closed, 4+ positions"
            for pos in ring:
                _position(pos)
            area = _ring_area(ring)
            assert area > 0 if i == 0 else area < 0, "right-hand rule (RFC 7946 §3.1.6)"
    else:
        raise AssertionError(f"unexpected geometry type {kind}")


def check_rfc7946(text: str) -> dict[str, Any]:
    """Parse and strictly check a GeoJSON FeatureCollection (RFC 7946); return it."""
    doc = json.loads(text)
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc, "RFC 7946 §4: no crs member (WGS 84 only)"
    assert isinstance(doc["features"], list)
    for feature in doc["features"]:
        assert feature["type"] == "Feature"
        assert "geometry" in feature and "properties" in feature
        assert feature["properties"] is None or isinstance(feature["properties"], dict)
        if "id" in feature:
            assert isinstance(feature["id"], str | int | float)
        if feature["geometry"] is not None:
            _geometry(feature["geometry"])
    result: dict[str, Any] = doc
    return result


@pytest.fixture
def site(make_device: MakeDevice) -> dict[str, str]:
    """Two graves (one with a clockwise outline) and a daily log with two personnel."""
    dev = make_device("team-a")
    ids = {
        "g1": dev.new("site_grave", grave(grave_outline=OUTLINE_CW, max_depth_m=1.5)),
        "g2": dev.new(
            "site_grave",
            grave(site_code="DSH-02", datum_point={"lat": -12.5, "lon": 130.8, "h_acc_m": 4.0}),
        ),
        "log": dev.new(
            "daily_log", {"site_code": "DSH-01", "log_date": "2026-05-01", "author": "A. Aliyev"}
        ),
    }
    dev.add_item(ids["log"], "personnel", {"name": "A. Aliyev", "role": "lead"})
    dev.add_item(ids["log"], "personnel", {"name": "B. Mammadova, MD", "role": 'anthro "B"'})
    dev.push()
    return ids


def test_geojson_is_rfc7946_longitude_first_with_accuracy_and_oriented_polygons(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    site: dict[str, str],
) -> None:
    resp = client.get(f"{BASE}/records.geojson", headers=supervisor(data))
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/geo+json")
    doc = check_rfc7946(resp.text)
    by_key = {(f["properties"]["record_id"], f["properties"]["field"]): f for f in doc["features"]}
    assert set(by_key) == {
        (site["g1"], "datum_point"),
        (site["g1"], "grave_outline"),
        (site["g2"], "datum_point"),
        (site["log"], None),  # a daily log has no place: a null geometry, still listed
    }
    assert by_key[(site["log"], None)]["geometry"] is None
    point = by_key[(site["g1"], "datum_point")]
    assert point["geometry"] == {"type": "Point", "coordinates": [46.9, 40.1]}
    assert point["properties"]["accuracy_m"] == 2.0
    assert by_key[(site["g2"], "datum_point")]["geometry"]["coordinates"] == [130.8, -12.5]
    shape = by_key[(site["g1"], "grave_outline")]["geometry"]
    assert shape["type"] == "Polygon"
    ring = shape["coordinates"][0]
    assert {(p[0], p[1]) for p in ring} == {(p["lon"], p["lat"]) for p in OUTLINE_CW}


def test_an_independent_geojson_library_accepts_the_download(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    site: dict[str, str],
) -> None:
    doc = geojson.loads(client.get(f"{BASE}/records.geojson", headers=supervisor(data)).text)
    assert isinstance(doc, geojson.FeatureCollection)
    assert doc.is_valid, doc.errors()
    assert len(doc["features"]) == 4
    for feature in doc["features"]:
        assert feature.is_valid, feature.errors()


def test_geojson_takes_the_record_filters(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    site: dict[str, str],
) -> None:
    resp = client.get(
        f"{BASE}/records.geojson", headers=supervisor(data), params={"bbox": "130,-13,131,-12"}
    )
    doc = check_rfc7946(resp.text)
    assert {f["properties"]["record_id"] for f in doc["features"]} == {site["g2"]}
    empty = client.get(
        f"{BASE}/records.geojson", headers=supervisor(data), params={"review_state": "approved"}
    )
    assert check_rfc7946(empty.text)["features"] == []


def test_csv_per_form_reads_back_with_the_csv_module(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    site: dict[str, str],
) -> None:
    resp = client.get(
        f"{BASE}/records.csv", headers=supervisor(data), params={"form": "site_grave"}
    )
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text, newline="")))
    by_id = {r["record_id"]: r for r in rows}
    assert set(by_id) == {site["g1"], site["g2"]}
    first = by_id[site["g1"]]
    assert (first["site_code"], first["grave_no"], first["max_depth_m"]) == ("DSH-01", "1", "1.5")
    assert (first["datum_point.lat"], first["datum_point.lon"]) == ("40.1", "46.9")
    assert first["retracted"] == "false" and first["review_state"] == "received"
    assert json.loads(first["grave_outline"]) == OUTLINE_CW


def test_csv_of_a_repeat_group_has_one_row_per_item_keyed_to_its_record(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    site: dict[str, str],
) -> None:
    resp = client.get(
        f"{BASE}/records.csv",
        headers=supervisor(data),
        params={"form": "daily_log", "group": "personnel"},
    )
    assert resp.status_code == 200
    rows = list(csv.DictReader(io.StringIO(resp.text, newline="")))
    assert {r["record_id"] for r in rows} == {site["log"]}
    assert sorted((r["name"], r["role"]) for r in rows) == [
        ("A. Aliyev", "lead"),
        ("B. Mammadova, MD", 'anthro "B"'),
    ]
    assert len({r["item_id"] for r in rows}) == 2


def test_csv_text_that_a_spreadsheet_would_run_is_kept_as_text(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    dev = make_device("team-b")
    hostile = {'=HYPERLINK("http://x")': "lead", "+1+1": "@SUM(A1)", "-2": "\tnote"}
    log = dev.new("daily_log", {"site_code": "DSH-01", "log_date": "2026-05-02", "author": "=1"})
    for name, role in hostile.items():
        dev.add_item(log, "personnel", {"name": name, "role": role})
    dev.push()
    resp = client.get(
        f"{BASE}/records.csv",
        headers=supervisor(data),
        params={"form": "daily_log", "group": "personnel"},
    )
    rows = list(csv.DictReader(io.StringIO(resp.text, newline="")))
    assert sorted((r["name"], r["role"]) for r in rows) == sorted(
        ("'" + name, "'" + role if role != "lead" else role) for name, role in hostile.items()
    )
    form = client.get(f"{BASE}/records.csv", headers=supervisor(data), params={"form": "daily_log"})
    (row,) = csv.DictReader(io.StringIO(form.text, newline=""))
    assert row["author"] == "'=1"
    # The exact values stay in the JSON view.
    answer = client.get(f"/v1/records/{log}", headers=supervisor(data))
    view = msgspec.json.decode(answer.content, type=RecordResponse).record
    assert view.values["author"] == "=1"
    assert {i.fields["name"].value for i in view.items["personnel"]} == set(hostile)


@pytest.mark.parametrize(
    "params",
    [{}, {"form": "nope"}, {"form": "site_grave", "group": "nope"}, {"form": "x", "bbox": "1"}],
)
def test_csv_needs_a_known_form_and_group(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    params: dict[str, str],
) -> None:
    resp = client.get(f"{BASE}/records.csv", headers=supervisor(data), params=params)
    assert resp.status_code == 400 and resp.json()["error"] in {"bad_filter", "bad_bbox"}


def test_geojson_features_carry_the_values_a_gis_user_filters_on_and_unplaced_records(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    dev = make_device("team-c")
    g1 = dev.new("site_grave", grave(max_depth_m=1.5))
    context = dev.new(
        "excavation_context",
        {
            "context_no": 4,
            "site_code": "DSH-01",
            "grave_id": "DSH-01-G1",
            "context_type": "fill",
            "opened_by": "team-c",
            "opened_on": "2026-05-03",
        },
    )
    dev.push()
    doc = check_rfc7946(client.get(f"{BASE}/records.geojson", headers=supervisor(data)).text)
    by_record = {f["properties"]["record_id"]: f for f in doc["features"]}
    props = by_record[g1]["properties"]
    assert (props["site_code"], props["grave_no"], props["max_depth_m"]) == ("DSH-01", 1, 1.5)
    assert props["grave_type"] == "mass" and props["field"] == "datum_point"
    unplaced = by_record[context]
    assert unplaced["geometry"] is None
    assert unplaced["properties"]["context_no"] == 4
    assert unplaced["properties"]["grave_id"] == "DSH-01-G1"
    assert unplaced["properties"]["identifier"] is not None
