"""`cairn demo` shows the whole loop: teams, offline edits, conflicts and duplicates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from server.datadir import open_data_dir
from server.verify import verify
from tests.e2e.harness import free_port


def test_demo_runs_the_loop_and_leaves_a_verifiable_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    command = ["demo", "--data", str(data), "--exit", "--port", str(free_port())]
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "three field teams enrolled" in out
    assert "records: 8, open conflicts: 1" in out
    assert "duplicate identifier: human_remains.body_no 'DSH-01-G1-B017': 2 records" in out
    assert "Harris matrix: site DSH-01: cycle through contexts 1, 2" in out
    assert "export TOKEN=cairn_" in out
    opened = open_data_dir(data, create=False)
    try:
        assert verify(opened.store, opened.keys, opened.forms).problems == []
    finally:
        opened.store.close()
