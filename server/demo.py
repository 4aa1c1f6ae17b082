"""`cairn demo`: one grave site, three field teams, offline edits, out-of-order pushes.

The scenario runs against a real server on 127.0.0.1 through the real device client, so
what it shows is what field teams get: sealed batches, receipts, merges, conflicts and
duplicate identifiers. It prints where a supervisor can look and a short summary.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import uvicorn

from server import admin, review
from server.app import create_app
from server.config import load_config
from server.datadir import DataDir
from server.store import admin as rows
from server.store import sync_tables as st
from sync.client import Device

PROJECT = "DEMO-DASHALTI"
SITE = "DSH-01"
NOW = "2026-05-03T09:30:00+04:00"

Say = Callable[[str], None]


class DemoSummary(msgspec.Struct, kw_only=True):
    """What the demo produced."""

    url: str
    supervisor_token: str
    records: int
    conflicts: int
    duplicates: list[str]
    stratigraphy: list[str]
    devices: int


def _point(lat: float, lon: float, acc: float = 1.5) -> dict[str, Any]:
    return {"lat": lat, "lon": lon, "h_acc_m": acc, "alt_ref": "ellipsoid", "source": "gnss"}


def _body(n: int, remains: str = "articulated_body") -> dict[str, Any]:
    return {
        "body_no": f"{SITE}-G1-B{n:03d}",
        "remains_category": remains,
        "context_no": "3",
        "location": {
            **_point(40.1001 + n * 1e-5, 46.9001),
            "x": 1.0 * n,
            "y": 2.0,
            "z": -1.1,
        },
        "condition": "skeletonised",
        "articulation": "full",
        "lifted_by": "team",
        "lifted_at": NOW,
        "body_bag_no": f"BAG-{n:03d}",
        "seal_no": f"S-{n:05d}",
    }


class _Server:
    def __init__(self, data: DataDir, host: str, port: int) -> None:
        config = load_config(data.path, host=host, port=port)
        self.server = uvicorn.Server(
            uvicorn.Config(create_app(config, data), host=host, port=port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the demo server did not start (is the port free?)")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def run_demo(data: DataDir, host: str, port: int, say: Say, keep_serving: bool) -> DemoSummary:
    """Run the scenario; with keep_serving, leave the server up until Ctrl-C."""
    if rows.get_project(data.store.reader(), PROJECT) is None:
        admin.create_project(data.store, PROJECT, "Demo: Dashalti mass grave", "demo")
    server = _Server(data, host, port)
    server.start()
    url = f"http://{host}:{port}"
    say(f"server running at {url}")
    try:
        with tempfile.TemporaryDirectory(prefix="cairn-demo-devices-") as homes:
            summary = _scenario(data, url, Path(homes), say)
        if keep_serving:
            say("press Ctrl-C to stop the demo server")
            while server.thread.is_alive():
                time.sleep(0.5)
        return summary
    finally:
        server.stop()


def _enroll(data: DataDir, url: str, home: Path, label: str) -> Device:
    code = admin.issue_enroll_code(data.store, PROJECT, 3600, "demo").code
    device = Device(home / label)
    device.enroll(url, code, label=label)
    return device


def _scenario(data: DataDir, url: str, homes: Path, say: Say) -> DemoSummary:
    teams = [_enroll(data, url, homes, name) for name in ("team-a", "team-b", "team-c")]
    a, b, c = teams
    say("three field teams enrolled: " + ", ".join(t.device_id for t in teams))
    grave = a.new(
        "site_grave",
        {
            "site_code": SITE,
            "grave_no": 1,
            "legal_authority_ref": "Court order 17/2026",
            "grave_type": "mass",
            "deposition": "primary",
            "datum_point": _point(40.1, 46.9),
            "status": "excavating",
            "max_depth_m": 1.8,
        },
    )
    a.push()
    for t in (b, c):
        t.pull()
    say(f"team-a recorded grave {SITE}-G1 and everyone synced before going offline")

    # Offline for the day: concurrent edits.
    a.edit(grave, {"max_depth_m": 2.4, "mni_estimate": 6})
    b.edit(grave, {"max_depth_m": 2.6, "length_m": 4.5})
    c.edit(grave, {"width_m": 3.2})
    contexts = [
        b.new(
            "excavation_context",
            {
                "context_no": n,
                "site_code": SITE,
                "grave_id": f"{SITE}-G1",
                "context_type": kind,
                "opened_by": "team-b",
                "opened_on": "2026-05-03",
            },
        )
        for n, kind in ((1, "cut"), (2, "fill"), (3, "body"))
    ]
    b.add_item(contexts[1], "relationships", {"relation": "fills", "other_context_no": 1})
    b.add_item(contexts[2], "relationships", {"relation": "above", "other_context_no": 2})
    body_b = b.new("human_remains", _body(17))
    b.push()  # a midday sync at the vehicle: team-c now has team-b's body record
    c.pull()
    # Team-c reads the section the wrong way round: cut 1 "cuts" fill 2, which fills it.
    c.add_item(contexts[0], "relationships", {"relation": "cuts", "other_context_no": 2})
    c.new("human_remains", {**_body(17), "body_bag_no": "BAG-117", "seal_no": "S-00117"})
    for element, side in (("cranium", "midline"), ("femur", "L"), ("femur", "R")):
        b.add_item(body_b, "inventory", {"element": element, "side": side, "code": 1})
    c.add_item(body_b, "inventory", {"element": "humerus", "side": "L", "code": 2})
    effect = c.new(
        "personal_effect",
        {
            "item_no": f"{SITE}-G1-B017-A01",
            "body_no": f"{SITE}-G1-B017",
            "context_no": "3",
            "category": "document_id",
            "found_on_body": True,
            "kept_with_remains": True,
            "bag_no": "1 of 1",
            "seal_no": "S-00501",
        },
    )
    sample = a.new(
        "dna_sample",
        {
            "sample_id": f"{SITE}-G1-B017-S1",
            "body_no": f"{SITE}-G1-B017",
            "sample_type": "bone",
            "element": "femur",
            "collected_by": "team-a",
            "witness": "team-b",
            "collected_at": NOW,
            "packaging": "paper_envelope",
            "storage_temp": "4c",
            "seal_no": "S-00601",
        },
    )
    c.add_item(effect, "photos", {"file": {"sha256": "ab" * 32, "filename": "A01.jpg"}})
    a.add_item(
        sample,
        "custody",
        {
            "seq": 1,
            "released_by": "team-a",
            "received_by": "lab courier",
            "at": NOW,
            "purpose": "transport to lab",
            "seal_intact": True,
            "location": "field base",
        },
    )
    say("offline: 3 teams made concurrent edits (depth twice), contexts, 2 bodies numbered B017,")
    say("         inventories, a personal effect and a DNA sample with its custody chain")

    for team in (c, b, a):  # out of order: the last team back pushes first
        summary = team.push()
        say(f"{team.store.get_str('device_id')} pushed {summary.ops} ops, receipts verified")
        for line in summary.refused:
            say(f"  refused: {line}")
    for team in teams:
        team.pull()
    say("all teams pulled: every device now shows the same consolidated records")
    del contexts, effect

    conn = data.store.reader()
    records = list(st.iter_records(conn, PROJECT))
    duplicates = [
        f"{form_id}.{name} {value!r}: {len(ids)} records"
        for form_id, name, _scope, value, ids in st.duplicate_identifiers(conn, PROJECT)
    ]
    stratigraphy = [
        f"site {site}: {problem.kind} through contexts "
        + ", ".join(str(n) for n in problem.contexts)
        for site, problem in review.stratigraphy(conn, PROJECT)
    ]
    token = admin.issue_token(data.store, "supervisor", PROJECT, "demo", "demo supervisor")
    for team in teams:
        team.close()
    return DemoSummary(
        url=url,
        supervisor_token=token.token,
        records=len(records),
        conflicts=sum(r.conflict_count for r in records),
        duplicates=duplicates,
        stratigraphy=stratigraphy,
        devices=len(teams),
    )
