"""The field device client: record offline, seal and push batches, pull what others did.

Everything is stored in the device home (`DeviceStore`, keys beside it, all 0600) before
anything is sent, so a device can work for days with no connection and lose nothing:

- an edit becomes one op (dot = this device + its next counter, context = the record's
  version vector as the device sees it, an HLC stamp, the wall time and optional GPS fix),
  validated with the same `forms` code the server uses, stored, and merged locally;
- `push` first seals pending ops into batches and stores the sealed bytes, then sends each
  batch until the server returns a signed receipt. Only a verified receipt marks ops as
  delivered; a retry (after a timeout, a crash, a server restart) sends the same bytes, and
  the server's replay rule returns the same receipt;
- `pull` fetches sealed pages after its cursor, verifies the server's signature, merges.
"""

from __future__ import annotations

import gc
import hashlib
import os
import secrets
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

import httpx
import msgspec

from forms.attachments import op_attachments
from forms.laws import rules_for
from forms.library import builtin_library
from forms.schema import FormDef, only_errors
from forms.validate import validate, validate_item
from forms.views import view_under
from sync import ids, laws, merge, ops, wire
from sync.clock import HybridClock, wall_clock_ms
from sync.device_store import DeviceStore, PendingBatch
from sync.errors import CairnCryptoError
from sync.keys import DeviceKeys
from sync.receipt import Receipt, verify_receipt
from sync.record import Record
from sync.sealed import open_pull, seal_batch
from sync.uploads import Attachments, UploadProgress
from sync.view import RecordView

BATCH_OPS = 5_000
PULL_LIMIT = 5_000
RETRIES = 5
_OP = msgspec.msgpack.Decoder(ops.Op)  # type: ignore[arg-type]
_ENC = msgspec.msgpack.Encoder()
_RECORD = msgspec.msgpack.Decoder(Record)
_RECORD_ENC = msgspec.msgpack.Encoder(order="deterministic")
_T = TypeVar("_T")


class ClientError(Exception):
    """Something the person at the device must know; the message says what to do."""


class NotEnrolled(ClientError):
    """The device home has no enrollment yet."""


class Unreachable(ClientError):
    """The server could not be reached; nothing was lost, try again later."""


class Refused(ClientError):
    """The server refused a request (the server's message is included)."""


class RuleRefused(ClientError):
    """The form's rules refuse the edit (an immutable field, an append-only group); nothing
    was stored. The same rules would make the server refuse it."""


