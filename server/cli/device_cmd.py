"""`cairn device …`: the field client (enroll, record, edit, push, pull, status)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

from forms.schema import AttachmentField, FormDef
from server.cli.render import render_record, render_status, review_comment, value_from_text
from sync import client as device_client
from sync.clock import wall_clock_ms
from sync.conflicts import conflicts
from sync.ops import GpsFix
from sync.record import Record
from sync.review import review_state


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `device` command group."""
    parser = sub.add_parser("device", help="the field device client (works offline)")
    group = parser.add_subparsers(dest="device_command", metavar="ACTION", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        p = group.add_parser(name, help=help_text)
        p.add_argument(
            "--home",
            metavar="DIR",
            default=None,
            help="the device's offline store (default: $CAIRN_DEVICE_HOME or ./cairn-device)",
        )
        return p

    p = action("enroll", "make keys and enroll with a one-time code")
    p.add_argument("url", help="server URL, e.g. http://127.0.0.1:8000")
    p.add_argument("code", help="one-time enrollment code from 'cairn admin enroll'")
    p.add_argument("--label", default="", help="a name for this device (team, tablet)")
    p.set_defaults(func=_enroll)

    def values(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="set a field; the value is parsed by the field's type (repeatable)",
        )
        p.add_argument(
            "--set-json",
            action="append",
            default=[],
            metavar="FIELD=JSON",
            help="set a field to a JSON value (geopoints, shapes, lists)",
        )
        p.add_argument(
            "--attach",
            action="append",
            default=[],
            metavar="FIELD=PATH",
            help="attach a file to an attachment field: copied into the device home, named "
            "by its SHA-256, uploaded by the next push (repeatable)",
        )
        p.add_argument("--gps", metavar="LAT,LON,ACC", help="where this edit was made")

    p = action("new", "create a record of a form")
    p.add_argument("form", metavar="FORM", help="form id, e.g. site_grave or site_grave@1")
    values(p)
    p.set_defaults(func=_new)

    p = action("edit", "set fields of a record")
    p.add_argument("record", metavar="RECORD", help="record id (or a unique prefix)")
    values(p)
    p.set_defaults(func=_edit)

    item = action("item", "add, edit or remove an item of a repeat group")
    item.add_argument("item_action", choices=["add", "edit", "remove"])
    item.add_argument("record", metavar="RECORD")
    item.add_argument("group", metavar="GROUP", help="repeat group, e.g. inventory")
    item.add_argument("item_id", metavar="ITEM", nargs="?", help="item id (edit/remove)")
    values(item)
    item.set_defaults(func=_item)

    p = action("retract", "retract (soft-delete) a record, with a reason")
    p.add_argument("record", metavar="RECORD")
    p.add_argument("--reason", required=True)
    p.set_defaults(func=_retract)

    p = action("list", "list the records on this device")
    p.set_defaults(func=_list)

    p = action("show", "show one record, merged, with its conflicts")
    p.add_argument("record", metavar="RECORD")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_show)

    p = action("push", "seal pending edits and push them to the server")
    p.add_argument(
        "--retries",
        type=int,
        default=device_client.RETRIES,
        metavar="N",
        help="attempts per batch, with doubling back-off from 0.5 s "
        f"(default {device_client.RETRIES})",
    )
    p.set_defaults(func=_push)

    p = action("pull", "fetch and merge what others recorded")
    p.set_defaults(func=_pull)

    p = action("fetch", "fetch the files (photos, scans) a record references")
    p.add_argument("record", metavar="RECORD")
    p.add_argument("--out", metavar="DIR", default=None, help="also copy each file to DIR/SHA256")
    p.set_defaults(func=_fetch)

    p = action("status", "pending, delivered and refused ops, last receipt, server, clock")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_status)


@contextmanager
def _device(args: argparse.Namespace) -> Iterator[device_client.Device]:
    from server.cli import CommandError

    retries = getattr(args, "retries", device_client.RETRIES)
    dev = device_client.Device(device_client.home_from_env(args.home), retries=retries)
    try:
        yield dev
    except device_client.InvalidValues as exc:
        raise CommandError(
            "nothing stored; fix these values:\n  " + "\n  ".join(exc.problems)
        ) from exc
    except device_client.ClientError as exc:
        raise CommandError(str(exc)) from exc
    except LookupError as exc:
        raise CommandError(str(exc).strip("'\"")) from exc
    finally:
        dev.close()


