"""The merge core is pure: sync/ imports only the standard library and msgspec."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SYNC = Path(__file__).resolve().parents[2] / "sync"
# The device client, its wire messages and the crypto layer may do I/O or use `cryptography`.
EXEMPT = {
    "client.py",
    "device_store.py",
    "sealed.py",
    "keys.py",
    "receipt.py",
    "errors.py",
    "wire.py",
    "attachment.py",
    "blobs.py",
    "uploads.py",
}
ALLOWED = set(sys.stdlib_module_names) | {"msgspec", "sync"}
BANNED = {"litestar", "sqlite3", "sqlite_utils", "socket", "httpx"}


def pure_modules() -> list[Path]:
    """Every module of sync/ that must stay pure."""
    return sorted(
        p
        for p in SYNC.rglob("*.py")
        if p.name not in EXEMPT and not p.name.startswith("age") and p.parent.name != "age"
    )


def imported_roots(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports (relative imports count as sync)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            roots.add("sync" if node.level else (node.module or "").split(".")[0])
    return roots


def test_the_merge_modules_are_checked() -> None:
    names = {p.name for p in pure_modules()}
    assert {"merge.py", "ops.py", "clock.py", "vv.py", "register.py", "record.py"} <= names


@pytest.mark.parametrize("path", pure_modules(), ids=lambda p: p.name)
def test_pure_sync_modules_import_only_stdlib_and_msgspec(path: Path) -> None:
    roots = imported_roots(path)
    assert not roots & BANNED, f"{path.name} imports {sorted(roots & BANNED)}"
    assert roots <= ALLOWED, f"{path.name} imports {sorted(roots - ALLOWED)}"


def test_the_checker_catches_a_banned_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlite3\nfrom litestar import Litestar\nfrom . import merge\n")
    assert imported_roots(bad) == {"sqlite3", "litestar", "sync"}
