"""The `cairn` command line: a thin wrapper over the library, one module per command group."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from server.cli import (
    admin_cmd,
    backup_cmd,
    demo_cmd,
    device_cmd,
    export_cmd,
    forms_cmd,
    serve_cmd,
    verify_cmd,
)
from server.cli.common import cli_message
from server.errors import CairnServerError
from sync.client import ClientError

# Each module exposes `register(subparsers)`; the handler it sets as `func` returns an exit status.
COMMAND_MODULES: tuple[ModuleType, ...] = (
    serve_cmd,
    admin_cmd,
    device_cmd,
    forms_cmd,
    verify_cmd,
    demo_cmd,
    export_cmd,
    backup_cmd,
)


class CommandError(Exception):
    """A user-facing error: printed as one line on stderr, exit status 2 (or `.status`)."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def build_parser() -> argparse.ArgumentParser:
    """Build the full `cairn` argument parser."""
    parser = argparse.ArgumentParser(
        prog="cairn",
        description="Offline-first sync server for forensic field teams.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `cairn` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # httpx logs every request at INFO; a field client's output is ours to write.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except CommandError as exc:
        print(f"cairn: error: {exc}", file=sys.stderr)
        return exc.status
    except CairnServerError as exc:
        print(f"cairn: error: {cli_message(exc)}", file=sys.stderr)
        return 2
    except ClientError as exc:
        print(f"cairn: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cairn: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_left()


def _reader_left() -> int:
    """The reader of our output went away (`cairn … | head`): stop quietly, as cat does."""
    # Python would flush stdout again at exit and print a second BrokenPipeError there.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141  # 128 + SIGPIPE, what a shell reports for any program stopped this way


if __name__ == "__main__":
    sys.exit(main())