def _record(dev: device_client.Device, text: str) -> str:
    """The record a user named: its id, a unique prefix of it, or its identifier (B017…)."""
    from server.cli import CommandError

    ids = dev.store.find_records(text)
    if text in ids or len(ids) == 1:
        return text if text in ids else ids[0]
    wanted = text.strip().casefold()
    named = []
    for record in dev.records():
        identifier = _identifier(dev, record)
        if identifier is not None and identifier.strip().casefold() == wanted:
            named.append((record.id, identifier))
    if len(named) == 1:
        return named[0][0]
    if named or len(ids) > 1:
        choices = named or [(i, _identifier(dev, dev.record(i)) or "-") for i in ids]
        listed = "\n  ".join(f"{rid}  {ident}" for rid, ident in choices)
        what = "is the identifier of" if named else "starts the id of"
        raise CommandError(
            f"{text!r} {what} {len(choices)} records; name one by more of its id:\n  {listed}"
        )
    raise CommandError(
        f"no record {text!r} on this device (by id or identifier); 'cairn device list' shows them"
    )


def _identifier(dev: device_client.Device, record: Record) -> str | None:
    """The record's human identifier (grave, body, sample number), as the server shows it."""
    # The server's materializer imports the store: loaded only for the commands that show one.
    from server.materialize import primary_identifier

    try:
        return primary_identifier(dev.form(record.form), record)
    except LookupError:
        return None


def _parse_values(
    form: FormDef, group: str | None, args: argparse.Namespace, dev: device_client.Device
) -> dict[str, Any]:
    from server.cli import CommandError

    spec = form.group(group) if group else None
    fields = spec.fields if spec is not None else form.fields
    by_name = {f.name: f for f in fields}
    out: dict[str, Any] = {}
    for text in args.set:
        name, sep, raw = text.partition("=")
        if not sep:
            raise CommandError(f"--set {text!r}: use FIELD=VALUE")
        field = by_name.get(name)
        if field is None:
            raise CommandError(
                f"{name!r} is not a field of {form.ref}{' ' + group if group else ''}"
            )
        try:
            out[name] = value_from_text(field, raw)
        except ValueError as exc:
            raise CommandError(f"--set {name}: {exc}") from exc
    for text in args.set_json:
        name, sep, raw = text.partition("=")
        if not sep:
            raise CommandError(f"--set-json {text!r}: use FIELD=JSON")
        try:
            out[name] = json.loads(raw)
        except ValueError as exc:
            raise CommandError(f"--set-json {name}: not valid JSON ({exc})") from exc
    for text in args.attach:
        name, sep, raw = text.partition("=")
        if not sep or not raw:
            raise CommandError(f"--attach {text!r}: use FIELD=PATH")
        field = by_name.get(name)
        if not isinstance(field, AttachmentField):
            raise CommandError(
                f"--attach {name}: not an attachment field of {form.ref}"
                f"{' ' + group if group else ''}"
            )
        try:
            out[name] = dev.attachments.attach(Path(raw))
        except OSError as exc:
            raise CommandError(f"--attach {name}: cannot read {raw} ({exc})") from exc
    return out


def _gps(text: str | None) -> GpsFix | None:
    from server.cli import CommandError

    if not text:
        return None
    usage = "give LAT,LON,ACC: latitude and longitude in degrees, accuracy in metres"
    parts = text.split(",")
    if len(parts) != 3:
        raise CommandError(f"--gps {text!r}: {usage}, e.g. --gps 40.1,46.9,3")
    try:
        lat, lon, acc = (float(x) for x in parts)
    except ValueError:
        raise CommandError(f"--gps {text!r}: {usage}; each must be a number") from None
    for name, value, low, high in (
        ("latitude", lat, -90.0, 90.0),
        ("longitude", lon, -180.0, 180.0),
        ("accuracy", acc, 0.0, float("inf")),
    ):
        if not low <= value <= high:  # also refuses nan
            bound = f"between {low:g} and {high:g}" if high < float("inf") else "0 or more"
            raise CommandError(f"--gps {text!r}: the {name} {value:g} must be {bound}")
    return GpsFix(lat=lat, lon=lon, h_acc_m=acc, fix_time=wall_clock_ms())


def _enroll(args: argparse.Namespace) -> int:
    home = device_client.home_from_env(args.home)
    made_home = not home.exists()
    try:
        with _device(args) as dev:
            answer = dev.enroll(args.url, args.code, args.label)
    except BaseException:
        if made_home:
            shutil.rmtree(home, ignore_errors=True)  # a failed enrollment leaves nothing
        raise
    print(f"enrolled as {answer.device_id} in project {answer.project}")
    print(f"server batch key {answer.batch_key_id} ({answer.batch_recipient[:12]}…)")
    return 0


def _new(args: argparse.Namespace) -> int:
    with _device(args) as dev:
        form = dev.form(args.form)
        record_id = dev.new(form.ref, _parse_values(form, None, args, dev), _gps(args.gps))
        missing = dev.missing_required(record_id)
    print(record_id)
    if missing:
        print(f"still to fill in: {', '.join(missing)}", file=sys.stderr)
    return 0


def _edit(args: argparse.Namespace) -> int:
    with _device(args) as dev:
        rid, form = dev.form_of(_record(dev, args.record))
        dev.edit(rid, _parse_values(form, None, args, dev), _gps(args.gps))
    print(f"edited {rid}")
    return 0


