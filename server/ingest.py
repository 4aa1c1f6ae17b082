"""Batch ingest: verify, decrypt, decode, validate, merge, store, receipt.

The flow for one pushed batch (DESIGN.md "Sealed batches", issue #4):

1. Read the unauthenticated routing (device, batch id, seq) and check the batch id's shape
   (`sync.ids`). A batch id we already hold with the same sealed bytes gets the stored
   receipt back: replays change nothing.
2. Open the batch: decrypt with our batch keys (current or retired) and check the device's
   signature. A batch that does not open as a signed batch of an enrolled, unrevoked
   device whose clear routing is the signed one is kept, if at all, in the server-level
   quarantine (no project, no device: its clear header names them, and nothing vouches
   for that header), at most `stray_per_minute` per client address and, bytes included,
   while they fit in `max_stray_bytes`; it answers 4xx and touches nothing of a project.
   A reused batch id is reported only after the signature verified, so the answer tells
   a stranger nothing about which ids exist.
3. Decode each op on its own and validate it against its form (ids shaped as `sync.ids`
   says); an op that fails is refused individually, listed in the receipt and kept in
   quarantine. Nothing is dropped.
4. In ONE write transaction: store the raw sealed bytes, the ops, their attachment
   references, the audit entry, and the signed receipt, and (unless the batch holds only
   brand-new records and a view builder runs: `server.views`) the merged records,
   identifiers and points. Only after the commit does the receipt leave the server.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from forms.schema import FormDef
from server import trace, views
from server.attachments.refs import record_refs
from server.audit.chain import SERVER, project_chain
from server.clock import now_ms
from server.context import ServerContext
from server.errors import (
    BadRequest,
    CairnServerError,
    Conflict,
    Forbidden,
    TooManyRequests,
    Unprocessable,
)
from server.materialize import materialize_rows
from server.store import admin as admin_rows
from server.store import audit_log
from server.store import sync_tables as st
from sync import errors as crypto_errors
from sync import ids, laws, sealed
from sync import ops as op_types
from sync.clock import is_suspect
from sync.receipt import Receipt, RefusedOp, sign_receipt

_RAW_LIST = msgspec.msgpack.Decoder(list[msgspec.Raw])
_OP = msgspec.msgpack.Decoder(op_types.Op)  # type: ignore[arg-type]
_OP_LIST = msgspec.msgpack.Decoder(list[op_types.Op])  # type: ignore[valid-type]
_ENCODE = msgspec.msgpack.Encoder()
MAX_MISSING_LISTED = 1000


STRAY_WINDOW_MS = 60_000


def _crypto_http_error(exc: crypto_errors.CairnCryptoError) -> CairnServerError:
    if isinstance(exc, crypto_errors.UnknownSigner | crypto_errors.BadSignature):
        # One answer for both: which device ids are enrolled is not a stranger's to learn.
        return Forbidden(
            "this batch is not signed by a device enrolled here (unknown device, or a "
            "signature that does not verify); enroll the device with a one-time code",
            code="unknown_signer",
        )
    if isinstance(exc, crypto_errors.RevokedSigner):
        return Forbidden(str(exc), code=exc.code)
    if isinstance(exc, crypto_errors.MalformedEnvelope | crypto_errors.UnsupportedEnvelopeVersion):
        return BadRequest(str(exc), code=exc.code)
    return Unprocessable(str(exc), code=exc.code)


def _quarantine_batch(
    ctx: ServerContext,
    raw: bytes,
    routing: sealed.Routing,
    device: admin_rows.DeviceRow,
    error: CairnServerError,
) -> None:
    """Keep a refused batch its device signed in that device's project quarantine."""
    now = now_ms()
    with ctx.store.write() as conn:
        qid = st.insert_quarantine(
            conn,
            project=device.project,
            device_id=device.device_id,
            batch_id=routing.batch_id,
            kind="batch",
            code=error.code,
            reason=error.message,
            received_at_ms=now,
            payload=raw,
        )
        audit_log.append(
            conn,
            chain=project_chain(device.project),
            at_ms=now,
            kind="batch.quarantine",
            actor=f"device:{device.device_id}",
            subject=routing.batch_id,
            data={
                "code": error.code,
                "sha256": hashlib.sha256(raw).hexdigest(),
                "quarantine_id": qid,
            },
        )


