"""`cairn backup` and `cairn restore`: a whole data directory, encrypted and signed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from server.backup.make import make_backup
from server.backup.restore import check_target, restore_backup
from server.cli.common import add_data_option, data_dir, read_keys

ACTOR = "admin:cli"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `backup` and `restore` commands."""
    backup = sub.add_parser(
        "backup",
        help="write an encrypted, signed backup of the whole data directory, keys included, "
        "while the server runs",
    )
    add_data_option(backup)
    backup.add_argument("--out", "-o", required=True, metavar="FILE", help="the .age file")
    backup.add_argument(
        "--recipient",
        "-r",
        action="append",
        default=[],
        metavar="AGE_KEY",
        help="age public key that may open the backup (age1… or age1pq1…); repeat for more",
    )
    backup.add_argument(
        "--recipients-file",
        "-R",
        action="append",
        default=[],
        metavar="FILE",
        help="a file of age public keys, one a line ('#' comments), as age -R reads",
    )
    backup.set_defaults(func=_backup)

    restore = sub.add_parser(
        "restore", help="check a backup whole and rebuild a data directory from it"
    )
    restore.add_argument("file", metavar="FILE", help="the backup (.age)")
    restore.add_argument(
        "--identity", "-i", action="append", required=True, metavar="KEY", help="age identity"
    )
    restore.add_argument(
        "--data",
        metavar="NEWDIR",
        required=True,
        help="the new data directory (must not exist, or be empty)",
    )
    restore.add_argument(
        "--pubkey",
        metavar="FILE",
        help="the server key you trust (minisign .pub, from 'cairn archive pubkey'); "
        "without it the enclosed cairn.pub is checked",
    )
    restore.set_defaults(func=_restore)


def _say(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def _recipients(args: argparse.Namespace) -> list[str]:
    from server.cli import CommandError

    keys = list(args.recipient)
    for name in args.recipients_file:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read recipients file {name}: {exc}") from None
        keys += [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if not keys:
        raise CommandError(
            "a backup needs at least one recipient: --recipient AGE_KEY or -R FILE "
            "(make a key with 'cairn keygen'; keep it off this server)"
        )
    return keys


def _backup(args: argparse.Namespace) -> int:
    recipients = _recipients(args)
    out = Path(args.out)
    with data_dir(args) as data:
        result = make_backup(data, recipients, out, actor=ACTOR, progress=_say)
    counts = result.manifest.counts
    print(
        f"wrote {out} ({result.size} bytes): {counts.get('ops', 0)} ops, "
        f"{counts.get('records', 0)} records, {counts.get('attachment_files', 0)} attachment "
        f"files ({counts.get('attachment_bytes', 0)} bytes), {counts.get('key_files', 0)} key files"
    )
    for name, head in result.manifest.audit_heads.items():
        print(f"audit head {name}: entry {head.seq} {head.hash}")
    print(f"manifest sha256: {result.manifest_sha256}")
    missing = counts.get("attachment_files_missing", 0)
    if missing:
        print(f"WARNING: {missing} attachment files the database names were not on disk")
        return 1
    return 0


def _restore(args: argparse.Namespace) -> int:
    from server.cli import CommandError

    target = Path(args.data)
    check_target(target)  # before reading keys or the file: a clear answer first
    identities, pinned = read_keys(args.identity, args.pubkey)
    try:
        src = Path(args.file).open("rb")  # noqa: SIM115 (closed below; its errors are ours)
    except OSError as exc:
        raise CommandError(f"cannot read {args.file}: {exc.strerror}") from None
    with src:
        result = restore_backup(
            src, identities, target, pinned_pubkey=pinned, actor=ACTOR, progress=_say
        )
    manifest = result.manifest
    print(
        f"restored {result.path}: {result.files} files, {result.bytes} bytes, from the backup "
        f"made {manifest.made_at} by {manifest.made_by} (instance {manifest.instance_id})"
    )
    for name, head in manifest.audit_heads.items():
        print(f"audit head {name}: entry {head.seq} {head.hash}")
    if result.rebuilt_records is not None:
        print(f"rebuilt {result.rebuilt_records} records (this release stores them anew)")
    print(f"next: 'cairn verify --data {result.path}', then 'cairn serve --data {result.path}'")
    return 0
