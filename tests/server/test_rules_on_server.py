"""Law 9 on the server: any order and split of the batches gives the record the law gives.

Three enrolled devices edit one DNA sample offline with honest contexts, but without the
device-side checks (as old clients): they overwrite the seal number and the collection
time, add custody rows whose steps collide, and edit, remove or rewrite custody rows.
Their ops are sealed into batches split at random and pushed in a random order to a real
data directory. The server's record must be byte for byte the merge of the ops it stored
under the form's rules, whatever the order (so every order gives the same record); the
ops refused on sight must be exactly the op-local breaches; and a device that pulls
everything must hold the server's record.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms.laws import rules_of
from server import ingest
from server.config import load_config
from server.context import ServerContext
from server.datadir import DataDir
from server.materialize import decode_record
from server.store import sync_tables as tables
from server.verify import verify
from sync import canonical, laws, merge, vv
from sync.client import Device, uuid7
from sync.ops import Create, Dot, ItemAdd, ItemEdit, ItemRemove, Op, Patch
from sync.sealed import seal_batch
from tests.identifier_oracle import assert_identifier_rows_obey_the_law
from tests.server.conftest import PROJECT

MakeDevice = Callable[[str], Device]
ENCODE = msgspec.msgpack.Encoder()
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
steps = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 6), st.integers(0, 11)), min_size=5, max_size=30
)


class Devices:
    """Enrolled devices whose counters and batch numbers run on across examples."""

    def __init__(self, devices: list[Device]) -> None:
        self.devices = devices
        self.counter = {d.device_id: 1000 for d in devices}
        self.seq = {d.device_id: 0 for d in devices}


def _ops(fleet: Devices, script: list[tuple[int, int, int]]) -> list[Op]:
    record_id = uuid7()
    ids = [d.device_id for d in fleet.devices]
    seen: dict[str, dict[tuple[str, int], Op]] = {i: {} for i in ids}
    made: list[Op] = []
    clock = itertools.count(1)

    def op(cls: type[Any], actor: str, **kw: Any) -> None:
        fleet.counter[actor] += 1
        new: Op = cls(
            dot=Dot(actor=actor, counter=fleet.counter[actor]),
            record_id=record_id,
            form="dna_sample@1",
            hlc=(1_750_000_000_000 + next(clock)) << 16,
            context=vv.from_dots(seen[actor]),
            wall_time=1_750_000_000_000,
            **kw,
        )
        seen[actor][(actor, new.dot.counter)] = new
        made.append(new)

    op(Create, ids[0], fields={"sample_id": "DSH-01-G1-B017-S1", "seal_no": "S-0"})
    for device, action, a in script:
        actor = ids[device]
        if action == 0:  # sync through the server: see everything made so far
            seen[actor] = {(o.dot.actor, o.dot.counter): o for o in made}
        elif not seen[actor]:
            continue
        elif action == 1:
            op(Patch, actor, fields={"seal_no": f"S-{a % 3}"})
        elif action == 2:
            op(Patch, actor, fields={"collected_at": f"2026-05-0{a % 9 + 1}T10:00:00Z"})
        elif action == 3:
            op(ItemAdd, actor, group="custody", item_id=uuid7(), fields={"seq": a % 3 + 1})
        elif action == 4:
            items = [o for o in seen[actor].values() if isinstance(o, ItemAdd)]
            if items:
                item = items[a % len(items)].item_id
                if a % 2:
                    op(ItemEdit, actor, group="custody", item_id=item, fields={"seq": 7})
                else:
                    op(ItemRemove, actor, group="custody", item_id=item)
        elif action == 5:
            op(Patch, actor, fields={"custody": [{"seq": 1}]})
        elif action == 6:
            op(Patch, actor, fields={"sop_deviation": f"note {a}"})
    return made


def _push_all(data: DataDir, fleet: Devices, ops: list[Op], rng: random.Random) -> None:
    ctx = ServerContext(
        config=load_config(data.path), store=data.store, keys=data.keys, forms=data.forms
    )
    batches: list[tuple[Device, list[Op]]] = []
    for dev in fleet.devices:
        own = [o for o in ops if o.dot.actor == dev.device_id]
        rng.shuffle(own)
        cuts = sorted(rng.sample(range(1, len(own)), k=min(2, max(0, len(own) - 1))))
        for lo, hi in itertools.pairwise([0, *cuts, len(own)]):
            if own[lo:hi]:
                batches.append((dev, own[lo:hi]))
    rng.shuffle(batches)
    for dev, chunk in batches:
        fleet.seq[dev.device_id] += 1
        sealed = seal_batch(
            ENCODE.encode(chunk),
            device_id=dev.device_id,
            batch_id=uuid7(),
            seq=fleet.seq[dev.device_id],
            device_signing_key=dev.keys().signing_key,
            server_recipient=dev.store.get_str("batch_recipient") or "",
            server_key_id=dev.store.get_str("batch_key_id") or "",
        )
        ingest.push(ctx, sealed)


def test_every_order_and_split_of_the_batches_gives_the_record_the_law_gives(
    data: DataDir, make_device: MakeDevice
) -> None:
    fleet = Devices([make_device(n) for n in ("a", "b", "c")])
    observer = make_device("observer")
    rules = rules_of(data.forms.resolve("dna_sample@1"))
    checked = {"kept": 0, "quarantined": 0}

    @SETTINGS
    @given(script=steps, seed=st.integers(0, 2**32 - 1))
    def run(script: list[tuple[int, int, int]], seed: int) -> None:
        ops = _ops(fleet, script)
        before = {q.id for q in tables.list_quarantine(data.store.reader(), None)}
        _push_all(data, fleet, ops, random.Random(seed))
        local = {(o.dot.actor, o.dot.counter) for o in ops if laws.local_refusals(rules, o)}
        quarantined = [
            q for q in tables.list_quarantine(data.store.reader(), None) if q.id not in before
        ]
        assert {msgspec.msgpack.decode(q.payload)["dot"]["counter"] for q in quarantined} == {
            c for _, c in local
        }
        stored = [o for o in ops if (o.dot.actor, o.dot.counter) not in local]
        row = tables.get_record(data.store.reader(), PROJECT, ops[0].record_id)
        assert row is not None
        expected = merge.materialize(stored, rules=rules)
        got = decode_record(row.state)
        assert canonical.record_bytes(got) == canonical.record_bytes(expected)
        observer.pull()
        assert canonical.record_bytes(observer.record(ops[0].record_id)) == (
            canonical.record_bytes(got)
        )
        checked["kept"] += len(got.refused)
        checked["quarantined"] += len(quarantined)

    run()
    assert checked["kept"] and checked["quarantined"]  # both kinds of refusal were exercised
    report = verify(data.store, data.keys, data.forms)
    assert report.ok, report.problems
    assert_identifier_rows_obey_the_law(data, PROJECT)
