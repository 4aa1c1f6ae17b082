"""GeoJSON features of one record: its own located fields and those of its group items.

No built-in form has a located field inside a repeat group, so this form is made here:
a point of its own, and a point per item of a `finds` group ordered by `seq`.
"""

from __future__ import annotations

from typing import Any

from forms.schema import FormDef, GeopointField, IntegerField, RepeatGroup, TextField
from server.export import formats
from server.store.sync_tables import RecordRow
from sync.shown import ShownField, ShownItem, ShownRecord, ShownWrite

FORM = FormDef(
    id="finds_map",
    version=1,
    title="Finds",
    fields=(
        GeopointField(name="spot"),
        TextField(name="note"),
        TextField(name="retracted"),
        RepeatGroup(
            name="finds",
            order_by="seq",
            fields=(GeopointField(name="at"), IntegerField(name="seq"), TextField(name="label")),
        ),
    ),
)


def _field(*values: Any, conflict: bool = False) -> ShownField:
    writes = tuple(ShownWrite(actor="a", counter=n, value=v) for n, v in enumerate(values, 1))
    return ShownField(conflict=conflict, live=writes)


def _item(
    hlc: int, seq: int, at: Any, *, present: bool = True, conflict: bool = False
) -> ShownItem:
    fields = {"seq": _field(seq), "label": _field(f"find {seq}")}
    if at is not None:
        fields["at"] = _field(at, conflict=conflict)
    return ShownItem(created_hlc=hlc, present=present, fields=fields)


def _entry(fields: dict[str, ShownField], items: dict[str, ShownItem]) -> formats.RecordEntry:
    shown = ShownRecord(id="r1", form="finds_map@1", fields=fields, items={"finds": items})
    row = RecordRow(
        record_id="r1",
        project="P",
        form_id="finds_map",
        form_version=1,
        identifier="F-1",
        review_state="received",
        retracted=False,
        conflict_count=0,
        updated_cursor=1,
        updated_at_ms=0,
        state=b"",
    )
    return formats.RecordEntry(row, shown, FORM)


def _point(lat: float, lon: float, **more: Any) -> dict[str, Any]:
    return {"lat": lat, "lon": lon, "h_acc_m": 1.5, **more}


def test_a_feature_per_located_field_and_present_item_in_the_groups_order() -> None:
    entry = _entry(
        {
            "spot": _field(_point(40.5, 46.5, alt_m=3)),
            "note": _field("x"),
            "retracted": _field("a clash"),
        },
        {
            "i-late": _item(1, 2, _point(40.2, 46.2), conflict=True),
            "i-first": _item(2, 1, _point(40.1, 46.1)),
            "i-gone": _item(3, 0, _point(40.0, 46.0), present=False),
            "i-nowhere": _item(4, 3, None),
            "i-int": _item(5, 4, {"lat": 40, "lon": 46}),
        },
    )
    features = list(formats.geojson_features(entry))
    where = [
        (f["properties"]["field"], f["properties"]["item_id"], f["geometry"]) for f in features
    ]
    assert where == [
        ("spot", None, {"type": "Point", "coordinates": [46.5, 40.5, 3.0]}),
        ("finds.at", "i-first", {"type": "Point", "coordinates": [46.1, 40.1]}),
        ("finds.at", "i-late", {"type": "Point", "coordinates": [46.2, 40.2]}),
        ("finds.at", "i-int", {"type": "Point", "coordinates": [46.0, 40.0]}),
    ]
    assert [f["properties"]["conflict"] for f in features] == [False, False, True, False]
    assert [f["properties"]["accuracy_m"] for f in features] == [1.5, 1.5, 1.5, None]
    props = features[0]["properties"]
    # The record's scalar values ride along; a field named like a fixed property is renamed.
    assert props["note"] == "x"
    assert props["retracted"] is False
    assert props["value_retracted"] == "a clash"
    assert "spot" not in props


def test_a_record_with_no_place_is_one_feature_without_geometry() -> None:
    entry = _entry({"note": _field("only text"), "spot": _field("not a point")}, {})
    (feature,) = formats.geojson_features(entry)
    assert feature["geometry"] is None
    assert feature["properties"]["field"] is None
    assert feature["properties"]["note"] == "only text"
