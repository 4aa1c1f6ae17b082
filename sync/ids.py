"""The shape of every id a device chooses: batch, record and item ids.

A device names its batches, records and repeat-group items itself, offline; the server
must never take such a name as it comes, since it reaches file names (archive members
`batches/ID.sealed`), spreadsheets and log lines. The documented shape
(docs/protocol.md, "Ids") is a UUID in canonical text (RFC 9562 section 4): 36
characters, lower-case hex in groups of 8-4-4-4-12 joined by `-`. Any version is
accepted (Cairn devices make UUIDv7); anything else is refused before it is stored, by
the device (`sync.client`) and by the server (`server.ingest`) alike. Pure: standard
library only.
"""

from __future__ import annotations

import re

from sync import ops as op_types

__all__ = ["UUID_TEXT", "id_problem", "is_uuid", "op_id_problem"]

# \Z, not $: `$` also matches before a final newline.
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_SHOWN = 40


def is_uuid(text: object) -> bool:
    """True when `text` is a UUID in canonical lower-case text."""
    return isinstance(text, str) and len(text) == 36 and UUID_TEXT.match(text) is not None


def _shown(text: str) -> str:
    """The id as a message may quote it: escaped, and cut when long."""
    quoted = ascii(text[:_SHOWN])
    return quoted + (f" (cut, {len(text)} characters)" if len(text) > _SHOWN else "")


def id_problem(what: str, text: object) -> str | None:
    """Why `text` is not a valid `what` id (a sentence), or None when it is."""
    if is_uuid(text):
        return None
    shown = _shown(text) if isinstance(text, str) else type(text).__name__
    return (
        f"{what} {shown} is not a UUID in canonical text (36 characters, lower-case "
        "hex as 8-4-4-4-12, e.g. 0190f1c2-8a3b-7c4d-9e5f-0a1b2c3d4e5f)"
    )


def op_id_problem(op: op_types.Op) -> str | None:
    """Why an op's record id or item id has the wrong shape, or None when both are fine."""
    problem = id_problem("record id", op.record_id)
    if problem is None:
        item_id = getattr(op, "item_id", None)
        if item_id is not None:
            problem = id_problem("item id", item_id)
    return problem
