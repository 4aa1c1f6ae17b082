"""Named field scenarios for the merge: what a supervisor sees after teams sync."""

from __future__ import annotations

from typing import Any

import pytest

from sync import canonical
from sync.conflicts import ordered_items
from sync.identifiers import IdentifierRule, check_identifiers
from sync.merge import DotReuseError, RecordMismatchError, apply, conflicts, materialize
from sync.ops import Create, Dot, GpsFix, ItemAdd, ItemRemove, Op, Patch, Resolve, Review

GRAVE = "0190f1c2-0000-7000-8000-0000000000a1"
T0 = 1_750_000_000_000


def make(cls: type[Any], actor: str, counter: int, context: dict[str, int], **kw: Any) -> Any:
    """An op on GRAVE stamped counter seconds after T0 unless ``hlc`` is given."""
    kw.setdefault("record_id", GRAVE)
    hlc = kw.pop("hlc", (T0 + counter * 1000) << 16)
    return cls(
        dot=Dot(actor=actor, counter=counter),
        form=kw.pop("form", "site_grave@1"),
        hlc=hlc,
        context=context,
        wall_time=hlc >> 16,
        **kw,
    )


def created() -> Op:
    """Tablet A registers grave G-12."""
    return make(Create, "tab-a", 1, {}, fields={"grave_id": "G-12", "max_depth_m": 1.2})


def test_two_devices_offline_both_change_max_depth_m() -> None:
    fix = GpsFix(lat=40.1, lon=47.2, h_acc_m=4.0, fix_time=T0)
    a = make(Patch, "tab-a", 2, {"tab-a": 1}, fields={"max_depth_m": 1.8}, gps=fix)
    b = make(Patch, "tab-b", 1, {"tab-a": 1}, fields={"max_depth_m": 2.1}, hlc=(T0 + 500) << 16)
    record = materialize([created(), a, b])
    (conflict,) = conflicts(record)
    assert conflict.kind == "field" and conflict.path == "max_depth_m"
    assert {(v.actor, v.value) for v in conflict.values} == {("tab-a", 1.8), ("tab-b", 2.1)}
    assert next(v for v in conflict.values if v.actor == "tab-a").gps == fix
    assert record.fields["max_depth_m"].value == 1.8  # highest HLC shows first
    assert record.fields["grave_id"].conflict is False
    resolve = make(
        Resolve,
        "sup-1",
        1,
        dict(record.vv),
        conflict="field",
        field="max_depth_m",
        value=2.1,
        reason="tape measure photo shows 2.1 m",
    )
    resolved = apply(record, resolve)
    assert conflicts(resolved) == ()
    assert resolved.fields["max_depth_m"].value == 2.1
    history = resolved.fields["max_depth_m"].history  # every value ever written, by dot
    assert [(w.actor, w.value) for w in history] == [
        ("sup-1", 2.1),
        ("tab-a", 1.2),
        ("tab-a", 1.8),
        ("tab-b", 2.1),
    ]


def test_one_device_edits_a_record_five_times_offline() -> None:
    ops: list[Op] = [created()]
    for n, depth in enumerate([1.3, 1.4, 1.5, 1.6, 1.7], start=2):
        ops.append(make(Patch, "tab-a", n, {"tab-a": n - 1}, fields={"max_depth_m": depth}))
    record = materialize(reversed(ops))
    assert conflicts(record) == ()
    assert record.fields["max_depth_m"].value == 1.7
    assert len(record.fields["max_depth_m"].history) == 6
    assert record.op_count == 6 and record.vv == {"tab-a": 6}


def test_two_devices_add_skeletal_inventory_rows_to_the_same_body() -> None:
    femur = make(
        ItemAdd,
        "tab-a",
        2,
        {"tab-a": 1},
        group="inventory",
        item_id="i-femur",
        fields={"element": "femur", "side": "L"},
    )
    skull = make(
        ItemAdd,
        "tab-b",
        1,
        {"tab-a": 1},
        group="inventory",
        item_id="i-skull",
        fields={"element": "cranium"},
        hlc=(T0 + 100) << 16,
    )
    record = materialize([skull, created(), femur])
    rows = ordered_items(record, "inventory")
    assert [i for i, _ in rows] == ["i-skull", "i-femur"]  # by created HLC
    assert conflicts(record) == ()
    removed = apply(
        record, make(ItemRemove, "tab-a", 3, dict(record.vv), group="inventory", item_id="i-skull")
    )
    assert [i for i, _ in ordered_items(removed, "inventory")] == ["i-femur"]
    assert len(ordered_items(removed, "inventory", include_removed=True)) == 2


