"""The `cairn` command line starts and answers --help."""

import subprocess
import sys


def test_cairn_help_lists_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "server.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "forms" in out
