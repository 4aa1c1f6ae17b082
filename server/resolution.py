"""Supervisor writes: conflict resolutions and review states, made as ops (DESIGN.md law 4).

A supervisor acts through an actor of their own, `sup-<token_id>` (`adm-<token_id>` for
an administrator), whose counter never resets: the next counter is the highest stored
for that actor plus one, read inside the write transaction (one writer, so no race). The
op's context is the record's full version vector, so it covers every live value it
settles; its HLC comes from a server clock that has observed the record's newest stamp,
so it shows after what it resolves. The op is stored in the ops table exactly like a
device's (devices receive it on their next pull), applied with `materialize_rows`, and
audited, all in one write transaction: nothing is stored unless everything is.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import msgspec

from forms.completeness import missing_required
from forms.laws import rules_of
from forms.schema import FormDef, RepeatGroup, only_errors
from forms.validate import validate, validate_item
from server import views
from server.audit.chain import project_chain
from server.auth import Principal
from server.clock import now_ms
from server.context import ServerContext
from server.errors import BadRequest, Conflict, ValidationFailed
from server.materialize import decode_record, materialize_rows, review_state
from server.review import form_of, visible_record
from server.store import audit_log, queries
from server.store import sync_tables as st
from sync.clock import HybridClock
from sync.conflicts import conflicts
from sync.ops import Dot, Op, Resolve, Review
from sync.record import Record

ACTOR_PREFIX = {"supervisor": "sup", "admin": "adm"}
# Where a review may go from each state; "received" is only ever the starting state.
# "edited" is an approved or rejected record changed since (`sync.review`): back in review.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("has_issues", "approved", "rejected"),
    "has_issues": ("approved", "rejected"),
    "approved": ("has_issues",),
    "rejected": ("has_issues",),
    "edited": ("has_issues", "approved", "rejected"),
}
SETTABLE = ("has_issues", "approved", "rejected")
NEEDS_COMMENT = ("has_issues", "rejected")
_KEY_PATH = re.compile(r"^(?P<group>[^\[\]{}.]+)\{(?P<key>[^{}]*)\}$")
_ITEM_PATH = re.compile(r"^(?P<group>[^\[\].]+)\[(?P<item>[^\[\]]+)\](?:\.(?P<field>[^\[\].]+))?$")
_FIELD_PATH = re.compile(r"^[^\[\].]+$")
_ENCODE = msgspec.msgpack.Encoder()


class Target(msgspec.Struct, frozen=True, kw_only=True):
    """What a conflict path names: a field, an item, an item's field, or the retraction."""

    field: str | None = None
    group: str | None = None
    item_id: str | None = None


class Applied(msgspec.Struct, frozen=True, kw_only=True):
    """A supervisor op as stored: the op, its cursor, and the record after it."""

    op: Op
    cursor: int
    row: st.RecordRow
    record: Record
    previous_state: str


def supervisor_actor(principal: Principal) -> str:
    """The actor id of a supervisor's (or admin's) ops."""
    return f"{ACTOR_PREFIX.get(principal.role, principal.role)}-{principal.token_id}"


CONFLICT_KINDS = ("field", "item", "key", "retraction")


def parse_path(kind: str, path: str, form: FormDef) -> Target:
    """The target a conflict path names, checked against its kind and the form (400)."""
    if kind not in CONFLICT_KINDS:
        raise BadRequest(
            f"conflict {kind!r} is not a kind of conflict; give the kind GET /v1/records/{{id}} "
            f"lists with it: {', '.join(CONFLICT_KINDS)}",
            code="unknown_conflict_kind",
        )
    item = _ITEM_PATH.match(path)
    if kind == "retraction" and path == "retracted":
        return Target()
    key = _KEY_PATH.match(path)
    if kind == "key" and key is not None:
        if form.group(key["group"]) is None:
            raise BadRequest(
                f"{key['group']!r} is not a repeat group of {form.ref}", code="unknown_path"
            )
        return Target(group=key["group"])
    if kind == "field" and _FIELD_PATH.match(path):
        known = form.field(path)
        if known is None or isinstance(known, RepeatGroup):
            raise BadRequest(f"{path!r} is not a field of {form.ref}", code="unknown_path")
        return Target(field=path)
    if item is not None and (kind == "item") == (item["field"] is None) and kind != "retraction":
        group = form.group(item["group"])
        if group is None:
            raise BadRequest(
                f"{item['group']!r} is not a repeat group of {form.ref}", code="unknown_path"
            )
        if item["field"] is not None and item["field"] not in {f.name for f in group.fields}:
            raise BadRequest(
                f"{item['field']!r} is not a field of group {group.name}", code="unknown_path"
            )
        return Target(field=item["field"], group=item["group"], item_id=item["item"])
    shapes = {
        "field": "FIELD or GROUP[ITEM_ID].FIELD",
        "item": "GROUP[ITEM_ID]",
        "key": "GROUP{KEY}",
    }
    raise BadRequest(
        f"path {path!r} does not name a {kind} conflict; use {shapes.get(kind, 'retracted')} "
        "exactly as GET /v1/records/{id} lists it",
        code="bad_path",
    )


