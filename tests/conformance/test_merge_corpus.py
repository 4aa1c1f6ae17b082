"""The TypeScript merge gives the Python merge's bytes on the whole merge corpus.

The corpus is generated here from the Python code (so it cannot drift from it): 2,000
random op sets, each in several deliveries; the built core (the file a browser loads)
must give, for every delivery, the same canonical record and conflict bytes (refusals
included), the same item order, or the same error code.
"""

from __future__ import annotations

from pathlib import Path

from tests.conformance import gen_merge_corpus
from tests.conformance.node import BUILD, node_or_skip, run_script

CASES = 2000


def test_the_typescript_merge_gives_the_python_bytes_for_every_case_and_delivery(
    tmp_path: Path,
) -> None:
    node_or_skip()
    assert BUILD.exists(), "the committed build is missing: run (cd web/core && npm run build)"
    corpus = tmp_path / "merge.msgpack"
    corpus.write_bytes(gen_merge_corpus.generate(CASES, seed=17))
    status, summary = run_script("run_merge.mjs", str(corpus))
    assert summary["failures"] == 0, summary["first"]
    assert status == 0
    assert summary["cases"] == CASES
    assert summary["deliveries"] > 3.5 * CASES  # four each; an error case lists one


def test_the_runner_reports_a_record_whose_bytes_differ(tmp_path: Path) -> None:
    """The check can fail: one changed byte in an expected record is reported."""
    node_or_skip()
    import msgspec

    data = msgspec.msgpack.decode(gen_merge_corpus.generate(5, seed=3))
    case = next(c for c in data["cases"] if "record" in c)
    case["record"] = case["record"][:-1] + bytes([case["record"][-1] ^ 1])
    corpus = tmp_path / "tampered.msgpack"
    corpus.write_bytes(msgspec.msgpack.encode(data))
    status, summary = run_script("run_merge.mjs", str(corpus))
    assert status == 1
    assert summary["failures"] == 1
    assert summary["first"][0]["problem"] == "record bytes differ"
