"""The device's offline store: one SQLite file in the device home, readable only by its owner.

Everything a field device records lives here until the server has given a signed receipt
for it; nothing is ever deleted without one. Tables:

    meta      key/value settings: device id, project, server URL and keys, counters, cursor
    ops       every op this device made or pulled, by dot; `batch_id` set once sealed;
              `refusal` the server's reason when it refused one of ours, `excluded` when
              it did not store it (then it is left out of the merged view, as on the server)
    batches   sealed batches waiting for (or holding) their receipt, sealed bytes kept so
              a retry sends exactly the same bytes and the server's replay rule applies
    records   the merged local view of each record (rebuildable from `ops`)
    attachments        files this device attached (bytes in `attachments/`, by SHA-256),
                       with the server's signed receipt once it holds them
    attachment_refs    which of this device's ops reference which file
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import msgspec

from sync import durable

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS ops (
    actor TEXT NOT NULL,
    counter INTEGER NOT NULL,
    record_id TEXT NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('local', 'pulled')),
    batch_id TEXT,
    delivered INTEGER NOT NULL DEFAULT 0,
    op BLOB NOT NULL,
    PRIMARY KEY (actor, counter)
);
CREATE INDEX IF NOT EXISTS ops_record ON ops(record_id);
-- Only local ops are ever sealed: pulled ops (most of a device's ops after a first sync)
-- stay out of this index. It replaces ops_pending (origin, batch_id), which held every op.
DROP INDEX IF EXISTS ops_pending;
CREATE INDEX IF NOT EXISTS ops_local_batch ON ops(batch_id, counter) WHERE origin = 'local';
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    op_count INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    sealed BLOB NOT NULL,
    receipt BLOB,
    receipt_at_ms INTEGER
);
CREATE TABLE IF NOT EXISTS records (
    record_id TEXT PRIMARY KEY,
    form TEXT NOT NULL,
    state BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS attachments (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    filename TEXT NOT NULL DEFAULT '',
    added_at_ms INTEGER NOT NULL,
    receipt BLOB,
    receipt_at_ms INTEGER
);
CREATE TABLE IF NOT EXISTS attachment_refs (
    sha256 TEXT NOT NULL,
    actor TEXT NOT NULL,
    counter INTEGER NOT NULL,
    PRIMARY KEY (sha256, actor, counter)
);
"""

_META = msgspec.msgpack.Encoder()
_META_DECODE = msgspec.msgpack.Decoder()


class PendingBatch(msgspec.Struct, frozen=True, kw_only=True):
    """A sealed batch that has no receipt yet."""

    batch_id: str
    seq: int
    op_count: int
    sealed: bytes