def _stray(ctx: ServerContext, raw: bytes, client: str, error: CairnServerError) -> None:
    """Keep a batch no enrolled device signed in the server-level quarantine, credited to
    no project or device; its bytes only while the stray quarantine stays under its cap."""
    now = now_ms()
    with ctx.store.write() as conn:
        held = st.strays_held(conn)
        keep = held + len(raw) <= ctx.config.max_stray_bytes
        reason = error.message if keep else f"{error.message} (bytes not kept: quarantine full)"
        qid = st.insert_quarantine(
            conn,
            project=None,
            device_id=None,
            batch_id=None,
            kind="batch",
            code=error.code,
            reason=reason,
            received_at_ms=now,
            payload=raw if keep else b"",
            client=client,
        )
        audit_log.append(
            conn,
            chain=SERVER,  # signed by no device enrolled here: no project's
            at_ms=now,
            kind="batch.quarantine",
            actor="unknown",
            subject=f"quarantine:{qid}",
            data={
                "code": error.code,
                "sha256": hashlib.sha256(raw).hexdigest(),
                "size": len(raw),
                "quarantine_id": qid,
            },
        )


def _refuse_stray(
    ctx: ServerContext, raw: bytes, client: str, error: CairnServerError, cause: Exception | None
) -> CairnServerError:
    _stray(ctx, raw, client, error)
    error.__cause__ = cause
    return error


def push(ctx: ServerContext, raw: bytes, client: str = "unknown") -> bytes:
    """Ingest one sealed batch from a client address; return the signed receipt bytes (or
    raise a 4xx error). Counted and timed in `ctx.metrics` by outcome."""
    started = time.perf_counter()
    try:
        receipt, outcome = _push(ctx, raw, client)
    except CairnServerError as exc:
        ctx.metrics.batch_done("refused", time.perf_counter() - started, exc.code)
        raise
    ctx.metrics.batch_done(outcome, time.perf_counter() - started)
    return receipt


def _push(ctx: ServerContext, raw: bytes, client: str) -> tuple[bytes, str]:
    reader = ctx.store.reader()
    recent = st.strays_from(reader, client, now_ms() - STRAY_WINDOW_MS)
    if recent >= ctx.config.stray_per_minute:
        raise TooManyRequests(
            f"too many batches from this address were signed by no enrolled device; "
            f"try again in {STRAY_WINDOW_MS // 1000} s",
            code="too_many_refused_batches",
            retry_after_s=STRAY_WINDOW_MS // 1000,
        )
    try:
        routing = sealed.peek_routing(raw)
    except crypto_errors.CairnCryptoError as exc:
        raise _refuse_stray(ctx, raw, client, _crypto_http_error(exc), exc) from exc
    problem = ids.id_problem("batch id", routing.batch_id)
    if problem is not None:
        bad_id = BadRequest(problem + "; the device must make a new batch", code="bad_batch_id")
        raise _refuse_stray(ctx, raw, client, bad_id, None)
    digest = hashlib.sha256(raw).hexdigest()
    known = st.get_batch(reader, routing.batch_id)
    if known is not None and known.sealed_sha256 == digest:
        return known.receipt, "replayed"
    signers: list[admin_rows.DeviceRow] = []
    try:
        opened = sealed.open_batch(
            raw,
            identities=ctx.keys.batch_identities(),
            signer_lookup=lambda device_id: _signer(reader, device_id, signers),
        )
    except crypto_errors.CairnCryptoError as exc:
        raise _refuse_stray(ctx, raw, client, _crypto_http_error(exc), exc) from exc
    device = signers[-1]
    if known is not None:
        reused = Conflict(
            f"batch {routing.batch_id} was already received with different content; "
            "a device must never reuse a batch id",
            code="batch_id_reused",
        )
        _quarantine_batch(ctx, raw, routing, device, reused)
        raise reused
    try:
        decoded = _decode_ops(opened.body)
    except CairnServerError as error:
        # Authentic but unreadable: keep it with the reason, like any refused batch.
        _quarantine_batch(ctx, raw, routing, device, error)
        raise
    _precheck(ctx, decoded, device)
    return _store_batch(ctx, raw, digest, opened, device, decoded)


