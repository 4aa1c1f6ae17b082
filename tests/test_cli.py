"""The `cairn` command line starts and answers --help."""

import subprocess
import sys


def _help(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args, "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _listed(out: str) -> dict[str, str]:
    """{command: its help} of the commands a --help lists, one per line under the usage."""
    listed: dict[str, str] = {}
    command = None
    for line in out.splitlines():
        if line.startswith("    ") and line[4] != " ":  # a command, maybe with its help
            command, _, text = line.strip().partition(" ")
            listed[command] = text.strip()
        elif command is not None and line.startswith("     "):  # its help, wrapped
            listed[command] = f"{listed[command]} {line.strip()}".strip()
        else:
            command = None
    return listed


def test_cairn_help_lists_every_command_with_its_help() -> None:
    expected = {
        "serve": "run the sync server",
        "admin": "administer projects, devices and tokens",
        "device": "the field device client (works offline)",
        "forms": "",
        "verify": "",
        "demo": "run a server with three simulated field teams",
        "export": "",
        "archive": "",
        "keygen": "",
        "backup": "backup of the whole data directory",
        "restore": "rebuild a data directory",
    }
    listed = _listed(_help())
    assert set(listed) == set(expected)
    for command, text in expected.items():
        assert listed[command], command  # every command says what it does
        assert text in listed[command]


def test_each_command_group_lists_its_actions() -> None:
    admin = _listed(_help("admin"))
    assert set(admin) == {
        "project", "enroll", "token", "devices", "revoke", "rotate-keys", "restore-marker",
        "discard-first-start",
    }  # fmt: skip
    assert all(admin.values()), admin  # each says what it does, even on the next line
    assert set(_listed(_help("device"))) == {
        "enroll", "new", "edit", "item", "retract", "list", "show", "push", "pull", "fetch",
        "status",
    }  # fmt: skip


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


def test_each_group_is_registered_by_the_module_it_is_loaded_from() -> None:
    from server.cli import COMMAND_GROUPS, build_parser

    assert set(COMMAND_GROUPS) == set(_listed(_help()))
    for group in COMMAND_GROUPS:
        # Only that module's groups are there, and they parse as in the full parser.
        action = build_parser(group)._subparsers._group_actions[0]  # type: ignore[union-attr]
        assert group in action.choices, group  # type: ignore[attr-defined]


def test_a_device_command_does_not_load_the_server(tmp_path: object) -> None:
    # `cairn device push` of a field device: no litestar, no server store, not httpx's own
    # command line (seconds of imports on every push, bench/attachments.py).
    script = (
        "import sys\n"
        "from server.cli import main\n"
        f"status = main(['device', 'push', '--home', '{tmp_path}/home'])\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in"
        " ('litestar', 'sqlite_utils', 'click', 'rich', 'pygments')"
        " or m.startswith(('server.store', 'server.app', 'server.datadir'))]\n"
        "print(status, sorted(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "2 []", done.stdout + done.stderr
    assert "not enrolled" in done.stderr