class InvalidValues(ClientError):
    """Values that do not fit the form; nothing was stored."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def uuid7() -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix ms, then random bits; sorts by creation time."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(secrets.token_bytes(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 68) << 64
    value |= 0b10 << 62 | rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


@dataclass(frozen=True)
class PushSummary:
    """What one push achieved."""

    batches: int
    ops: int
    refused: list[str]
    missing_seqs: list[int]
    refused_ops: int = 0
    attachments: int = 0


@dataclass(frozen=True)
class PullSummary:
    """What one pull brought."""

    ops: int
    new_ops: int
    cursor: int
    clock_offset_ms: int


Progress = Callable[[int, int], None]


class Device:
    """One field device home: keys, offline store, clock, and the way to the server."""

    def __init__(
        self,
        home: Path,
        *,
        transport: httpx.BaseTransport | None = None,
        time_source: Callable[[], int] = wall_clock_ms,
        sleep: Callable[[float], None] = time.sleep,
        retries: int = RETRIES,
    ) -> None:
        self.home = Path(home)
        self.store = DeviceStore(self.home)
        self._transport = transport
        self._time = time_source
        self._sleep = sleep
        self.retries = max(1, retries)
        self.forms = builtin_library()
        self.clock = HybridClock(time_source, last=self.store.get_int("hlc"))
        self._client: httpx.Client | None = None
        self.attachments = Attachments(self)

    def close(self) -> None:
        """Close the connection to the server and the offline store."""
        if self._client is not None:
            self._client.close()
        self.store.close()

    # -- enrollment ---------------------------------------------------------------------

    @property
    def device_id(self) -> str:
        """This device's id (after enrollment)."""
        value = self.store.get_str("device_id")
        if value is None:
            raise NotEnrolled(
                f"{self.home} is not enrolled yet; run 'cairn device enroll URL CODE' first"
            )
        return value

    def _server_public(self) -> bytes:
        public = self.store.get_bytes("server_signing_public")
        if public is None:
            raise NotEnrolled(f"{self.home} is not enrolled yet; run 'cairn device enroll'")
        return public

    def keys(self) -> DeviceKeys:
        """This device's keys."""
        return DeviceKeys.load(self.home / "keys")

    def _http(self, url: str | None = None) -> httpx.Client:
        base = url or self.store.get_str("server_url")
        if base is None:
            raise NotEnrolled("no server configured; run 'cairn device enroll URL CODE' first")
        if self._client is None or str(self._client.base_url).rstrip("/") != base.rstrip("/"):
            if self._client is not None:
                self._client.close()
            # One client per device: connections are reused across batches and pages.
            self._client = httpx.Client(base_url=base, transport=self._transport, timeout=120.0)
        return self._client

    def enroll(self, url: str, code: str, label: str = "") -> wire.EnrollResponse:
        """Make keys, enroll with a one-time code, and keep the server's public keys.

        Keys made here are removed again when the enrollment fails, so a failed attempt
        leaves nothing behind and the same command can simply be run again.
        """
        if self.store.get("device_id") is not None:
            raise ClientError(f"{self.home} is already enrolled as {self.device_id}")
        keys_dir = self.home / "keys"
        made_keys = not keys_dir.exists()
        keys = DeviceKeys.generate() if made_keys else DeviceKeys.load(keys_dir)
        if made_keys:
            keys.save(keys_dir)
        request = wire.EnrollRequest(
            code=code,
            signing_public=keys.public().signing_public,
            encryption_recipient=keys.public().encryption_recipient,
            label=label,
        )
        try:
            response = self._post(
                url.rstrip("/"), "/v1/device/enroll", wire.encode(request), attempts=2
            )
        except Unreachable as exc:
            if made_keys:
                shutil.rmtree(keys_dir, ignore_errors=True)
            raise Unreachable(
                f"{exc.args[0]}; this device is not enrolled. Check the URL and that "
                "'cairn serve' runs there, then run the same command again (the code stays "
                "valid until it is used or expires)"
            ) from exc
        except ClientError:
            if made_keys:
                shutil.rmtree(keys_dir, ignore_errors=True)
            raise
        answer = wire.ENROLL_RESPONSE.decode(response)
        with self.store.transaction() as conn:
            for key, value in (
                ("device_id", answer.device_id),
                ("project", answer.project),
                ("server_url", url.rstrip("/")),
                ("server_signing_public", answer.server_signing_public),
                ("server_signing_key_id", answer.server_signing_key_id),
                ("batch_recipient", answer.batch_recipient),
                ("batch_key_id", answer.batch_key_id),
                ("counter", 0),
                ("cursor", 0),
                ("clock_offset_ms", answer.server_time_ms - self._time()),
            ):
                self.store.put(conn, key, value)
        return answer

    # -- recording ----------------------------------------------------------------------

    def form(self, ref: str) -> FormDef:
        """A form by `id` (latest version) or `id@version`."""
        form: FormDef = self.forms.resolve(ref)
        return form

    def record(self, record_id: str) -> Record:
        """The merged local view of one record (id or unique prefix)."""
        found = self.store.get_record(self.resolve(record_id))
        assert found is not None
        return _RECORD.decode(found[1])

    def resolve(self, prefix: str) -> str:
        """The full record id for an id or a unique prefix of one."""
        matches = self.store.find_records(prefix)
        if prefix in matches:
            return prefix
        if not matches:
            raise ClientError(
                f"no record {prefix!r} on this device; 'cairn device list' shows them"
            )
        if len(matches) > 1:
            raise ClientError(f"{prefix!r} matches {len(matches)} records; type more of the id")
        return matches[0]

    def records(self) -> list[Record]:
        """Every record on this device, by id."""
        return [_RECORD.decode(state) for _, _, state in self.store.iter_records()]

    def labels(self) -> dict[str, str]:
        """Who the project's actors are (device and token labels), as of the last pull."""
        stored = self.store.get("labels", {})
        return {str(k): str(v) for k, v in stored.items()} if isinstance(stored, dict) else {}

    def rules(self, form_ref: str) -> laws.Rules:
        """The write rules of a form (any version of it), as the merge runs them."""
        return rules_for(self.forms, form_ref)

    def view(self, record_id: str) -> RecordView:
        """The merged view of one record, as the server's `GET /v1/records/{id}` shows it."""
        record = self.record(record_id)
        form = self.form(record.form)
        return view_under(form, record)

    def _base(self, record_id: str, form: str, gps: ops.GpsFix | None) -> dict[str, Any]:
        existing = self.store.get_record(record_id)
        context = _RECORD.decode(existing[1]).vv if existing else {}
        counter = self.store.get_int("counter") + 1
        return {
            "dot": ops.Dot(actor=self.device_id, counter=counter),
            "record_id": record_id,
            "form": form,
            "hlc": self.clock.now(),
            "context": dict(context),
            "wall_time": self._time(),
            "gps": gps,
        }

    def _commit(self, op: ops.Op, origin: str = "local") -> Record:
        if origin == "local" and (problem := ids.op_id_problem(op)) is not None:
            raise ClientError(problem)  # the server would refuse it (docs/protocol.md, Ids)
        blob = _ENC.encode(op)
        existing = self.store.get_record(op.record_id)
        record = _RECORD.decode(existing[1]) if existing else None
        record = merge.apply(record, op, rules=self.rules(op.form))
        dot = (op.dot.actor, op.dot.counter)
        refusal = next((r for r in record.refused if (r.actor, r.counter) == dot), None)
        if refusal is not None:
            # The server would refuse it the same way (the same law, the same code).
            raise RuleRefused(f"not stored: {laws.refusal_message(refusal.codes)}")
        refs = (
            [
                (r.sha256, op.dot.actor, op.dot.counter)
                for r in op_attachments(self.form(op.form), op)
            ]
            if origin == "local"
            else []
        )
        with self.store.transaction() as conn:
            self.store.insert_op(conn, op.dot.actor, op.dot.counter, op.record_id, origin, blob)
            if refs:
                self.store.add_attachment_refs(conn, refs)
            self.store.put_record(conn, op.record_id, record.form, _RECORD_ENC.encode(record))
            if origin == "local":
                self.store.put(conn, "counter", op.dot.counter)
            self.store.put(conn, "hlc", self.clock.last)
        return record

    def _check(self, problems: list[Any]) -> None:
        errors = only_errors(problems)
        if errors:
            raise InvalidValues([p.message for p in errors])

    def form_of(self, record_id: str) -> tuple[str, FormDef]:
        """(full record id, its form) for a record id or a unique prefix of one."""
        rid = self.resolve(record_id)
        found = self.store.get_record(rid)
        assert found is not None
        return rid, self.form(found[0])

    def new(self, form_ref: str, values: dict[str, Any], gps: ops.GpsFix | None = None) -> str:
        """Create a record; returns its new id (a UUIDv7)."""
        form = self.form(form_ref)
        self._check(validate(form, values, partial=True))
        record_id = uuid7()
        self._commit(ops.Create(fields=values, **self._base(record_id, form.ref, gps)))
        return record_id

    def missing_required(self, record_id: str) -> list[str]:
        """Required fields of a record that have no value yet."""
        rid, form = self.form_of(record_id)
        record = self.record(rid)
        return [
            f.name
            for f in form.fields
            if f.required and f.name not in record.fields and form.group(f.name) is None
        ]

    def edit(self, record_id: str, values: dict[str, Any], gps: ops.GpsFix | None = None) -> None:
        """Set fields of a record."""
        rid, form = self.form_of(record_id)
        self._check(validate(form, values, partial=True))
        record = self.record(rid)
        fixed = self.rules(record.form).immutable
        # Setting a fixed field to the value it already holds changes nothing: leave it out.
        same = {
            name
            for name, value in values.items()
            if name in fixed
            and (state := record.fields.get(name)) is not None
            and not state.conflict
            and state.live
            and state.value == value
        }
        values = {name: value for name, value in values.items() if name not in same}
        if not values:
            raise ClientError("nothing to change: every value given is the one recorded")
        self._commit(ops.Patch(fields=values, **self._base(rid, record.form, gps)))

    def add_item(
        self, record_id: str, group: str, values: dict[str, Any], gps: ops.GpsFix | None = None
    ) -> str:
        """Add an item to a repeat group; returns the item id."""
        rid, form = self.form_of(record_id)
        self._check(validate_item(form, group, values, partial=True))
        item_id = uuid7()
        base = self._base(rid, self.record(rid).form, gps)
        self._commit(ops.ItemAdd(group=group, item_id=item_id, fields=values, **base))
        return item_id

    def edit_item(self, record_id: str, group: str, item_id: str, values: dict[str, Any]) -> None:
        """Set fields of one item of a repeat group."""
        rid, form = self.form_of(record_id)
        self._check(validate_item(form, group, values, partial=True))
        item_id = self._item(rid, group, item_id)
        base = self._base(rid, self.record(rid).form, None)
        self._commit(ops.ItemEdit(group=group, item_id=item_id, fields=values, **base))

    def remove_item(self, record_id: str, group: str, item_id: str) -> None:
        """Remove one item of a repeat group (kept in history)."""
        rid, form = self.form_of(record_id)
        spec = form.group(group)
        if spec is None:
            raise ClientError(f"{group!r} is not a repeat group of {form.ref}")
        item_id = self._item(rid, group, item_id)
        base = self._base(rid, self.record(rid).form, None)
        self._commit(ops.ItemRemove(group=group, item_id=item_id, **base))

    def _item(self, record_id: str, group: str, prefix: str) -> str:
        items = self.record(record_id).items.get(group, {})
        matches = [i for i in items if i.startswith(prefix)]
        if prefix in items:
            return prefix
        if len(matches) != 1:
            raise ClientError(
                f"no single item {prefix!r} in {group} of record {record_id}"
                if not matches
                else f"{prefix!r} matches {len(matches)} items; type more of the id"
            )
        return matches[0]

    def retract(self, record_id: str, reason: str) -> None:
        """Retract (soft-delete) a record; a reason is required."""
        if not reason.strip():
            raise ClientError("a retraction needs a reason (--reason)")
        rid = self.resolve(record_id)
        self._commit(ops.Retract(reason=reason, **self._base(rid, self.record(rid).form, None)))

    # -- sync ---------------------------------------------------------------------------

    def _post(self, base: str | None, path: str, body: bytes, attempts: int = 0) -> bytes:
        """POST with retries and backoff on network errors and 5xx; 4xx raise Refused.

        A 429 or 503 with `Retry-After` waits as long as the server asks (capped) before
        the next attempt; otherwise waits double from 0.5 s. Unreachable's message says
        only what happened; callers add what it means for their data.
        """
        delay = 0.5
        last: Exception | None = None
        attempts = attempts or self.retries
        for attempt in range(attempts):
            wait = delay
            try:
                response = self._http(base).post(path, content=body)
            except httpx.TransportError as exc:
                last = exc
            else:
                if response.status_code < 400:
                    return response.content
                if response.status_code < 500 and response.status_code != 429:
                    raise Refused(_server_message(response))
                last = Refused(_server_message(response))
                wait = _retry_after(response, delay)
            if attempt < attempts - 1:
                self._sleep(wait)
                delay *= 2
        if isinstance(last, Refused):
            # The server answered, but could not take the data (full disk, overload, a bug).
            raise Unreachable(f"the server could not take it: {last}")
        raise Unreachable(f"could not reach the server ({last})")

    def seal_pending(self) -> None:
        """Seal every pending op into batches now (push does it too); sealed bytes are kept."""
        pending = self.store.unsealed_ops()
        if not pending:
            return
        keys = self.keys()
        recipient = str(self.store.get("batch_recipient"))
        key_id = str(self.store.get("batch_key_id"))
        for start in range(0, len(pending), BATCH_OPS):
            chunk = pending[start : start + BATCH_OPS]
            body = _ENC.encode([msgspec.Raw(blob) for _, _, blob in chunk])
            batch_id = uuid7()
            assert ids.is_uuid(batch_id), batch_id
            seq = self.store.max_seq() + 1
            sealed = seal_batch(
                body,
                device_id=self.device_id,
                batch_id=batch_id,
                seq=seq,
                device_signing_key=keys.signing_key,
                server_recipient=recipient,
                server_key_id=key_id,
            )
            with self.store.transaction() as conn:
                self.store.insert_batch(conn, batch_id, seq, len(chunk), self._time(), sealed)
                self.store.assign_batch(conn, batch_id, [(a, c) for a, c, _ in chunk])

    def push(
        self, progress: Progress | None = None, upload_progress: UploadProgress | None = None
    ) -> PushSummary:
        """Seal what is pending, push every batch that has no receipt yet, then upload the
        files their ops reference (each until the server's signed receipt)."""
        self.seal_pending()
        batches = self.store.pending_batches()
        server_public = self._server_public()
        refused: list[str] = []
        missing: list[int] = []
        newest = -1
        sent_ops = 0
        for done, batch in enumerate(batches, start=1):
            try:
                answer = self._post(None, "/v1/device/batches", batch.sealed)
            except Unreachable as exc:
                raise Unreachable(
                    f"{exc.args[0]}; nothing was lost: what is not yet receipted stays on this "
                    "device, try again later"
                ) from exc
            receipt = self._verify_receipt(answer, batch.batch_id, batch.sealed, server_public)
            marks = self._refusals(batch, receipt)
            with self.store.transaction() as conn:
                self.store.store_receipt(conn, batch.batch_id, answer, self._time())
                if marks:
                    touched = self.store.mark_refused(conn, marks)
                    self._rebuild(conn, touched)
            refused += [f"batch {batch.seq} op {r.index}: {r.reason}" for r in receipt.refused]
            if receipt.received_at >= newest:
                # Replays return their original receipt: the newest one knows the most.
                newest, missing = receipt.received_at, list(receipt.missing_seqs)
            sent_ops += batch.op_count
            if progress:
                progress(done, len(batches))
        uploaded = self.attachments.upload_all(upload_progress)
        return PushSummary(
            batches=len(batches),
            ops=sent_ops,
            refused=refused,
            missing_seqs=missing,
            refused_ops=len(refused),
            attachments=len(uploaded),
        )

    def record_attachments(self, record_id: str) -> list[str]:
        """The hashes of every file the ops of a record reference, in first-seen order."""
        rid = self.resolve(record_id)
        found: dict[str, None] = {}
        for blob in self.store.record_ops(rid):
            op = _OP.decode(blob)
            for ref in op_attachments(self.form(op.form), op):
                found.setdefault(ref.sha256)
        return list(found)

    def fetch(self, record_id: str) -> list[tuple[str, Path]]:
        """Every file a record references, on this device (fetched from the server when
        missing); (sha256, path) each."""
        return [(sha, self.attachments.fetch(sha)) for sha in self.record_attachments(record_id)]

    def _refusals(self, batch: PendingBatch, receipt: Receipt) -> list[tuple[str, int, str, bool]]:
        """(actor, counter, reason, excluded) of the batch's ops the receipt refuses."""
        if not receipt.refused:
            return []
        dots = self.store.batch_dots(batch.batch_id)
        out = []
        for r in receipt.refused:
            dot = r.dot if r.dot is not None else (dots[r.index] if r.index < len(dots) else None)
            if dot is not None:
                out.append((dot[0], dot[1], r.reason, not r.kept))
        return out

    def _rebuild(self, conn: Any, record_ids: list[str]) -> None:
        """Merge records again from the ops their view holds (after ops were left out)."""
        rows = []
        for record_id in record_ids:
            blobs = self.store.record_ops(record_id)
            if not blobs:
                # Nothing of it reached the server: it stays on the device, with no view.
                conn.execute("DELETE FROM records WHERE record_id = ?", (record_id,))
                continue
            decoded = [_OP.decode(b) for b in blobs]
            record = merge.materialize(decoded, rules=self.rules(decoded[0].form))
            rows.append((record_id, record.form, _RECORD_ENC.encode(record)))
        self.store.put_records(conn, rows)

    def _verify_receipt(
        self, answer: bytes, batch_id: str, sealed: bytes, server_public: bytes
    ) -> Receipt:
        try:
            receipt = verify_receipt(answer, server_public)
        except CairnCryptoError as exc:
            raise Refused(f"the server's receipt does not verify ({exc}); batch kept") from exc
        if (
            receipt.batch_id != batch_id
            or receipt.device_id != self.device_id
            or receipt.sealed_sha256 != hashlib.sha256(sealed).hexdigest()
        ):
            raise Refused("the server's receipt is for another batch; batch kept, retry later")
        return receipt

    def pull(self, progress: Progress | None = None) -> PullSummary:
        """Fetch every op after our cursor, verify it, and merge it locally.

        While one page is merged and stored, the next is already being fetched (one
        request ahead, in a helper thread): the wait for the server overlaps the local
        work. Pages are still merged and committed one by one, in cursor order, each in
        one transaction with the cursor after it; a page's commit (its fsync) runs in a
        helper thread while the next page is decoded, and that page is merged only once
        the commit has returned. Progress counts committed pages only.
        """
        keys = self.keys()
        server_public = self._server_public()
        device_id = self.device_id
        server_url = self.store.get_str("server_url")  # the helper thread must not read the store
        cursor = self.store.get_int("cursor")
        total = new = 0
        offset = self.store.get_int("clock_offset_ms")

        def fetch(after: int) -> tuple[wire.PullPage, int]:
            request = wire.PullRequest(device_id=device_id, cursor=after, limit=PULL_LIMIT)
            try:
                sealed = self._post(
                    server_url, "/v1/device/pull", wire.encode(request.sign(keys.signing_key))
                )
            except Unreachable as exc:
                raise Unreachable(
                    f"{exc.args[0]}; what was pulled before is kept on this device, pull "
                    "again later"
                ) from exc
            try:
                body = open_pull(
                    sealed,
                    identities=[keys.encryption],
                    server_public=server_public,
                    device_id=device_id,
                ).payload
            except CairnCryptoError as exc:
                raise Refused(f"the server's answer does not verify ({exc})") from exc
            page = wire.PULL_PAGE.decode(body)
            return page, page.server_time_ms - self._time()

        upcoming = _Ahead(partial(fetch, cursor))
        committing: _Ahead[None] | None = None  # the last page's commit, still running
        try:
            page, offset = upcoming.result()
            if page.more:
                upcoming = _Ahead(partial(fetch, page.cursor))
            with _collector_paused():
                read = self._read_page(page, *_decode_page(page))
            while True:
                with _collector_paused():
                    merged = self._merge_page(read)  # while the last page's commit runs
                    if committing is not None:
                        committing.result()
                        committing = None
                        if progress:
                            progress(total, total + 1)
                    meta: dict[str, object] = {
                        "cursor": page.cursor,
                        "clock_offset_ms": offset,
                        "last_pull_ms": self._time(),
                    }
                    new += self._write_page(read, merged, meta)
                total += len(page.ops)
                cursor = page.cursor
                if not page.more:
                    self.store.commit_open()
                    break
                # The next page: the page just written is committed (its fsync and
                # checkpoint, the GIL released) in a helper thread while the next one is
                # merged; the store is not touched until that commit has returned. When
                # the next page is not here yet, the commit starts first (it does not hold
                # the store's write lock while the device waits for the network).
                if upcoming.done():
                    try:
                        page, offset = upcoming.result()
                        with _collector_paused():
                            # Read in the open transaction: it sees the page just written.
                            read = self._read_page(page, *_decode_page(page))
                    except BaseException:
                        self.store.commit_open()  # the page written is kept
                        raise
                    committing = _Ahead(self.store.commit_open)
                else:
                    committing = _Ahead(self.store.commit_open)
                    page, offset = upcoming.result()
                    with _collector_paused():
                        blobs, decoded = _decode_page(page)
                        committing.result()
                        committing = None
                        if progress:
                            progress(total, total + 1)
                        read = self._read_page(page, blobs, decoded)
                if page.more:
                    upcoming = _Ahead(partial(fetch, page.cursor))
        except BaseException:
            # A page that could not be merged or stored: let the commit and the request
            # already under way finish (a page not committed is dropped, and its
            # transaction rolled back), so nothing runs on after pull returns.
            if committing is not None:
                committing.wait()
            upcoming.wait()
            if self.store.conn.in_transaction:
                self.store.conn.rollback()
            raise
        if progress:
            progress(total, total)
        return PullSummary(ops=total, new_ops=new, cursor=cursor, clock_offset_ms=offset)

    def _merge_pulled(self, page: wire.PullPage, meta: dict[str, object]) -> int:
        """Merge one page and move the cursor in one transaction; return how many were new.

        The page as :meth:`pull` stores it (which overlaps each page's commit with the
        next page's merge), one page on its own; ``meta`` holds the settings to store
        with it (the cursor after it).
        """
        with _collector_paused():
            read = self._read_page(page, *_decode_page(page))
            new = self._write_page(read, self._merge_page(read), meta)
        self.store.commit_open()
        return new

    def _read_page(self, page: wire.PullPage, blobs: list[bytes], decoded: list[ops.Op]) -> _Read:
        """Group a decoded page's ops by record and read what the store holds of them: the
        states of those records (one query) and the actors' labels."""
        by_record: dict[str, list[ops.Op]] = {}
        rows: list[tuple[str, int, str, bytes]] = []
        for op, blob in zip(decoded, blobs, strict=True):
            record_id = op.record_id
            rows.append((op.dot.actor, op.dot.counter, record_id, blob))
            group = by_record.get(record_id)
            if group is None:
                by_record[record_id] = [op]
            else:
                group.append(op)
        return _Read(
            page=page,
            rows=rows,
            by_record=by_record,
            states=self.store.get_states(list(by_record)),
            labels={**self.labels(), **page.labels} if page.labels else None,
            newest=max((op.hlc for op in decoded), default=None),
        )

    def _merge_page(self, read: _Read) -> list[tuple[str, str, bytes]]:
        """(record id, form, state) of each record of a page, merged (the store untouched).

        A record new to this device whose one op is a Create (most of a first sync) has
        its state written straight from the op (:func:`merge.fresh_state`, the bytes the
        merge gives); any other is merged and encoded once.
        """
        suspect = {(actor, counter) for actor, counter in read.page.suspect}
        apply, fresh, encode = merge.apply, merge.fresh_state, _RECORD_ENC.encode
        merged: list[tuple[str, str, bytes]] = []
        rules_by_form: dict[str, laws.Rules] = {}  # a page holds few forms, many records
        states = read.states
        for record_id, record_ops in read.by_record.items():
            form = record_ops[0].form
            rules = rules_by_form.get(form)
            if rules is None:
                rules = rules_by_form[form] = self.rules(form)
            state = states.get(record_id)
            if state is None and len(record_ops) == 1:
                op = record_ops[0]
                flagged = bool(suspect) and (op.dot.actor, op.dot.counter) in suspect
                fresh_bytes = fresh(op, suspect=flagged, rules=rules)
                if fresh_bytes is not None:
                    merged.append((record_id, form, fresh_bytes))
                    continue
            record = _RECORD.decode(state) if state is not None else None
            for op in record_ops:
                flagged = bool(suspect) and (op.dot.actor, op.dot.counter) in suspect
                record = apply(record, op, suspect=flagged, rules=rules)
            assert record is not None
            merged.append((record_id, record.form, encode(record)))
        return merged

    def _write_page(
        self, read: _Read, merged: list[tuple[str, str, bytes]], settings: dict[str, object]
    ) -> int:
        """Write a merged page's ops and records with ``settings`` (the cursor after it)
        and the clock, in a transaction left open for :meth:`DeviceStore.commit_open`;
        return how many ops were new."""
        page = read.page
        if read.newest is not None:
            # The HLC receive rule for the page at once: the clock moves past the newest
            # stamp it holds, so every later local stamp is after every op pulled.
            self.clock.observe(read.newest)
        meta = {**settings, "hlc": self.clock.last}
        if page.batch_key_id and page.batch_recipient:
            # Signed by the server: the key rotated; seal new batches to the new one.
            meta["batch_key_id"] = page.batch_key_id
            meta["batch_recipient"] = page.batch_recipient
        if read.labels is not None:
            meta["labels"] = read.labels
        with self.store.open_transaction() as conn:
            new = self.store.insert_pulled(conn, read.rows)
            self.store.put_records(conn, merged)
            self.store.put_many(conn, meta)
        return new

    def status(self) -> dict[str, Any]:
        """Pending ops, last receipt, server, clock offset at last sync."""
        last = self.store.last_receipt()
        return {
            "device_id": self.store.get("device_id"),
            "project": self.store.get("project"),
            "server": self.store.get("server_url"),
            "ops": self.store.count_ops(),
            "refused": [
                {"op": f"{a}:{c}", "record_id": rid, "reason": reason, "kept_by_server": not ex}
                for a, c, rid, reason, ex in self.store.refused_ops()
            ],
            "batches_awaiting_receipt": len(self.store.pending_batches()),
            "last_receipt": None if last is None else {"batch_id": last[0], "at_ms": last[2]},
            "cursor": self.store.get("cursor"),
            "clock_offset_ms": self.store.get("clock_offset_ms"),
            "records": sum(1 for _ in self.store.iter_records()),
            "attachments": self.store.count_attachments(),
        }