def _item(args: argparse.Namespace) -> int:
    from server.cli import CommandError

    with _device(args) as dev:
        rid, form = dev.form_of(_record(dev, args.record))
        if args.item_action == "add":
            item_id = dev.add_item(
                rid, args.group, _parse_values(form, args.group, args, dev), _gps(args.gps)
            )
            print(item_id)
            return 0
        if not args.item_id:
            raise CommandError(f"item {args.item_action} needs the ITEM id")
        if args.item_action == "edit":
            dev.edit_item(rid, args.group, args.item_id, _parse_values(form, args.group, args, dev))
        else:
            dev.remove_item(rid, args.group, args.item_id)
    print(f"{args.item_action}ed item {args.item_id} of {args.group} in {rid}")
    return 0


def _retract(args: argparse.Namespace) -> int:
    with _device(args) as dev:
        if not args.reason.strip():
            raise device_client.ClientError("a retraction needs a reason (--reason)")
        rid = _record(dev, args.record)
        dev.retract(rid, args.reason)
    print(f"retracted {rid}")
    return 0


def _list(args: argparse.Namespace) -> int:
    with _device(args) as dev:
        records = dev.records()
        for record in records:
            open_conflicts = len(conflicts(record))
            flags = []
            if record.retracted:
                flags.append("retracted")
            if open_conflicts:
                flags.append(f"{open_conflicts} conflict(s)")
            if record.refused:
                flags.append(f"{len(record.refused)} refused op(s)")
            ident = _identifier(dev, record) or "-"
            state = review_state(record)
            print(f"{record.id}  {ident:<20} {record.form:<22} {state:<10} {' '.join(flags)}")
        dropped = [r for r in dev.store.refused_ops() if r[4]]
    if not records:
        print("no records yet; create one with 'cairn device new FORM --set FIELD=VALUE'")
    for actor, counter, record_id, reason, _ in dropped:
        print(f"refused by the server, not in any record: op {actor}:{counter} of {record_id}")
        print(f"  {reason}")
    return 0


def _show(args: argparse.Namespace) -> int:
    with _device(args) as dev:
        rid = _record(dev, args.record)
        view = dev.view(rid)
        if args.json:
            sys.stdout.write(msgspec.json.encode(view).decode() + "\n")
        else:
            record = dev.record(rid)
            print(
                render_record(view, _identifier(dev, record), review_comment(record), dev.labels())
            )
    return 0


def _push(args: argparse.Namespace) -> int:
    def progress(done: int, total: int) -> None:
        bar = "#" * int(30 * done / max(total, 1))
        print(f"\rpushing [{bar:<30}] {done}/{total} batches", end="", file=sys.stderr, flush=True)

    def uploading(sha: str, done: int, total: int) -> None:
        bar = "#" * int(30 * done / max(total, 1))
        print(
            f"\ruploading {sha[:12]}… [{bar:<30}] {done / 2**20:,.1f}/{total / 2**20:,.1f} MiB",
            end="",
            file=sys.stderr,
            flush=True,
        )

    with _device(args) as dev:
        summary = dev.push(progress, uploading)
    if summary.batches or summary.attachments:
        print(file=sys.stderr)
    print(
        f"pushed {summary.ops} ops in {summary.batches} batch(es); every one has a signed receipt"
    )
    if summary.attachments:
        print(f"uploaded {summary.attachments} file(s); every one has a signed receipt")
    for line in summary.refused:
        print(f"REFUSED by the server: {line}", file=sys.stderr)
    if summary.refused:
        print(
            f"{len(summary.refused)} op(s) were refused and are not part of the record; "
            "'cairn device status' lists them. Record a correction the form allows.",
            file=sys.stderr,
        )
    if summary.missing_seqs:
        print(f"the server has not seen batches {summary.missing_seqs} of this device")
    return 1 if summary.refused else 0


def _pull(args: argparse.Namespace) -> int:
    with _device(args) as dev:
        summary = dev.pull()
    print(f"pulled {summary.ops} ops ({summary.new_ops} new), cursor {summary.cursor}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    with _device(args) as dev:
        rid = _record(dev, args.record)
        fetched = dev.fetch(rid)
    if not fetched:
        print(f"record {rid} references no file")
    for sha, path in fetched:
        target = path
        if args.out:
            # Named by hash: a file name chosen on a device never becomes a path here.
            Path(args.out).mkdir(parents=True, exist_ok=True)
            target = Path(args.out) / sha
            shutil.copyfile(path, target)
        print(f"{sha}  {target}")
    return 0


def _status(args: argparse.Namespace) -> int:
    with _device(args) as dev:
        status = dev.status()
    if args.json:
        print(json.dumps(status, indent=2, sort_keys=True))
    else:
        print(render_status(status))
    return 0
