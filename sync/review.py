"""A record's review state as people see it, with changes made after a review (law 10).

The review is a register of supervisors' Review ops (:mod:`sync.merge`); its display
winner is the state. Evidence must not change behind an approval: when the winning
review approved or rejected the record, and any op that is not itself a review, and
that the rules did not refuse, lies outside that review's causal context (its
reviewer had not seen it, wherever and whenever it arrived), the record shows as
``edited``, back in the review queue, until a new review covers the change, as ODK
Central's "edited" state. Decided by contexts alone, so every replica agrees.
"""

from __future__ import annotations

from sync.record import Record

__all__ = ["CLOSED", "changed_since_review", "review_state"]

CLOSED = ("approved", "rejected")


def changed_since_review(record: Record) -> bool:
    """Whether an op the winning approval or rejection had not seen has changed the record."""
    if not record.review.live:
        return False
    winner = record.review.live[record.review.shown]
    if winner.value not in CLOSED:
        return False
    context = record.entry(winner).context
    refused = {(r.actor, r.counter) for r in record.refused}
    for actor, entries in record.log.items():
        seen = context.get(actor, 0)
        for counter, entry in entries.items():
            n = int(counter)
            if n > seen and entry.kind != "review" and (actor, n) not in refused:
                return True
    return False


def review_state(record: Record) -> str:
    """``received`` until reviewed; the winning review's state; ``edited`` after a change."""
    if not record.review.live:
        return "received"
    if changed_since_review(record):
        return "edited"
    return str(record.review.value or "received")