def _key_resolution(
    form: FormDef, target: Target, item_id: Any, value: Any, has_value: bool
) -> tuple[str, Target, bool]:
    """A key conflict's resolution as the item resolution it is: confirm or remove a row."""
    keep = True if not has_value else value
    if not isinstance(keep, bool):
        raise BadRequest(
            "a key resolution's value is true (the chosen row stands, every row is kept) or "
            "false (remove the chosen row)",
            code="bad_value",
        )
    assert target.group is not None
    if not keep and target.group in rules_of(form).append_only_groups:
        raise Conflict(
            f"rows of {target.group} are append-only and are never removed; confirm the row "
            "that stands ('choose' it, with no 'value') and say why in the reason",
            code="append_only",
        )
    return "item", Target(group=target.group, item_id=str(item_id)), keep


def _new_value(form: FormDef, kind: str, target: Target, value: Any) -> Any:
    if kind != "field":
        if not isinstance(value, bool):
            what = "keep the item" if kind == "item" else "keep the record retracted"
            raise BadRequest(
                f"a {kind} resolution's value is true ({what}) or false", code="bad_value"
            )
        return value
    assert target.field is not None
    if target.group is None:
        problems = validate(form, {target.field: value}, partial=True)
    else:
        problems = validate_item(form, target.group, {target.field: value}, partial=True)
    errors = only_errors(problems)
    if errors:
        text = "; ".join(f"{p.path}: {p.message}" for p in errors)
        raise ValidationFailed(f"the new value is not valid for {form.ref}: {text}")
    return value


def _stamp(ctx: ServerContext, record: Record) -> int:
    clock = HybridClock(max_ahead_ms=ctx.config.max_clock_ahead_ms)
    return clock.observe(record.updated_hlc)


def _base(
    ctx: ServerContext, conn: sqlite3.Connection, principal: Principal, record: Record, now: int
) -> dict[str, Any]:
    actor = supervisor_actor(principal)
    return {
        "dot": Dot(actor=actor, counter=queries.max_counter(conn, actor) + 1),
        "record_id": record.id,
        "form": record.form,
        "hlc": _stamp(ctx, record),
        "context": dict(record.vv),
        "wall_time": now,
    }


def _store(
    ctx: ServerContext, conn: sqlite3.Connection, row: st.RecordRow, op: Op, now: int
) -> tuple[int, st.RecordRow]:
    stored = st.OpRow(
        project=row.project,
        record_id=op.record_id,
        actor=op.dot.actor,
        counter=op.dot.counter,
        kind=str(type(op).__struct_config__.tag),
        hlc=op.hlc,
        batch_id=None,
        received_at_ms=now,
        clock_suspect=False,
        op=_ENCODE.encode(op),
    )
    first, _ = st.insert_ops(conn, [stored])
    materialize_rows(ctx.forms, conn, row.project, [(op, stored)], first, now)
    views.settle(conn)  # caught up when the transaction began (`visible_record` below)
    after = st.get_record(conn, row.project, op.record_id)
    assert after is not None
    return first, after


def resolve(
    ctx: ServerContext,
    principal: Principal,
    record_id: str,
    *,
    kind: str,
    path: str,
    reason: str,
    chosen: tuple[str, int] | None,
    value: Any,
    has_value: bool,
    project: str | None = None,
) -> Applied:
    """Resolve one open conflict by choosing a live value or entering a new one."""
    if not reason.strip():
        raise BadRequest(
            "a resolution needs a reason (why this value is right)", code="reason_required"
        )
    if kind == "key":
        if chosen is None:
            raise BadRequest(
                "a key conflict is resolved by 'choose': the side (actor, counter) of the row "
                "that stands; 'value' false also removes that row (not in append-only groups)",
                code="bad_choice",
            )
    elif (chosen is None) == (not has_value):
        raise BadRequest(
            "give exactly one of 'choose' (a live value) or 'value'", code="bad_choice"
        )
    now = now_ms()
    with ctx.store.write() as conn:
        views.catch_up(ctx.forms, conn)  # the record and its identifiers as every op left them
        row = visible_record(conn, principal, record_id, project)
        record = decode_record(row.state)
        form = form_of(ctx, record.form)
        target = parse_path(kind, path, form)
        found = next((c for c in conflicts(record) if c.path == path and c.kind == kind), None)
        if found is None:
            raise Conflict(
                f"record {record_id} has no open {kind} conflict at {path!r} (it may have been "
                "resolved already); GET the record again for its open conflicts",
                code="conflict_not_open",
            )
        if chosen is not None:
            side = next((v for v in found.values if (v.actor, v.counter) == chosen), None)
            if side is None:
                live = ", ".join(f"{v.actor}:{v.counter}" for v in found.values)
                raise Conflict(
                    f"{chosen[0]}:{chosen[1]} is not a live value of {path!r}; live: {live}",
                    code="not_live",
                )
            if kind == "key":
                kind, target, value = _key_resolution(form, target, side.value, value, has_value)
            else:
                value = side.value
        else:
            value = _new_value(form, kind, target, value)
        fixed = rules_of(form).immutable
        if kind == "field" and target.group is None and target.field in fixed and chosen is None:
            raise Conflict(
                f"{target.field} is fixed once written: a resolution keeps one of the "
                "recorded values ('choose'); record a correction as a new record",
                code="immutable_field",
            )
        try:
            op = Resolve(
                conflict=kind,  # type: ignore[arg-type]
                value=value,
                reason=reason.strip(),
                field=target.field,
                group=target.group,
                item_id=target.item_id,
                **_base(ctx, conn, principal, record, now),
            )
        except (ValueError, msgspec.ValidationError) as exc:
            raise BadRequest(f"cannot make this resolution: {exc}", code="bad_resolution") from exc
        cursor, after = _store(ctx, conn, row, op, now)
        audit_log.append(
            conn,
            chain=project_chain(row.project),
            at_ms=now,
            kind="record.resolve",
            actor=principal.actor,
            subject=record_id,
            data={
                "project": row.project,
                "dot": f"{op.dot.actor}:{op.dot.counter}",
                "conflict": kind,
                "path": path,
                "chosen": f"{chosen[0]}:{chosen[1]}" if chosen else None,
                "value": value,
                "reason": reason.strip(),
                "cursor": cursor,
            },
        )
    return Applied(
        op=op, cursor=cursor, row=after, record=decode_record(after.state), previous_state=""
    )


