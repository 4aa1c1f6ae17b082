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


def test_serve_refuses_a_proxy_address_that_is_not_one(tmp_path: object) -> None:
    proxies = ["--forwarded-allow-ips", "127.0.0.1,not-an-ip"]
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--data", f"{tmp_path}/d", *proxies],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "'not-an-ip' is not an IP address or network" in done.stderr
