"""The seven reproductions of the forensic-rules issue, against a real `cairn serve`.

Each drives a real server process and real device homes (the device code a field team
runs; the command line where its exit status or output matters). After each scenario,
every device's merged view of a record equals the server's `GET /v1/records/{id}`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from server import admin
from server.datadir import open_data_dir
from sync import laws
from sync.client import Device, RuleRefused
from tests.e2e.harness import PROJECT, ServerProcess
from tests.examples import GRAVE

MakeServer = Callable[[str], ServerProcess]
MakeDevice = Callable[[str, ServerProcess], Device]

BODY = "DSH-01-G1-B017"
SAMPLE: dict[str, Any] = {
    "sample_id": f"{BODY}-S1",
    "body_no": BODY,
    "sample_type": "bone",
    "element": "femur",
    "collected_by": "A. Aliyev",
    "witness": "B. Mammadova",
    "collected_at": "2026-05-03T10:15:00+04:00",
    "packaging": "paper_envelope",
    "storage_temp": "ambient",
}
STEP: dict[str, Any] = {
    "released_by": "A. Aliyev",
    "received_by": "Lab Baku",
    "at": "2026-05-04T09:00:00+04:00",
    "purpose": "DNA extraction",
    "seal_intact": True,
}


@pytest.fixture
def server(make_server: MakeServer) -> ServerProcess:
    return make_server("rules")


@pytest.fixture
def sup(server: ServerProcess) -> Iterator[httpx.Client]:
    data = open_data_dir(server.data, create=False)
    try:
        token = admin.issue_token(data.store, "supervisor", PROJECT, "e2e").token
    finally:
        data.store.close()
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


def server_view(sup: httpx.Client, record_id: str) -> dict[str, Any]:
    resp = sup.get(f"/v1/records/{record_id}")
    assert resp.status_code == 200, resp.text
    view: dict[str, Any] = resp.json()["record"]
    return view


def device_view(dev: Device, record_id: str) -> dict[str, Any]:
    view: dict[str, Any] = json.loads(msgspec.json.encode(dev.view(record_id)))
    return view


def assert_views_equal(sup: httpx.Client, record_id: str, *devices: Device) -> None:
    for dev in devices:
        dev.pull()
        assert device_view(dev, record_id) == server_view(sup, record_id), dev.home


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CAIRN_DEVICE_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "device", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def old_client(dev: Device) -> Callable[[], None]:
    """Make `dev` behave as a client without the rules; returns the undo."""
    dev.rules = lambda _ref: laws.NO_RULES  # type: ignore[method-assign]

    def undo() -> None:
        del dev.rules

    return undo


def test_1_an_immutable_field_edited_later_is_refused_on_the_device_and_on_the_server(
    server: ServerProcess, make_device: MakeDevice, sup: httpx.Client
) -> None:
    a = make_device("a", server)
    rid = a.new("dna_sample", {**SAMPLE, "seal_no": "S-1"})
    a.push()
    a.close()
    # The command line refuses before sealing, says how to record a correction.
    done = cli(a.home, "edit", rid, "--set", "seal_no=S-2")
    assert done.returncode != 0
    assert "seal_no is fixed once written" in done.stderr
    assert "correction" in done.stderr
    a = Device(a.home, sleep=lambda s: time.sleep(min(s, 0.2)))
    try:
        with pytest.raises(RuleRefused):
            a.edit(rid, {"seal_no": "S-2"})
        assert a.record(rid).fields["seal_no"].value == "S-1"
        # An old client sends the overwrite anyway: the server stores it as evidence,
        # refuses it, and the device, told so by the receipt, shows what the server shows.
        undo = old_client(a)
        a.edit(rid, {"seal_no": "S-2", "sop_deviation": "resealed"})
        undo()
        summary = a.push()
        assert len(summary.refused) == 1 and "seal_no is fixed" in summary.refused[0]
        status = a.status()
        assert status["ops"]["refused"] == 1 and status["ops"]["pending"] == 0
        assert status["refused"][0]["kept_by_server"] is True
        assert server_view(sup, rid)["values"]["seal_no"] == "S-1"
        assert_views_equal(sup, rid, a)
        refused = server_view(sup, rid)["refused"]
        assert [(r["codes"], r["values"]["seal_no"]) for r in refused] == [
            (["immutable:seal_no"], "S-2")
        ]
    finally:
        a.close()
    # A push that had a refusal exits non-zero.
    b = Device(a.home.parent / "home-b2", sleep=lambda s: time.sleep(min(s, 0.2)))
    b.enroll(server.url, server.enroll_code(), label="b2")
    b.pull()
    undo = old_client(b)
    b.edit(rid, {"seal_no": "S-3"})
    undo()
    b.close()
    pushed = cli(b.home, "push")
    assert pushed.returncode == 1, pushed.stdout + pushed.stderr
    assert "REFUSED" in pushed.stderr
    listed = cli(b.home, "list")
    assert "2 refused op(s)" in listed.stdout  # A's and this one


def test_2_concurrent_first_writes_of_a_seal_number_both_stay_whatever_the_order(
    server: ServerProcess, make_device: MakeDevice, sup: httpx.Client
) -> None:
    a, b = make_device("a", server), make_device("b", server)
    rid = a.new("dna_sample", SAMPLE)
    a.push()
    b.pull()
    a.edit(rid, {"seal_no": "S-FROM-A"})
    b.edit(rid, {"seal_no": "S-FROM-B"})
    assert not a.push().refused and not b.push().refused
    view = server_view(sup, rid)
    assert view["fields"]["seal_no"]["conflict"] is True
    assert {v["value"] for v in view["fields"]["seal_no"]["live"]} == {"S-FROM-A", "S-FROM-B"}
    assert_views_equal(sup, rid, a, b)
    # The supervisor keeps one of the recorded values; a new value is refused.
    live = view["fields"]["seal_no"]["live"]
    bad = sup.post(
        f"/v1/records/{rid}/resolutions",
        json={"conflict": "field", "path": "seal_no", "value": "S-NEW", "reason": "typo"},
    )
    assert (bad.status_code, bad.json()["error"]) == (409, "immutable_field")
    chosen = {"actor": live[0]["actor"], "counter": live[0]["counter"]}
    ok = sup.post(
        f"/v1/records/{rid}/resolutions",
        json={"conflict": "field", "path": "seal_no", "choose": chosen, "reason": "label read"},
    )
    assert ok.status_code == 201, ok.text
    assert_views_equal(sup, rid, a, b)


def test_3_append_only_custody_cannot_be_rewritten_by_any_op_kind(
    server: ServerProcess, make_device: MakeDevice, sup: httpx.Client
) -> None:
    a = make_device("a", server)
    rid = a.new("dna_sample", {**SAMPLE, "seal_no": "S-1"})
    a.add_item(rid, "custody", {**STEP, "seq": 1})
    a.push()
    rewrite = [{**STEP, "seq": 1, "seal_intact": False}]
    with pytest.raises(RuleRefused, match="custody is a repeat group"):
        a.edit(rid, {"custody": rewrite})
    item = next(iter(a.record(rid).items["custody"]))
    with pytest.raises(RuleRefused, match="append-only"):
        a.edit_item(rid, "custody", item, {"seal_intact": False})
    with pytest.raises(RuleRefused, match="append-only"):
        a.remove_item(rid, "custody", item)
    # An old client sends all three: the server refuses them and stores none.
    undo = old_client(a)
    a.edit(rid, {"custody": rewrite})
    a.edit_item(rid, "custody", item, {"seal_intact": False})
    undo()
    assert len(a.push().refused) == 2
    view = server_view(sup, rid)
    assert [i["fields"]["seal_intact"]["value"] for i in view["items"]["custody"]] == [True]
    assert "custody" not in view["values"]
    assert_views_equal(sup, rid, a)
    params = {"form": "dna_sample", "group": "custody"}
    csv = sup.get(f"/v1/projects/{PROJECT}/records.csv", params=params)
    assert csv.status_code == 200
    assert len(csv.text.strip().splitlines()) == 2  # the header and the one true row


def test_4_two_rows_with_one_key_are_a_visible_conflict_every_row_kept(
    server: ServerProcess, make_device: MakeDevice, sup: httpx.Client
) -> None:
    a, b = make_device("a", server), make_device("b", server)
    sample = a.new("dna_sample", {**SAMPLE, "seal_no": "S-1"})
    a.add_item(sample, "custody", {**STEP, "seq": 1})
    remains = a.new("human_remains", {"body_no": BODY})
    a.push()
    b.pull()
    a.add_item(sample, "custody", {**STEP, "seq": 2, "received_by": "Lab Baku"})
    b.add_item(sample, "custody", {**STEP, "seq": 2, "received_by": "Lab Ganja"})
    a.add_item(remains, "inventory", {"element": "femur", "side": "L", "code": 1})
    b.add_item(remains, "inventory", {"element": "femur", "side": "L", "code": 2})
    a.push()
    b.push()
    for rid, path in ((sample, "custody{2}"), (remains, "inventory{femur, L}")):
        view = server_view(sup, rid)
        assert [c["path"] for c in view["conflicts"] if c["kind"] == "key"] == [path]
        listed = sup.get(f"/v1/projects/{PROJECT}/records", params={"has_conflicts": "true"})
        assert rid in {r["record_id"] for r in listed.json()["items"]}
        assert_views_equal(sup, rid, a, b)
    custody = server_view(sup, sample)["items"]["custody"]
    assert sorted(i["fields"]["received_by"]["value"] for i in custody) == [
        "Lab Baku",
        "Lab Baku",
        "Lab Ganja",
    ]
    # Custody rows are never removed: the supervisor confirms the row that stands.
    side = next(c for c in server_view(sup, sample)["conflicts"] if c["kind"] == "key")
    chosen = {"actor": side["values"][0]["actor"], "counter": side["values"][0]["counter"]}
    body = {"conflict": "key", "path": "custody{2}", "choose": chosen, "reason": "lab log"}
    removal = sup.post(f"/v1/records/{sample}/resolutions", json={**body, "value": False})
    assert (removal.status_code, removal.json()["error"]) == (409, "append_only")
    assert sup.post(f"/v1/records/{sample}/resolutions", json=body).status_code == 201
    view = server_view(sup, sample)
    assert not [c for c in view["conflicts"] if c["kind"] == "key"]
    assert len(view["items"]["custody"]) == 3
    # Inventory rows may go: the supervisor removes the wrong score.
    side = next(c for c in server_view(sup, remains)["conflicts"] if c["kind"] == "key")
    chosen = {"actor": side["values"][1]["actor"], "counter": side["values"][1]["counter"]}
    body = {"conflict": "key", "path": "inventory{femur, L}", "choose": chosen, "value": False}
    done = sup.post(f"/v1/records/{remains}/resolutions", json={**body, "reason": "re-scored"})
    assert done.status_code == 201, done.text
    view = server_view(sup, remains)
    assert not view["conflicts"] and len(view["items"]["inventory"]) == 1
    assert_views_equal(sup, sample, a, b)
    assert_views_equal(sup, remains, a, b)


def test_5_items_are_in_their_forms_order_on_the_device_and_the_server(
    server: ServerProcess, make_device: MakeDevice, sup: httpx.Client
) -> None:
    a = make_device("a", server)
    rid = a.new("dna_sample", {**SAMPLE, "seal_no": "S-1"})
    a.add_item(rid, "custody", {**STEP, "seq": 2})
    a.add_item(rid, "custody", {**STEP, "seq": 1})
    a.push()
    a.close()
    shown = cli(a.home, "show", rid, "--json")
    assert shown.returncode == 0, shown.stderr
    seqs = [i["fields"]["seq"]["value"] for i in json.loads(shown.stdout)["items"]["custody"]]
    assert seqs == [1, 2]
    assert json.loads(shown.stdout) == server_view(sup, rid)


def test_6_review_protects_evidence(
    server: ServerProcess, make_device: MakeDevice, sup: httpx.Client
) -> None:
    a, b = make_device("a", server), make_device("b", server)
    grave = a.new("site_grave", GRAVE)
    a.push()
    assert sup.post(f"/v1/records/{grave}/review", json={"state": "approved"}).status_code == 201
    a.pull()
    a.edit(grave, {"status": "closed"})  # after the approval, with the approval seen
    a.push()
    assert server_view(sup, grave)["review_state"] == "edited"
    edited = sup.get(f"/v1/projects/{PROJECT}/records", params={"review_state": "edited"})
    assert [r["record_id"] for r in edited.json()["items"]] == [grave]
    assert_views_equal(sup, grave, a)
    # A conflict, or missing required fields, block approval unless a reason is given.
    b.pull()
    a.edit(grave, {"max_depth_m": 2.4})
    b.edit(grave, {"max_depth_m": 2.6})
    a.push()
    b.push()
    blocked = sup.post(f"/v1/records/{grave}/review", json={"state": "approved"})
    assert (blocked.status_code, blocked.json()["error"]) == (409, "approval_blocked")
    assert "max_depth_m" in blocked.json()["message"]
    thin = a.new("site_grave", {"site_code": "DSH-01", "grave_no": 2})
    a.push()
    blocked = sup.post(f"/v1/records/{thin}/review", json={"state": "approved"})
    assert blocked.status_code == 409
    missing = blocked.json()["details"]["missing_required"]
    assert missing == ["legal_authority_ref", "grave_type", "deposition", "datum_point", "status"]
    assert server_view(sup, thin)["missing_required"] == missing
    forced = sup.post(
        f"/v1/records/{thin}/review",
        json={"state": "approved", "override_reason": "the rest is on the paper sheet"},
    )
    assert forced.status_code == 201
    csv = sup.get(f"/v1/projects/{PROJECT}/records.csv", params={"form": "site_grave"})
    header, *rows = csv.text.strip().splitlines()
    assert "missing_required" in header.split(",")
    assert any("legal_authority_ref grave_type" in row for row in rows)
    assert_views_equal(sup, thin, a)


def test_7_graves_of_one_site_are_not_duplicates_and_show_their_grave_id(
    server: ServerProcess, make_device: MakeDevice, sup: httpx.Client
) -> None:
    a = make_device("a", server)
    g1 = a.new("site_grave", GRAVE)
    g2 = a.new("site_grave", {**GRAVE, "grave_no": 2})
    a.push()
    dups = sup.get(f"/v1/projects/{PROJECT}/duplicates")
    assert dups.status_code == 200 and dups.json() == []
    listed = sup.get(f"/v1/projects/{PROJECT}/records", params={"form": "site_grave"})
    ids = {r["record_id"]: r["identifier"] for r in listed.json()["items"]}
    assert ids == {g1: "DSH-01-G1", g2: "DSH-01-G2"}
    csv = sup.get(f"/v1/projects/{PROJECT}/records.csv", params={"form": "site_grave"})
    assert "DSH-01-G1" in csv.text and "DSH-01-G2" in csv.text
    # The same grave number twice at one site is a duplicate.
    a.new("site_grave", {**GRAVE, "grave_no": 2, "legal_authority_ref": "Court order 18"})
    a.push()
    dups = sup.get(f"/v1/projects/{PROJECT}/duplicates").json()
    assert [(d["name"], d["value"]) for d in dups] == [("grave_id", "DSH-01-G2")]
