"""The README documents every command and every HTTP route a user can reach."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

from server.app import create_app
from server.cli import build_parser
from server.config import load_config
from server.datadir import open_data_dir

README = (Path(__file__).parents[1] / "README.md").read_text()


def _commands(parser: argparse.ArgumentParser, prefix: str = "cairn") -> Iterator[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, f"{prefix} {name}")
            return
    yield prefix


def test_every_command_is_in_the_readme() -> None:
    missing = [c for c in _commands(build_parser()) if f"`{c}" not in README]
    assert missing == []


def test_every_route_is_in_the_readme(tmp_path: Path) -> None:
    data = open_data_dir(tmp_path / "d", create=True)
    try:
        app = create_app(load_config(data.path), data)
        routes = {
            (method, re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path))
            for route in app.routes
            for method in getattr(route, "methods", ())
            if method not in {"HEAD", "OPTIONS"} and not route.path.startswith("/v1/schema")
        }
    finally:
        data.store.close()
    missing = sorted(f"{m} {p}" for m, p in routes if f"`{m} {p}" not in README)
    assert missing == []
