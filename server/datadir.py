"""The data directory: one SQLite file, the server's keys, and a marker that names it.

    cairn-data/
      cairn.json    marker: format, version, instance id (a foreign directory has none)
      cairn.db      the database (WAL mode: cairn.db-wal and cairn.db-shm beside it)
      keys/         server signing and batch-encryption keys (directory 0700, files 0600)

A directory that exists, is not empty and has no marker is refused rather than adopted, and
a marker without its database is reported as damaged: Cairn never silently re-initialises,
and never deletes a database or keys on a guess. A first start writes the marker first,
durably, saying "initialising", and rewrites it "ready" only once the database, the keys and
the first admin token are on disk; a start that died half-way is recognised by that marker
alone and is discarded only by an explicit command (`server.datadir_recovery`). Every file
here is written as `sync.durable` writes (temporary file, fsync, rename, fsync directory).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from forms.library import FormLibrary, builtin_library
from server import views
from server.admin import IssuedToken, issue_token
from server.attachments.refs import rebuild_refs, refs_current
from server.audit.chain import SERVER
from server.clock import now_ms
from server.errors import DataDirError
from server.export.spool import sweep_stale_spools
from server.key_changes import complete_key_changes
from server.materialize import record_states_current, refresh_record_states
from server.store import Store, audit_log
from sync import durable
from sync.errors import CairnCryptoError
from sync.keys import ServerKeys

MARKER = "cairn.json"
DATABASE = "cairn.db"
KEYS = "keys"
FORMAT = "cairn-data"
FORMAT_VERSION = 1
INITIALISING = "initialising"
READY = "ready"
# What the old code left where a marker should be ("cairn.json.tmp"); never the only copy.
_OLD_TMP = MARKER + ".tmp"


@dataclass
class DataDir:
    """An opened data directory."""

    path: Path
    instance_id: str
    store: Store
    keys: ServerKeys
    forms: FormLibrary
    # Set only on the very first start: the admin token, shown once and stored hashed.
    first_admin_token: IssuedToken | None = None
    # Set when opening rebuilt the records from the ops (their stored layout had changed).
    rebuilt_records: int | None = None

    @property
    def keys_dir(self) -> Path:
        """Where the server keys live."""
        return self.path / KEYS


def write_marker(path: Path, instance_id: str, state: str) -> None:
    """Replace the marker durably (see `sync.durable`)."""
    marker = {"format": FORMAT, "version": FORMAT_VERSION, "instance_id": instance_id}
    durable.write_file(path / MARKER, json.dumps({**marker, "state": state}, indent=2) + "\n")


def read_marker(path: Path) -> dict[str, object]:
    """The marker's content; a DataDirError that says what to do if it is unreadable."""
    try:
        marker = json.loads((path / MARKER).read_text())
    except (OSError, ValueError) as exc:
        raise DataDirError(
            f"{path / MARKER} is unreadable ({exc}); nothing was changed. If {DATABASE} beside "
            f"it is this server's database, run 'cairn admin restore-marker --data {path}' to "
            "rewrite the marker from it, then start again; otherwise restore the data "
            "directory from a backup"
        ) from exc
    if not isinstance(marker, dict) or marker.get("format") != FORMAT:
        raise DataDirError(f"{path} is not a Cairn data directory ({MARKER} is foreign)")
    if not isinstance(marker.get("version"), int) or marker["version"] > FORMAT_VERSION:
        raise DataDirError(f"{path} was made by a newer Cairn; upgrade to open it")
    if not isinstance(marker.get("instance_id"), str):
        raise DataDirError(
            f"{path / MARKER} names no instance id; nothing was changed. Run "
            f"'cairn admin restore-marker --data {path}' to rewrite it from the database"
        )
    return marker


def _marker_tmp(name: str) -> bool:
    """A temporary marker a power cut may have left (never the only copy of anything)."""
    return name == _OLD_TMP or (durable.is_temporary(name) and name.startswith(f".{MARKER}."))


def contents(path: Path) -> set[str]:
    """Names in the directory, leaving out temporary markers."""
    if not path.is_dir():
        return set()
    return {p.name for p in path.iterdir() if not _marker_tmp(p.name)}


def _initialise(path: Path) -> DataDir:
    durable.make_dir(path, 0o700)
    for leftover in path.iterdir():  # only temporary markers: `contents` found nothing else
        leftover.unlink()
    instance_id = str(uuid.uuid4())
    # Positive evidence first: until the marker says "ready", this is an unfinished start.
    write_marker(path, instance_id, INITIALISING)
    keys_dir = path / KEYS
    keys = ServerKeys.generate()
    keys.save(keys_dir)
    store = Store(path / DATABASE)
    now = now_ms()
    with store.write() as conn:
        refresh_record_states(conn, builtin_library(), now)  # no records: stamps the layout
        audit_log.open_missing_chains(conn, at_ms=now, keys=keys.public().key_ids())
        audit_log.append(
            conn,
            chain=SERVER,
            at_ms=now,
            kind="server.init",
            actor="server",
            subject=instance_id,
            data={"keys": keys.public().key_ids()},
        )
    token = issue_token(store, "admin", None, actor="server", label="first admin token")
    # Ready only now, and before the token is shown: an "initialising" marker proves that
    # nobody ever held a token for this directory.
    write_marker(path, instance_id, READY)
    return DataDir(
        path=path,
        instance_id=instance_id,
        store=store,
        keys=keys,
        forms=builtin_library(),
        first_admin_token=token,
    )


