"""Property tests: one per merge law of DESIGN.md, over simulated offline devices.

The strategy does not invent contexts: it simulates three field devices and a server.
A device edits offline with the context of what it has seen (always including its own
earlier ops), and a sync pushes its ops to the server and pulls everything back. A
supervisor resolves conflicts and reviews on the server. The ops that come out carry
the causal structure real devices would produce.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import canonical, register, vv
from sync.clock import HybridClock
from sync.conflicts import conflict_count, conflict_paths
from sync.merge import apply, conflicts, iter_writes, materialize
from sync.ops import (
    Create,
    Dot,
    ItemAdd,
    ItemEdit,
    ItemRemove,
    Op,
    Patch,
    Resolve,
    Retract,
    Review,
)
from sync.record import Record

RECORD = "0190f1c2-0000-7000-8000-000000000001"
FORM = "site_grave@1"
FIELDS = ("max_depth_m", "grave_type", "notes", "site_code")
VALUES: tuple[Any, ...] = (1.5, 2, "mass", "single", 1.5, "B017")
DEVICES = ("tab-a", "tab-b", "tab-c")
DAY_MS = 86_400_000
VALUE_BYTES = msgspec.msgpack.Encoder(order="deterministic")
SETTINGS = settings(max_examples=150, deadline=None)


class Sim:
    """Three devices and a server exchanging the ops of one record."""

    def __init__(self, skew_ms: dict[str, int] | None = None) -> None:
        self.time = 1_700_000_000_000
        self.seen: dict[str, dict[tuple[str, int], Op]] = {d: {} for d in (*DEVICES, "sup")}
        self.server: dict[tuple[str, int], Op] = {}
        self.arrivals: list[Op] = []
        self.counter = dict.fromkeys((*DEVICES, "sup"), 0)
        skew = skew_ms or {}
        self.clocks = {
            d: HybridClock(lambda d=d: self.time + skew.get(d, 0)) for d in (*DEVICES, "sup")
        }

    def _op(self, cls: type[Any], actor: str, **kw: Any) -> Op:
        self.time += 1000
        self.counter[actor] += 1
        seen = self.seen[actor]
        op: Op = cls(
            dot=Dot(actor=actor, counter=self.counter[actor]),
            record_id=RECORD,
            form=FORM,
            hlc=self.clocks[actor].now(),
            context=vv.from_dots(seen),
            wall_time=self.time,
            **kw,
        )
        seen[(actor, op.dot.counter)] = op
        return op

    def items(self, actor: str) -> list[tuple[str, str]]:
        ops = self.seen[actor].values()
        return sorted({(o.group, o.item_id) for o in ops if isinstance(o, ItemAdd)})

    def step(self, device: int, action: int, a: int, b: int) -> None:
        actor = DEVICES[device % len(DEVICES)]
        if action in (8, 10, 11):
            self.sync(actor)
            return
        if not self.seen[actor]:
            if actor == DEVICES[0]:
                self._op(Create, actor, fields={FIELDS[a % 4]: VALUES[b % 6]})
            return
        items = self.items(actor)
        if action <= 3:
            fields = {FIELDS[a % 4]: VALUES[b % 6]}
            if action == 3:
                fields[FIELDS[(a + 1) % 4]] = VALUES[(b + 1) % 6]
            self._op(Patch, actor, fields=fields)
        elif action == 4:
            group = "inventory" if a % 2 else "personnel"
            item_id = f"item-{actor}-{self.counter[actor] + 1}"
            self._op(ItemAdd, actor, group=group, item_id=item_id, fields={"code": VALUES[b % 6]})
        elif action in (5, 6) and items:
            group, item_id = items[a % len(items)]
            if action == 5:
                fields = {"code": VALUES[b % 6]}
                self._op(ItemEdit, actor, group=group, item_id=item_id, fields=fields)
            else:
                self._op(ItemRemove, actor, group=group, item_id=item_id)
        elif action == 7:
            self._op(Retract, actor, reason="entered twice by mistake")
        elif action == 9:
            self.supervise(a, b)

    def sync(self, actor: str) -> None:
        for dot, op in self.seen[actor].items():
            if dot not in self.server:
                self.server[dot] = op
                self.arrivals.append(op)
        self.seen[actor] = dict(self.server)
        if self.server:
            self.clocks[actor].observe(max(o.hlc for o in self.server.values()))

    def supervise(self, a: int, b: int) -> None:
        if not self.server:
            return
        self.seen["sup"] = dict(self.server)
        found = conflicts(materialize(self.server.values()))
        if not found or b % 3 == 0:
            self._op(Review, "sup", state=("approved", "has_issues")[a % 2], comment="checked")
        else:
            c = found[a % len(found)]
            if c.kind == "field":
                if "[" in c.path:
                    group, rest = c.path.split("[", 1)
                    item_id, name = rest.split("].", 1)
                    target: dict[str, Any] = {"group": group, "item_id": item_id, "field": name}
                else:
                    target = {"field": c.path}
                value: Any = c.values[b % len(c.values)].value
            elif c.kind == "item":
                group, item_id = c.path[:-1].split("[")
                target, value = {"group": group, "item_id": item_id}, bool(b % 2)
            else:
                target, value = {}, bool(b % 2)
            self._op(Resolve, "sup", conflict=c.kind, value=value, reason="checked", **target)
        self.sync("sup")

    def all_ops(self) -> list[Op]:
        everything: dict[tuple[str, int], Op] = {}
        for seen in self.seen.values():
            everything.update(seen)
        return list(everything.values())


steps = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 11), st.integers(0, 7), st.integers(0, 7)),
    min_size=1,
    max_size=40,
)


def simulate(script: Iterable[tuple[int, int, int, int]], **kw: Any) -> Sim:
    """Run a script of (device, action, a, b) steps; device 0 creates the record."""
    sim = Sim(**kw)
    sim.step(0, 0, 0, 0)
    for device, action, a, b in script:
        sim.step(device, action, a, b)
    return sim


def snapshot(record: Record) -> tuple[bytes, bytes]:
    """The canonical bytes of a record and of its conflict set."""
    return canonical.record_bytes(record), canonical.conflicts_bytes(conflicts(record))


def fold(ops: Iterable[Op]) -> Record:
    """Apply ops one by one, as the server does on ingest."""
    record: Record | None = None
    for op in ops:
        record = apply(record, op)
    assert record is not None
    return record


def writes_by_path(ops: Iterable[Op]) -> dict[str, list[tuple[tuple[str, int], Any, Op]]]:
    """The law's view of the ops: every (dot, value, op) written to each field path."""
    out: dict[str, list[tuple[tuple[str, int], Any, Op]]] = {}
    for op in ops:
        dot = (op.dot.actor, op.dot.counter)
        match op:
            case Create(fields=f) | Patch(fields=f):
                pairs = [(name, v) for name, v in f.items()]
            case ItemAdd(fields=f) | ItemEdit(fields=f):
                pairs = [(f"{op.group}[{op.item_id}].{n}", v) for n, v in f.items()]
            case Resolve(conflict="field", field=str(name), group=None):
                pairs = [(name, op.value)]
            case Resolve(conflict="field", field=str(name), group=str(g), item_id=str(i)):
                pairs = [(f"{g}[{i}].{name}", op.value)]
            case _:
                pairs = []
        for path, value in pairs:
            out.setdefault(path, []).append((dot, value, op))
    return out


