"""The e2e harness: a real `cairn serve` subprocess on 127.0.0.1 on its own data directory."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from server import admin
from server.datadir import open_data_dir

PROJECT = "E2E-SITE"


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """`cairn serve` in a subprocess: start, kill -9, restart, on one data directory."""

    def __init__(
        self, data: Path, extra_args: tuple[str, ...] = (), env: dict[str, str] | None = None
    ) -> None:
        self.data = data
        self.extra_args = extra_args
        self.env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[str] | None = None
        self.admin_token: str | None = None
        # Everything the server printed, read on by a thread once it listens (so that a
        # busy log never fills the pipe and stalls the server).
        self.output: list[str] = []
        self._drain: threading.Thread | None = None

    def start(self, timeout: float = 30.0) -> None:
        """Start and wait until /v1/health answers."""
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server.cli",
                "serve",
                "--data",
                str(self.data),
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                *self.extra_args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
        )
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line:
                lines.append(line)
                match = re.search(r"\b(cairn_[A-Za-z0-9_-]+)", line)
                if match:
                    self.admin_token = match.group(1)
                if "Listening on" in line:
                    self.output = lines
                    self._drain = threading.Thread(target=self._read_on, daemon=True)
                    self._drain.start()
                    break
            elif self.proc.poll() is not None:
                self._close()
                raise RuntimeError("cairn serve exited:\n" + "".join(lines))
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("cairn serve did not answer in time:\n" + "".join(lines))

    def kill(self) -> None:
        """SIGKILL: no chance to clean up, like a power cut."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._close()

    def stop(self) -> None:
        """A polite stop (SIGTERM)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._close()

    def _read_on(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)

    def _close(self) -> None:
        if self._drain is not None:
            self._drain.join(timeout=10)  # the process has exited: its pipe is at its end
            self._drain = None
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()

    def enroll_code(self) -> str:
        """A one-time code for the test project, issued on the data directory directly."""
        data = open_data_dir(self.data, create=False)
        try:
            return admin.issue_enroll_code(data.store, PROJECT, 3600, "test").code
        finally:
            data.store.close()


def prepare(data: Path) -> None:
    """Create the data directory and the project before the server starts."""
    opened = open_data_dir(data, create=True)
    try:
        admin.create_project(opened.store, PROJECT, "End to end", "test")
    finally:
        opened.store.close()
