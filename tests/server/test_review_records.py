"""Finding and reading records: filters, cursor pages, provenance, history, duplicates."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from server.controllers import review_models as m
from server.datadir import DataDir
from server.store import sync_tables as st
from sync.client import uuid7
from sync.ops import GpsFix, Patch
from sync.sealed import seal_batch
from tests.server.conftest import PROJECT
from tests.server.review_fixtures import MakeDevice, concurrent_depths, grave, supervisor

URL = f"/v1/projects/{PROJECT}/records"
LOG = {"site_code": "DSH-01", "log_date": "2026-05-01", "author": "A. Aliyev"}


def _page(client: TestClient, headers: dict[str, str], **params: Any) -> m.RecordPageResponse:  # type: ignore[type-arg]
    resp = client.get(URL, headers=headers, params=params)
    assert resp.status_code == 200, resp.text
    return msgspec.json.decode(resp.content, type=m.RecordPageResponse)


def _ids(page: m.RecordPageResponse) -> set[str]:
    return {r.record_id for r in page.items}


@pytest.fixture
def site(make_device: MakeDevice) -> dict[str, str]:
    """Four records: three graves (two both numbered DSH-02-G1) and a daily log."""
    dev = make_device("team-a")
    ids = {
        "g1": dev.new("site_grave", grave()),
        "g2": dev.new(
            "site_grave",
            grave(site_code="DSH-02", datum_point={"lat": 40.5, "lon": 47.5, "h_acc_m": 1.0}),
        ),
        "g3": dev.new(
            "site_grave",
            grave(site_code="DSH-02", grave_no=1, datum_point={"lat": -3.0, "lon": 179.5}),
        ),
        "log": dev.new("daily_log", LOG),
    }
    dev.push()
    return ids


FILTERS: list[tuple[dict[str, Any], set[str]]] = [
    ({}, {"g1", "g2", "g3", "log"}),
    ({"form": "site_grave"}, {"g1", "g2", "g3"}),
    ({"form": "daily_log"}, {"log"}),
    ({"has_duplicates": "true"}, {"g2", "g3"}),
    ({"has_duplicates": "false"}, {"g1", "log"}),
    ({"q": "dsh-02"}, {"g2", "g3"}),
    ({"q": "DSH-01"}, {"g1", "log"}),
    ({"q": "%"}, set()),
    ({"bbox": "46.8,40.0,47.0,40.2"}, {"g1"}),
    ({"bbox": "46.9,40.1,47.5,40.5"}, {"g1", "g2"}),  # edges are inside, exactly
    ({"bbox": "179.0,-4.0,-179.0,0.0"}, {"g3"}),  # across the antimeridian
    ({"review_state": "received"}, {"g1", "g2", "g3", "log"}),
    ({"review_state": "approved"}, set()),
    ({"has_conflicts": "true"}, set()),
    ({"retracted": "false", "form": "daily_log"}, {"log"}),
]


def test_filters_select_exactly_the_matching_records(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    site: dict[str, str],
) -> None:
    sup = supervisor(data)
    for params, expected in FILTERS:  # one site for the whole table: setup dominates
        page = _page(client, sup, **params)
        assert _ids(page) == {site[k] for k in expected}, params
        assert page.next_cursor is None


def test_since_and_cursor_pages_cover_every_record_once_and_catch_later_changes(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    site: dict[str, str],
) -> None:
    sup = supervisor(data)
    seen: list[str] = []
    cursor = None
    while True:
        page = _page(client, sup, limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [r.record_id for r in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(site.values())
    last = max(r.updated_cursor for r in _page(client, sup).items)
    dev = make_device("team-b")
    dev.pull()
    dev.edit(site["g1"], {"max_depth_m": 1.2})
    dev.push()
    assert _ids(_page(client, sup, since=last)) == {site["g1"]}


BAD_PARAMS: list[tuple[dict[str, Any], str]] = [
    ({"bbox": "1,2,3"}, "bad_bbox"),
    ({"bbox": "a,b,c,d"}, "bad_bbox"),
    ({"bbox": "0,50,1,40"}, "bad_bbox"),
    ({"bbox": "0,-95,1,40"}, "bad_bbox"),
    ({"bbox": "nan,0,1,1"}, "bad_bbox"),
    ({"form": "no_such_form"}, "bad_filter"),
    ({"review_state": "done"}, "bad_filter"),
    ({"since": -1}, "bad_filter"),
    ({"cursor": "not-a-cursor"}, "bad_cursor"),
    ({"limit": 0}, "bad_limit"),
    ({"limit": 501}, "bad_limit"),
    ({"has_conflicts": "perhaps"}, "bad_request"),
]


def test_bad_filters_get_a_400_naming_the_problem(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    sup = supervisor(data)
    for params, code in BAD_PARAMS:
        resp = client.get(URL, headers=sup, params=params)
        assert resp.status_code == 400, params
        body = resp.json()
        assert body["error"] == code and body["message"], params


def test_record_shows_values_provenance_and_every_live_value_of_a_conflict(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    a, b, record_id = concurrent_depths(make_device)
    gps = GpsFix(lat=40.1001, lon=46.9002, h_acc_m=3.0, fix_time=1_700_000_000_000)
    a.pull()
    a.edit(record_id, {"width_m": 1.5}, gps=gps)
    a.push()
    resp = client.get(f"/v1/records/{record_id}", headers=supervisor(data))
    assert resp.status_code == 200
    got = msgspec.json.decode(resp.content, type=m.RecordResponse)
    assert got.summary.identifier == "DSH-01-G1" and got.summary.conflict_count == 1
    assert got.record.values["site_code"] == "DSH-01"
    (width,) = got.record.fields["width_m"].live
    assert (width.actor, width.gps) == (a.device_id, msgspec.to_builtins(gps))
    assert {x.actor: x.label for x in got.actors} == {a.device_id: "team-a", b.device_id: "team-b"}
    (conflict,) = got.record.conflicts
    assert sorted((v.actor, v.value) for v in conflict.values) == sorted(
        [(a.device_id, 3.0), (b.device_id, 2.5)]
    )


def test_history_lists_every_op_decoded_in_arrival_order(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    _, _, record_id = concurrent_depths(make_device)
    resp = client.get(f"/v1/records/{record_id}/history", headers=supervisor(data))
    assert resp.status_code == 200
    got = msgspec.json.decode(resp.content, type=m.HistoryResponse)
    stored = st.record_ops(data.store.reader(), PROJECT, record_id)
    assert [e.cursor for e in got.ops] == [c for c, *_ in stored]
    assert [type(e.op).__name__ for e in got.ops] == ["Create", "Patch", "Patch"]
    assert {e.op.fields["max_depth_m"] for e in got.ops if isinstance(e.op, Patch)} == {2.5, 3.0}
    assert all(e.batch_id and not e.clock_suspect for e in got.ops)


def test_duplicates_list_each_shared_identifier_with_its_records(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    site: dict[str, str],
) -> None:
    resp = client.get(f"/v1/projects/{PROJECT}/duplicates", headers=supervisor(data))
    assert resp.status_code == 200
    got = msgspec.json.decode(resp.content, type=list[m.DuplicateResponse])
    assert [(d.form_id, d.name, d.value) for d in got] == [("site_grave", "grave_id", "DSH-02-G1")]
    assert {r.record_id for r in got[0].records} == {site["g2"], site["g3"]}


NOW = "2026-05-03T09:30:00+04:00"
BODY = {
    "body_no": "DSH-01-G1-B017",
    "remains_category": "articulated_body",
    "context_no": "3",
    "location": {"lat": 40.1002, "lon": 46.9004, "h_acc_m": 0.8, "x": 1.2, "y": 3.4, "z": -1.1},
    "condition": "skeletonised",
    "articulation": "full",
    "lifted_by": "team",
    "lifted_at": NOW,
    "body_bag_no": "BAG-017",
    "seal_no": "S-00117",
}
SAMPLE = {
    "sample_id": "DSH-01-G1-B017-S1",
    "body_no": "DSH-01-G1-B017",
    "sample_type": "bone",
    "element": "femur",
    "collected_by": "team-a",
    "witness": "team-b",
    "collected_at": NOW,
    "packaging": "paper_envelope",
    "storage_temp": "4c",
    "seal_no": "S-00601",
}


def test_one_seal_number_on_a_body_bag_and_a_dna_sample_is_a_duplicate(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    a, b = make_device("team-a"), make_device("team-b")
    body = a.new("human_remains", BODY)
    a.new("dna_sample", SAMPLE)  # its own seal: no clash
    sample = b.new("dna_sample", {**SAMPLE, "sample_id": "DSH-01-G1-B017-S2", "seal_no": "s-00117"})
    a.push()
    b.push()
    resp = client.get(f"/v1/projects/{PROJECT}/duplicates", headers=supervisor(data))
    got = msgspec.json.decode(resp.content, type=list[m.DuplicateResponse])
    assert [(d.form_id, d.name, d.value) for d in got] == [("*", "seal_no", "S-00117")]
    assert {(r.record_id, r.form_id) for r in got[0].records} == {
        (body, "human_remains"),
        (sample, "dna_sample"),
    }
    flagged = client.get(
        f"/v1/projects/{PROJECT}/records",
        headers=supervisor(data),
        params={"has_duplicates": "true"},
    ).json()
    assert {r["record_id"] for r in flagged["items"]} == {body, sample}


def _duplicates(client: TestClient, data: DataDir) -> list[m.DuplicateResponse]:  # type: ignore[type-arg]
    resp = client.get(f"/v1/projects/{PROJECT}/duplicates", headers=supervisor(data))
    assert resp.status_code == 200
    return msgspec.json.decode(resp.content, type=list[m.DuplicateResponse])


def test_two_tablets_opening_the_same_daily_log_clash_whatever_the_case_and_spaces(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    a, b = make_device("team-a"), make_device("team-b")
    first = a.new("daily_log", LOG)
    second = b.new("daily_log", {**LOG, "author": " a. ALIYEV "})
    a.push()
    b.push()
    (dup,) = _duplicates(client, data)
    assert (dup.form_id, dup.name, dup.scope) == ("daily_log", "daily_log_key", "DSH-01")
    assert {r.record_id for r in dup.records} == {first, second}


def test_a_duplicate_does_not_hide_behind_a_conflict(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    a, b = make_device("team-a"), make_device("team-b")
    body = a.new("human_remains", BODY)
    a.push()
    b.pull()
    # Offline, A renumbers the body B018 and B renumbers it B019; meanwhile B019 exists.
    a.edit(body, {"body_bag_no": "BAG-018"})
    a.edit(body, {"body_no": "DSH-01-G1-B018"})
    b.edit(body, {"body_no": "DSH-01-G1-B019"})
    other = b.new(
        "human_remains",
        {**BODY, "body_no": "DSH-01-G1-B019", "body_bag_no": "BAG-019", "seal_no": "S-00119"},
    )
    a.push()
    b.push()
    dups = _duplicates(client, data)
    assert [(d.name, d.value) for d in dups] == [("body_no", "DSH-01-G1-B019")]
    assert {r.record_id for r in dups[0].records} == {body, other}
    flagged = _page(client, supervisor(data), has_duplicates="true")
    assert _ids(flagged) == {body, other}


def test_quarantine_shows_reasons_and_hashes_never_raw_batch_bytes(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    dev = make_device("team-a")
    # Signed by the device, but the body is no list of ops: refused, kept as the device's.
    sealed = seal_batch(
        b"\xc1",
        device_id=dev.device_id,
        batch_id=uuid7(),
        seq=1,
        device_signing_key=dev.keys().signing_key,
        server_recipient=dev.store.get_str("batch_recipient") or "",
        server_key_id=dev.store.get_str("batch_key_id") or "",
    )
    assert client.post("/v1/device/batches", content=sealed).status_code == 422
    resp = client.get(f"/v1/projects/{PROJECT}/quarantine", headers=supervisor(data))
    assert resp.status_code == 200
    got = msgspec.json.decode(resp.content, type=m.QuarantinePageResponse)
    (item,) = got.items
    assert (item.kind, item.size, item.payload_b64) == ("batch", len(sealed), None)
    assert item.reason and item.device_id == dev.device_id
    assert bytes(sealed).hex() not in resp.text
