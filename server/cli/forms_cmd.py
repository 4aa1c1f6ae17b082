"""`cairn forms …`: list, show and check form definitions."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `forms` command group."""
    parser = sub.add_parser("forms", help="list, show and check form definitions")
    parser.set_defaults(func=_todo)


def _todo(args: argparse.Namespace) -> int:
    print("cairn forms: not built yet")
    return 1
