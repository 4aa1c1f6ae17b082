"""The strace checker catches each broken rule (so its silence on Cairn means something)."""

from __future__ import annotations

import pytest

from tests.e2e.syscall_trace import check, parse

D = "/data"
GOOD = f"""\
7 openat(AT_FDCWD</w>, "{D}/keys/.keys.json.ab.tmp", O_RDWR|O_CREAT|O_EXCL, 0600) = 3<{D}/keys/.keys.json.ab.tmp>
7 write(3<{D}/keys/.keys.json.ab.tmp>, ""..., 9) = 9
7 fsync(3<{D}/keys/.keys.json.ab.tmp>) = 0
7 rename("{D}/keys/.keys.json.ab.tmp", "{D}/keys/keys.json") = 0
7 openat(AT_FDCWD</w>, "{D}/keys", O_RDONLY|O_CLOEXEC|O_DIRECTORY) = 3<{D}/keys>
7 fsync(3<{D}/keys>) = 0
7 write(1<pipe:[1]>, ""..., 3) = 3
7 exit_group(0) = ?
"""


def test_a_durable_replace_passes() -> None:
    trace = check(parse(GOOD), [D])
    assert trace.problems == []
    assert trace.renamed == {f"{D}/keys/keys.json"} and trace.dirs_synced == {f"{D}/keys"}


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            lambda t: t.replace("7 fsync(3<{D}/keys/.keys.json.ab.tmp>) = 0\n".format(D=D), ""),
            "renamed to /data/keys/keys.json before it was fsynced",
        ),
        (
            lambda t: t.replace("7 fsync(3<{D}/keys>) = 0\n".format(D=D), ""),
            "/data/keys was not fsynced after /data/keys/keys.json was renamed into it",
        ),
        (
            lambda t: t.replace("O_RDWR|O_CREAT|O_EXCL", "O_WRONLY|O_CREAT|O_TRUNC"),
            "key file /data/keys/.keys.json.ab.tmp opened with O_TRUNC",
        ),
        (
            lambda t: t.replace(
                "7 exit_group", f'7 write(3<{D}/cairn.json>, ""..., 2) = 2\n7 exit_group'
            ),
            "/data/cairn.json was not fsynced before exit",
        ),
    ],
)
def test_each_broken_rule_is_named(edit: object, problem: str) -> None:
    assert callable(edit)
    trace = check(parse(edit(GOOD)), [D])
    assert any(problem in p for p in trace.problems), trace.problems


def test_scratch_removed_later_is_exempt_and_split_calls_are_joined() -> None:
    text = f"""\
7 mkdir("{D}/.export-x", 0700) = 0
7 write(4<{D}/.export-x/0001>, ""..., 5 <unfinished ...>
8 write(1<pipe:[1]>, ""..., 3) = 3
7 <... write resumed>) = 5
7 unlinkat(AT_FDCWD</w>, "{D}/.export-x/0001", 0) = 0
7 unlinkat(AT_FDCWD</w>, "{D}/.export-x", AT_REMOVEDIR) = 0
7 exit_group(0) = ?
"""
    trace = check(parse(text), [D])
    assert trace.problems == [] and trace.answers == 1
