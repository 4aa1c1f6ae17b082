"""Explicit repairs of a data directory that opening refuses: never done on a guess.

`restore_marker` rewrites a lost or unreadable `cairn.json` from the database's own
`server.init` audit entry (which names the instance id); it touches nothing else.
`discard_first_start` removes what a first start that never finished made, but only when
the marker says "initialising" (written durably before anything else) and the database
records nothing beyond what a first start writes; otherwise it refuses and changes nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from server.audit.chain import SERVER
from server.datadir import DATABASE, INITIALISING, KEYS, MARKER, READY, read_marker, write_marker
from server.errors import DataDirError
from server.store import Store, audit_log
from sync import durable

# What a first start records; a database holding anything else is never discarded.
_FIRST_START_KINDS = {"chain.open", "server.init", "token.issue"}


def _marker_state(path: Path) -> str | None:
    """The marker's state, or None when it is missing or unreadable."""
    if not (path / MARKER).is_file():
        return None
    try:
        return str(read_marker(path).get("state", READY))
    except DataDirError:
        return None


def restore_marker(path: Path) -> str:
    """Rewrite the marker from the database's server.init entry; return the instance id."""
    state = _marker_state(path)
    if state == READY:
        raise DataDirError(f"{path / MARKER} is readable; there is nothing to restore")
    if state == INITIALISING:
        raise DataDirError(
            f"{path / MARKER} says the first start did not finish; use "
            f"'cairn admin discard-first-start --data {path}' instead"
        )
    if not (path / DATABASE).is_file():
        raise DataDirError(
            f"{path} has no {DATABASE}; a marker can only be restored beside its database. "
            "Restore the data directory from a backup"
        )
    store = Store(path / DATABASE)
    try:
        conn = store.reader()
        # The server chain's, or the frozen format-1 log's in a directory from before it.
        init = next(audit_log.of_kinds(conn, SERVER, ("server.init",)), None) or next(
            audit_log.legacy_of_kinds(conn, ("server.init",)), None
        )
    finally:
        store.close()
    if init is None:
        raise DataDirError(
            f"{path / DATABASE} holds no server.init audit entry, so its instance id is "
            "unknown (a first start of an older Cairn that never finished?). Nothing was "
            "changed; if nothing was ever recorded here, move the directory aside and start "
            "on a new one"
        )
    write_marker(path, init.subject, READY)
    return init.subject


def discard_first_start(path: Path) -> list[str]:
    """Remove an unfinished first start's files (marker last); return their names."""
    if _marker_state(path) != INITIALISING:
        raise DataDirError(
            f"{path} is not an unfinished first start ({MARKER} does not say "
            f"'{INITIALISING}'); nothing was changed"
        )
    if (path / DATABASE).is_file():
        store = Store(path / DATABASE)
        try:
            conn = store.reader()
            kinds = {e.kind for e in audit_log.legacy_entries(conn)}
            for name in audit_log.chains(conn):
                kinds.update(e.kind for e in audit_log.entries(conn, name))
        finally:
            store.close()
        if kinds - _FIRST_START_KINDS:
            raise DataDirError(
                f"{path / DATABASE} records more than a first start "
                f"({', '.join(sorted(kinds - _FIRST_START_KINDS))}), so this is not an "
                "unfinished first start; nothing was changed. Restore the data directory "
                "from a backup"
            )
    removed = []
    for name in (DATABASE + "-wal", DATABASE + "-shm", DATABASE):
        if (path / name).exists():
            (path / name).unlink()
            removed.append(name)
    if (path / KEYS).is_dir():
        shutil.rmtree(path / KEYS)
        removed.append(KEYS)
    durable.fsync_dir(path)
    # The marker goes last: a cut before this leaves it saying "initialising", so the
    # command can simply be run again.
    (path / MARKER).unlink()
    durable.fsync_dir(path)
    removed.append(MARKER)
    return removed