def test_two_tablets_both_issue_body_number_b017_at_the_same_site() -> None:
    def body(record_id: str, actor: str, site: str, number: str) -> Any:
        fields = {"site_code": site, "body_no": number}
        return materialize(
            [make(Create, actor, 1, {}, record_id=record_id, form="body@2", fields=fields)]
        )

    rule = IdentifierRule(form_id="body", fields=("body_no",), scope_field="site_code")
    first = body("r1", "tab-a", "DSH-01", "B017")
    second = body("r2", "tab-b", "DSH-01", "b017 ")
    elsewhere = body("r3", "tab-c", "EDL-02", "B017")
    report = check_identifiers([first, second, elsewhere], [rule])
    (duplicate,) = report.duplicates
    assert duplicate.record_ids == ("r1", "r2") and duplicate.scope == "DSH-01"
    assert report.conflicts == ()


@pytest.mark.parametrize("retracted", [True, False])
def test_a_retracted_record_does_not_claim_its_body_number(retracted: bool) -> None:
    from sync.ops import Retract

    rule = IdentifierRule(form_id="site_grave", fields=("grave_id",))
    other = materialize([make(Create, "tab-b", 1, {}, record_id="r9", fields={"grave_id": "G-12"})])
    record = materialize([created()])
    if retracted:
        record = apply(record, make(Retract, "tab-a", 2, {"tab-a": 1}, reason="entered twice"))
    assert bool(check_identifiers([record, other], [rule]).duplicates) is not retracted


def test_an_identifier_in_conflict_claims_every_live_value() -> None:
    a = make(Patch, "tab-a", 2, {"tab-a": 1}, fields={"grave_id": "G-13"})
    b = make(Patch, "tab-b", 1, {"tab-a": 1}, fields={"grave_id": "G-14"})
    other = materialize([make(Create, "tab-c", 1, {}, record_id="r9", fields={"grave_id": "G-14"})])
    rule = IdentifierRule(form_id="site_grave", fields=("grave_id",))
    report = check_identifiers([materialize([created(), a, b]), other], [rule])
    assert [d.record_ids for d in report.duplicates] == [(GRAVE, "r9")]
    assert [(c.field, sorted(c.values)) for c in report.conflicts] == [
        ("grave_id", ["G-13", "G-14"])
    ]


def test_concurrent_reviews_stay_visible_and_the_latest_shows() -> None:
    one = make(Review, "sup-1", 1, {"tab-a": 1}, state="approved")
    two = make(
        Review,
        "sup-2",
        1,
        {"tab-a": 1},
        state="has_issues",
        comment="photo missing",
        hlc=(T0 + 9000) << 16,
    )
    record = materialize([created(), one, two])
    assert record.review.value == "has_issues" and record.review.conflict
    assert {w.note for w in record.review.live} == {"", "photo missing"}


def test_a_reused_dot_with_different_content_is_refused() -> None:
    a = make(Patch, "tab-a", 2, {"tab-a": 1}, fields={"max_depth_m": 1.8})
    forged = make(Patch, "tab-a", 2, {"tab-a": 1}, fields={"max_depth_m": 9.9})
    with pytest.raises(DotReuseError, match="re-enroll"):
        materialize([created(), a, forged])
    other = make(Patch, "tab-a", 3, {"tab-a": 2}, record_id="another", fields={})
    with pytest.raises(RecordMismatchError):
        apply(materialize([created()]), other)


def test_a_suspect_stamp_is_flagged_whatever_the_arrival_order() -> None:
    a = make(Patch, "tab-a", 2, {"tab-a": 1}, fields={"max_depth_m": 1.8})
    b = make(Patch, "tab-b", 1, {"tab-a": 1}, fields={"max_depth_m": 2.1})
    first = apply(apply(materialize([created(), b]), a, suspect=True), a)
    second = apply(apply(materialize([created(), b]), a), a, suspect=True)
    assert canonical.record_bytes(first) == canonical.record_bytes(second)
    flags = {v.actor: v.suspect_clock for v in conflicts(first)[0].values}
    assert flags == {"tab-a": True, "tab-b": False}
    assert materialize([created(), b, a], suspect=[("tab-a", 2)]) == first