@dataclass
class _Read:
    """A pulled page, decoded, grouped by record, with what the store held of it."""

    page: wire.PullPage
    rows: list[tuple[str, int, str, bytes]]  # (actor, counter, record id, op as received)
    by_record: dict[str, list[ops.Op]]
    states: dict[str, bytes]
    labels: dict[str, str] | None  # the actors' labels with the page's, when it has any
    newest: int | None  # the page's newest HLC stamp


def _decode_page(page: wire.PullPage) -> tuple[list[bytes], list[ops.Op]]:
    """A pulled page's ops as stored (the bytes as received) and decoded."""
    blobs = [bytes(raw) for raw in page.ops]
    return blobs, list(map(_OP.decode, blobs))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cycle collector while a page is decoded and merged (back on after it,
    also when the page fails; left off if it was off).

    A page's ops and records are tens of thousands of new objects, all alive until the
    page is stored, so the collections they would trigger find nothing to free (about a
    tenth of a pull).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _Ahead(Generic[_T]):
    """One call running ahead in a daemon thread (an interrupted pull does not wait for it)."""

    def __init__(self, call: Callable[[], _T]) -> None:
        self._done = threading.Event()
        self._value: _T | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._run, args=(call,), name="cairn-pull", daemon=True).start()

    def _run(self, call: Callable[[], _T]) -> None:
        try:
            self._value = call()
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc
        finally:
            self._done.set()

    def wait(self) -> None:
        """Wait until the call has returned or raised."""
        self._done.wait()

    def done(self) -> bool:
        """Whether the call has returned or raised."""
        return self._done.is_set()

    def result(self) -> _T:
        """The call's value, once it is there; its exception if it raised."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return cast(_T, self._value)


def _server_message(response: httpx.Response) -> str:
    try:
        body = response.json()
        return f"{body.get('message', response.text)} [{response.status_code} {body.get('error')}]"
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"


MAX_RETRY_AFTER_S = 300.0


def _retry_after(response: httpx.Response, default: float) -> float:
    """The wait a 429/503 answer asks for in `Retry-After` (seconds, capped), else `default`."""
    text = response.headers.get("retry-after", "").strip()
    try:
        seconds = float(text)
    except ValueError:
        return default  # absent, or an HTTP date: Cairn never sends one
    if not seconds >= 0:  # negative or nan
        return default
    return min(seconds, MAX_RETRY_AFTER_S)


def home_from_env(option: str | None) -> Path:
    """The device home: --home, else $CAIRN_DEVICE_HOME, else ./cairn-device."""
    return Path(option or os.environ.get("CAIRN_DEVICE_HOME") or "cairn-device")
