"""The `cairn` command line: a thin wrapper over the library, one module per command group."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

# The modules of the command line, in `cairn --help` order. Each exposes
# `register(subparsers)`, which adds its command groups; the handler it sets as `func`
# returns an exit status.
COMMAND_MODULES: tuple[str, ...] = (
    "serve_cmd",
    "admin_cmd",
    "device_cmd",
    "forms_cmd",
    "verify_cmd",
    "demo_cmd",
    "export_cmd",
    "backup_cmd",
)
# The module that registers each command group. A command line that names its group loads
# only that module: `cairn device push` does not import the server (litestar, the store),
# which took seconds of a field device's push (bench/attachments.py).
COMMAND_GROUPS: dict[str, str] = {
    "serve": "serve_cmd",
    "admin": "admin_cmd",
    "device": "device_cmd",
    "forms": "forms_cmd",
    "verify": "verify_cmd",
    "demo": "demo_cmd",
    "export": "export_cmd",
    "keygen": "export_cmd",
    "archive": "export_cmd",
    "backup": "backup_cmd",
    "restore": "backup_cmd",
}


class CommandError(Exception):
    """A user-facing error: printed as one line on stderr, exit status 2 (or `.status`)."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Build the `cairn` argument parser: every command group, or only those of the module
    that registers the group ``only``."""
    parser = argparse.ArgumentParser(
        prog="cairn",
        description="Offline-first sync server for forensic field teams.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES if only is None else (COMMAND_GROUPS[only],):
        module: ModuleType = importlib.import_module(f"server.cli.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `cairn` console script."""
    # httpx imports its own command line at import (click, rich, pygments: ~0.3 s of every
    # device command's start); it is never run here, so it is not imported: httpx then
    # defines a stand-in `httpx.main`, as when those are not installed.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    from server.errors import CairnServerError
    from sync.client import ClientError

    args_list = list(sys.argv[1:] if argv is None else argv)
    # A known group first (the top level has no other options): only its module is loaded.
    # Anything else (--help, a typo) gets the full parser and its usual answer.
    named = args_list[0] if args_list and args_list[0] in COMMAND_GROUPS else None
    args = build_parser(named).parse_args(args_list)
    # httpx logs every request at INFO; a field client's output is ours to write.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except CommandError as exc:
        print(f"cairn: error: {exc}", file=sys.stderr)
        return exc.status
    except CairnServerError as exc:
        from server.cli.common import cli_message  # the data directory's imports: only here

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
