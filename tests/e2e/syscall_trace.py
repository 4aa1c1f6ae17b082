"""Reading an `strace -f -y` log and checking Cairn's durable-write rules against it.

The rules (issue 21), for every file under the watched directories:

- a file is fsynced after its last write before it is renamed into place;
- the directory is fsynced after each rename into it, each mkdir in it and each file
  created in it with O_EXCL, before the next answer (a socket write, a line on stdout)
  and before the process exits;
- a file is fsynced after its last write before any answer or exit;
- no file is opened with O_TRUNC (key files in particular).

Scratch is exempt: a file or directory removed later in the same trace (an export spool,
SQLite's -wal at close) was never promised to anyone, and SQLite's -shm index is memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

CALLS = (
    "openat,open,creat,write,pwrite64,writev,pwritev,pwritev2,ftruncate,fsync,fdatasync,"
    "rename,renameat,renameat2,unlink,unlinkat,rmdir,mkdir,mkdirat,sendto,sendmsg,exit_group"
)


def strace_prefix(log: str) -> list[str]:
    """The `strace` command line that writes the log `check` reads."""
    return ["strace", "-f", "-y", "-qq", "-s", "0", "-e", f"trace={CALLS}", "-o", log, "--"]


@dataclass(frozen=True)
class Call:
    """One finished system call: thread id, name, argument text and result text."""

    pid: int
    name: str
    args: str
    result: str


_LINE = re.compile(r"^(\d+) +(\w+)\((.*)\) += (.*)$")
_UNFINISHED = re.compile(r"^(\d+) +(.*) <unfinished \.\.\.>$")
_RESUMED = re.compile(r"^(\d+) +<\.\.\. \w+ resumed>(.*)$")
_FD = re.compile(r"(-?\d+|AT_FDCWD)<([^>]*)>")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def parse(text: str) -> list[Call]:
    """The calls of a log, in the order they finished (split calls are joined)."""
    calls: list[Call] = []
    pending: dict[str, str] = {}
    for line in text.splitlines():
        if match := _UNFINISHED.match(line):
            pending[match.group(1)] = match.group(2)
            continue
        if match := _RESUMED.match(line):
            line = f"{match.group(1)} {pending.pop(match.group(1), '')}{match.group(2)}"
        if match := _LINE.match(line):
            calls.append(Call(int(match.group(1)), match.group(2), match.group(3), match.group(4)))
    return calls


def _fd_path(text: str) -> str | None:
    match = _FD.search(text)
    return match.group(2) if match else None


def _names(call: Call, cwd: str) -> list[str]:
    """The paths a call names, made absolute against its dirfd (or the cwd)."""
    names: list[str] = []
    dirfd = cwd
    for part in re.split(r", (?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", call.args):
        if fd := _FD.fullmatch(part.strip()):
            dirfd = fd.group(2)
        elif string := _STRING.fullmatch(part.strip()):
            names.append(str(PurePosixPath(dirfd) / string.group(1)))
    return names


def _parent(path: str) -> str:
    return str(PurePosixPath(path).parent)


@dataclass
class Trace:
    """What `check` saw, for assertions that the scenario covered what it claims."""

    renamed: set[str] = field(default_factory=set)
    synced: set[str] = field(default_factory=set)
    dirs_synced: set[str] = field(default_factory=set)
    answers: int = 0
    problems: list[str] = field(default_factory=list)


def check(calls: Sequence[Call], roots: Iterable[str]) -> Trace:
    """Apply the module's rules to the calls that touch files under `roots`."""
    tops = [root.rstrip("/") + "/" for root in roots]

    def watched(path: str | None) -> bool:
        return path is not None and any(path == t[:-1] or path.startswith(t) for t in tops)

    trace = Trace()
    dirty: dict[str, int] = {}  # file -> index of the write not yet fsynced
    pending: dict[str, dict[str, str]] = {}  # dir -> {child: what needs the dir's fsync}
    removed_at: dict[str, int] = {}  # removed, and not made again since
    dirs: set[str] = set()
    checkpoints: list[tuple[int, str, dict[str, int], dict[str, dict[str, str]]]] = []
    cwd = "/"
    for index, call in enumerate(calls):
        fd = _fd_path(call.args)
        if call.name in {"openat", "open", "creat"}:
            if call.args.startswith("AT_FDCWD<"):
                cwd = _fd_path(call.args) or cwd  # Cairn never changes directory
            path = _fd_path(call.result)
            if not watched(path) or path is None or path.endswith("-shm"):
                continue
            if "O_DIRECTORY" in call.args:
                dirs.add(path)
            if "O_TRUNC" in call.args or call.name == "creat":
                kind = "key file" if "/keys/" in path else "file"
                trace.problems.append(f"{kind} {path} opened with O_TRUNC (call {index})")
            removed_at.pop(path, None)
            if "O_EXCL" in call.args:
                pending.setdefault(_parent(path), {})[path] = "created"
        elif call.name in {"write", "pwrite64", "writev", "pwritev", "pwritev2", "ftruncate"}:
            if fd is None:
                continue
            if fd.startswith(("socket:", "TCP", "UDP", "UNIX")) or call.args.startswith("1<"):
                trace.answers += 1
                checkpoints.append((index, "an answer", dict(dirty), _copy(pending)))
            elif watched(fd) and not fd.endswith(("-shm", " (deleted)")):
                dirty[fd] = index
                removed_at.pop(fd, None)
        elif call.name in {"sendto", "sendmsg"}:
            trace.answers += 1
            checkpoints.append((index, "an answer", dict(dirty), _copy(pending)))
        elif call.name in {"fsync", "fdatasync"} and watched(fd) and fd is not None:
            if fd in dirs or fd in pending:
                trace.dirs_synced.add(fd)
                pending.pop(fd, None)
            else:
                trace.synced.add(fd)
                dirty.pop(fd, None)
        elif call.name in {"rename", "renameat", "renameat2"} and call.result.startswith("0"):
            source, target = _names(call, cwd)
            if not (watched(source) or watched(target)):
                continue
            if source in dirty:
                trace.problems.append(f"{source} renamed to {target} before it was fsynced")
                dirty[target] = dirty.pop(source)
            trace.renamed.add(target)
            removed_at.pop(target, None)
            pending.setdefault(_parent(target), {})[target] = "renamed into it"
        elif call.name in {"unlink", "unlinkat", "rmdir"} and call.result.startswith("0"):
            for path in _names(call, cwd):
                removed_at[path] = index
                dirty.pop(path, None)
        elif call.name in {"mkdir", "mkdirat"} and call.result.startswith("0"):
            for path in _names(call, cwd):
                if watched(path):
                    dirs.add(path)
                    removed_at.pop(path, None)
                    pending.setdefault(_parent(path), {})[path] = "made in it"
        elif call.name == "exit_group":
            checkpoints.append((index, "exit", dict(dirty), _copy(pending)))
    checkpoints.append((len(calls), "the end of the trace", dict(dirty), _copy(pending)))

    def scratch(path: str) -> bool:
        """Removed (itself or a parent) and not made again: a promise to nobody."""
        return any(p in removed_at for p in _self_and_parents(path))

    for index, moment, unsynced, undurable in checkpoints:
        for path in sorted(unsynced):
            if not scratch(path):
                trace.problems.append(f"{path} was not fsynced before {moment} (call {index})")
        for folder, children in sorted(undurable.items()):
            for child, why in sorted(children.items()):
                if watched(folder) and not scratch(child):
                    trace.problems.append(
                        f"{folder} was not fsynced after {child} was {why}, before {moment} "
                        f"(call {index})"
                    )
    trace.problems = list(dict.fromkeys(trace.problems))
    return trace


def _copy(pending: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {folder: dict(children) for folder, children in pending.items() if children}


def _self_and_parents(path: str) -> list[str]:
    pure = PurePosixPath(path)
    return [str(pure), *(str(p) for p in pure.parents)]
