"""Under `strace -f`: every file Cairn writes in a data directory, a device home or an
export is fsynced before it is renamed into place and before any answer or exit, its
directory is fsynced after each rename, and no key file is ever opened with O_TRUNC."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sync.age import generate_x25519
from tests.e2e.harness import free_port
from tests.e2e.syscall_trace import Trace, check, parse, strace_prefix

pytestmark = pytest.mark.skipif(
    shutil.which("strace") is None,
    reason="strace is not installed (Debian package 'strace'; .ci/run installs it)",
)

GRAVE = [
    *("--set", "site_code=DSH-07", "--set", "grave_no=3", "--set", "grave_type=mass"),
    *("--set", "legal_authority_ref=Court order 17/2026", "--set", "deposition=primary"),
    *("--set", "status=reported", "--set-json", 'datum_point={"lat": 40.1, "lon": 46.9}'),
]


class Traced:
    """Runs `cairn` commands under strace, one log per command, and checks each log."""

    def __init__(self, tmp: Path, roots: list[Path]) -> None:
        self.logs = tmp / "traces"
        self.logs.mkdir()
        self.roots = [str(r) for r in roots]
        self.traces: dict[str, Trace] = {}

    def command(self, name: str, *args: str) -> list[str]:
        """The full command line of `cairn ARGS` under strace, logging to `name`."""
        log = str(self.logs / f"{name}.log")
        return [*strace_prefix(log), sys.executable, "-m", "server.cli", *args]

    def run(self, name: str, *args: str) -> str:
        """Run to completion; return stdout."""
        done = subprocess.run(self.command(name, *args), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        self.collect(name)
        return done.stdout

    def collect(self, name: str) -> Trace:
        """Check one finished command's log."""
        trace = check(parse((self.logs / f"{name}.log").read_text()), self.roots)
        self.traces[name] = trace
        return trace


def _child_of(pid: int) -> int:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return int(children[0])


def test_every_file_is_durable_before_rename_answer_or_exit(tmp_path: Path) -> None:
    data, home, exports = tmp_path / "data", tmp_path / "home", tmp_path / "exports"
    exports.mkdir()
    traced = Traced(tmp_path, [data, home, exports])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        traced.command(
            "serve", "serve", "--data", str(data), "--port", str(port), "--log-level", "warning"
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        token = None
        assert server.stdout is not None
        for line in server.stdout:
            if match := re.search(r"\b(cairn_[A-Za-z0-9_-]+)", line):
                token = match.group(1)
            if "Listening on" in line:
                break
        assert token is not None
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(200):
            try:
                if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        project = httpx.post(
            url + "/v1/projects", json={"code": "P1", "name": "one"}, headers=headers
        )
        assert project.status_code == 201
        code = httpx.post(
            url + "/v1/projects/P1/enroll-codes", json={"expires_s": 600}, headers=headers
        ).json()["code"]
        traced.run("enroll", "device", "enroll", url, code, "--home", str(home))
        record = traced.run("new", "device", "new", "site_grave", *GRAVE, "--home", str(home))
        record_id = record.split()[0]
        traced.run(
            "edit", "device", "edit", record_id, "--set", "max_depth_m=1.6", "--home", str(home)
        )
        traced.run("push", "device", "push", "--home", str(home))
        rotated = httpx.post(url + "/v1/keys/rotate", json={"hybrid": True}, headers=headers)
        assert rotated.status_code == 200
        traced.run("pull", "device", "pull", "--home", str(home))
    finally:
        os.kill(_child_of(server.pid), signal.SIGTERM)
        server.wait(timeout=30)
        assert server.stdout is not None
        server.stdout.close()
    traced.collect("serve")
    traced.run("rotate", "admin", "rotate-keys", "--data", str(data))
    recipient = str(generate_x25519().recipient())
    out = exports / "p1.age"
    traced.run(
        "export",
        "export",
        "--data",
        str(data),
        "--project",
        "P1",
        "--recipient",
        recipient,
        "--out",
        str(out),
    )
    assert "OK" in traced.run("verify", "verify", "--data", str(data))

    problems = {name: t.problems for name, t in traced.traces.items() if t.problems}
    assert problems == {}
    renamed = set().union(*(t.renamed for t in traced.traces.values()))
    expected = {
        data / "cairn.json",
        data / "keys" / "keys.json",
        data / "keys" / "signing.pem",
        home / "keys",  # both device keys, filled in a staging directory renamed into place
        out,
    }
    assert {str(p) for p in expected} <= renamed
    assert len([p for p in renamed if "/keys/batch-" in p]) == 3  # first start, two rotations
    assert traced.traces["serve"].answers > 0 and traced.traces["edit"].answers > 0
    synced = set().union(*(t.synced for t in traced.traces.values()))
    assert {str(data / "cairn.db"), str(home / "device.db")} <= synced
    for name, trace in sorted(traced.traces.items()):
        print(
            f"{name}: {len(trace.renamed)} renamed, {len(trace.synced)} files and "
            f"{len(trace.dirs_synced)} directories fsynced, {trace.answers} answers"
        )