def _precheck(
    ctx: ServerContext, decoded: Sequence[_Decoded], device: admin_rows.DeviceRow
) -> None:
    """Decide, before taking the writer, everything about each op that needs no stored
    state: its ids' shape, its author, kind and form, and its values against the form.
    What needs the committed state (a reused dot, the record's form, the merge's laws) is
    decided under the writer (`_check_ops`), in the same order `OpChecker.problem` uses."""
    from server.validation import OpChecker

    checker = OpChecker(ctx.forms, device)
    for d in decoded:
        op = d.op
        if op is None:
            continue
        shape = ids.op_id_problem(op)
        if shape:
            d.early = ("bad_id", shape)
            continue
        found = checker.early(op)
        if isinstance(found, tuple):
            d.early = found
            continue
        d.form = found
        d.values = checker.values(op, found)


def _signer(
    conn: Any, device_id: str, found: list[admin_rows.DeviceRow]
) -> sealed.SignerInfo | None:
    device = admin_rows.get_device(conn, device_id)
    if device is None:
        return None
    found.append(device)
    return sealed.SignerInfo(
        device_id=device.device_id,
        public_key=device.signing_public,
        revoked=device.revoked_at_ms is not None,
    )


class _Decoded(msgspec.Struct, gc=False):
    index: int
    raw: bytes
    op: op_types.Op | None
    reason: str | None
    code: str | None
    # What `_precheck` decided without the stored state (outside the writer): a refusal
    # (code, reason), or the op's form and its values' problem (None when they are valid).
    early: tuple[str, str] | None = None
    form: FormDef | None = None
    values: str | None = None


# msgspec raises DecodeError for bad msgpack, but invalid UTF-8 in a string surfaces as
# UnicodeDecodeError and absurd nesting as RecursionError: all are the sender's mistake.
_UNDECODABLE = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)


def _decode_ops(body: bytes) -> list[_Decoded]:
    try:
        raws = _RAW_LIST.decode(body)
    except _UNDECODABLE as exc:
        raise Unprocessable(
            f"the batch body is not a msgpack list of ops ({exc})", code="malformed_body"
        ) from exc
    try:
        # One typed decode of the whole list is the common case; only a batch holding a
        # bad op is decoded op by op, so that each bad op is refused on its own.
        ops = _OP_LIST.decode(body)
    except _UNDECODABLE:
        pass
    else:
        return [
            _Decoded(i, bytes(raw), op, None, None)
            for i, (raw, op) in enumerate(zip(raws, ops, strict=True))
        ]
    out: list[_Decoded] = []
    for i, raw in enumerate(raws):
        blob = bytes(raw)
        try:
            out.append(_Decoded(i, blob, _OP.decode(blob), None, None))
        except _UNDECODABLE as exc:
            out.append(_Decoded(i, blob, None, f"op {i} is malformed: {exc}", "malformed_op"))
    return out


