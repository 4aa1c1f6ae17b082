"""The data directory: one SQLite file, the server's keys, and a marker that names it.

    cairn-data/
      cairn.json    marker: format, version, instance id (a foreign directory has none)
      cairn.db      the database (WAL mode: cairn.db-wal and cairn.db-shm beside it)
      keys/         server signing and batch-encryption keys (directory 0700, files 0600)

A directory that exists, is not empty and has no marker is refused rather than adopted, and
a marker without its database is reported as damaged: Cairn never silently re-initialises.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from forms.library import FormLibrary, builtin_library
from server.admin import IssuedToken, issue_token
from server.clock import now_ms
from server.errors import DataDirError
from server.export.spool import sweep_stale_spools
from server.materialize import record_states_current, refresh_record_states
from server.store import Store, audit_log
from sync.errors import CairnCryptoError
from sync.keys import ServerKeys

MARKER = "cairn.json"
DATABASE = "cairn.db"
KEYS = "keys"
FORMAT = "cairn-data"
FORMAT_VERSION = 1


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


def _read_marker(path: Path) -> dict[str, object]:
    try:
        marker = json.loads((path / MARKER).read_text())
    except (OSError, ValueError) as exc:
        raise DataDirError(
            f"{path / MARKER} is unreadable ({exc}); the data directory is damaged"
        ) from exc
    if not isinstance(marker, dict) or marker.get("format") != FORMAT:
        raise DataDirError(f"{path} is not a Cairn data directory ({MARKER} is foreign)")
    if not isinstance(marker.get("version"), int) or marker["version"] > FORMAT_VERSION:
        raise DataDirError(f"{path} was made by a newer Cairn; upgrade to open it")
    return marker


def _initialise(path: Path) -> DataDir:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    keys_dir = path / KEYS
    keys_dir.mkdir(mode=0o700, exist_ok=True)
    keys = ServerKeys.generate()
    keys.save(keys_dir)
    store = Store(path / DATABASE)
    instance_id = str(uuid.uuid4())
    now = now_ms()
    with store.write() as conn:
        refresh_record_states(conn, builtin_library(), now)  # no records: stamps the layout
        audit_log.append(
            conn,
            at_ms=now,
            kind="server.init",
            actor="server",
            subject=instance_id,
            data={"keys": keys.public().key_ids()},
        )
    token = issue_token(store, "admin", None, actor="server", label="first admin token")
    # The marker is written last: a start interrupted before this point is simply redone.
    marker = {"format": FORMAT, "version": FORMAT_VERSION, "instance_id": instance_id}
    tmp = path / (MARKER + ".tmp")
    tmp.write_text(json.dumps(marker, indent=2) + "\n")
    os.replace(tmp, path / MARKER)
    return DataDir(
        path=path,
        instance_id=instance_id,
        store=store,
        keys=keys,
        forms=builtin_library(),
        first_admin_token=token,
    )


def open_data_dir(
    path: Path, *, create: bool, progress: Callable[[str], None] | None = None
) -> DataDir:
    """Open a data directory; with `create`, make a new one where there is none.

    `progress` hears about long work on opening (rebuilding records after an upgrade).
    """
    path = Path(path)
    if not (path / MARKER).exists():
        leftovers = {p.name for p in path.iterdir()} if path.is_dir() else set()
        if path.exists() and not path.is_dir():
            raise DataDirError(f"{path} is a file, not a data directory")
        if leftovers - {DATABASE, KEYS, DATABASE + "-wal", DATABASE + "-shm", MARKER + ".tmp"}:
            raise DataDirError(
                f"{path} is not empty and is not a Cairn data directory (no {MARKER}); "
                "choose a new or empty directory with --data"
            )
        if not create:
            raise DataDirError(
                f"no Cairn data directory at {path}; start the server once with "
                f"'cairn serve --data {path}' to create it, or pass --data / set CAIRN_DATA"
            )
        if leftovers:
            # A first start that died half-way: nothing was handed out yet, start over.
            for name in (DATABASE, DATABASE + "-wal", DATABASE + "-shm"):
                (path / name).unlink(missing_ok=True)
        return _initialise(path)
    marker = _read_marker(path)
    if not (path / DATABASE).is_file():
        raise DataDirError(
            f"{path} is damaged: {MARKER} is there but {DATABASE} is missing; "
            "restore the database from a backup"
        )
    try:
        keys = ServerKeys.load(path / KEYS)
    except (OSError, ValueError, CairnCryptoError) as exc:
        raise DataDirError(f"cannot load the server keys from {path / KEYS}: {exc}") from exc
    store = Store(path / DATABASE)
    sweep_stale_spools(path)  # plaintext left behind by an export that crashed
    forms = builtin_library()
    rebuilt = None
    with store.snapshot() as conn:
        current = record_states_current(conn)
    if not current:
        with store.write() as conn:
            rebuilt = refresh_record_states(conn, forms, now_ms(), progress)
    return DataDir(
        path=path,
        instance_id=str(marker["instance_id"]),
        store=store,
        keys=keys,
        forms=forms,
        rebuilt_records=rebuilt,
    )
