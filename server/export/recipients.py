"""Archive recipients: age public keys, checked before any work is done.

Any number of recipients may open one archive. As in age 1.3 (and the C2SP age spec's
advice for post-quantum keys), a file is either all post-quantum (``age1pq1…``) or all
classic X25519 (``age1…``): one classic stanza would let a future quantum computer open
a file the hybrid keys were meant to protect, so mixing is refused with a clear message.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.errors import BadRequest
from sync.age import AnyRecipient, parse_recipient
from sync.errors import CairnCryptoError

MAX_RECIPIENTS = 64


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:20]}…{text[-6:]}"


def parse_recipients(texts: Sequence[str]) -> list[AnyRecipient]:
    """Parse age recipients; BadRequest naming the first one that is wrong."""
    if not texts:
        raise BadRequest(
            "an archive needs at least one recipient (an age public key, age1… or age1pq1…); "
            "make one with 'cairn keygen'",
            code="no_recipients",
        )
    if len(texts) > MAX_RECIPIENTS:
        raise BadRequest(f"at most {MAX_RECIPIENTS} recipients", code="too_many_recipients")
    parsed: list[AnyRecipient] = []
    for position, text in enumerate(texts, 1):
        try:
            parsed.append(parse_recipient(text.strip()))
        except (CairnCryptoError, ValueError) as exc:
            raise BadRequest(
                f"recipient {position} ({_short(text.strip())!r}) is not an age public key: "
                f"{exc}. Use the 'public key' line that 'cairn keygen' or 'age-keygen' printed",
                code="bad_recipient",
                recipient=text,
            ) from None
    if len({r.post_quantum for r in parsed}) > 1:
        raise BadRequest(
            "post-quantum (age1pq1…) and classic X25519 (age1…) recipients cannot share one "
            "archive: the age format forbids it, because one classic recipient would make "
            "the whole file only as strong as X25519. Export once per kind, or give every "
            "holder a post-quantum key ('cairn keygen --pq')",
            code="mixed_recipients",
        )
    return parsed
