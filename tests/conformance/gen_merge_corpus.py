"""Write the merge conformance corpus: random op sets and the bytes the Python merge gives.

Each case is one record's ops, made by a seeded simulation of three devices and a
supervisor editing offline and syncing (every op kind; concurrent edits, items, removals,
retractions, resolutions of every conflict kind, reviews, rules that refuse: immutable
fields, append-only choices and groups, groups set as fields, item keys), sent through the
wire codec as the server receives them. The case lists several deliveries of the ops
(permutations, duplicates, suspect flags on some deliveries) and the canonical bytes
(sync.canonical) of the record and of its conflicts, the refusals being part of the
record, and the item order of each group. Every delivery is checked to give those bytes
in Python before it is written, so the corpus is the law as Python holds it.

A few cases expect an error instead (a dot reused for different content, an op of another
record): the error's stable code.

Output: one msgpack file (a map ``{"version", "cases"}``), read by
tests/conformance/run_merge.mjs against the built TypeScript core.

    uv run python tests/conformance/gen_merge_corpus.py OUT.msgpack [--cases N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

import msgspec

from sync import canonical, vv
from sync.clock import HybridClock
from sync.conflicts import conflicts, ordered_items
from sync.laws import NO_RULES, Rules
from sync.merge import MergeError, apply, materialize
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
    encode_ops,
)
from sync.record import Record

VERSION = 1
RECORD = "0190f1c2-0000-7000-8000-0000000000aa"
OTHER_RECORD = "0190f1c2-0000-7000-8000-0000000000bb"
FORMS = ("dna_sample@1", "dna_sample@2", "dna_sample@10")
RULES = Rules(
    immutable=frozenset({"seal_no", "collected_at"}),
    append_only_choices=frozenset({"tags"}),
    groups=frozenset({"custody", "inventory", "personnel"}),
    append_only_groups=frozenset({"custody"}),
    item_keys={"custody": ("seq",), "inventory": ("element", "side")},
    order_by={"custody": "seq"},
)
# Actor ids sorted differently by code point (Python) and by UTF-16 unit (JavaScript).
DEVICE_SETS = (
    ("tab-a", "tab-b", "tab-c"),
    ("tab-a", "tab-\uffff", "tab-\U0001f600"),
    ("Z", "a", "é"),
)
SUPERVISOR = "sup"
FIELDS = ("notes", "max_depth_m", "grave_type", "site_code", "é", "\U0001f600", "a\uffff")
VALUES: tuple[Any, ...] = (
    1,
    1.0,
    1.5,
    -0.0,
    2,
    True,
    False,
    None,
    "",
    "mass",
    "single",
    "B017",
    "\U0001f600 grave",
    255,
    -33,
    70000,
    2**40,
    -(2**40),
    2**63 - 1,
    1e16,
    1e-5,
    123456.789,
    [1, "a", 2.5],
    [],
    {"lat": 40.1, "lon": 47.5, "acc": 3},
    {"b": 1, "a": {"\uffff": 1, "\U0001f600": 2}},
    "x" * 40,
    "y" * 300,
)
# Key values whose path text (Python's str()) is easy to get wrong: floats, quotes, nesting.
KEY_VALUES: tuple[Any, ...] = (
    1,
    2,
    2.0,
    "femur",
    "tibia",
    "L",
    "R",
    "",
    None,
    True,
    1.25,
    1e16,
    1e-05,
    -0.0,
    123456789012345.6,
    "it's",
    'say "x"',
    "tab\there",
    [1, "a'b"],
    {"k": 1, "a": [2.5]},
)


class Sim:
    """Three devices and a supervisor exchanging one record's ops, made by `rng`."""

    def __init__(self, rng: random.Random, rules: Rules) -> None:
        self.rng = rng
        self.rules = rules
        self.devices = rng.choice(DEVICE_SETS)
        actors = (*self.devices, SUPERVISOR)
        self.time = 1_700_000_000_000 + rng.randrange(10**9)
        self.seen: dict[str, dict[tuple[str, int], Op]] = {a: {} for a in actors}
        self.server: dict[tuple[str, int], Op] = {}
        self.counter = dict.fromkeys(actors, 0)
        skew = {a: rng.choice((0, 0, 0, 86_400_000 * rng.randint(-30, 30))) for a in actors}
        self.clocks = {a: HybridClock(lambda a=a: self.time + skew[a]) for a in actors}

    def gps(self) -> GpsFix | None:
        rng = self.rng
        if rng.random() < 0.7:
            return None
        lat: float = rng.choice((40, 40.25, -90, 90.0))
        return GpsFix(
            lat=lat,
            lon=rng.choice((47, 47.5, -180.0, 179.999)),
            h_acc_m=rng.choice((0, 3.5, 12)),
            fix_time=self.time - rng.randrange(60_000),
            alt_m=rng.choice((None, 812, 812.5)),
        )

    def op(self, cls: type[Any], actor: str, **kw: Any) -> Op:
        self.time += self.rng.choice((1, 1000, 60_000))
        self.counter[actor] += 1
        made: Op = cls(
            dot=Dot(actor=actor, counter=self.counter[actor]),
            record_id=RECORD,
            form=self.rng.choice(FORMS),
            hlc=self.clocks[actor].now(),
            context=vv.from_dots(self.seen[actor]),
            wall_time=self.time,
            gps=self.gps(),
            **kw,
        )
        self.seen[actor][(actor, made.dot.counter)] = made
        return made

    def sync(self, actor: str) -> None:
        self.server.update(self.seen[actor])
        self.seen[actor] = dict(self.server)
        if self.server:
            self.clocks[actor].observe(max(o.hlc for o in self.server.values()))

    def items(self, actor: str) -> list[tuple[str, str]]:
        ops = self.seen[actor].values()
        return sorted({(o.group, o.item_id) for o in ops if isinstance(o, ItemAdd)})

    def value(self) -> Any:
        return self.rng.choice(VALUES)

    def step(self) -> None:
        rng = self.rng
        actor = rng.choice(self.devices)
        action = rng.randrange(16)
        if action in (0, 1):
            self.sync(actor)
        elif action in (2, 3):
            names = rng.sample(FIELDS, k=rng.randint(1, 3))
            self.op(Patch, actor, fields={n: self.value() for n in names})
        elif action == 4:
            self.op(Patch, actor, fields={"seal_no": rng.choice(("S-1", "S-2", "S-3"))})
        elif action == 5:
            fields: dict[str, Any] = {"collected_at": f"2026-05-0{rng.randint(1, 9)}T10:00:00Z"}
            if rng.random() < 0.5:
                fields["notes"] = self.value()
            self.op(Patch, actor, fields=fields)
        elif action == 6:
            tags = rng.sample(["a", "b", "c", "\U0001f600"], k=rng.randint(0, 3))
            self.op(Patch, actor, fields={"tags": tags if rng.random() < 0.9 else "a"})
        elif action == 7:
            group = rng.choice(("custody", "personnel", "inventory"))
            self.op(Patch, actor, fields={group: [{"seq": 1}]})
        elif action in (8, 9):
            group = rng.choice(("custody", "inventory", "personnel"))
            item_id = rng.choice(("i-", "I-", "é-", "\U0001f600-")) + f"{actor}-{self.time}"
            if group == "custody":
                fields = {"seq": rng.choice(KEY_VALUES[:3]), "to": self.value()}
            elif group == "inventory":
                fields = {"element": rng.choice(KEY_VALUES), "side": rng.choice(KEY_VALUES)}
            else:
                fields = {"name": self.value()}
            self.op(ItemAdd, actor, group=group, item_id=item_id, fields=fields)
        elif action in (10, 11):
            items = self.items(actor)
            if items:
                group, item_id = rng.choice(items)
                if action == 10:
                    name = rng.choice(("seq", "element", "side", "name", "to"))
                    value = rng.choice(KEY_VALUES) if rng.random() < 0.5 else self.value()
                    self.op(ItemEdit, actor, group=group, item_id=item_id, fields={name: value})
                else:
                    self.op(ItemRemove, actor, group=group, item_id=item_id)
        elif action == 12:
            self.op(Retract, actor, reason=rng.choice(("entered twice", "wrong grave \U0001f600")))
        elif action in (13, 14):
            self.supervise()
        elif action == 15 and not self.seen[actor]:
            self.op(Create, actor, fields={"sample_id": self.value()})

    def supervise(self) -> None:
        rng = self.rng
        if not self.server:
            return
        self.seen[SUPERVISOR] = dict(self.server)
        self.clocks[SUPERVISOR].observe(max(o.hlc for o in self.server.values()))
        record = materialize(self.server.values(), rules=self.rules)
        found = conflicts(record)
        if not found or rng.random() < 0.2:
            state = rng.choice(("received", "has_issues", "approved", "rejected"))
            self.op(Review, SUPERVISOR, state=state, comment=rng.choice(("", "checked")))
        else:
            c = rng.choice(found)
            note = rng.choice(("checked", "photo 12 shows S-1"))
            value: Any
            if c.kind == "field":
                if "[" in c.path:
                    group, rest = c.path.split("[", 1)
                    item_id, name = rest.split("].", 1)
                    target: dict[str, Any] = {"group": group, "item_id": item_id, "field": name}
                else:
                    target = {"field": c.path}
                pick = rng.random()
                value = rng.choice(c.values).value if pick < 0.8 else self.value()
                self.op(Resolve, SUPERVISOR, conflict="field", value=value, reason=note, **target)
            elif c.kind == "item":
                group, item_id = c.path[:-1].split("[", 1)
                value = rng.random() < 0.5
                self.op(
                    Resolve,
                    SUPERVISOR,
                    conflict="item",
                    group=group,
                    item_id=item_id,
                    value=value,
                    reason=note,
                )
            elif c.kind == "key":
                group = c.path.split("{", 1)[0]
                item_id = rng.choice(c.values).value
                self.op(
                    Resolve,
                    SUPERVISOR,
                    conflict="item",
                    group=group,
                    item_id=item_id,
                    value=rng.random() < 0.8,
                    reason=note,
                )
            else:
                value = rng.random() < 0.5
                self.op(Resolve, SUPERVISOR, conflict="retraction", value=value, reason=note)
        self.sync(SUPERVISOR)

    def all_ops(self) -> list[Op]:
        everything: dict[tuple[str, int], Op] = {}
        for seen in self.seen.values():
            everything.update(seen)
        return list(everything.values())


