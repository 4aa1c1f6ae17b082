"""The audit chains are hash chains: any edit, removal or reordering is detected."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from server.audit.chain import (
    GENESIS,
    MAX_SAFE_INT,
    SERVER,
    ChainEntry,
    _plain,
    canonical,
    hash_input,
    jcs_safe,
    line,
    make_entry,
    project_chain,
    verify_chain,
)
from server.store import Store, audit_log

CHAIN = project_chain("P1")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "cairn.db")
    yield s
    s.close()


def _fill(store: Store, n: int, chain: str = CHAIN) -> list[ChainEntry]:
    with store.write() as conn:
        audit_log.open_chain(conn, chain, at_ms=999, actor="tester", keys=None)
        for i in range(n):
            audit_log.append(
                conn,
                chain=chain,
                at_ms=1000 + i,
                kind="test",
                actor="tester",
                subject=f"s{i}",
                data={"i": i},
            )
    return list(audit_log.entries(store.reader(), chain))


def test_chain_of_appended_entries_verifies(store: Store) -> None:
    entries = _fill(store, 5)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[0].kind == "chain.open" and entries[0].prev == GENESIS
    assert all(b.prev == a.hash for a, b in itertools.pairwise(entries))
    assert verify_chain(entries, CHAIN) == []
    assert audit_log.head(store.reader(), CHAIN) == (6, entries[-1].hash)


def test_the_hash_is_sha256_of_the_rfc8785_entry_without_its_hash(store: Store) -> None:
    entry = _fill(store, 1)[1]
    plain = msgspec.to_builtins(entry)
    del plain["hash"]
    assert hash_input(entry) == rfc8785.dumps(plain)
    assert hash_input(entry).startswith(b'{"actor":"tester","at_ms":1000,"chain":"project:P1"')
    assert hashlib.sha256(rfc8785.dumps(plain)).hexdigest() == entry.hash
    # What is stored is the hash input, exactly; an archive line adds the hash.
    (text,) = (
        store.reader()
        .execute("SELECT entry FROM audit_chain WHERE chain = ? AND seq = 2", (CHAIN,))
        .fetchone()
    )
    assert text.encode() == hash_input(entry)
    assert line(entry) == rfc8785.dumps({**plain, "hash": entry.hash})


def test_chains_are_independent(store: Store) -> None:
    a = _fill(store, 2, project_chain("A1"))
    b = _fill(store, 3, project_chain("B1"))
    assert [e.seq for e in a] == [1, 2, 3] and [e.seq for e in b] == [1, 2, 3, 4]
    assert verify_chain(a, project_chain("A1")) == []
    # An entry of another chain does not verify as part of this one.
    problems = verify_chain([a[0], b[1]], project_chain("A1"))
    assert {p.message.split(" ")[0] for p in problems} >= {"belongs", "does"}


def test_edited_entry_is_detected(store: Store) -> None:
    entries = _fill(store, 4)
    forged = msgspec.structs.replace(entries[2], data={"i": 99})
    problems = verify_chain([*entries[:2], forged, *entries[3:]], CHAIN)
    assert [p.seq for p in problems] == [3]


def test_removed_or_reordered_entries_are_detected(store: Store) -> None:
    entries = _fill(store, 4)
    assert verify_chain([entries[0], *entries[2:]], CHAIN) != []
    assert verify_chain([entries[0], entries[2], entries[1], *entries[3:]], CHAIN) != []
    assert verify_chain(entries[1:], CHAIN) != []  # no chain.open: a tail is not a chain


def test_every_chain_starts_with_its_chain_open_entry(store: Store) -> None:
    with store.write() as conn:
        audit_log.append(conn, chain=SERVER, at_ms=1, kind="x", actor="a", subject="s")
    entries = list(audit_log.entries(store.reader(), SERVER))
    assert [(e.seq, e.kind, e.actor) for e in entries] == [
        (1, "chain.open", "server"),
        (2, "x", "a"),
    ]
    assert entries[0].data == {"legacy": None, "keys": None}  # nothing older to anchor
    assert verify_chain(entries, SERVER) == []


def test_values_outside_the_json_number_domain_are_kept_as_text(store: Store) -> None:
    """A device may send any integer; JCS numbers are doubles, so big ones travel as text."""
    big = MAX_SAFE_INT + 2
    assert jcs_safe({"v": [big, 1.5, float("inf"), 2.0**53, True, None]}) == {
        "v": [str(big), 1.5, "inf", "9007199254740992.0", True, None]
    }
    with store.write() as conn:
        audit_log.open_chain(conn, CHAIN, at_ms=1, actor="t", keys=None)
        entry = audit_log.append(
            conn, chain=CHAIN, at_ms=2, kind="t", actor="t", subject="s", data={"value": big}
        )
    assert entry.data == {"value": str(big)}
    assert verify_chain(audit_log.entries(store.reader(), CHAIN), CHAIN) == []


def test_database_refuses_to_update_or_delete_audit_entries(store: Store) -> None:
    _fill(store, 2)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.write() as conn:
        conn.execute("UPDATE audit_chain SET hash = 'x' WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.write() as conn:
        conn.execute("DELETE FROM audit_chain WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="frozen"), store.write() as conn:
        conn.execute(
            "INSERT INTO audit VALUES (1, 1, 'k', 'a', 's', '{}', ?, ?)", (GENESIS, GENESIS)
        )
    assert verify_chain(audit_log.entries(store.reader(), CHAIN), CHAIN) == []


def test_every_stored_line_parses_back_to_the_same_hash(store: Store) -> None:
    _fill(store, 3)
    for text, digest in store.reader().execute("SELECT entry, hash FROM audit_chain"):
        assert hashlib.sha256(rfc8785.dumps(json.loads(text))).hexdigest() == digest


DOC = Path(__file__).parents[2] / "docs" / "audit.md"


def _doc_examples() -> dict[str, tuple[bytes, str]]:
    """{name: (hash input, stated hash)} of each ```jcs block in docs/audit.md."""
    text = DOC.read_text(encoding="utf-8")
    found = re.findall(r"```jcs (\S+)\n(.*?)\n```\n\nhash `([0-9a-f]{64})`", text, re.S)
    return {name: (body.encode(), digest) for name, body, digest in found}


def test_the_worked_examples_in_docs_are_what_cairn_writes() -> None:
    examples = _doc_examples()
    assert set(examples) == {"example-entry-1", "example-entry-2"}
    first = make_entry(
        chain=CHAIN,
        seq=1,
        prev=GENESIS,
        at_ms=1700000000000,
        kind="chain.open",
        actor="server",
        subject="P1",
        data={"legacy": None, "keys": None},
    )
    second = make_entry(
        chain=CHAIN,
        seq=2,
        prev=first.hash,
        at_ms=1700000060000,
        kind="record.review",
        actor="supervisor:0a1b2c3d4e5f",
        subject="01a23b6e-d00b-7be9-be97-654d90d6f605",
        data={
            "project": "P1",
            "to": "has_issues",
            "comment": 'Şahid: "B017"\n',
            "depth_m": 2.50,
            "cursor": 3,
        },
    )
    for entry, name in ((first, "example-entry-1"), (second, "example-entry-2")):
        body, stated = examples[name]
        assert hash_input(entry) == body
        assert hashlib.sha256(body).hexdigest() == stated == entry.hash
    assert verify_chain([first, second], CHAIN) == []


_JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(alphabet=st.characters(exclude_categories=["Cs"])),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(alphabet=st.characters(exclude_categories=["Cs"])), inner, max_size=4
        )
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(value=_JSONISH)
def test_any_value_a_device_may_send_re_hashes_after_storage(
    tmp_path_factory: Any, value: Any
) -> None:
    """Stored, read back and re-canonicalized, any data gives the same hash (floats,
    astral characters, big integers and NaN included)."""
    store = Store(tmp_path_factory.mktemp("p") / "cairn.db")
    try:
        with store.write() as conn:
            audit_log.append(
                conn, chain=CHAIN, at_ms=1, kind="t", actor="a", subject="s", data={"v": value}
            )
        entries = list(audit_log.entries(store.reader(), CHAIN))
    finally:
        store.close()
    assert verify_chain(entries, CHAIN) == []
    json.dumps(entries[1].data, allow_nan=False)  # plain JSON: no NaN or infinity left


_JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.text(alphabet=st.characters(max_codepoint=0x7F)),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text() | st.text(alphabet=st.characters(max_codepoint=0x7F)), inner, max_size=4
        )
    ),
    max_leaves=12,
)


@settings(max_examples=600, deadline=None)
@given(_JSONISH)
def test_the_fast_canonical_json_is_rfc8785_byte_for_byte(value: Any) -> None:
    try:
        expected = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, ValueError, TypeError):
        return  # outside JCS's domain: the fallback raises the same
    assert canonical(value) == expected


def test_an_ingest_entry_takes_the_fast_path() -> None:
    # Control characters, DEL and quotes in ASCII text: escaped as JCS escapes them.
    entry = {
        "v": 2,
        "chain": "project:E2E-SITE",
        "seq": 2**53 - 1,
        "data": {"cursor": [1, 2], "note": 'a"b\\c\x00\x1f\x7f\n\t', "ok": True, "x": None},
        "actor": "device:0193a1b2-aaaa-7bbb-8ccc-1234567890ab",
    }
    assert _plain(entry)
    assert canonical(entry) == rfc8785.dumps(entry)
    assert not _plain({"n": 2**53}) and not _plain({"f": 1.5}) and not _plain({"é": 1})