class DeviceStore:
    """The device's SQLite file; one connection, used by one process at a time."""

    FILE = "device.db"

    def __init__(self, home: Path) -> None:
        durable.make_dir(home, 0o700)
        self.path = home / self.FILE
        if not self.path.exists():
            # Create the file 0600 before SQLite writes anything into it, its name on disk
            # (SQLite makes its own -wal file durable, not the database file we create).
            durable.create_empty(self.path, 0o600)
        # One thread at a time: a pull hands a page's commit to a helper thread and does
        # not touch the store again until that commit has returned (sync.client).
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.executescript(SCHEMA)

        columns = {row[1] for row in self.conn.execute("PRAGMA table_info(ops)")}
        if "refusal" not in columns:  # a home made before refusals were kept
            self.conn.execute("ALTER TABLE ops ADD COLUMN refusal TEXT")
            self.conn.execute("ALTER TABLE ops ADD COLUMN excluded INTEGER NOT NULL DEFAULT 0")

    def close(self) -> None:
        """Close the file."""
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write (all of it rolled back if the body or the commit fails)."""
        with self.open_transaction() as conn:
            yield conn
        self.commit_open()

    @contextmanager
    def open_transaction(self) -> Iterator[sqlite3.Connection]:
        """An atomic write left open for :meth:`commit_open` (rolled back if it fails)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.rollback()
            raise

    def commit_open(self) -> None:
        """Commit the transaction :meth:`open_transaction` left open; roll it back if the
        commit fails, so nothing of it is kept."""
        try:
            self.conn.commit()
        except BaseException:
            if self.conn.in_transaction:
                self.conn.rollback()
            raise

    # -- meta ---------------------------------------------------------------------------

    def get(self, key: str, default: object = None) -> object:
        """A setting, or `default`."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else _META_DECODE.decode(row[0])

    def get_int(self, key: str, default: int = 0) -> int:
        """An integer setting."""
        value = self.get(key, default)
        return value if isinstance(value, int) else default

    def get_str(self, key: str) -> str | None:
        """A text setting, or None."""
        value = self.get(key)
        return value if isinstance(value, str) else None

    def get_bytes(self, key: str) -> bytes | None:
        """A binary setting, or None."""
        value = self.get(key)
        return value if isinstance(value, bytes) else None

    def put(self, conn: sqlite3.Connection, key: str, value: object) -> None:
        """Set a setting inside a transaction."""
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, _META.encode(value))
        )

    def put_many(self, conn: sqlite3.Connection, settings: dict[str, object]) -> None:
        """Set several settings inside a transaction."""
        conn.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [(key, _META.encode(value)) for key, value in settings.items()],
        )

    # -- ops ----------------------------------------------------------------------------

    def insert_op(
        self,
        conn: sqlite3.Connection,
        actor: str,
        counter: int,
        record_id: str,
        origin: str,
        op: bytes,
    ) -> bool:
        """Store an op; False if that dot is already stored."""
        cur = conn.execute(
            "INSERT OR IGNORE INTO ops (actor, counter, record_id, origin, delivered, op)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (actor, counter, record_id, origin, 1 if origin == "pulled" else 0, op),
        )
        return cur.rowcount == 1

    def insert_pulled(
        self, conn: sqlite3.Connection, rows: Sequence[tuple[str, int, str, bytes]]
    ) -> int:
        """Store pulled ops (actor, counter, record id, op); return how many were new."""
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO ops (actor, counter, record_id, origin, delivered, op)"
            " VALUES (?, ?, ?, 'pulled', 1, ?)",
            rows,
        )
        return conn.total_changes - before

    def record_ops(self, record_id: str) -> list[bytes]:
        """Every op of one record the merged view holds (not those the server did not
        store), in dot order."""
        rows = self.conn.execute(
            "SELECT op FROM ops WHERE record_id = ? AND excluded = 0 ORDER BY actor, counter",
            (record_id,),
        )
        return [r[0] for r in rows]

    def mark_refused(
        self, conn: sqlite3.Connection, refusals: Sequence[tuple[str, int, str, bool]]
    ) -> list[str]:
        """Mark our ops the server refused: (actor, counter, reason, excluded); return the
        ids of the records they belong to."""
        conn.executemany(
            "UPDATE ops SET refusal = ?, excluded = ? WHERE actor = ? AND counter = ?",
            [(reason, int(excluded), a, c) for a, c, reason, excluded in refusals],
        )
        found: set[str] = set()
        for a, c, _, _ in refusals:
            row = conn.execute(
                "SELECT record_id FROM ops WHERE actor = ? AND counter = ?", (a, c)
            ).fetchone()
            if row is not None:
                found.add(row[0])
        return sorted(found)

    def refused_ops(self) -> list[tuple[str, int, str, str, bool]]:
        """(actor, counter, record id, reason, excluded) of every op the server refused."""
        rows = self.conn.execute(
            "SELECT actor, counter, record_id, refusal, excluded FROM ops"
            " WHERE refusal IS NOT NULL ORDER BY counter"
        )
        return [(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]

    def unsealed_ops(self) -> list[tuple[str, int, bytes]]:
        """Local ops not yet sealed into a batch, in counter order."""
        rows = self.conn.execute(
            "SELECT actor, counter, op FROM ops WHERE origin = 'local' AND batch_id IS NULL"
            " ORDER BY counter"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def assign_batch(
        self, conn: sqlite3.Connection, batch_id: str, dots: Sequence[tuple[str, int]]
    ) -> None:
        """Mark ops as sealed into a batch."""
        conn.executemany(
            "UPDATE ops SET batch_id = ? WHERE actor = ? AND counter = ?",
            [(batch_id, a, c) for a, c in dots],
        )

    def batch_dots(self, batch_id: str) -> list[tuple[str, int]]:
        """The dots of a sealed batch's ops, in the order they were sealed."""
        rows = self.conn.execute(
            "SELECT actor, counter FROM ops WHERE batch_id = ? AND origin = 'local'"
            " ORDER BY counter",
            (batch_id,),
        )
        return [(r[0], r[1]) for r in rows]

    def count_ops(self) -> dict[str, int]:
        """Counts of local-pending, local-delivered, refused and pulled ops."""
        row = self.conn.execute(
            "SELECT"
            " SUM(origin = 'local' AND delivered = 0),"
            " SUM(origin = 'local' AND delivered = 1 AND refusal IS NULL),"
            " SUM(origin = 'local' AND refusal IS NOT NULL),"
            " SUM(origin = 'pulled') FROM ops"
        ).fetchone()
        return {
            "pending": row[0] or 0,
            "delivered": row[1] or 0,
            "refused": row[2] or 0,
            "pulled": row[3] or 0,
        }

    # -- batches ------------------------------------------------------------------------

    def insert_batch(
        self,
        conn: sqlite3.Connection,
        batch_id: str,
        seq: int,
        op_count: int,
        now_ms: int,
        sealed: bytes,
    ) -> None:
        """Keep a sealed batch until its receipt arrives."""
        conn.execute(
            "INSERT INTO batches (batch_id, seq, op_count, created_at_ms, sealed)"
            " VALUES (?, ?, ?, ?, ?)",
            (batch_id, seq, op_count, now_ms, sealed),
        )

    def pending_batches(self) -> list[PendingBatch]:
        """Sealed batches without a receipt, oldest first."""
        rows = self.conn.execute(
            "SELECT batch_id, seq, op_count, sealed FROM batches WHERE receipt IS NULL ORDER BY seq"
        )
        return [PendingBatch(batch_id=r[0], seq=r[1], op_count=r[2], sealed=r[3]) for r in rows]

    def store_receipt(
        self, conn: sqlite3.Connection, batch_id: str, receipt: bytes, now_ms: int
    ) -> None:
        """Keep a batch's receipt and mark its ops delivered (the custody hand-off)."""
        conn.execute(
            "UPDATE batches SET receipt = ?, receipt_at_ms = ? WHERE batch_id = ?",
            (receipt, now_ms, batch_id),
        )
        conn.execute(
            "UPDATE ops SET delivered = 1 WHERE batch_id = ? AND origin = 'local'", (batch_id,)
        )

    def max_seq(self) -> int:
        """The highest batch sequence number used so far."""
        (value,) = self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM batches").fetchone()
        return int(value)

    def last_receipt(self) -> tuple[str, bytes, int] | None:
        """(batch id, receipt, when) of the newest receipt."""
        row = self.conn.execute(
            "SELECT batch_id, receipt, receipt_at_ms FROM batches WHERE receipt IS NOT NULL"
            " ORDER BY receipt_at_ms DESC, seq DESC LIMIT 1"
        ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    # -- records ------------------------------------------------------------------------

    def put_record(self, conn: sqlite3.Connection, record_id: str, form: str, state: bytes) -> None:
        """Store the merged local view of a record."""
        conn.execute(
            "INSERT OR REPLACE INTO records (record_id, form, state) VALUES (?, ?, ?)",
            (record_id, form, state),
        )

    def put_records(self, conn: sqlite3.Connection, rows: Sequence[tuple[str, str, bytes]]) -> None:
        """Store the merged local view of many records: (record id, form, state)."""
        conn.executemany(
            "INSERT OR REPLACE INTO records (record_id, form, state) VALUES (?, ?, ?)", rows
        )

    def get_states(self, record_ids: Sequence[str]) -> dict[str, bytes]:
        """Stored states of those records that exist, by id."""
        found: dict[str, bytes] = {}
        for i in range(0, len(record_ids), 900):
            part = record_ids[i : i + 900]
            sql = (
                "SELECT record_id, state FROM records WHERE record_id IN "
                f"({', '.join('?' * len(part))})"
            )
            found.update(self.conn.execute(sql, part).fetchall())
        return found

    def get_record(self, record_id: str) -> tuple[str, bytes] | None:
        """(form, state) of one record."""
        row = self.conn.execute(
            "SELECT form, state FROM records WHERE record_id = ?", (record_id,)
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def find_records(self, prefix: str) -> list[str]:
        """Record ids starting with a prefix (users type the first few characters)."""
        rows = self.conn.execute(
            "SELECT record_id FROM records WHERE record_id LIKE ? ESCAPE '\\' ORDER BY record_id",
            (prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",),
        )
        return [r[0] for r in rows]

    def iter_records(self) -> Iterator[tuple[str, str, bytes]]:
        """(record id, form, state) of every record, by id."""
        yield from self.conn.execute(
            "SELECT record_id, form, state FROM records ORDER BY record_id"
        )

    # -- attachments --------------------------------------------------------------------

    def add_attachment(
        self,
        conn: sqlite3.Connection,
        sha256: str,
        size: int,
        media_type: str,
        filename: str,
        now_ms: int,
    ) -> None:
        """Remember a file this device attached (the same bytes twice: kept once)."""
        conn.execute(
            "INSERT OR IGNORE INTO attachments (sha256, size, media_type, filename, added_at_ms)"
            " VALUES (?, ?, ?, ?, ?)",
            (sha256, size, media_type, filename, now_ms),
        )

    def add_attachment_refs(
        self, conn: sqlite3.Connection, refs: Sequence[tuple[str, str, int]]
    ) -> None:
        """Remember which op (sha256, actor, counter) references which file."""
        conn.executemany("INSERT OR IGNORE INTO attachment_refs VALUES (?, ?, ?)", refs)

    def attachments_to_upload(self) -> list[tuple[str, int, str]]:
        """(sha256, size, media type) of files with no receipt that an op the server
        stored references (their batch is receipted and the op not left out)."""
        rows = self.conn.execute(
            "SELECT a.sha256, a.size, a.media_type FROM attachments a WHERE a.receipt IS NULL"
            " AND EXISTS (SELECT 1 FROM attachment_refs r JOIN ops o ON o.actor = r.actor"
            " AND o.counter = r.counter WHERE r.sha256 = a.sha256 AND o.delivered = 1"
            " AND o.excluded = 0) ORDER BY a.added_at_ms, a.sha256"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def store_attachment_receipt(
        self, conn: sqlite3.Connection, sha256: str, receipt: bytes, now_ms: int
    ) -> None:
        """Keep the server's receipt for a file: it is delivered."""
        conn.execute(
            "UPDATE attachments SET receipt = ?, receipt_at_ms = ? WHERE sha256 = ?",
            (receipt, now_ms, sha256),
        )

    def count_attachments(self) -> dict[str, int]:
        """Files attached here: awaiting a receipt, delivered."""
        row = self.conn.execute(
            "SELECT SUM(receipt IS NULL), SUM(receipt IS NOT NULL) FROM attachments"
        ).fetchone()
        return {"awaiting_receipt": row[0] or 0, "delivered": row[1] or 0}
