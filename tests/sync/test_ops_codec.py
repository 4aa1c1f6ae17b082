"""Op wire format: round trips, validation, and old payloads that still decode."""

from __future__ import annotations

import msgspec
import pytest

from sync.ops import (
    Create,
    Dot,
    GpsFix,
    ItemAdd,
    ItemEdit,
    ItemRemove,
    Op,
    Patch,
    Resolve,
    Retract,
    Review,
    decode_ops,
    decode_ops_json,
    encode_ops,
    encode_ops_json,
)

BASE = {"record_id": "r-1", "form": "site_grave@1", "hlc": 5 << 16, "wall_time": 5}


def every_kind() -> list[Op]:
    """One op of every kind."""
    gps = GpsFix(lat=40.4, lon=47.1, h_acc_m=3.5, fix_time=4, alt_m=120.0)
    d = [Dot(actor="tab-a", counter=n) for n in range(1, 9)]
    return [
        Create(
            dot=d[0], context={}, fields={"grave_id": "G-1", "loc": {"lat": 1, "lon": 2}}, **BASE
        ),
        Patch(dot=d[1], context={"tab-a": 1}, fields={"max_depth_m": 1.5}, gps=gps, **BASE),
        ItemAdd(dot=d[2], context={"tab-a": 2}, group="inventory", item_id="i1", **BASE),
        ItemEdit(
            dot=d[3],
            context={"tab-a": 3},
            group="inventory",
            item_id="i1",
            fields={"side": "L"},
            **BASE,
        ),
        ItemRemove(dot=d[4], context={"tab-a": 4}, group="inventory", item_id="i1", **BASE),
        Retract(dot=d[5], context={"tab-a": 5}, reason="duplicate", **BASE),
        Resolve(
            dot=d[6],
            context={"tab-a": 6},
            conflict="retraction",
            value=False,
            reason="not a duplicate",
            **BASE,
        ),
        Review(dot=d[7], context={"tab-a": 7}, state="approved", **BASE),
    ]


def test_every_kind_round_trips_through_msgpack_and_json() -> None:
    ops = every_kind()
    assert decode_ops(encode_ops(ops)) == ops
    assert decode_ops_json(encode_ops_json(ops)) == ops
    assert msgspec.json.decode(encode_ops_json(ops))[1]["kind"] == "patch"


def test_an_old_payload_without_newer_optional_fields_still_decodes() -> None:
    old = [
        {
            "kind": "patch",
            "dot": {"actor": "tab-a", "counter": 2},
            "record_id": "r-1",
            "form": "site_grave@1",
            "hlc": 7,
            "context": {"tab-a": 1},
            "wall_time": 7,
            "fields": {"notes": "x"},
        },
        {
            "kind": "review",
            "dot": {"actor": "sup", "counter": 1},
            "record_id": "r-1",
            "form": "site_grave@1",
            "hlc": 8,
            "context": {"tab-a": 2},
            "wall_time": 8,
            "state": "received",
        },
    ]
    patch, review = decode_ops(msgspec.msgpack.encode(old))
    assert isinstance(patch, Patch) and patch.gps is None
    assert isinstance(review, Review) and review.comment == ""


def _payload(**changes: object) -> bytes:
    op = msgspec.to_builtins(every_kind()[1])
    op.update(changes)
    return msgspec.msgpack.encode([op])


@pytest.mark.parametrize(
    "changes, where",
    [
        ({"dot": {"actor": "tab-a", "counter": 0}}, "counter"),
        ({"context": {"tab-a": 2}}, "already covers"),
        ({"kind": "merge"}, "kind"),
        ({"hlc": -1}, "hlc"),
        ({"gps": {"lat": 95, "lon": 0, "h_acc_m": 1, "fix_time": 0}}, "lat"),
    ],
)
def test_invalid_ops_are_refused_with_a_pointer_to_the_problem(
    changes: dict[str, object], where: str
) -> None:
    with pytest.raises(msgspec.ValidationError, match=where):
        decode_ops(_payload(**changes))


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"conflict": "field", "value": 1}, "name the field"),
        ({"conflict": "item", "value": True}, "group and item_id"),
        ({"conflict": "item", "value": 1, "group": "g", "item_id": "i"}, "true or false"),
        ({"conflict": "field", "field": "f", "value": 1, "group": "g"}, "both group"),
    ],
)
def test_a_resolution_must_name_a_complete_target(kw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Resolve(dot=Dot(actor="sup", counter=1), context={}, reason="r", **BASE, **kw)  # type: ignore[arg-type]


def test_a_retraction_needs_a_non_blank_reason() -> None:
    op = msgspec.to_builtins(every_kind()[5])
    op["reason"] = "   "
    with pytest.raises(msgspec.ValidationError, match="reason"):
        decode_ops_json(msgspec.json.encode([op]))
