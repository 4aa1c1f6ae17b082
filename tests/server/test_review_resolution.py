"""Resolutions and reviews: supervisor ops that are stored, audited and pulled by devices."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from server.audit.chain import project_chain
from server.controllers import review_models as m
from server.datadir import DataDir
from server.materialize import decode_record
from server.store import audit_log
from server.store import sync_tables as st
from server.verify import verify
from sync import canonical
from tests.server.conftest import PROJECT
from tests.server.review_fixtures import MakeDevice, concurrent_depths, grave, supervisor


def _snapshot(data: DataDir) -> tuple[object, ...]:
    conn = data.store.reader()
    return (
        conn.execute("SELECT record_id, state, review_state FROM records").fetchall(),
        conn.execute("SELECT COUNT(*) FROM ops").fetchone(),
        audit_log.head(conn, project_chain(PROJECT)),
    )


def _record(client: TestClient, record_id: str, headers: dict[str, str]) -> m.RecordResponse:  # type: ignore[type-arg]
    resp = client.get(f"/v1/records/{record_id}", headers=headers)
    assert resp.status_code == 200, resp.text
    return msgspec.json.decode(resp.content, type=m.RecordResponse)


def test_resolution_reaches_both_devices_and_closes_the_conflict_there(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    a, b, record_id = concurrent_depths(make_device)
    sup = supervisor(data)
    before = _record(client, record_id, sup)
    (conflict,) = before.record.conflicts
    assert conflict.path == "max_depth_m"
    chosen = next(v for v in conflict.values if v.value == 2.5)
    resp = client.post(
        f"/v1/records/{record_id}/resolutions",
        headers=sup,
        json={
            "conflict": "field",
            "path": "max_depth_m",
            "choose": {"actor": chosen.actor, "counter": chosen.counter},
            "reason": "tape measure re-read on site photo 112",
        },
    )
    assert resp.status_code == 201, resp.text
    done = msgspec.json.decode(resp.content, type=m.AppliedResponse)
    assert done.actor.startswith("sup-") and done.counter == 1
    assert done.record.record.conflicts == []
    assert done.record.record.values["max_depth_m"] == 2.5
    assert done.record.summary.conflict_count == 0
    a.pull()
    b.pull()
    server = decode_record(st.get_record(data.store.reader(), PROJECT, record_id).state)  # type: ignore[union-attr]
    for device in (a, b):
        local = device.record(record_id)
        assert not local.fields["max_depth_m"].conflict
        assert canonical.record_bytes(local) == canonical.record_bytes(server)
    entry = list(audit_log.entries(data.store.reader(), project_chain(PROJECT)))[-1]
    assert entry.kind == "record.resolve" and entry.subject == record_id
    assert entry.data["chosen"] == f"{chosen.actor}:{chosen.counter}"
    # Supervisor ops belong to no batch; the rebuild from the ops still matches.
    assert verify(data.store, data.keys, data.forms).problems == []


def test_new_value_resolution_is_validated_then_applied(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    _, _, record_id = concurrent_depths(make_device)
    sup = supervisor(data)
    body = {"conflict": "field", "path": "max_depth_m", "reason": "measured again"}
    before = _snapshot(data)
    bad = client.post(
        f"/v1/records/{record_id}/resolutions", headers=sup, json={**body, "value": 99.0}
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_values"
    assert "max_depth_m" in bad.json()["message"]
    assert _snapshot(data) == before
    ok = client.post(
        f"/v1/records/{record_id}/resolutions", headers=sup, json={**body, "value": 2.75}
    )
    assert ok.status_code == 201, ok.text
    done = msgspec.json.decode(ok.content, type=m.AppliedResponse)
    depth = done.record.record.fields["max_depth_m"]
    assert (depth.value, depth.conflict, len(depth.live)) == (2.75, False, 1)
    assert depth.live[0].actor == done.actor


def test_supervisor_counter_never_resets_across_records(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    _, _, first = concurrent_depths(make_device)
    dev = make_device("team-c")
    second = dev.new("site_grave", grave(site_code="DSH-02"))
    dev.push()
    sup = supervisor(data)
    counters = []
    for record_id, state in ((first, "approved"), (second, "approved"), (first, "has_issues")):
        resp = client.post(
            f"/v1/records/{record_id}/review",
            headers=sup,
            json={"state": state, "comment": "depth photo missing", "override_reason": "test"},
        )
        assert resp.status_code == 201, resp.text
        counters.append(msgspec.json.decode(resp.content, type=m.AppliedResponse).counter)
    assert counters == [1, 2, 3]


BAD_RESOLUTIONS: list[tuple[dict[str, Any], int, str]] = [
    ({"conflict": "field", "path": "max_depth_m", "value": 2.0}, 400, "bad_request"),
    ({"conflict": "field", "path": "max_depth_m", "value": 2.0, "reason": "  "}, 400,
     "reason_required"),
    ({"conflict": "field", "path": "max_depth_m", "reason": "r"}, 400, "bad_choice"),
    ({"conflict": "field", "path": "width_m", "value": 2.0, "reason": "r"}, 409,
     "conflict_not_open"),
    ({"conflict": "field", "path": "no_such_field", "value": 2.0, "reason": "r"}, 400,
     "unknown_path"),
    ({"conflict": "field", "path": "bad[path", "value": 2.0, "reason": "r"}, 400, "bad_path"),
    ({"conflict": "bogus", "path": "max_depth_m", "value": 2.0, "reason": "r"}, 400,
     "unknown_conflict_kind"),
    ({"conflict": "item", "path": "max_depth_m", "value": True, "reason": "r"}, 400, "bad_path"),
    ({"conflict": "retraction", "path": "retracted", "value": True, "reason": "r"}, 409,
     "conflict_not_open"),
    ({"conflict": "field", "path": "max_depth_m", "reason": "r",
      "choose": {"actor": "dev-nobody", "counter": 1}}, 409, "not_live"),
    ({"conflict": "field", "path": "max_depth_m", "reason": "r", "value": "deep"}, 400,
     "invalid_values"),
]  # fmt: skip


def test_bad_resolutions_are_refused_and_change_nothing(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    _, _, record_id = concurrent_depths(make_device)
    sup = supervisor(data)
    before = _snapshot(data)
    for body, status, code in BAD_RESOLUTIONS:
        resp = client.post(f"/v1/records/{record_id}/resolutions", headers=sup, json=body)
        assert (resp.status_code, resp.json()["error"]) == (status, code), (body, resp.text)
        assert resp.json()["message"]
        assert _snapshot(data) == before, body


def test_a_stale_resolution_is_refused_once_the_conflict_is_closed(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    _, _, record_id = concurrent_depths(make_device)
    sup = supervisor(data)
    body = {"conflict": "field", "path": "max_depth_m", "value": 2.6, "reason": "re-measured"}
    assert client.post(f"/v1/records/{record_id}/resolutions", headers=sup, json=body).is_success
    before = _snapshot(data)
    again = client.post(f"/v1/records/{record_id}/resolutions", headers=sup, json=body)
    assert again.status_code == 409 and again.json()["error"] == "conflict_not_open"
    assert _snapshot(data) == before


def test_an_edit_concurrent_with_a_resolution_reopens_the_conflict(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    a, _, record_id = concurrent_depths(make_device)
    a.pull()  # a has seen both values, but not the resolution below
    sup = supervisor(data)
    body = {"conflict": "field", "path": "max_depth_m", "value": 2.6, "reason": "re-measured"}
    assert client.post(f"/v1/records/{record_id}/resolutions", headers=sup, json=body).is_success
    a.edit(record_id, {"max_depth_m": 2.9})
    a.push()
    after = _record(client, record_id, sup)
    (conflict,) = after.record.conflicts
    assert sorted(v.value for v in conflict.values) == [2.6, 2.9]


REVIEW_PATHS = [
    (["approved"], "approved"),
    (["rejected"], "rejected"),
    (["has_issues", "approved", "has_issues", "rejected"], "rejected"),
]


@pytest.mark.parametrize(("states", "final"), REVIEW_PATHS)
def test_review_states_follow_the_allowed_transitions(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    states: list[str],
    final: str,
) -> None:
    dev = make_device("team-a")
    record_id = dev.new("site_grave", grave())
    dev.push()
    sup = supervisor(data)
    for state in states:
        resp = client.post(
            f"/v1/records/{record_id}/review",
            headers=sup,
            json={"state": state, "comment": "see photo log"},
        )
        assert resp.status_code == 201, resp.text
    done = msgspec.json.decode(resp.content, type=m.AppliedResponse)
    assert done.record.summary.review_state == final
    kinds = [e.kind for e in audit_log.entries(data.store.reader(), project_chain(PROJECT))]
    assert kinds.count("record.review") == len(states)
    dev.pull()
    assert dev.record(record_id).review.value == final


INVALID_REVIEWS = [
    ([], {"state": "received"}, 409, "invalid_transition"),
    (["approved"], {"state": "rejected", "comment": "x"}, 409, "invalid_transition"),
    (["approved"], {"state": "approved"}, 409, "invalid_transition"),
    ([], {"state": "rejected"}, 400, "comment_required"),
    ([], {"state": "has_issues", "comment": "  "}, 400, "comment_required"),
    ([], {"state": "done"}, 400, "bad_state"),
]


@pytest.mark.parametrize(("first", "body", "status", "code"), INVALID_REVIEWS)
def test_invalid_review_transitions_are_refused_with_a_clear_message(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    first: list[str],
    body: dict[str, str],
    status: int,
    code: str,
) -> None:
    dev = make_device("team-a")
    record_id = dev.new("site_grave", grave())
    dev.push()
    sup = supervisor(data)
    for state in first:
        client.post(f"/v1/records/{record_id}/review", headers=sup, json={"state": state})
    before = _snapshot(data)
    resp = client.post(f"/v1/records/{record_id}/review", headers=sup, json=body)
    assert (resp.status_code, resp.json()["error"]) == (status, code), resp.text
    assert _snapshot(data) == before


CONTEXT = {
    "context_no": 3,
    "site_code": "DSH-01",
    "grave_id": "DSH-01-G1",
    "context_type": "fill",
    "opened_by": "A. Aliyev",
    "opened_on": "2026-05-02",
}


def _two_devices_on(make_device: MakeDevice, form: str, values: dict[str, Any]) -> Any:
    a, b = make_device("team-a"), make_device("team-b")
    record_id = a.new(form, values)
    a.push()
    b.pull()
    return a, b, record_id


@pytest.mark.parametrize(("keep", "present"), [(True, True), (False, False)])
def test_item_conflicts_resolve_to_keep_or_remove_the_item(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    keep: bool,
    present: bool,
) -> None:
    a, b, record_id = _two_devices_on(make_device, "excavation_context", CONTEXT)
    item = a.add_item(record_id, "relationships", {"relation": "below", "other_context_no": 2})
    a.push()
    b.pull()
    a.remove_item(record_id, "relationships", item)
    b.edit_item(record_id, "relationships", item, {"other_context_no": 4})
    a.push()
    b.push()
    sup = supervisor(data)
    (conflict,) = _record(client, record_id, sup).record.conflicts
    assert (conflict.kind, conflict.path) == ("item", f"relationships[{item}]")
    body = {"conflict": "item", "path": conflict.path, "value": keep, "reason": "photo 88"}
    resp = client.post(f"/v1/records/{record_id}/resolutions", headers=sup, json=body)
    assert resp.status_code == 201, resp.text
    done = msgspec.json.decode(resp.content, type=m.AppliedResponse)
    assert done.record.record.conflicts == []
    items = done.record.record.items.get("relationships", [])
    assert [i.item_id for i in items] == ([item] if present else [])
    a.pull()
    assert a.record(record_id).items["relationships"][item].present is present


@pytest.mark.parametrize("retract", [True, False])
def test_retraction_conflicts_resolve_either_way(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    retract: bool,
) -> None:
    a, b, record_id = _two_devices_on(make_device, "site_grave", grave())
    a.retract(record_id, "entered twice")
    b.edit(record_id, {"max_depth_m": 1.1})
    a.push()
    b.push()
    sup = supervisor(data)
    (conflict,) = _record(client, record_id, sup).record.conflicts
    body = {"conflict": "retraction", "path": "retracted", "reason": "checked with team lead"}
    chosen = next(v for v in conflict.values if v.value is retract)
    body["choose"] = {"actor": chosen.actor, "counter": chosen.counter}  # type: ignore[assignment]
    resp = client.post(f"/v1/records/{record_id}/resolutions", headers=sup, json=body)
    assert resp.status_code == 201, resp.text
    done = msgspec.json.decode(resp.content, type=m.AppliedResponse)
    assert done.record.record.conflicts == []
    assert done.record.summary.retracted is retract
    assert done.record.record.values["max_depth_m"] == 1.1


def test_conflicts_route_lists_each_record_with_its_open_conflicts(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    a, _, record_id = concurrent_depths(make_device)
    a.new("site_grave", grave(site_code="DSH-09"))
    a.push()
    resp = client.get("/v1/projects/AZ-DASHALTI/conflicts", headers=supervisor(data))
    assert resp.status_code == 200
    got = msgspec.json.decode(resp.content, type=m.ConflictPageResponse)
    assert [(r.record_id, [c.path for c in r.conflicts]) for r in got.items] == [
        (record_id, ["max_depth_m"])
    ]


def test_an_unknown_conflict_kind_is_named_with_the_kinds_there_are(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    _, _, record_id = concurrent_depths(make_device)
    body = {"conflict": "bogus", "path": "max_depth_m", "value": 2.0, "reason": "r"}
    resp = client.post(f"/v1/records/{record_id}/resolutions", headers=supervisor(data), json=body)
    assert resp.json()["message"] == (
        "conflict 'bogus' is not a kind of conflict; give the kind GET /v1/records/{id} lists "
        "with it: field, item, key, retraction"
    )


def test_the_schema_documents_the_resolution_body_and_requires_a_reason(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    schema = client.get("/v1/schema/openapi.json").json()["components"]["schemas"]
    body = schema["ResolutionRequest"]
    assert set(body["required"]) == {"conflict", "path", "reason"}
    assert "default" not in body["properties"]["reason"]
    for kind in ("field", "item", "key", "retraction"):
        assert kind in body["properties"]["conflict"]["description"]
    assert all(p.get("description") for p in body["properties"].values())
