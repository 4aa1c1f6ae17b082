"""`cairn admin …`: projects, codes, tokens, devices, keys and data-directory repairs, offline."""

from __future__ import annotations

import argparse

from server import admin, datadir_recovery, key_changes
from server.cli.common import add_data_option, data_dir, format_ms, parse_duration
from server.clock import now_ms
from server.config import resolve_data_dir
from server.datadir import MARKER
from server.store import admin as rows

ACTOR = "cli:admin"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `admin` command group."""
    parser = sub.add_parser("admin", help="administer projects, devices and tokens")
    group = parser.add_subparsers(dest="admin_command", metavar="ACTION", required=True)

    project = group.add_parser("project", help="create and list projects")
    project_sub = project.add_subparsers(dest="project_command", metavar="ACTION", required=True)
    create = project_sub.add_parser("create", help="create a project")
    create.add_argument("code", help="project code, e.g. AZ-DASHALTI")
    create.add_argument("--name", required=True, help="human-readable name")
    create.set_defaults(func=_project_create)
    listing = project_sub.add_parser("list", help="list projects")
    listing.set_defaults(func=_project_list)

    enroll = group.add_parser("enroll", help="print a one-time device enrollment code")
    enroll.add_argument("project", metavar="CODE", help="project the device joins")
    enroll.add_argument(
        "--expires",
        type=parse_duration,
        default=24 * 3600,
        metavar="DURATION",
        help="how long the code stays valid, e.g. 30m, 24h, 7d (default 24h)",
    )
    enroll.add_argument(
        "--url",
        metavar="URL",
        help="the server's address as devices reach it (default: where 'cairn serve' last "
        "listened on this data directory)",
    )
    enroll.set_defaults(func=_enroll)

    token = group.add_parser(
        "token",
        help="tokens: 'token --role ROLE …' prints a new one; 'token list'; 'token revoke ID'",
        description="With --role: print a new supervisor, admin or metrics token. "
        "'token list' lists every token; 'token revoke ID' revokes one.",
    )
    token.add_argument(
        "--role",
        choices=admin.ROLES,
        help="supervisor (one project), admin (everything) or metrics (/metrics only)",
    )
    token.add_argument("--project", metavar="CODE", help="the project (supervisors only)")
    token.add_argument("--label", default="", help="who or what the token is for")
    token.add_argument(
        "--expires",
        type=parse_duration,
        default=None,
        metavar="DURATION",
        help="refuse the token after this long, e.g. 12h, 30d (default: never, until revoked)",
    )
    token.set_defaults(func=_token)
    token_sub = token.add_subparsers(dest="token_command", metavar="ACTION", required=False)
    token_list = token_sub.add_parser("list", help="list every token (never the secret)")
    token_list.set_defaults(func=_token_list)
    token_revoke = token_sub.add_parser(
        "revoke", help="revoke a token: refused on its next request, its console sessions end"
    )
    token_revoke.add_argument("token_id", metavar="ID", help="token id (from 'token list')")
    token_revoke.set_defaults(func=_token_revoke)
    for leaf in (token_list, token_revoke):
        # Not add_data_option: a subcommand's default would overwrite `token --data DIR`.
        leaf.add_argument("--data", metavar="DIR", default=argparse.SUPPRESS, help="as above")

    devices = group.add_parser("devices", help="list enrolled devices")
    devices.add_argument("project", nargs="?", metavar="CODE", help="only this project")
    devices.set_defaults(func=_devices)

    revoke = group.add_parser("revoke", help="revoke a device (its batches are refused)")
    revoke.add_argument("device", metavar="DEVICE", help="device id")
    revoke.set_defaults(func=_revoke)

    rotate = group.add_parser(
        "rotate-keys", help="make a new server batch key (old ones still decrypt late uploads)"
    )
    rotate.add_argument(
        "--x25519",
        action="store_true",
        help="classic X25519 instead of the default post-quantum mlkem768x25519 key",
    )
    rotate.set_defaults(func=_rotate)

    restore = group.add_parser(
        "restore-marker",
        help="rewrite a lost or unreadable cairn.json from the database (changes nothing else)",
    )
    restore.set_defaults(func=_restore_marker)
    discard = group.add_parser(
        "discard-first-start",
        help="remove what a first start that never finished made (only if cairn.json says so)",
    )
    discard.set_defaults(func=_discard_first_start)

    for action in (create, listing, enroll, token, devices, revoke, rotate, restore, discard):
        add_data_option(action)


def _project_create(args: argparse.Namespace) -> int:
    with data_dir(args) as data:
        row = admin.create_project(data.store, args.code, args.name, ACTOR)
    print(f"created project {row.code} ({row.name})")
    return 0


def _project_list(args: argparse.Namespace) -> int:
    with data_dir(args) as data:
        projects = rows.list_projects(data.store.reader())
    if not projects:
        print("no projects yet; create one with 'cairn admin project create CODE --name NAME'")
    for p in projects:
        print(f"{p.code:<20} {p.name}  (created {format_ms(p.created_at_ms)})")
    return 0


def _enroll(args: argparse.Namespace) -> int:
    with data_dir(args) as data:
        issued = admin.issue_enroll_code(data.store, args.project, args.expires, ACTOR)
        url = args.url or admin.recorded_server_url(data.store)
    print(issued.code)
    print(
        f"one-time enrollment code for project {issued.project}, "
        f"valid until {format_ms(issued.expires_at_ms)}; on the device run:"
    )
    if url is None:
        print(f"  cairn device enroll http://SERVER:8000 {issued.code}")
        print("  (the address of 'cairn serve'; it has not run on this data directory yet)")
    else:
        print(f"  cairn device enroll {url} {issued.code}")
    return 0


def _token(args: argparse.Namespace) -> int:
    from server.cli import CommandError

    if args.role is None:
        raise CommandError(
            "give --role supervisor|admin|metrics for a new token, or 'cairn admin token "
            "list' / 'cairn admin token revoke ID'"
        )
    with data_dir(args) as data:
        issued = admin.issue_token(
            data.store, args.role, args.project, ACTOR, args.label, args.expires
        )
    print(issued.token)
    scope = (
        f"project {issued.project}"
        if issued.project
        else "/metrics only"
        if issued.role == "metrics"
        else "every project"
    )
    until = (
        f"valid until {format_ms(issued.expires_at_ms)}"
        if issued.expires_at_ms is not None
        else "valid until revoked"
    )
    print(
        f"{issued.role} token {issued.token_id} for {scope}, {until}; it is shown only now "
        "(Cairn stores only its hash)"
    )
    return 0


def _token_list(args: argparse.Namespace) -> int:
    with data_dir(args) as data:
        tokens = admin.list_tokens(data.store)
    if not tokens:
        print("no tokens; make one with 'cairn admin token --role ROLE'")
        return 0
    now = now_ms()
    print(
        f"{'ID':<12}  {'ROLE':<10} {'PROJECT':<14} {'STATE':<8} {'CREATED':<23}  "
        f"{'EXPIRES':<23}  {'LAST USED':<23}  LABEL"
    )
    for t in tokens:
        print(
            f"{t.token_id:<12}  {t.role:<10} {t.project or '-':<14} {t.state(now):<8} "
            f"{format_ms(t.created_at_ms):<23}  {format_ms(t.expires_at_ms):<23}  "
            f"{format_ms(t.last_used_ms):<23}  {t.label}"
        )
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    with data_dir(args) as data:
        token = admin.revoke_token(data.store, args.token_id, ACTOR)
    scope = f"project {token.project}" if token.project else "no project"
    print(
        f"revoked {token.role} token {token.token_id} ({scope}); a running 'cairn serve' "
        "refuses it on its next request and ends its console sessions"
    )
    return 0


def _devices(args: argparse.Namespace) -> int:
    with data_dir(args) as data:
        devices = admin.list_devices(data.store, args.project)
    if not devices:
        print("no devices enrolled; issue a code with 'cairn admin enroll CODE'")
    for d in devices:
        state = f"revoked {format_ms(d.revoked_at_ms)}" if d.revoked_at_ms else "active"
        print(
            f"{d.device_id}  {d.project:<14} {state:<10} last seq {d.last_seq:<6} "
            f"last seen {format_ms(d.last_seen_ms)}  {d.label}"
        )
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with data_dir(args) as data:
        device = admin.revoke_device(data.store, args.device, ACTOR)
    print(f"revoked device {device.device_id} of project {device.project}")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    with data_dir(args) as data:
        keys = key_changes.rotate_batch_key(
            data.store, data.keys_dir, ACTOR, hybrid=not args.x25519
        )
    public = keys.public()
    print(f"new batch key {public.batch_key_id}: {public.batch_recipient[:24]}…")
    print(f"retired keys still decrypt late uploads: {', '.join(k.key_id for k in public.retired)}")
    print("a running 'cairn serve' uses it at once; devices learn it on their next pull")
    return 0


def _restore_marker(args: argparse.Namespace) -> int:
    path = resolve_data_dir(args.data)
    instance_id = datadir_recovery.restore_marker(path)
    print(f"rewrote {path / MARKER} for instance {instance_id} from the database's audit log")
    print(f"check it with 'cairn verify --data {path}', then start the server again")
    return 0


def _discard_first_start(args: argparse.Namespace) -> int:
    path = resolve_data_dir(args.data)
    removed = datadir_recovery.discard_first_start(path)
    print(f"removed the unfinished first start from {path}: {', '.join(removed)}")
    print(f"run 'cairn serve --data {path}' to start afresh")
    return 0
