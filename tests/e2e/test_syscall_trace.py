"""The strace checker catches each broken rule (so its silence on Cairn means something)."""

from __future__ import annotations

import pytest

from tests.e2e.syscall_trace import check, parse

D = "/d"
T = f"{D}/keys/.keys.json.ab.tmp"
GOOD = f"""\
7 openat(AT_FDCWD</w>, "{T}", O_RDWR|O_CREAT|O_EXCL, 0600) = 3<{T}>
7 write(3<{T}>, ""..., 9) = 9
7 fsync(3<{T}>) = 0
7 rename("{T}", "{D}/keys/keys.json") = 0
7 openat(AT_FDCWD</w>, "{D}/keys", O_RDONLY|O_CLOEXEC|O_DIRECTORY) = 3<{D}/keys>
7 fsync(3<{D}/keys>) = 0
7 write(1<pipe:[1]>, ""..., 3) = 3
7 exit_group(0) = ?
"""


def test_a_durable_replace_passes() -> None:
    trace = check(parse(GOOD), [D])
    assert trace.problems == [] and trace.answers == 1
    assert trace.renamed == {f"{D}/keys/keys.json"} and trace.dirs_synced == {f"{D}/keys"}


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (f"7 fsync(3<{T}>) = 0\n", "", f"{T} renamed to {D}/keys/keys.json before it was fsynced"),
        (
            f"7 fsync(3<{D}/keys>) = 0\n",
            "",
            f"{D}/keys was not fsynced after {D}/keys/keys.json was renamed into it, before an "
            "answer",
        ),
        ("O_RDWR|O_CREAT|O_EXCL", "O_WRONLY|O_CREAT|O_TRUNC", f"key file {T} opened with O_TRUNC"),
        (
            "7 exit_group",
            f'7 write(3<{D}/cairn.json>, ""..., 2) = 2\n7 exit_group',
            f"{D}/cairn.json was not fsynced before exit",
        ),
    ],
)
def test_each_broken_rule_is_named(old: str, new: str, problem: str) -> None:
    assert old in GOOD
    trace = check(parse(GOOD.replace(old, new)), [D])
    assert any(p.startswith(problem) for p in trace.problems), trace.problems


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


def test_files_outside_the_watched_directories_are_ignored() -> None:
    text = '7 write(3</tmp/other.log>, ""..., 2) = 2\n7 exit_group(0) = ?\n'
    assert check(parse(text), [D]).problems == []