def rules_data(rules: Rules) -> dict[str, Any]:
    return {
        "immutable": sorted(rules.immutable),
        "append_only_choices": sorted(rules.append_only_choices),
        "groups": sorted(rules.groups),
        "append_only_groups": sorted(rules.append_only_groups),
        "item_keys": {g: list(k) for g, k in rules.item_keys.items()},
        "order_by": dict(rules.order_by),
    }


def fold(ops: list[Op], deliveries: list[tuple[int, bool]], rules: Rules) -> Record:
    record: Record | None = None
    for index, suspect in deliveries:
        record = apply(record, ops[index], suspect=suspect, rules=rules)
    assert record is not None
    return record


def snapshot(record: Record) -> tuple[bytes, bytes]:
    return canonical.record_bytes(record), canonical.conflicts_bytes(conflicts(record))


def deliveries_of(rng: random.Random, n: int, suspect: set[int]) -> list[list[tuple[int, bool]]]:
    """The arrival orders a case lists: as made, shuffled, duplicated and split, reversed."""
    orders: list[list[int]] = [list(range(n))]
    shuffled = list(range(n))
    rng.shuffle(shuffled)
    orders.append(shuffled)
    doubled = list(range(n)) + rng.sample(range(n), k=n // 2)
    rng.shuffle(doubled)
    orders.append(doubled)
    orders.append(list(reversed(range(n))))
    out = []
    for order in orders:
        first: dict[int, int] = {}
        flagged: list[tuple[int, bool]] = []
        for pos, i in enumerate(order):
            first.setdefault(i, pos)
            flagged.append((i, i in suspect and rng.random() < 0.5))
        for i in suspect:  # every suspect dot flagged on at least one delivery
            if not any(j == i and s for j, s in flagged):
                flagged[first[i]] = (i, True)
        out.append(flagged)
    return out


def error_case(rng: random.Random, ops: list[Op], rules: Rules) -> dict[str, Any] | None:
    """Ops plus one that reuses a dot with new content, or belongs to another record."""
    victim = rng.choice(ops)
    if rng.random() < 0.5:
        bad: Op = msgspec.structs.replace(victim, wall_time=victim.wall_time + 1)
        code = "dot_reuse"
    else:
        bad = msgspec.structs.replace(
            victim, record_id=OTHER_RECORD, dot=Dot(actor="intruder", counter=1), context={}
        )
        code = "record_mismatch"
    wire = decode_ops(encode_ops([*ops, bad]))
    order = list(range(len(wire)))
    rng.shuffle(order)
    if order[0] == len(wire) - 1:  # the bad op first makes it the record's own op
        order.append(order.pop(0))
    if code == "dot_reuse":
        # The reused dot must arrive after the original for the merge to see both.
        i, j = order.index(ops.index(victim)), order.index(len(wire) - 1)
        if i > j:
            order[i], order[j] = order[j], order[i]
    try:
        fold(wire, [(i, False) for i in order], rules)
    except MergeError as e:
        assert e.code == code, (e.code, code)
    else:
        return None
    return {
        "rules": rules_data(rules),
        "ops": encode_ops(wire),
        "deliveries": [[[i, False] for i in order]],
        "error": code,
    }


def make_case(rng: random.Random) -> dict[str, Any]:
    rules = RULES if rng.random() < 0.75 else NO_RULES
    sim = Sim(rng, rules)
    sim.op(Create, sim.devices[0], fields={"sample_id": "X-1", sim.rng.choice(FIELDS): sim.value()})
    for _ in range(rng.randint(1, 45)):
        sim.step()
    made = sim.all_ops()
    if rng.random() < 0.03:
        found = error_case(rng, made, rules)
        if found is not None:
            return found
    ops = decode_ops(encode_ops(made))  # typed as the server decodes them
    suspect = {i for i in range(len(ops)) if rng.random() < 0.05}
    deliveries = deliveries_of(rng, len(ops), suspect)
    dots = [(ops[i].dot.actor, ops[i].dot.counter) for i in suspect]
    record = materialize(ops, suspect=dots, rules=rules)
    expected = snapshot(record)
    for delivery in deliveries:
        got = snapshot(fold(ops, delivery, rules))
        if got != expected:
            raise SystemExit("the Python merge itself depends on the delivery order: a bug")
    order = {
        group: [i for i, _ in ordered_items(record, group, rules.order_by.get(group))]
        for group in record.items
    }
    return {
        "rules": rules_data(rules),
        "ops": encode_ops(ops),
        "deliveries": [[[i, s] for i, s in d] for d in deliveries],
        "record": expected[0],
        "conflicts": expected[1],
        "order": order,
    }


def generate(cases: int, seed: int) -> bytes:
    rng = random.Random(seed)
    out = []
    for n in range(cases):
        case = make_case(rng)
        case["name"] = f"seed {seed} case {n}"
        out.append(case)
    return msgspec.msgpack.encode({"version": VERSION, "seed": seed, "cases": out})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args(argv)
    data = generate(args.cases, args.seed)
    args.out.write_bytes(data)
    print(f"wrote {args.cases} merge cases to {args.out} ({len(data)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
