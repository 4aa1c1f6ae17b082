"""Helpers shared by the command modules: the --data option and opening a data directory."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server.config import DATA_ENV, resolve_data_dir
from server.datadir import DataDir, open_data_dir
from server.errors import CairnServerError

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def add_data_option(parser: argparse.ArgumentParser) -> None:
    """Every command that uses a data directory takes --data (default ./cairn-data)."""
    parser.add_argument(
        "--data",
        metavar="DIR",
        default=None,
        help=f"data directory (default: ${DATA_ENV} or ./cairn-data)",
    )


# What a command-line user does about an error the library names by its code; the library's
# own messages speak of the request, never of flags (they reach HTTP clients too).
_CLI_HINTS = {
    "bad_project_name": "give --name NAME",
    "project_required": "give --project CODE",
    "bad_scope": "drop --project",
    "unknown_project": "'cairn admin project list' shows them; "
    "'cairn admin project create CODE --name NAME' makes one",
    "unknown_device": "'cairn admin devices' lists them",
    "unknown_token": "'cairn admin token list' lists them",
}


def cli_message(exc: CairnServerError) -> str:
    """A library error as a command-line user reads it: its message and what to type."""
    hint = _CLI_HINTS.get(exc.code)
    return f"{exc.message}; {hint}" if hint else exc.message


def open_data(args: argparse.Namespace, *, create: bool = False) -> DataDir:
    """Open the data directory named by --data / $CAIRN_DATA, as a CommandError if unusable."""
    from server.cli import CommandError

    path = resolve_data_dir(args.data)
    try:
        return open_data_dir(path, create=create, progress=_say)
    except CairnServerError as exc:
        raise CommandError(cli_message(exc)) from exc


def _say(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


@contextmanager
def data_dir(
    args: argparse.Namespace, *, create: bool = False, opened: DataDir | None = None
) -> Iterator[DataDir]:
    """Open the data directory (or use `opened`) for one command; errors become CommandErrors."""
    from server.cli import CommandError

    data = opened or open_data(args, create=create)
    if data.rebuilt_records is not None:
        print(
            f"Rebuilt {data.rebuilt_records} records from their ops: this release stores "
            "record state in a new layout",
            file=sys.stderr,
        )
    try:
        yield data
    except CairnServerError as exc:
        raise CommandError(cli_message(exc)) from exc
    finally:
        data.store.close()


def parse_duration(text: str) -> int:
    """'90s', '30m', '24h', '7d' → seconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30m, 24h or 7d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def format_ms(ms: int | None) -> str:
    """A millisecond timestamp as readable UTC, or '-'."""
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def read_keys(identity_files: list[str], pubkey: str | None) -> tuple[list[Any], str | None]:
    """The age identities in `identity_files` and the text of a pinned minisign public key
    (`pubkey`, or None), for the commands that open archives and backups; a file that
    cannot be read is a clear CommandError naming it."""
    from server.cli import CommandError
    from sync.age import read_identity_file
    from sync.errors import CairnCryptoError

    identities: list[Any] = []
    for name in identity_files:
        try:
            identities += read_identity_file(Path(name))
        except (OSError, CairnCryptoError, ValueError) as exc:
            raise CommandError(f"cannot read identity {name}: {exc}") from None
    pinned = None
    if pubkey:
        try:
            pinned = Path(pubkey).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {pubkey}: {exc.strerror}") from None
    return identities, pinned
