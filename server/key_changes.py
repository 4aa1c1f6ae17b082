"""Server key changes, two-phase: a batch key becomes current only after its audit entry.

A rotation takes three durable steps, in this order:

1. the new batch key's file is written (`sync.durable`) under its own name; no manifest
   names it yet, so nothing uses it;
2. the `keys.rotate` audit entry commits;
3. `keys.json` is replaced, naming the new key current and the old ones retired.

A cut before 2 leaves an unused key file and no change. A cut between 2 and 3 leaves an
entry whose key is not current yet; the next open completes the rotation from the staged
file, the committed entry being the positive evidence. Cairn never makes a current key
that no audit entry records, so one found on opening is refused (nothing is changed) and
`cairn verify` names it. Rotations are serialised by an exclusive lock on the keys
directory, so two processes never write the manifest from stale copies.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from server.audit.chain import SERVER, ChainEntry
from server.audit.legacy import AuditEntry
from server.clock import now_ms
from server.errors import DataDirError
from server.store import Store, audit_log
from sync.errors import CairnCryptoError
from sync.keys import BatchKey, ServerKeys, batch_key_file, load_batch_key, save_batch_key

KEY_KINDS = ("server.init", "keys.rotate")
# A key change as the frozen format-1 log or the server chain recorded it (both have the
# kind, subject, data and at_ms read here).
KeyEvent = AuditEntry | ChainEntry


@contextmanager
def keys_locked(keys_dir: Path) -> Iterator[None]:
    """Hold the keys directory's exclusive lock: no rotation starts or finishes meanwhile."""
    fd = os.open(keys_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def rotate_batch_key(store: Store, keys_dir: Path, actor: str, hybrid: bool = True) -> ServerKeys:
    """Make a new current batch key; retired keys keep decrypting late uploads.

    The keys are re-read from disk under the keys lock; the new key is staged, audited and
    only then made current (see the module docstring), so a rotation is never stored
    without its audit trail. Devices learn the new key on their next pull.
    """
    with keys_locked(keys_dir):
        keys = ServerKeys.load(keys_dir)
        retired = [k.key_id for k in keys.batch_keys if k.retired_at is None]
        new = keys.rotate(hybrid=hybrid)
        save_batch_key(keys_dir, new)
        with store.write() as conn:
            # Every project's chain records it too: its batches are sealed under these keys.
            audit_log.append_everywhere(
                conn,
                at_ms=now_ms(),
                kind="keys.rotate",
                actor=actor,
                subject=new.key_id,
                data={
                    "retired": retired,
                    "recipient": new.recipient,
                    "hybrid": hybrid,
                    "keys": keys.public().key_ids(),
                },
            )
        keys.save_manifest(keys_dir)
    return keys


def key_events(conn: sqlite3.Connection) -> list[KeyEvent]:
    """Every audit entry that changed the server keys, oldest first: those of the frozen
    format-1 log (data directories from before per-project chains), then the server
    chain's (project chains hold copies of the rotations; they are not read here)."""
    events: list[KeyEvent] = list(audit_log.legacy_of_kinds(conn, KEY_KINDS))
    events.extend(audit_log.of_kinds(conn, SERVER, KEY_KINDS))
    return events


def _recorded(events: list[KeyEvent]) -> tuple[str | None, list[str]]:
    """(signing key id, batch key ids in the order the audit log made them current)."""
    if not events or events[0].kind != "server.init":
        return None, [e.subject for e in events]
    init = events[0].data.get("keys", {})
    batch = [str(init.get("batch"))] + [e.subject for e in events[1:]]
    return str(init.get("signing")), batch


def key_problems(events: list[KeyEvent], keys: ServerKeys) -> list[str]:
    """Where the keys on disk and the audit log's key changes disagree."""
    signing, batch = _recorded(events)
    if signing is None:
        return ["the audit log has no server.init entry recording the server keys"]
    problems = []
    if keys.signing_key_id != signing:
        problems.append(
            f"signing.pem holds key {keys.signing_key_id}, but server.init recorded {signing}"
        )
    current = keys.current.key_id
    for key in keys.batch_keys:
        if key.key_id not in batch:
            state = "the current" if key.key_id == current else "retired"
            problems.append(
                f"keys.json names {state} batch key {key.key_id}, but no audit entry "
                "(server.init or keys.rotate) records it: the keys were changed outside Cairn"
            )
    if current in batch and current != batch[-1]:
        problems.append(
            f"keys.json makes batch key {current} current, but the audit log's last key "
            f"change made {batch[-1]} current"
        )
    on_disk = {k.key_id for k in keys.batch_keys}
    for key_id in batch:
        if key_id not in on_disk:
            problems.append(f"batch key {key_id}, recorded in the audit log, is not in keys.json")
    return problems


def _pending(events: list[KeyEvent], keys: ServerKeys) -> KeyEvent | None:
    """The last rotation, if it committed but keys.json does not show it yet."""
    last = events[-1] if events else None
    if last is None or last.kind != "keys.rotate":
        return None
    if last.subject in {k.key_id for k in keys.batch_keys}:
        return None
    return last if keys.current.key_id in last.data.get("retired", []) else None


def complete_key_changes(
    store: Store, keys_dir: Path, keys: ServerKeys, progress: Callable[[str], None] | None = None
) -> ServerKeys:
    """Finish a rotation a cut interrupted after its audit entry; refuse unaudited keys.

    `keys` must have been loaded before this reads the audit log (a rotation commits its
    entry before it writes keys.json, so the log read here is never older than the keys).
    """
    with store.snapshot() as conn:
        events = key_events(conn)
    if _pending(events, keys) is not None:
        with keys_locked(keys_dir):
            keys = ServerKeys.load(keys_dir)  # as it is now: a rotation may just have ended
            pending = _pending(events, keys)
            if pending is not None:
                keys.make_current(_staged(keys_dir, pending), pending.at_ms)
                keys.save_manifest(keys_dir)
                if progress is not None:
                    progress(f"completed the interrupted rotation to batch key {pending.subject}")
    problems = key_problems(events, keys)
    if problems:
        raise DataDirError(
            f"the server keys in {keys_dir} do not match the audit log: "
            + "; ".join(problems)
            + ". Nothing was changed. Restore the keys directory from the backup made after "
            "the last key rotation ('cairn verify' names the damage)"
        )
    return keys


def _staged(keys_dir: Path, pending: KeyEvent) -> BatchKey:
    try:
        return load_batch_key(keys_dir, pending.subject, pending.at_ms)
    except (OSError, ValueError, CairnCryptoError) as exc:
        raise DataDirError(
            f"the audit log records a rotation to batch key {pending.subject}, but "
            f"{batch_key_file(keys_dir, pending.subject)} cannot be read ({exc}); "
            "nothing was changed. Restore the keys directory from a backup"
        ) from exc
