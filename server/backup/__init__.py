"""Backups of a whole data directory, and restoring one: `cairn backup`, `cairn restore`.

A backup is an age file of a tar (the archive machinery of `server.export`: the same
streamed pax tar, the same age encryption, the same minisign signature by the server
key), holding a data directory as it was at one instant:

    cairn-backup-<when>/README.txt
    cairn-backup-<when>/data/cairn.json           the marker (instance id)
    cairn-backup-<when>/data/cairn.db             one consistent SQLite snapshot
    cairn-backup-<when>/data/keys/…               every key file (the server's secrets)
    cairn-backup-<when>/data/attachments/blobs/…  every stored file, by its SHA-256
    cairn-backup-<when>/data/attachments/sealed/… every device upload as received
    cairn-backup-<when>/manifest.json             sizes, SHA-256s, counts, audit heads
    cairn-backup-<when>/manifest.json.minisig     its signature by the server key
    cairn-backup-<when>/cairn.pub                 that key (minisign format)
    cairn-backup-<when>/SHA256SUMS                `sha256sum -c` of every file

The manifest comes last: attachments (a gigabyte and more) are hashed as they stream past,
never read twice nor copied to a spool. See `server.backup.make` and
`server.backup.restore`.
"""

from __future__ import annotations

from server.errors import CairnServerError


class BackupError(CairnServerError):
    """A backup that cannot be made, or a file that cannot be restored; nothing was written."""

    code = "backup"
