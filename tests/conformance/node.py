"""Running the conformance scripts under Node, for the tests and the benchmarks.

The Python side never needs Node (DESIGN.md): without `node` on PATH the conformance tests
skip, saying why; CI installs it (.ci/run) and runs them against the committed build.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BUILD = ROOT / "server" / "web" / "static" / "core" / "cairn-core.js"


def node_or_skip() -> str:
    """The `node` executable, or skip the calling test with the reason."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the TypeScript core's conformance runs in CI (.ci/run)")
    return node


def run_script(script: str, *args: str, timeout: float = 600) -> tuple[int, dict[str, Any]]:
    """Run tests/conformance/SCRIPT under node; its exit status and its JSON summary."""
    node = node_or_skip()
    done = subprocess.run(
        [node, str(HERE / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    try:
        summary = json.loads(done.stdout)
    except json.JSONDecodeError:
        problem = f"{script} printed no summary:\n{done.stdout}\n{done.stderr}"
        raise AssertionError(problem) from None
    return done.returncode, summary
