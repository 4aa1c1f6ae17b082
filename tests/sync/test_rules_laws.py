"""Property tests of law 9: the forensic rules decide the same refusals in any order.

Three devices edit one DNA-sample-like record offline with honest contexts (what they
saw), but they do not check the rules first, as an old or hostile client would not: they
overwrite the immutable seal number, edit and remove append-only custody rows, set the
custody group as a field, and add custody rows and inventory rows whose keys collide. A
supervisor resolves and confirms. Whatever the order, split or duplication of the ops,
the merge must give byte-identical records, conflicts and refusals, and its refusals
must be exactly those the law defines from the op set alone.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sync import canonical, laws, vv
from sync.conflicts import conflict_paths, conflicts
from sync.merge import apply, materialize
from sync.ops import Create, Dot, ItemAdd, ItemEdit, ItemRemove, Op, Patch, Resolve, Review
from sync.record import Record
from sync.review import review_state

RECORD = "0190f1c2-0000-7000-8000-0000000000aa"
FORM = "dna_sample@1"
RULES = laws.Rules(
    immutable=frozenset({"seal_no", "collected_at"}),
    append_only_choices=frozenset({"tags"}),
    groups=frozenset({"custody", "inventory"}),
    append_only_groups=frozenset({"custody"}),
    item_keys={"custody": ("seq",), "inventory": ("element", "side")},
    order_by={"custody": "seq"},
)
DEVICES = ("tab-a", "tab-b", "tab-c")
SEALS = ("S-1", "S-2", "S-3")
SETTINGS = settings(max_examples=200, deadline=None)


class Sim:
    """Three devices and a server exchanging the ops of one record."""

    def __init__(self) -> None:
        self.seen: dict[str, dict[tuple[str, int], Op]] = {d: {} for d in (*DEVICES, "sup")}
        self.server: dict[tuple[str, int], Op] = {}
        self.counter = dict.fromkeys((*DEVICES, "sup"), 0)
        self.time = 1_700_000_000_000

    def op(self, cls: type[Any], actor: str, **kw: Any) -> Op:
        self.time += 1000
        self.counter[actor] += 1
        made: Op = cls(
            dot=Dot(actor=actor, counter=self.counter[actor]),
            record_id=RECORD,
            form=FORM,
            hlc=self.time,
            context=vv.from_dots(self.seen[actor]),
            wall_time=self.time,
            **kw,
        )
        self.seen[actor][(actor, made.dot.counter)] = made
        return made

    def sync(self, actor: str) -> None:
        self.server.update(self.seen[actor])
        self.seen[actor] = dict(self.server)

    def step(self, device: int, action: int, a: int) -> None:
        actor = DEVICES[device]
        if action == 0:
            self.sync(actor)
        elif action == 1:
            self.op(Patch, actor, fields={"seal_no": SEALS[a % 3]})
        elif action == 2:
            fields: dict[str, Any] = {"notes": f"n{a}"}
            if a % 2:
                fields["collected_at"] = f"2026-05-0{a % 9 + 1}T10:00:00Z"
            self.op(Patch, actor, fields=fields)
        elif action == 3:
            item = f"c-{actor}-{self.counter[actor] + 1}"
            self.op(ItemAdd, actor, group="custody", item_id=item, fields={"seq": a % 3 + 1})
        elif action == 4:
            item = f"i-{actor}-{self.counter[actor] + 1}"
            fields = {"element": ("femur", "tibia")[a % 2], "side": "L", "code": a % 3 + 1}
            self.op(ItemAdd, actor, group="inventory", item_id=item, fields=fields)
        elif action == 5:
            items = sorted(
                (o.group, o.item_id) for o in self.seen[actor].values() if isinstance(o, ItemAdd)
            )
            if items:
                group, item = items[a % len(items)]
                if a % 2:
                    self.op(ItemEdit, actor, group=group, item_id=item, fields={"seq": 9})
                else:
                    self.op(ItemRemove, actor, group=group, item_id=item)
        elif action == 6:
            self.op(Patch, actor, fields={"custody": [{"seq": 1}]})
        elif action == 7:
            self.op(Patch, actor, fields={"tags": ["a", "b"][: a % 3]})
        elif action == 8:
            self.supervise(a)

    def supervise(self, a: int) -> None:
        if not self.server:
            return
        self.seen["sup"] = dict(self.server)
        found = conflicts(materialize(self.server.values(), rules=RULES))
        if not found:
            return
        c = found[a % len(found)]
        if c.kind == "field" and "[" not in c.path:
            value = c.values[a % len(c.values)].value
            self.op(Resolve, "sup", conflict="field", field=c.path, value=value, reason="r")
        elif c.kind == "key":
            group = c.path.split("{")[0]
            item = c.values[a % len(c.values)].value
            self.op(
                Resolve, "sup", conflict="item", group=group, item_id=item, value=True, reason="r"
            )
        self.sync("sup")

    def all_ops(self) -> list[Op]:
        everything: dict[tuple[str, int], Op] = {}
        for seen in self.seen.values():
            everything.update(seen)
        return list(everything.values())


steps = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 8), st.integers(0, 11)), min_size=1, max_size=40
)


def simulate(script: list[tuple[int, int, int]]) -> list[Op]:
    sim = Sim()
    sim.op(Create, "tab-a", fields={"sample_id": "X-1"})
    for device, action, a in script:
        sim.step(device, action, a)
    return sim.all_ops()


def snapshot(record: Record) -> tuple[bytes, bytes]:
    return canonical.record_bytes(record), canonical.conflicts_bytes(conflicts(record))


def fold(ops: list[Op]) -> Record:
    record: Record | None = None
    for op in ops:
        record = apply(record, op, rules=RULES)
    assert record is not None
    return record


def expected_refusals(ops: list[Op]) -> dict[tuple[str, int], set[str]]:
    """Law 9 read straight off the op set: which op breaks which rule."""
    writes: dict[str, list[tuple[tuple[str, int], Any]]] = {}
    for op in ops:
        if isinstance(op, Create | Patch):
            for name, value in op.fields.items():
                writes.setdefault(name, []).append(((op.dot.actor, op.dot.counter), value))
    out: dict[tuple[str, int], set[str]] = {}
    for op in ops:
        dot = (op.dot.actor, op.dot.counter)
        codes = set(laws.local_refusals(RULES, op))
        if isinstance(op, Create | Patch):
            for name in op.fields:
                if name not in RULES.guarded:
                    continue
                for other, seen in writes.get(name, []):
                    saw = other != dot and laws.covers(op.context, *other)
                    if saw and laws.violates(RULES, name, op.fields[name], seen):
                        kind = "immutable" if name in RULES.immutable else "append_only_choices"
                        codes.add(f"{kind}:{name}")
        if codes:
            out[dot] = codes
    return out


@SETTINGS
@given(script=steps, seed=st.integers(0, 2**32 - 1), splits=st.integers(1, 4))
def test_any_order_split_or_duplication_gives_identical_records_conflicts_and_refusals(
    script: list[tuple[int, int, int]], seed: int, splits: int
) -> None:
    ops = simulate(script)
    rng = random.Random(seed)
    shuffled = ops + rng.sample(ops, k=len(ops) // 2)
    rng.shuffle(shuffled)
    batches = [shuffled[i::splits] for i in range(splits)]
    record: Record | None = None
    for batch in batches:
        for op in batch:
            record = apply(record, op, rules=RULES)
    assert record is not None
    assert snapshot(record) == snapshot(materialize(ops, rules=RULES))
    assert snapshot(record) == snapshot(fold(list(reversed(ops))))


@SETTINGS
@given(script=steps, seed=st.integers(0, 2**32 - 1))
def test_the_refused_ops_are_exactly_those_the_law_defines_from_the_op_set(
    script: list[tuple[int, int, int]], seed: int
) -> None:
    ops = simulate(script)
    random.Random(seed).shuffle(ops)
    record = fold(ops)
    got = {(r.actor, r.counter): set(r.codes) for r in record.refused}
    assert got == expected_refusals(ops)


@SETTINGS
@given(script=steps, seed=st.integers(0, 2**32 - 1))
def test_a_refused_op_has_no_effect_and_loses_nothing(
    script: list[tuple[int, int, int]], seed: int
) -> None:
    ops = simulate(script)
    random.Random(seed).shuffle(ops)
    record = fold(ops)
    refused = {(r.actor, r.counter): r for r in record.refused}
    # Its values are kept with the refusal; every accepted write is in a register.
    for op in ops:
        dot = (op.dot.actor, op.dot.counter)
        if isinstance(op, Create | Patch):
            in_registers = {
                name
                for name, state in record.fields.items()
                if any((w.actor, w.counter) == dot for w in state.history)
            }
            if dot in refused:
                assert refused[dot].values == op.fields
                assert not in_registers
            else:
                assert in_registers == set(op.fields)
    # The accepted ops alone, with no rules at all, give the same registers.
    accepted = [op for op in ops if (op.dot.actor, op.dot.counter) not in refused]
    plain = materialize(accepted)
    assert plain.fields == record.fields
    assert plain.items == record.items


@SETTINGS
@given(script=steps)
def test_append_only_rows_keep_the_values_they_were_added_with(
    script: list[tuple[int, int, int]],
) -> None:
    ops = simulate(script)
    record = fold(ops)
    added = {op.item_id: op.fields for op in ops if isinstance(op, ItemAdd)}
    for item_id, item in record.items.get("custody", {}).items():
        assert item.present
        assert {n: s.value for n, s in item.fields.items()} == added[item_id]
        assert all(len(s.history) == 1 for s in item.fields.values())


@SETTINGS
@given(script=steps)
def test_concurrent_first_writes_of_an_immutable_field_all_stay_and_conflict(
    script: list[tuple[int, int, int]],
) -> None:
    ops = simulate(script)
    record = fold(ops)
    state = record.fields.get("seal_no")
    if state is None or len(state.live) < 2:
        return
    values = {w.value for w in state.live}
    if len(values) > 1:
        assert "seal_no" in {c.path for c in conflicts(record)}


@SETTINGS
@given(script=steps)
def test_present_items_sharing_a_key_are_a_conflict_until_confirmed(
    script: list[tuple[int, int, int]],
) -> None:
    ops = simulate(script)
    record = fold(ops)
    open_paths = {c.path for c in conflicts(record) if c.kind == "key"}
    # The CSV's `conflicts` cell (conflict_paths) names exactly the conflicts listed.
    assert conflict_paths(record) == sorted({c.path for c in conflicts(record)})
    for group in ("custody", "inventory"):
        keys: dict[tuple[Any, ...], list[str]] = {}
        for item_id, item in record.items.get(group, {}).items():
            key = laws.item_key(RULES, group, {n: s.value for n, s in item.fields.items()})
            if item.present and key is not None:
                keys.setdefault(key, []).append(item_id)
        for key, ids in keys.items():
            clash = [k for k in record.key_conflicts if k.group == group and k.key == key]
            if len(ids) < 2:
                assert not clash
                continue
            assert [tuple(sorted(ids))] == [k.items for k in clash]
            path = clash[0].path
            assert (path in open_paths) == (not clash[0].resolved)


def test_a_confirmation_that_saw_every_colliding_row_closes_the_key_conflict() -> None:
    sim = Sim()
    sim.op(Create, "tab-a", fields={"sample_id": "X-1"})
    sim.sync("tab-a")
    sim.sync("tab-b")
    sim.op(ItemAdd, "tab-a", group="custody", item_id="ca", fields={"seq": 2})
    sim.op(ItemAdd, "tab-b", group="custody", item_id="cb", fields={"seq": 2})
    sim.sync("tab-a")
    sim.sync("tab-b")
    record = materialize(sim.server.values(), rules=RULES)
    [conflict] = [c for c in conflicts(record) if c.kind == "key"]
    assert conflict.path == "custody{2}"
    assert {v.value for v in conflict.values} == {"ca", "cb"}
    sim.seen["sup"] = dict(sim.server)
    sim.op(Resolve, "sup", conflict="item", group="custody", item_id="ca", value=True, reason="r")
    sim.sync("sup")
    record = materialize(sim.server.values(), rules=RULES)
    assert not [c for c in conflicts(record) if c.kind == "key"]
    assert set(record.items["custody"]) == {"ca", "cb"}  # both rows kept
    # A third lab's row for the same step, unseen by the supervisor, reopens it.
    sim.op(ItemAdd, "tab-c", group="custody", item_id="cc", fields={"seq": 2})
    sim.sync("tab-c")
    record = materialize(sim.server.values(), rules=RULES)
    assert [c.path for c in conflicts(record) if c.kind == "key"] == ["custody{2}"]


def test_an_overwrite_that_arrives_before_the_write_it_overwrites_is_refused_once_both_are_in() -> (
    None
):
    sim = Sim()
    first = sim.op(Create, "tab-a", fields={"sample_id": "X-1", "seal_no": "S-1"})
    later = sim.op(Patch, "tab-a", fields={"seal_no": "S-2", "notes": "resealed"})
    early = apply(None, later, rules=RULES)
    assert early.fields["seal_no"].value == "S-2"  # nothing seen yet to refuse it by
    both = apply(early, first, rules=RULES)
    assert both.fields["seal_no"].value == "S-1"
    assert "notes" not in both.fields
    assert [(r.counter, r.codes) for r in both.refused] == [(2, ("immutable:seal_no",))]
    assert snapshot(both) == snapshot(materialize([first, later], rules=RULES))


def test_a_choice_list_write_that_drops_a_choice_of_a_refused_write_is_refused_in_any_order() -> (
    None
):
    # Found by the TypeScript conformance corpus (tests/conformance): the second write is
    # refused (it drops "a"), the third saw it and drops its "b". Refused writes count as
    # seen, so the third is refused whichever of the two arrives first.
    sim = Sim()
    first = sim.op(Patch, "tab-a", fields={"tags": ["a"]})
    second = sim.op(Patch, "tab-a", fields={"tags": ["b"]})
    third = sim.op(Patch, "tab-a", fields={"tags": ["a", "c"]})
    orders = [[first, second, third], [first, third, second], [third, second, first]]
    records = [fold(order) for order in orders]
    for record in records:
        assert [(r.counter, r.codes) for r in record.refused] == [
            (2, ("append_only_choices:tags",)),
            (3, ("append_only_choices:tags",)),
        ]
        assert record.fields["tags"].value == ["a"]
        assert snapshot(record) == snapshot(records[0])


review_steps = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 4), st.integers(0, 11)), min_size=1, max_size=30
)


def _reviewed(script: list[tuple[int, int, int]]) -> list[Op]:
    """Devices edit and sync; a supervisor reviews what the server holds."""
    sim = Sim()
    sim.op(Create, "tab-a", fields={"sample_id": "X-1"})
    for device, action, a in script:
        actor = DEVICES[device]
        if action == 0:
            sim.sync(actor)
        elif action == 1 and sim.seen[actor]:
            sim.op(Patch, actor, fields={"notes": f"n{a}"})
        elif action == 2 and sim.seen[actor]:
            sim.op(Patch, actor, fields={"seal_no": SEALS[a % 3]})  # maybe refused
        elif action in (3, 4) and sim.server:
            sim.seen["sup"] = dict(sim.server)
            state = ("approved", "rejected", "has_issues")[a % 3]
            sim.op(Review, "sup", state=state, comment="c")
            sim.sync("sup")
    return sim.all_ops()


@SETTINGS
@given(script=review_steps, seed=st.integers(0, 2**32 - 1))
def test_a_change_the_approval_had_not_seen_puts_the_record_back_in_review(
    script: list[tuple[int, int, int]], seed: int
) -> None:
    ops = _reviewed(script)
    rng = random.Random(seed)
    rng.shuffle(ops)
    record = fold(ops)
    assert review_state(record) == review_state(materialize(list(reversed(ops)), rules=RULES))
    reviews = [o for o in ops if isinstance(o, Review)]
    if not reviews:
        assert review_state(record) == "received"
        return
    live = [
        r
        for r in reviews
        if not any(
            laws.covers(o.context, r.dot.actor, r.dot.counter) for o in reviews if o is not r
        )
    ]
    winner = max(live, key=lambda r: (r.hlc, r.dot.actor, r.dot.counter))
    refused = {(r.actor, r.counter) for r in record.refused}
    unseen = [
        o
        for o in ops
        if not isinstance(o, Review)
        and (o.dot.actor, o.dot.counter) not in refused
        and not laws.covers(winner.context, o.dot.actor, o.dot.counter)
    ]
    closed = winner.state in ("approved", "rejected")
    assert review_state(record) == ("edited" if closed and unseen else winner.state)
