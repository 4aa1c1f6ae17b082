"""`cairn verify`: check the audit chains, every stored batch, and rebuild the records."""

from __future__ import annotations

import argparse
import sys

from server.cli.common import add_data_option, data_dir, open_data
from server.verify import verify


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `verify` command."""
    parser = sub.add_parser(
        "verify",
        help="check the audit chains, batch signatures and attachments; rebuild and compare",
    )
    add_data_option(parser)
    parser.set_defaults(func=_verify)


def _verify(args: argparse.Namespace) -> int:
    from server.cli import CommandError

    try:
        opened = open_data(args)
    except CommandError as exc:
        # A directory that does not open is damage too: name it, as a failed check.
        print("FAILED: the data directory does not open:")
        print(f"  - {exc}")
        return 1
    with data_dir(args, opened=opened) as data:
        report = verify(
            data.store,
            data.keys,
            data.forms,
            lambda msg: print(f"... {msg}", file=sys.stderr),
            data_dir=data.path,
        )
    print(
        f"audit log: {report.audit_entries} entries in {report.audit_chains} chains"
        f" (+ {report.legacy_audit_entries} in the frozen format-1 log)"
    )
    print(f"raw batches: {report.batches} re-verified")
    print(
        f"attachments: {report.attachments} re-hashed, "
        f"{report.sealed_attachments} sealed uploads checked"
    )
    print(f"ops: {report.ops}; records rebuilt and compared: {report.records}")
    print(f"download renders made ahead: {report.renders} re-rendered and compared")
    if report.ok:
        print("OK: everything verifies")
        return 0
    print(f"FAILED: {len(report.problems)} problem(s):")
    for problem in report.problems:
        print(f"  - {problem}")
    return 1
