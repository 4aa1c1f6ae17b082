"""The database schema as an ordered list of migrations, tracked by PRAGMA user_version.

A database made by an older release opens in a newer one: `migrate` applies, in one
transaction each, every migration after the version the file records. Migrations are only
ever appended to this list, never edited.
"""

from __future__ import annotations

import sqlite3

# Append-only tables: batches, ops, quarantine, audit, audit_chain. Materialized (rebuildable
# from ops): records, conflicts, identifiers, record_points/record_rtree.
MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE projects (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL
    );
    CREATE TABLE devices (
        device_id TEXT PRIMARY KEY,
        project TEXT NOT NULL REFERENCES projects(code),
        label TEXT NOT NULL DEFAULT '',
        signing_public BLOB NOT NULL,
        encryption_recipient TEXT NOT NULL,
        enrolled_at_ms INTEGER NOT NULL,
        revoked_at_ms INTEGER,
        last_seq INTEGER NOT NULL DEFAULT 0,
        last_seen_ms INTEGER
    );
    CREATE TABLE enroll_codes (
        code_hash TEXT PRIMARY KEY,
        project TEXT NOT NULL REFERENCES projects(code),
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        used_at_ms INTEGER,
        device_id TEXT
    );
    CREATE TABLE tokens (
        token_hash TEXT PRIMARY KEY,
        token_id TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor')),
        project TEXT REFERENCES projects(code),
        label TEXT NOT NULL DEFAULT '',
        created_at_ms INTEGER NOT NULL,
        revoked_at_ms INTEGER
    );
    CREATE TABLE batches (
        batch_id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices(device_id),
        project TEXT NOT NULL,
        seq INTEGER NOT NULL,
        key_id TEXT NOT NULL,
        sealed BLOB NOT NULL,
        sealed_sha256 TEXT NOT NULL,
        received_at_ms INTEGER NOT NULL,
        op_count INTEGER NOT NULL,
        receipt BLOB NOT NULL
    );
    CREATE INDEX batches_device_seq ON batches(device_id, seq);
    CREATE TABLE ops (
        cursor INTEGER PRIMARY KEY AUTOINCREMENT,
        project TEXT NOT NULL,
        record_id TEXT NOT NULL,
        actor TEXT NOT NULL,
        counter INTEGER NOT NULL,
        kind TEXT NOT NULL,
        hlc INTEGER NOT NULL,
        batch_id TEXT,
        received_at_ms INTEGER NOT NULL,
        clock_suspect INTEGER NOT NULL DEFAULT 0,
        op BLOB NOT NULL,
        UNIQUE (actor, counter)
    );
    CREATE INDEX ops_record ON ops(record_id);
    CREATE INDEX ops_project_cursor ON ops(project, cursor);
    CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        project TEXT,
        device_id TEXT,
        batch_id TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('batch', 'op')),
        code TEXT NOT NULL,
        reason TEXT NOT NULL,
        received_at_ms INTEGER NOT NULL,
        payload BLOB NOT NULL
    );
    CREATE INDEX quarantine_project ON quarantine(project, id);
    CREATE TABLE records (
        record_id TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        form_id TEXT NOT NULL,
        form_version INTEGER NOT NULL,
        identifier TEXT,
        review_state TEXT NOT NULL DEFAULT 'received',
        retracted INTEGER NOT NULL DEFAULT 0,
        conflict_count INTEGER NOT NULL DEFAULT 0,
        updated_cursor INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        state BLOB NOT NULL
    );
    CREATE INDEX records_project ON records(project, form_id, updated_cursor);
    CREATE INDEX records_updated ON records(project, updated_cursor);
    CREATE TABLE identifiers (
        project TEXT NOT NULL,
        form_id TEXT NOT NULL,
        name TEXT NOT NULL,
        scope TEXT NOT NULL,
        value TEXT NOT NULL,
        record_id TEXT NOT NULL,
        PRIMARY KEY (record_id, name)
    );
    CREATE INDEX identifiers_value ON identifiers(project, form_id, name, scope, value);
    CREATE TABLE record_points (
        point_id INTEGER PRIMARY KEY,
        record_id TEXT NOT NULL UNIQUE
    );
    CREATE VIRTUAL TABLE record_rtree USING rtree(point_id, min_lat, max_lat, min_lon, max_lon);
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT NOT NULL,
        subject TEXT NOT NULL,
        data TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER ops_append_only_update BEFORE UPDATE ON ops
        BEGIN SELECT RAISE(ABORT, 'ops are immutable'); END;
    CREATE TRIGGER ops_append_only_delete BEFORE DELETE ON ops
        BEGIN SELECT RAISE(ABORT, 'ops are immutable'); END;
    CREATE TRIGGER batches_append_only_delete BEFORE DELETE ON batches
        BEGIN SELECT RAISE(ABORT, 'raw batches are kept forever'); END;
    """,
    # 2: identifiers are matched as people read them (folded `key`), a record in conflict
    # claims every live value, and seal numbers are unique across forms. The table is
    # derived: its rows are rebuilt from the ops when the data directory is opened.
    """
    DROP TABLE identifiers;
    CREATE TABLE identifiers (
        project TEXT NOT NULL,
        form_id TEXT NOT NULL,
        name TEXT NOT NULL,
        scope TEXT NOT NULL,
        value TEXT NOT NULL,
        record_id TEXT NOT NULL,
        key TEXT NOT NULL,
        PRIMARY KEY (record_id, name, key)
    );
    CREATE INDEX identifiers_key ON identifiers(project, form_id, name, key);
    DELETE FROM meta WHERE key = 'record_state_format';
    """,
    # 3: what a project's users see counts only that project (issue 23). `pcursor` numbers
    # each project's ops 1, 2, 3 ... (pulls, `since`, history, records' updated_cursor);
    # `number` numbers each project's quarantine. Rows already stored keep their global
    # numbers (a device's stored pull cursor stays valid); new ones continue per project.
    # Quarantine rows without a project are the server-level quarantine of batches that
    # no enrolled device signed, kept with the sending `client` address for its rate limit.
    """
    DROP TRIGGER ops_append_only_update;
    ALTER TABLE ops ADD COLUMN pcursor INTEGER;
    UPDATE ops SET pcursor = cursor;
    CREATE UNIQUE INDEX ops_project_pcursor ON ops(project, pcursor);
    CREATE TRIGGER ops_append_only_update BEFORE UPDATE ON ops
        BEGIN SELECT RAISE(ABORT, 'ops are immutable'); END;
    ALTER TABLE quarantine ADD COLUMN number INTEGER;
    ALTER TABLE quarantine ADD COLUMN client TEXT;
    UPDATE quarantine SET number = id WHERE project IS NOT NULL;
    CREATE UNIQUE INDEX quarantine_number ON quarantine(project, number);
    CREATE INDEX quarantine_stray ON quarantine(client, received_at_ms) WHERE project IS NULL;
    """,
    # 4: one audit chain per project and one for the server, entries in RFC 8785 JSON
    # (server.audit.chain). The format-1 `audit` table is kept as it is, frozen: opening
    # the data directory opens each chain with an entry anchoring its head.
    """
    CREATE TABLE audit_chain (
        chain TEXT NOT NULL,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        entry TEXT NOT NULL,  -- the exact bytes the hash covers: JCS of the entry without hash
        hash TEXT NOT NULL,
        PRIMARY KEY (chain, seq)
    );
    CREATE TRIGGER audit_chain_append_only_update BEFORE UPDATE ON audit_chain
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_chain_append_only_delete BEFORE DELETE ON audit_chain
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_frozen BEFORE INSERT ON audit
        BEGIN SELECT RAISE(ABORT, 'the format-1 audit log is frozen; append to audit_chain'); END;
    """,
    # 5 (issue 15): attachments. `attachment_refs` is derived from the ops (which op of
    # which record references which file's SHA-256; rebuilt when the data directory
    # opens); `attachment_blobs` lists the files held in attachments/blobs (content-
    # addressed, deduplicated); `attachment_uploads` is append-only: each device's sealed
    # upload of a file, kept as received in attachments/sealed, with its signed receipt.
    """
    CREATE TABLE attachment_refs (
        project TEXT NOT NULL,
        record_id TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        actor TEXT NOT NULL,
        counter INTEGER NOT NULL,
        path TEXT NOT NULL,
        filename TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (actor, counter, path)
    );
    CREATE INDEX attachment_refs_sha ON attachment_refs(sha256, project);
    CREATE INDEX attachment_refs_record ON attachment_refs(project, record_id);
    CREATE TABLE attachment_blobs (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        exif TEXT NOT NULL DEFAULT '{}',
        stored_at_ms INTEGER NOT NULL
    );
    CREATE TABLE attachment_uploads (
        project TEXT NOT NULL,
        device_id TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        sealed_sha256 TEXT NOT NULL,
        sealed_size INTEGER NOT NULL,
        received_at_ms INTEGER NOT NULL,
        receipt BLOB NOT NULL,
        PRIMARY KEY (device_id, sha256)
    );
    CREATE INDEX attachment_uploads_project ON attachment_uploads(project, sha256);
    CREATE TRIGGER attachment_uploads_append_only_delete BEFORE DELETE ON attachment_uploads
        BEGIN SELECT RAISE(ABORT, 'sealed attachments are kept forever'); END;
    """,
    # 6: throughput (issue 22). Downloads and exports page through one form's records by
    # record id (keyset): an index in that order, so a page costs its own rows, not a sort
    # of the whole form. A receipt's missing seqs come from each device's gaps, stored as
    # ranges [lo, hi] below its highest seq (`devices.last_seq`), so a push costs the same
    # after one batch or 100,000; the ranges of stored batches are derived here once.
    """
    CREATE INDEX records_form_by_id ON records(project, form_id, record_id);
    CREATE TABLE device_seq_gaps (
        device_id TEXT NOT NULL,
        lo INTEGER NOT NULL,
        hi INTEGER NOT NULL,
        PRIMARY KEY (device_id, lo)
    ) WITHOUT ROWID;
    INSERT INTO device_seq_gaps (device_id, lo, hi)
        SELECT device_id, prev + 1, seq - 1 FROM (
            SELECT device_id, seq, LAG(seq, 1, 0) OVER (PARTITION BY device_id ORDER BY seq)
                AS prev FROM batches
        ) WHERE seq > prev + 1;
    UPDATE devices SET last_seq = MAX(last_seq, COALESCE(
        (SELECT MAX(seq) FROM batches b WHERE b.device_id = devices.device_id), 0));
    """,
    # 7 (issue 23): record ids are scoped to their project. The same id in two projects is
    # two records, so a device can neither learn that another project holds an id nor claim
    # one first. The tables keyed by record id are derived (rebuildable from the ops) and
    # are copied row for row into tables keyed by (project, record_id).
    """
    CREATE TABLE records_v7 (
        project TEXT NOT NULL,
        record_id TEXT NOT NULL,
        form_id TEXT NOT NULL,
        form_version INTEGER NOT NULL,
        identifier TEXT,
        review_state TEXT NOT NULL DEFAULT 'received',
        retracted INTEGER NOT NULL DEFAULT 0,
        conflict_count INTEGER NOT NULL DEFAULT 0,
        updated_cursor INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        state BLOB NOT NULL,
        PRIMARY KEY (project, record_id)
    );
    INSERT INTO records_v7 (project, record_id, form_id, form_version, identifier,
            review_state, retracted, conflict_count, updated_cursor, updated_at_ms, state)
        SELECT project, record_id, form_id, form_version, identifier, review_state,
            retracted, conflict_count, updated_cursor, updated_at_ms, state FROM records;
    DROP TABLE records;
    ALTER TABLE records_v7 RENAME TO records;
    CREATE INDEX records_project ON records(project, form_id, updated_cursor);
    CREATE INDEX records_updated ON records(project, updated_cursor);
    CREATE INDEX records_form_by_id ON records(project, form_id, record_id);
    CREATE TABLE identifiers_v7 (
        project TEXT NOT NULL,
        form_id TEXT NOT NULL,
        name TEXT NOT NULL,
        scope TEXT NOT NULL,
        value TEXT NOT NULL,
        record_id TEXT NOT NULL,
        key TEXT NOT NULL,
        PRIMARY KEY (project, record_id, name, key)
    );
    INSERT INTO identifiers_v7 (project, form_id, name, scope, value, record_id, key)
        SELECT project, form_id, name, scope, value, record_id, key FROM identifiers;
    DROP TABLE identifiers;
    ALTER TABLE identifiers_v7 RENAME TO identifiers;
    CREATE INDEX identifiers_key ON identifiers(project, form_id, name, key);
    CREATE TABLE record_points_v7 (
        point_id INTEGER PRIMARY KEY,
        project TEXT NOT NULL,
        record_id TEXT NOT NULL,
        UNIQUE (project, record_id)
    );
    INSERT INTO record_points_v7 (point_id, project, record_id)
        SELECT p.point_id, r.project, p.record_id
        FROM record_points p JOIN records r ON r.record_id = p.record_id;
    DROP TABLE record_points;
    ALTER TABLE record_points_v7 RENAME TO record_points;
    DELETE FROM record_rtree WHERE point_id NOT IN (SELECT point_id FROM record_points);
    DROP INDEX ops_record;
    CREATE INDEX ops_record ON ops(project, record_id);
    """,
    # 8 (issue 20): token lifecycle. A token may expire (`expires_at_ms`, refused from then
    # on like a revoked one) and records when it was last used (`last_used_ms`, written at
    # most once a minute per token). A third role, `metrics`, reads only /metrics, so a
    # monitoring host never holds a token that can read evidence. SQLite cannot change a
    # CHECK constraint in place: the table is rebuilt with its rows (nothing refers to it).
    """
    CREATE TABLE tokens_lifecycle (
        token_hash TEXT PRIMARY KEY,
        token_id TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'metrics')),
        project TEXT REFERENCES projects(code),
        label TEXT NOT NULL DEFAULT '',
        created_at_ms INTEGER NOT NULL,
        revoked_at_ms INTEGER,
        expires_at_ms INTEGER,
        last_used_ms INTEGER
    );
    INSERT INTO tokens_lifecycle (token_hash, token_id, role, project, label, created_at_ms,
        revoked_at_ms)
        SELECT token_hash, token_id, role, project, label, created_at_ms, revoked_at_ms
        FROM tokens;
    DROP TABLE tokens;
    ALTER TABLE tokens_lifecycle RENAME TO tokens;
    """,
    # 9 (issue 22): ops(project, cursor) serves no query since each project counts its own
    # cursor (`pcursor`, migration 3): reads by project use ops_project_pcursor or
    # ops_record, global reads the primary key. Keeping it cost a quarter of every op
    # insert. Nothing stored changes.
    """
    DROP INDEX IF EXISTS ops_project_cursor;
    """,
    # 10 (issue 22 item 4): the views (records, identifiers, points) may be built after the
    # commit that stores a batch's ops (server.views). `views_cursor` in meta is the global
    # op cursor (ops.cursor) the views reflect: every op at or below it, none above. It is
    # written in the same transaction as the views. Until now they were built with the ops,
    # so they reflect every op stored.
    """
    INSERT OR REPLACE INTO meta (key, value)
        SELECT 'views_cursor', CAST(COALESCE(MAX(cursor), 0) AS TEXT) FROM ops;
    """,
    # 11 (issue 22 item 5): each record's line in its form's records.csv and its features
    # in records.geojson, rendered in the background (server.export.renders) so a download
    # copies them. `key` digests every input of the rendering (the record row, its state,
    # the renderers' code and the forms): a download uses a render only when the key it
    # works out from the row it read is the same, so a render can be missing or old, never
    # wrong. `csv_spec` digests the CSV table's columns the line was made for. Per project,
    # meta's `renders_cursor:<project>` is the records' updated_cursor up to which renders
    # were made. Nothing stored changes.
    """
    CREATE TABLE record_renders (
        project TEXT NOT NULL,
        record_id TEXT NOT NULL,
        key BLOB NOT NULL,
        csv_spec BLOB,
        csv TEXT,
        geojson BLOB NOT NULL,
        PRIMARY KEY (project, record_id)
    ) WITHOUT ROWID;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(Exception):
    """The database was written by a newer release than this one."""


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date; return the version the file was at before."""
    (found,) = conn.execute("PRAGMA user_version").fetchone()
    if found > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"database schema version {found} is newer than this release knows ({SCHEMA_VERSION})"
        )
    for version in range(found, SCHEMA_VERSION):
        script = (
            f"BEGIN IMMEDIATE;\n{MIGRATIONS[version]}\n"
            f"PRAGMA user_version = {version + 1};\nCOMMIT;"
        )
        try:
            conn.executescript(script)
        except sqlite3.Error:
            if conn.in_transaction:
                conn.rollback()
            raise
    return int(found)
