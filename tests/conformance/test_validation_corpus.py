"""The TypeScript form validation reports exactly Python's problems on every corpus case.

The corpus is generated here from forms.validate (every field type and constraint of the
seven built-in forms, top level and in repeat groups, as edits, whole records and items):
the built core must give the same problems, path, message, code and severity, in order.
"""

from __future__ import annotations

from pathlib import Path

from tests.conformance import gen_validation_corpus
from tests.conformance.node import node_or_skip, run_script

CODES = {
    "bad_date",
    "bad_datetime",
    "bad_geometry",
    "bad_sha256",
    "duplicate_choice",
    "low_accuracy",
    "missing_required",
    "mock_location",
    "out_of_range",
    "pattern_mismatch",
    "too_few_items",
    "too_long",
    "too_many_items",
    "unknown_choice",
    "unknown_field",
    "unknown_group",
    "unusual_value",
    "wrong_type",
}


def test_the_typescript_validation_gives_pythons_problems_for_every_case(tmp_path: Path) -> None:
    node_or_skip()
    corpus = tmp_path / "validation.msgpack"
    corpus.write_bytes(gen_validation_corpus.generate())
    status, summary = run_script("run_validation.mjs", str(corpus))
    assert summary["failures"] == 0, summary["first"]
    assert status == 0
    assert summary["cases"] > 10_000
    # Every code forms.validate can give is in the corpus, so every one was compared.
    assert set(summary["codes"]) == CODES
