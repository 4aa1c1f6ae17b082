"""Trace points that let crash tests prove where a kill struck.

With `CAIRN_TRACE_FILE` set in the server's environment, each point appends one line,
`EVENT SUBJECT`, to that file (opened in append mode and closed at once, so the line is
in the operating system's hands before the code after it runs: a SIGKILL cannot lose
it). Unset, a point costs one environment lookup. Points: `ingest.begin BATCH_ID` once
the batch's write transaction holds the writer, `ingest.commit BATCH_ID` once it has
committed, `ingest.replay BATCH_ID` when it found the batch already stored, `views.begin
CURSOR` once the view builder's transaction holds the writer (views built up to CURSOR)
and `views.commit N` once it has committed the views of N more ops (server/views.py).
"""

from __future__ import annotations

import os

TRACE_ENV = "CAIRN_TRACE_FILE"


def point(event: str, subject: str) -> None:
    """Append `event subject` to the trace file, when one is configured."""
    path = os.environ.get(TRACE_ENV)
    if not path:
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{event} {subject}\n".encode())
    finally:
        os.close(fd)