def approval_blockers(
    ctx: ServerContext, conn: sqlite3.Connection, project: str, record: Record
) -> dict[str, list[str]]:
    """What stands against approving a record (DESIGN.md law 10), by kind; empty if nothing.

    Open conflicts (field, item, key, retraction) by path; duplicate identifiers as
    ``name value (also record ID)``; required fields and groups the record lacks.
    """
    form = form_of(ctx, record.form)
    out: dict[str, list[str]] = {}
    found = [f"{c.kind} {c.path}" for c in conflicts(record)]
    if found:
        out["conflicts"] = found
    dups = [
        f"{n} {v} (also record {other})"
        for n, v, other in queries.record_duplicates(conn, project, record.id)
    ]
    if dups:
        out["duplicate_identifiers"] = dups
    missing = missing_required(form, record)
    if missing:
        out["missing_required"] = missing
    return out


def review(
    ctx: ServerContext,
    principal: Principal,
    record_id: str,
    state: str,
    comment: str,
    override_reason: str = "",
    project: str | None = None,
) -> Applied:
    """Move a record's review state along TRANSITIONS, with a comment, as a Review op.

    Approving a record with open conflicts, duplicate identifiers or missing required
    fields is refused (409 naming them) unless ``override_reason`` says why, which is audited.
    """
    if state not in TRANSITIONS or state == "edited":  # 'edited' follows from a change
        raise BadRequest(f"state must be one of {', '.join(SETTABLE)}", code="bad_state")
    if state in NEEDS_COMMENT and not comment.strip():
        raise BadRequest(f"'{state}' needs a comment saying what is wrong", code="comment_required")
    now = now_ms()
    with ctx.store.write() as conn:
        views.catch_up(ctx.forms, conn)  # the record and its identifiers as every op left them
        row = visible_record(conn, principal, record_id, project)
        record = decode_record(row.state)
        current = review_state(record)
        if state not in TRANSITIONS[current]:
            allowed = " or ".join(TRANSITIONS[current])
            raise Conflict(
                f"record {record_id} is '{current}'; from there it can go to {allowed}, "
                f"not '{state}'",
                code="invalid_transition",
            )
        blockers = approval_blockers(ctx, conn, row.project, record) if state == "approved" else {}
        if blockers and not override_reason.strip():
            named = "; ".join(
                f"{kind.replace('_', ' ')}: {', '.join(v)}" for kind, v in blockers.items()
            )
            raise Conflict(
                f"record {record_id} cannot be approved as it stands ({named}); resolve these "
                "first, or approve with an 'override_reason' saying why (it is audited)",
                code="approval_blocked",
                **blockers,
            )
        op = Review(
            state=state,  # type: ignore[arg-type]
            comment=comment.strip(),
            **_base(ctx, conn, principal, record, now),
        )
        cursor, after = _store(ctx, conn, row, op, now)
        audit_log.append(
            conn,
            chain=project_chain(row.project),
            at_ms=now,
            kind="record.review",
            actor=principal.actor,
            subject=record_id,
            data={
                "project": row.project,
                "dot": f"{op.dot.actor}:{op.dot.counter}",
                "from": current,
                "to": state,
                "comment": comment.strip(),
                "cursor": cursor,
                **(
                    {"override_reason": override_reason.strip(), "overridden": blockers}
                    if blockers
                    else {}
                ),
            },
        )
    return Applied(
        op=op, cursor=cursor, row=after, record=decode_record(after.state), previous_state=current
    )