def _no_marker(path: Path, names: set[str]) -> DataDirError:
    if names & {DATABASE, DATABASE + "-wal"}:
        return DataDirError(
            f"{path} holds a Cairn database but no {MARKER} (lost in a power cut, or "
            f"deleted); nothing was changed. If this is the right directory, run 'cairn admin "
            f"restore-marker --data {path}' to rewrite the marker from the database, then "
            "start again"
        )
    if KEYS in names:
        return DataDirError(
            f"{path} holds Cairn keys but neither {MARKER} nor {DATABASE}; nothing was "
            "changed. Restore the data directory from a backup, or move it aside and start "
            "on a new, empty directory"
        )
    return DataDirError(
        f"{path} is not empty and is not a Cairn data directory (no {MARKER}); "
        "choose a new or empty directory with --data"
    )


def open_data_dir(
    path: Path, *, create: bool, progress: Callable[[str], None] | None = None
) -> DataDir:
    """Open a data directory; with `create`, make a new one where there is none.

    `progress` hears about long work on opening (rebuilding records after an upgrade).
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DataDirError(f"{path} is a file, not a data directory")
    names = contents(path)
    if MARKER not in names:
        if names:
            raise _no_marker(path, names)
        if not create:
            raise DataDirError(
                f"no Cairn data directory at {path}; start the server once with "
                f"'cairn serve --data {path}' to create it, or pass --data / set CAIRN_DATA"
            )
        return _initialise(path)
    marker = read_marker(path)
    if marker.get("state", READY) != READY:
        raise DataDirError(
            f"the first start of {path} did not finish (a power cut, or a stop before it was "
            "ready): no admin token was shown and nothing was recorded. Nothing was changed. "
            f"Run 'cairn admin discard-first-start --data {path}' to remove it, then "
            f"'cairn serve --data {path}' to start afresh"
        )
    if not (path / DATABASE).is_file():
        raise DataDirError(
            f"{path} is damaged: {MARKER} is there but {DATABASE} is missing; "
            "restore the database from a backup"
        )
    try:
        keys = ServerKeys.load(path / KEYS)
    except (OSError, ValueError, CairnCryptoError) as exc:
        raise DataDirError(
            f"cannot load the server keys from {path / KEYS}: {exc} Nothing was changed "
            "(the batch keys are the only way to open the raw sealed batches: keep backups)"
        ) from exc
    store = Store(path / DATABASE)
    try:
        keys = complete_key_changes(store, path / KEYS, keys, progress)
    except BaseException:
        store.close()
        raise
    sweep_stale_spools(path)  # plaintext left behind by an export that crashed
    forms = builtin_library()
    rebuilt = None
    with store.snapshot() as conn:
        current = record_states_current(conn)
    if not current:
        with store.write() as conn:
            rebuilt = refresh_record_states(conn, forms, now_ms(), progress)
    with store.snapshot() as conn:
        built, newest = views.backlog(conn)
    if built < newest:
        # Stopped between a push's commit and its views' commit: build them now.
        with store.write() as conn:
            views.catch_up(forms, conn)
    with store.snapshot() as conn:
        refs_ok = refs_current(conn)
    if not refs_ok:
        # Upgraded from before attachments were tracked: derive references from the ops.
        with store.write() as conn:
            rebuild_refs(conn, forms)
    with store.snapshot() as conn:
        unopened = audit_log.missing_chains(conn)
    if unopened:
        # Upgraded from the single format-1 chain: each chain anchors its frozen head.
        with store.write() as conn:
            audit_log.open_missing_chains(conn, at_ms=now_ms(), keys=keys.public().key_ids())
    return DataDir(
        path=path,
        instance_id=str(marker["instance_id"]),
        store=store,
        keys=keys,
        forms=forms,
        rebuilt_records=rebuilt,
    )


def attach_data_dir(path: Path) -> DataDir:
    """Open a data directory another process of this server already opened and brought up
    to date (`open_data_dir`): a worker of `cairn serve --workers N`. Nothing is swept,
    rebuilt or completed here: the supervising process did that before starting the workers,
    and a worker must not remove what another one is writing (an export's spool)."""
    path = Path(path)
    marker = read_marker(path)
    if marker.get("state", READY) != READY:
        raise DataDirError(f"{path} is not ready (its first start did not finish)")
    keys = ServerKeys.load(path / KEYS)
    return DataDir(
        path=path,
        instance_id=str(marker["instance_id"]),
        store=Store(path / DATABASE),
        keys=keys,
        forms=builtin_library(),
    )
