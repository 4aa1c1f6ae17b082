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


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "demo", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_demo_help_names_its_own_default_directory() -> None:
    out = " ".join(_demo("--help").stdout.split())
    assert "(default: ./cairn-demo);" in out and "cairn-data" not in out


def test_a_second_demo_run_is_refused_and_the_first_runs_data_is_untouched(
    tmp_path: Path,
) -> None:
    data = tmp_path / "demo"
    port = str(free_port())
    first = _demo("--data", str(data), "--exit", "--port", port)
    assert first.returncode == 0, first.stderr
    # --exit: the server has stopped, so the curl lines come after how to start one.
    lines = first.stdout.splitlines()
    serve = lines.index(f"  cairn serve --data {data} --port {port}")
    assert serve < min(i for i, line in enumerate(lines) if "curl" in line)
    before = sorted((p.name, p.stat().st_size) for p in data.iterdir())
    again = _demo("--data", str(data), "--exit", "--port", str(free_port()))
    assert again.returncode == 2
    assert again.stderr == (
        f"cairn: error: {data} already exists (an earlier demo, or other data); the demo "
        f"starts from nothing: remove it (rm -r {data}) or choose a new directory with --data\n"
    )
    assert sorted((p.name, p.stat().st_size) for p in data.iterdir()) == before