def state_of(record: Record, path: str) -> Any:
    """The FieldState at a path such as ``notes`` or ``inventory[<id>].code``."""
    if "[" not in path:
        return record.fields[path]
    group, rest = path.split("[", 1)
    item_id, name = rest.split("].", 1)
    return record.items[group][item_id].fields[name]


def live_dots(record: Record, path: str) -> set[tuple[str, int]]:
    """The dots of the live writes at ``path``."""
    return {(w.actor, w.counter) for w in state_of(record, path).live}


@SETTINGS
@given(script=steps, seed=st.integers(0, 2**32 - 1), splits=st.integers(1, 4))
def test_any_permutation_duplication_or_split_gives_identical_records(
    script: list[tuple[int, int, int, int]], seed: int, splits: int
) -> None:
    ops = simulate(script).all_ops()
    rng = random.Random(seed)
    shuffled = ops + rng.sample(ops, k=len(ops) // 2)
    rng.shuffle(shuffled)
    batches = [shuffled[i::splits] for i in range(splits)]
    rng.shuffle(batches)
    record: Record | None = None
    for batch in batches:
        for op in batch:
            record = apply(record, op)
    assert record is not None
    assert snapshot(record) == snapshot(materialize(ops))


@SETTINGS
@given(script=steps)
def test_applying_an_op_twice_equals_applying_it_once(
    script: list[tuple[int, int, int, int]],
) -> None:
    ops = simulate(script).all_ops()
    once = fold(ops)
    for op in ops:
        assert apply(once, op) is once
    assert snapshot(fold(o for op in ops for o in (op, op))) == snapshot(once)


@SETTINGS
@given(script=steps)
def test_incremental_apply_in_arrival_order_equals_materialize(
    script: list[tuple[int, int, int, int]],
) -> None:
    sim = simulate(script)
    for actor in sim.seen:
        sim.sync(actor)
    incremental = fold(sim.arrivals)
    by_dot = sorted(sim.arrivals, key=lambda o: (o.dot.actor, o.dot.counter))
    assert snapshot(incremental) == snapshot(materialize(reversed(by_dot)))
    for path, _ in iter_writes(incremental):
        state = state_of(incremental, path)
        assert register.build(list(state.history), incremental.log) == state


@SETTINGS
@given(script=steps)
def test_live_values_are_exactly_the_writes_no_other_write_of_the_field_covers(
    script: list[tuple[int, int, int, int]],
) -> None:
    ops = simulate(script).all_ops()
    record = materialize(ops)
    for path, writes in writes_by_path(ops).items():
        expected = {
            dot
            for dot, _, op in writes
            if not any(o is not op and vv.covers(o.context, *dot) for _, _, o in writes)
        }
        assert live_dots(record, path) == expected


@SETTINGS
@given(script=steps)
def test_a_devices_own_successive_edits_never_conflict(
    script: list[tuple[int, int, int, int]],
) -> None:
    alone = simulate([(0, action, a, b) for _, action, a, b in script if action != 9])
    assert conflicts(materialize(alone.all_ops())) == ()
    record = materialize(simulate(script).all_ops())
    for path, _ in iter_writes(record):
        actors = [w.actor for w in state_of(record, path).live]
        assert len(actors) == len(set(actors)), path


@SETTINGS
@given(script=steps)
def test_concurrent_edits_of_a_field_with_different_values_always_conflict_and_keep_both(
    script: list[tuple[int, int, int, int]],
) -> None:
    ops = simulate(script).all_ops()
    record = materialize(ops)
    for path, writes in writes_by_path(ops).items():
        live = live_dots(record, path)
        state = state_of(record, path)
        values = {VALUE_BYTES.encode(w.value) for w in state.live}
        assert state.conflict == (len(values) > 1)
        for dot_a, value_a, op_a in writes:
            for dot_b, value_b, _ in writes:
                both_live = dot_a in live and dot_b in live
                if both_live and value_a != value_b:
                    assert state.conflict
                    assert any(c.path == path for c in conflicts(record))
                if dot_a != dot_b and both_live:
                    assert not vv.covers(op_a.context, *dot_b)


@SETTINGS
@given(script=steps)
def test_edits_of_different_fields_never_conflict(
    script: list[tuple[int, int, int, int]],
) -> None:
    # Each device writes only its own field: whatever the interleaving, no field conflicts.
    own = [(d, 8 if action % 2 else 0, d, b) for d, action, _, b in script]
    record = materialize(simulate(own).all_ops())
    assert [c for c in conflicts(record) if c.kind == "field"] == []


@SETTINGS
@given(script=steps)
def test_every_value_ever_written_is_live_or_in_history(
    script: list[tuple[int, int, int, int]],
) -> None:
    ops = simulate(script).all_ops()
    record = materialize(ops)
    for path, writes in writes_by_path(ops).items():
        state = state_of(record, path)
        kept = {((w.actor, w.counter), repr(w.value)) for w in state.history}
        assert {(dot, repr(v)) for dot, v, _ in writes} <= kept
        assert all(w in state.history for w in state.live)


@SETTINGS
@given(script=steps, pick=st.integers(0, 100))
def test_a_resolution_closes_a_conflict_and_a_concurrent_later_edit_reopens_it(
    script: list[tuple[int, int, int, int]], pick: int
) -> None:
    sim = simulate([*script, (0, 0, 1, 2), (1, 0, 1, 3)])  # tab-a, tab-b edit grave_type
    record = materialize(sim.all_ops())
    open_fields = [c for c in conflicts(record) if c.kind == "field" and "[" not in c.path]
    if not open_fields:
        return
    path = open_fields[pick % len(open_fields)].path
    before = dict(record.vv)
    base = {"record_id": RECORD, "form": FORM, "wall_time": 0, "hlc": record.updated_hlc + 1}
    resolution = Resolve(
        dot=Dot(actor="sup-2", counter=1),
        context=before,
        conflict="field",
        field=path,
        value="agreed",
        reason="checked with the field notes",
        **base,
    )
    resolved = apply(record, resolution)
    assert [c for c in conflicts(resolved) if c.path == path] == []
    assert state_of(resolved, path).value == "agreed"
    late = Patch(dot=Dot(actor="tab-late", counter=1), context=before, fields={path: 7}, **base)
    reopened = apply(resolved, late)
    (conflict,) = [c for c in conflicts(reopened) if c.path == path]
    assert {v.value for v in conflict.values} == {"agreed", 7}


def _flagged_item_cases(ops: list[Op], record: Record) -> None:
    removes = [o for o in ops if isinstance(o, ItemRemove)]
    edits = [o for o in ops if isinstance(o, ItemEdit)]
    for rm in removes:
        for ed in edits:
            if (rm.group, rm.item_id) != (ed.group, ed.item_id):
                continue
            if vv.covers(rm.context, ed.dot.actor, ed.dot.counter):
                continue
            if vv.covers(ed.context, rm.dot.actor, rm.dot.counter):
                continue
            item = record.items[rm.group][rm.item_id]
            removal_live = any(
                (w.actor, w.counter) == (rm.dot.actor, rm.dot.counter) for w in item.presence.live
            )
            if removal_live:
                assert item.present and item.flagged
                assert any(c.kind == "item" for c in conflicts(record))


@SETTINGS
@given(script=steps)
def test_an_item_removed_concurrently_with_an_edit_stays_present_and_flagged(
    script: list[tuple[int, int, int, int]],
) -> None:
    # Make both devices know one item, then remove and edit it concurrently.
    sim = simulate([*script, (0, 4, 1, 0), (0, 8, 0, 0), (1, 8, 0, 0)])
    _, item_id = next(i for i in sim.items("tab-a") if i[1].endswith(f"-{sim.counter['tab-a']}"))
    sim._op(ItemRemove, "tab-a", group="inventory", item_id=item_id)
    sim._op(ItemEdit, "tab-b", group="inventory", item_id=item_id, fields={"code": "L-femur"})
    ops = sim.all_ops()
    record = materialize(ops)
    item = record.items["inventory"][item_id]
    assert item.present and item.flagged
    assert any(c.path == f"inventory[{item_id}]" for c in conflicts(record))
    assert conflict_count(record) == len(conflicts(record))
    _flagged_item_cases(ops, record)


@SETTINGS
@given(script=steps)
def test_a_record_retracted_concurrently_with_an_edit_stays_live_and_flagged(
    script: list[tuple[int, int, int, int]],
) -> None:
    sim = simulate([*[s for s in script if s[1] not in (7, 9)], (0, 8, 0, 0), (1, 8, 0, 0)])
    sim._op(Retract, "tab-a", reason="duplicate of grave G-12")
    sim._op(Patch, "tab-b", fields={"notes": "second femur found"})
    record = materialize(sim.all_ops())
    assert not record.retracted and record.retraction_conflict
    assert [c.kind for c in conflicts(record)].count("retraction") == 1
    assert conflict_count(record) == len(conflicts(record))
    for device in DEVICES:  # tab-b retracts again, having seen every edit
        sim.sync(device)
    sim.sync("tab-b")
    sim._op(Retract, "tab-b", reason="duplicate of grave G-12, confirmed")
    assert materialize(sim.all_ops()).retracted


@SETTINGS
@given(script=steps, skewed=st.sampled_from(DEVICES), days=st.integers(-30, 30))
def test_skewing_one_actors_clock_by_days_changes_only_the_display_winner(
    script: list[tuple[int, int, int, int]], skewed: str, days: int
) -> None:
    plain = materialize(simulate(script).all_ops())
    skew = materialize(simulate(script, skew_ms={skewed: days * DAY_MS}).all_ops())
    assert {p for p, _ in iter_writes(plain)} == {p for p, _ in iter_writes(skew)}
    for path, _ in iter_writes(plain):
        a, b = state_of(plain, path), state_of(skew, path)
        assert live_dots(plain, path) == live_dots(skew, path)
        assert [(w.actor, w.counter, repr(w.value)) for w in a.history] == [
            (w.actor, w.counter, repr(w.value)) for w in b.history
        ]
        assert a.conflict == b.conflict
    assert plain.retracted == skew.retracted
    assert [c.path for c in conflicts(plain)] == [c.path for c in conflicts(skew)]


@SETTINGS
@given(script=steps)
def test_the_conflict_count_is_the_number_of_conflicts_listed(
    script: list[tuple[int, int, int, int]],
) -> None:
    sim = simulate([*script, (0, 4, 1, 0), (0, 8, 0, 0), (1, 8, 0, 0)])
    record = materialize(sim.all_ops())
    assert conflict_count(record) == len(conflicts(record))
    assert conflict_paths(record) == sorted({c.path for c in conflicts(record)})
    # Both devices know an item, then give one of its fields different values at once.
    _, item_id = next(i for i in sim.items("tab-a") if i[1].endswith(f"-{sim.counter['tab-a']}"))
    sim._op(ItemEdit, "tab-a", group="inventory", item_id=item_id, fields={"code": "L-femur"})
    sim._op(ItemEdit, "tab-b", group="inventory", item_id=item_id, fields={"code": "R-femur"})
    record = materialize(sim.all_ops())
    assert any(c.path.endswith(".code") for c in conflicts(record))
    assert conflict_count(record) == len(conflicts(record))
    assert conflict_paths(record) == sorted({c.path for c in conflicts(record)})
