"""Archive member names that every standard tool extracts as they are, and nothing else.

An archive must open with `tar -x` and check with `sha256sum -c` decades from now, on
whatever system. A member name is therefore relative, made of non-empty components other
than `.` and `..`, free of control characters (a newline breaks SHA256SUMS, a NUL cuts
the name short in a tar header) and of backslashes, each component at most 255 bytes
(NAME_MAX on common file systems) and the whole at most 1,024. Exports build names only
from values the server checked (`sync.ids`), and `cairn archive verify` refuses an
archive holding any other name, or one name twice.
"""

from __future__ import annotations

MAX_COMPONENT_BYTES = 255
MAX_NAME_BYTES = 1024


def member_problem(name: str) -> str | None:
    """Why `name` is not a safe archive member name (a sentence), or None when it is."""
    shown = ascii(name[:80])
    if not name:
        return "an empty member name"
    if name.startswith("/"):
        return f"member {shown} has an absolute name"
    if any(ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in name):
        return f"member {shown} has a control character or backslash in its name"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return f"member {shown}… has a name over {MAX_NAME_BYTES} bytes"
    for part in name.rstrip("/").split("/"):
        if part in ("", ".", ".."):
            return f"member {shown} has an empty, '.' or '..' part in its name"
        if len(part.encode("utf-8", "surrogatepass")) > MAX_COMPONENT_BYTES:
            return f"member {shown}… has a name part over {MAX_COMPONENT_BYTES} bytes"
    return None