def _store_batch(
    ctx: ServerContext,
    raw: bytes,
    digest: str,
    opened: sealed.OpenedBatch,
    device: admin_rows.DeviceRow,
    decoded: list[_Decoded],
) -> tuple[bytes, str]:
    routing = opened.routing
    now = now_ms()

    # What the metrics count once the commit is durable: ops stored, codes of those refused
    # and of those stored but refused by the record's rules (None: a replay won the race).
    counted: list[tuple[int, list[str], list[str]]] = []

    deferred: list[bool] = []  # the views of this batch's ops are left to the builder

    def store(conn: Any) -> bytes:
        counted.clear()  # a group that failed and ran this again counts it once
        deferred.clear()
        trace.point("ingest.begin", routing.batch_id)
        # A concurrent push of the same batch may have won the race for the writer.
        again = st.get_batch(conn, routing.batch_id)
        if again is not None and again.sealed_sha256 == digest:
            trace.point("ingest.replay", routing.batch_id)
            return again.receipt
        # Views (records, identifiers, points) built after an earlier commit may still be
        # pending (server.views): a record this batch touches is caught up first, so its
        # laws see its whole causal past; so is everything, when the backlog is full.
        deferring = ctx.views.running
        built, newest = views.backlog(conn)
        if built < newest and (
            not deferring
            or newest - built >= views.MAX_BACKLOG
            or st.records_with_ops_after(
                conn, device.project, sorted({d.op.record_id for d in decoded if d.op}), built
            )
        ):
            views.catch_up(ctx.forms, conn)
            built = newest
        accepted, refused, records = _check_ops(ctx, conn, decoded, device)
        # Deferred: a batch of brand-new records only, whose receipt is the same built now
        # or later (views.fresh_batch); otherwise merged here, after catching up.
        defer = (
            deferring
            and len(accepted) >= views.DEFER_MIN_OPS
            and views.fresh_batch(ctx.forms, [op for op, _ in accepted], records.keys())
        )
        if not defer and built < newest:
            views.catch_up(ctx.forms, conn)
        rows = [
            st.OpRow(
                project=device.project,
                record_id=op.record_id,
                actor=op.dot.actor,
                counter=op.dot.counter,
                kind=str(type(op).__struct_config__.tag),
                hlc=op.hlc,
                batch_id=routing.batch_id,
                received_at_ms=now,
                clock_suspect=is_suspect(op.hlc, now, ctx.config.max_clock_ahead_ms),
                op=blob,
            )
            for op, blob in accepted
        ]
        first, last = st.insert_ops(conn, rows) if rows else (0, 0)
        if defer:
            record_refs(conn, ctx.forms, device.project, [op for op, _ in accepted])
            ruled: dict[tuple[str, int], tuple[str, ...]] = {}
            deferred.append(True)
        else:
            ruled = materialize_rows(
                ctx.forms,
                conn,
                device.project,
                list(zip((op for op, _ in accepted), rows, strict=True)),
                first,
                now,
                records,
            )
            views.settle(conn)
        for item in refused:
            st.insert_quarantine(
                conn,
                project=device.project,
                device_id=device.device_id,
                batch_id=routing.batch_id,
                kind="op",
                code=item.code or "invalid_op",
                reason=item.reason or "refused",
                received_at_ms=now,
                payload=item.raw,
            )
        missing = st.note_seq(conn, device.device_id, routing.seq, MAX_MISSING_LISTED)
        entry = audit_log.append(
            conn,
            chain=project_chain(device.project),
            at_ms=now,
            kind="batch.accept",
            actor=f"device:{device.device_id}",
            subject=routing.batch_id,
            data={
                "sha256": digest,
                "seq": routing.seq,
                "ops": len(rows),
                "refused": len(refused),
                "cursor": [first, last],
            },
        )
        receipt = sign_receipt(
            Receipt(
                batch_id=routing.batch_id,
                device_id=device.device_id,
                seq=routing.seq,
                sealed_sha256=digest,
                received_at=now,
                audit_head=entry.hash,
                audit_seq=entry.seq,
                missing_seqs=missing,
                refused=_refusals(refused, accepted, ruled, decoded),
                accepted_ops=len(rows),
            ),
            *_signing(ctx),
        )
        st.insert_batch(
            conn,
            st.BatchRow(
                batch_id=routing.batch_id,
                device_id=device.device_id,
                project=device.project,
                seq=routing.seq,
                key_id=routing.key_id,
                sealed=raw,
                sealed_sha256=digest,
                received_at_ms=now,
                op_count=len(rows),
                receipt=receipt,
            ),
        )
        admin_rows.touch_device(conn, device.device_id, routing.seq, now)
        counted.append(
            (
                len(rows),
                [item.code or "invalid_op" for item in refused],
                [codes[0].partition(":")[0] for codes in ruled.values()],
            )
        )
        return receipt

    # Concurrent pushes share one durable commit; the receipt leaves only after it.
    receipt = ctx.store.write_grouped(store, weight=max(1, len(decoded)))
    trace.point("ingest.commit", routing.batch_id)
    if deferred:
        ctx.views.kick()
    if not counted:
        return receipt, "replayed"
    ctx.metrics.ops_stored(*counted[0])
    return receipt, "accepted"


