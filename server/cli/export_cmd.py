"""`cairn export`, `cairn keygen` and `cairn archive verify`: encrypted, signed archives."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from server import minisign
from server.cli.common import add_data_option, data_dir, read_keys
from server.export.archive import ExportSource, export_to_file
from server.export.verify import ArchiveReport, verify_archive
from sync import durable
from sync.age import (
    AnyIdentity,
    format_identity_file,
    generate_hybrid,
    generate_x25519,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `export`, `keygen` and `archive` commands."""
    export = sub.add_parser(
        "export", help="write a project's encrypted, signed archive (an age file of a tar)"
    )
    add_data_option(export)
    export.add_argument("--project", required=True, metavar="CODE", help="project code")
    export.add_argument(
        "--recipient",
        "-r",
        action="append",
        required=True,
        metavar="AGE_KEY",
        help="age public key that may open the archive (age1… or age1pq1…); repeat for more",
    )
    export.add_argument("--out", "-o", required=True, metavar="FILE", help="the .age file")
    export.set_defaults(func=_export)

    keygen = sub.add_parser("keygen", help="make an age identity for opening archives")
    keygen.add_argument("--pq", action="store_true", help="post-quantum (mlkem768x25519) key")
    keygen.add_argument(
        "--out",
        "-o",
        default="archive-key.txt",
        metavar="FILE",
        help="identity file to create, mode 0600 (default archive-key.txt; '-' for stdout)",
    )
    keygen.set_defaults(func=_keygen)

    archive = sub.add_parser("archive", help="check an archive").add_subparsers(
        dest="archive_command", metavar="ACTION", required=True
    )
    check = archive.add_parser(
        "verify", help="decrypt and check hashes, signature, audit chain and device signatures"
    )
    check.add_argument("file", metavar="FILE", help="the archive (.age)")
    check.add_argument(
        "--identity", "-i", action="append", required=True, metavar="KEY", help="age identity"
    )
    check.add_argument(
        "--pubkey",
        metavar="FILE",
        help="the server key you trust (minisign .pub); without it the enclosed cairn.pub "
        "is used, which proves nothing against someone who re-encrypted the archive",
    )
    check.set_defaults(func=_verify)
    pubkey = archive.add_parser(
        "pubkey", help="print the server's signing key (minisign format) to pin in verify"
    )
    add_data_option(pubkey)
    pubkey.set_defaults(func=_pubkey)


def _progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def _export(args: argparse.Namespace) -> int:
    out = Path(args.out)
    with data_dir(args) as data:
        source = ExportSource(data.store, data.keys, data.forms, data.path)
        manifest, size = export_to_file(
            source, args.project, args.recipient, out, actor="admin:cli", progress=_progress
        )
    counts = ", ".join(f"{k} {v}" for k, v in manifest.counts.items())
    print(f"wrote {out} ({size} bytes): {counts}")
    audit = manifest.audit
    print(f"audit head at export: {audit.head} ({audit.chain}, entry {audit.last})")
    return 0


def _pubkey(args: argparse.Namespace) -> int:
    with data_dir(args) as data:
        sys.stdout.write(minisign.public_key_file(data.keys.signing_key.public_key()))
    return 0


def _keygen(args: argparse.Namespace) -> int:
    from server.cli import CommandError

    identity: AnyIdentity = generate_hybrid() if args.pq else generate_x25519()
    text = format_identity_file(identity)
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    path = Path(args.out)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CommandError(f"{path} exists; refusing to overwrite a key (choose --out)") from None
    except OSError as exc:
        raise CommandError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    durable.fsync_dir(path.absolute().parent)
    print(
        f"wrote the secret identity to {path} (mode 0600); keep it safe and backed up",
        file=sys.stderr,
    )
    print(f"public key: {identity.recipient()}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from server.cli import CommandError

    identities, pinned = read_keys(args.identity, args.pubkey)
    try:
        with open(args.file, "rb") as src:
            report = verify_archive(src, identities, pinned_pubkey=pinned, progress=_progress)
    except OSError as exc:
        raise CommandError(f"cannot read {args.file}: {exc.strerror}") from None
    _print_report(report)
    return 0 if report.ok else 1


def _print_report(report: ArchiveReport) -> None:
    for line in report.lines():
        print(line)
    if report.ok:
        print("OK: the archive verifies")
    else:
        print(f"FAILED: {len(report.problems)} problem(s):")
        for problem in report.problems:
            print(f"  - {problem}")
