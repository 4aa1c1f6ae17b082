"""`cairn admin …`: projects, codes, tokens, devices, keys and data-directory repairs, offline."""

from __future__ import annotations

import argparse

from server import admin, datadir_recovery, key_changes
from server.cli.common import add_data_option, data_dir, format_ms, parse_duration
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

    token = group.add_parser("token", help="print a new supervisor or admin token")
    token.add_argument("--role", required=True, choices=admin.ROLES)
    token.add_argument("--project", metavar="CODE", help="the project (supervisors only)")
    token.add_argument("--label", default="", help="who or what the token is for")
    token.set_defaults(func=_token)

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
    with data_dir(args) as data:
        issued = admin.issue_token(data.store, args.role, args.project, ACTOR, args.label)
    print(issued.token)
    scope = f"project {issued.project}" if issued.project else "every project"
    print(
        f"{issued.role} token {issued.token_id} for {scope}; it is shown only now "
        "(Cairn stores only its hash)"
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