def _signing(ctx: ServerContext) -> tuple[Ed25519PrivateKey, str]:
    """The receipt signing key and its id, from one look at the keys (one stat)."""
    keys = ctx.keys
    return keys.signing_key, keys.signing_key_id


def _refusals(
    refused: list[_Decoded],
    accepted: list[tuple[op_types.Op, bytes]],
    ruled: dict[tuple[str, int], tuple[str, ...]],
    decoded: Sequence[_Decoded],
) -> list[RefusedOp]:
    """The receipt's list: ops not stored, then stored ops the record's rules refuse."""
    out = [
        RefusedOp(
            index=r.index,
            reason=r.reason or "refused",
            code=r.code or "invalid_op",
            dot=(r.op.dot.actor, r.op.dot.counter) if r.op is not None else None,
        )
        for r in refused
    ]
    if ruled:
        index = {(d.op.dot.actor, d.op.dot.counter): d.index for d in decoded if d.op is not None}
        for op, _ in accepted:
            dot = (op.dot.actor, op.dot.counter)
            if dot in ruled:
                out.append(
                    RefusedOp(
                        index=index[dot],
                        reason=laws.refusal_message(ruled[dot]),
                        code=ruled[dot][0].partition(":")[0],
                        dot=dot,
                        kept=True,
                    )
                )
    return sorted(out, key=lambda r: r.index)


def _check_ops(
    ctx: ServerContext,
    conn: Any,
    decoded: Sequence[_Decoded],
    device: admin_rows.DeviceRow,
) -> tuple[list[tuple[op_types.Op, bytes]], list[_Decoded], dict[str, st.RecordRow]]:
    """Split decoded ops into accepted (op, bytes) and refused, with reasons.

    Also returns the stored rows of the records the ops touch, read for validation, so that
    merging them does not read them again.
    """
    from server.validation import OpChecker

    candidates = [d for d in decoded if d.op is not None]
    stored = st.existing_ops(conn, [(d.op.dot.actor, d.op.dot.counter) for d in candidates if d.op])
    records = st.load_states(
        conn, device.project, sorted({d.op.record_id for d in candidates if d.op})
    )
    refused = [d for d in decoded if d.op is None]
    accepted: list[tuple[op_types.Op, bytes]] = []
    seen: dict[tuple[str, int], bytes] = {}
    checker = OpChecker(ctx.forms, device)
    for d in candidates:
        op = d.op
        assert op is not None
        dot = (op.dot.actor, op.dot.counter)
        previous = stored.get(dot) or seen.get(dot)
        if previous is not None:
            if previous == d.raw:
                continue  # the same op again: idempotent, nothing to store
            d.reason, d.code = (
                f"op {dot[0]}:{dot[1]} reuses a counter with different content",
                "dot_reused",
            )
            refused.append(d)
            continue
        if d.early is not None:
            problem: tuple[str, str] | None = d.early
        elif d.form is not None:
            problem = OpChecker.late(op, d.form, records.get(op.record_id), d.values)
        else:  # not prechecked (a caller that skipped `_precheck`): decide it all here
            shape = ids.op_id_problem(op)
            problem = ("bad_id", shape) if shape else checker.problem(op, records.get(op.record_id))
        if problem is not None:
            d.code, d.reason = problem
            refused.append(d)
            continue
        seen[dot] = d.raw
        accepted.append((op, d.raw))
    refused.sort(key=lambda d: d.index)
    return accepted, refused, records
