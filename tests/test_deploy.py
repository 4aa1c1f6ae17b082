"""deploy/cairn.service runs a command Cairn understands, hardened, and never creates the
data directory (whose first start prints the admin token) under systemd.

The Caddy side is proved against a real Caddy in tests/e2e/test_deploy_caddy.py.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from server.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "deploy/cairn.service"


def _directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_the_unit_runs_cairn_serve_on_its_state_directory_behind_a_local_proxy() -> None:
    unit = _directives()
    (command,) = unit["ExecStart"]
    argv = shlex.split(command)
    assert Path(argv[0]).name == "cairn"
    args = build_parser().parse_args(argv[1:])
    assert args.func.__name__ == "_serve"
    (state,) = unit["StateDirectory"]
    assert str(args.data) == f"/var/lib/{state}" == unit["Environment"][0].split("=")[1]
    assert (args.host, args.forwarded_allow_ips) == ("127.0.0.1", "127.0.0.1")
    # The unit starts only on a data directory made by hand: no admin token in the journal.
    assert unit["AssertPathExists"] == [f"/var/lib/{state}/cairn.json"]
    assert unit["StateDirectoryMode"] == ["0700"] and unit["UMask"] == ["0077"]
    assert unit["User"] == ["cairn"] and unit["ProtectSystem"] == ["strict"]
    for flag in ("NoNewPrivileges", "PrivateTmp", "ProtectHome", "PrivateDevices"):
        assert unit[flag] == ["yes"], flag
    assert unit["CapabilityBoundingSet"] == [""]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_rates_the_unit_safe() -> None:
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    level = re.search(r"Overall exposure level for cairn\.service: ([\d.]+)", done.stdout)
    assert level is not None, done.stdout + done.stderr
    assert float(level[1]) <= 2.0, done.stdout
