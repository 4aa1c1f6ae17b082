"""The shown part of a record (sync.shown) agrees with the full record it is decoded from.

Every record of the merge corpus (random op sets of three devices and a supervisor:
conflicts, items, removals, key clashes, retractions, refusals) is encoded as the server
stores it, then decoded both ways; every value, flag and item a download shows must be
the same, and so must the conflict paths, item order and missing fields computed from
either.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec
import pytest

from forms.completeness import missing_required
from forms.library import builtin_library
from sync.conflicts import conflict_paths, ordered_items
from sync.laws import Rules
from sync.merge import materialize
from sync.ops import decode_ops
from sync.record import FieldState, Record
from sync.shown import ShownField, ShownRecord, decode_shown
from tests.conformance import gen_merge_corpus

CASES = 400
# As the server stores a record state (server.materialize.encode_record).
STORED = msgspec.msgpack.Encoder(order="deterministic")
FULL = msgspec.msgpack.Decoder(Record)
VALUE = msgspec.msgpack.Encoder(order="sorted")


def _rules(data: dict[str, Any]) -> Rules:
    return Rules(
        immutable=frozenset(data["immutable"]),
        append_only_choices=frozenset(data["append_only_choices"]),
        groups=frozenset(data["groups"]),
        append_only_groups=frozenset(data["append_only_groups"]),
        item_keys={g: tuple(k) for g, k in data["item_keys"].items()},
        order_by=data["order_by"],
    )


@cache
def corpus() -> list[tuple[Record, dict[str, str]]]:
    """(record, order fields) for every case of the corpus that is not an error case, the
    record as the server reads it back from its stored state (maps in stored order)."""
    data = msgspec.msgpack.decode(gen_merge_corpus.generate(CASES, seed=29))
    out = []
    for case in data["cases"]:
        if "record" in case:
            rules = _rules(case["rules"])
            record = materialize(decode_ops(case["ops"]), rules=rules)
            out.append((FULL.decode(STORED.encode(record)), rules.order_by))
    return out


def _same_field(full: FieldState, shown: ShownField) -> None:
    # Compared as encoded bytes: 1 and 1.0, or 0.0 and -0.0, must not pass for each other.
    assert VALUE.encode(shown.value) == VALUE.encode(full.value)
    assert shown.conflict == full.conflict
    assert shown.written == bool(full.history)
    assert bool(shown.live) == bool(full.live)


def _same(full: Record, shown: ShownRecord) -> None:
    assert (shown.id, shown.form) == (full.id, full.form)
    assert (shown.retracted, shown.retraction_conflict) == (
        full.retracted,
        full.retraction_conflict,
    )
    assert shown.key_conflicts == full.key_conflicts
    assert list(shown.fields) == list(full.fields)
    for name, state in full.fields.items():
        _same_field(state, shown.fields[name])
    assert list(shown.items) == list(full.items)
    for group, members in full.items.items():
        assert list(shown.items[group]) == list(members)
        for item_id, item in members.items():
            got = shown.items[group][item_id]
            assert (got.created_hlc, got.present, got.flagged) == (
                item.created_hlc,
                item.present,
                item.flagged,
            )
            assert list(got.fields) == list(item.fields)
            for name, state in item.fields.items():
                _same_field(state, got.fields[name])


def test_the_corpus_has_what_a_download_shows() -> None:
    """The comparison below sees conflicts, flagged items, key clashes and retractions."""
    records = [r for r, _ in corpus()]
    assert len(records) > 0.9 * CASES
    assert any(s.conflict for r in records for s in r.fields.values())
    assert any(i.flagged for r in records for g in r.items.values() for i in g.values())
    assert any(not i.present for r in records for g in r.items.values() for i in g.values())
    assert any(r.key_conflicts for r in records)
    assert any(r.retraction_conflict for r in records)
    assert any(len(s.superseded) > 0 for r in records for s in r.fields.values())


def test_the_shown_part_of_every_corpus_record_equals_its_full_decode() -> None:
    for record, _ in corpus():
        _same(record, decode_shown(STORED.encode(record)))


def test_conflict_paths_item_order_and_missing_fields_agree() -> None:
    forms = builtin_library()
    for record, order_by in corpus():
        shown = decode_shown(STORED.encode(record))
        assert conflict_paths(shown) == conflict_paths(record)
        for group in record.items:
            order = order_by.get(group)
            for removed in (False, True):
                want = ordered_items(record, group, order, include_removed=removed)
                got = ordered_items(shown, group, order, include_removed=removed)
                assert [i for i, _ in got] == [i for i, _ in want]
        for form in forms.all():
            assert missing_required(form, shown) == missing_required(form, record)


def test_the_comparison_can_fail() -> None:
    """A shown part whose displayed value differs from the full record's is caught."""
    record = next(r for r, _ in corpus() if any(s.live for s in r.fields.values()))
    name, state = next((n, s) for n, s in record.fields.items() if s.live)
    winner = state.live[state.shown]
    other_value = msgspec.structs.replace(winner, value=["not", VALUE.encode(winner.value)])
    live = tuple(other_value if w is winner else w for w in state.live)
    other = msgspec.structs.replace(
        record, fields={**record.fields, name: msgspec.structs.replace(state, live=live)}
    )
    with pytest.raises(AssertionError):
        _same(record, decode_shown(STORED.encode(other)))
