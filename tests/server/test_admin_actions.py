"""Admin actions: projects, codes, tokens and revocation, each with its audit entry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server import admin, auth
from server.audit.chain import SERVER, project_chain, verify_chain
from server.errors import BadRequest, Conflict, NotFound, Unauthorized
from server.store import Store, audit_log
from server.store import admin as rows


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "cairn.db")
    yield s
    s.close()


def _kinds(store: Store, chain: str = SERVER) -> list[str]:
    return [e.kind for e in audit_log.entries(store.reader(), chain)]


def test_project_creation_is_audited(store: Store) -> None:
    admin.create_project(store, "AZ-DASHALTI", "Dashalti", "cli:admin")
    assert rows.get_project(store.reader(), "AZ-DASHALTI") is not None
    assert _kinds(store) == ["chain.open", "project.create"]
    assert _kinds(store, project_chain("AZ-DASHALTI")) == ["chain.open"]


@pytest.mark.parametrize("code", ["a", "lower", "HAS SPACE", "X" * 40, ""])
def test_bad_project_codes_are_refused_with_the_rule(store: Store, code: str) -> None:
    with pytest.raises(BadRequest, match="upper-case letters"):
        admin.create_project(store, code, "name", "cli:admin")
    assert rows.list_projects(store.reader()) == []


def test_duplicate_project_is_a_conflict_and_changes_nothing(store: Store) -> None:
    admin.create_project(store, "P1", "first", "cli:admin")
    with pytest.raises(Conflict):
        admin.create_project(store, "P1", "second", "cli:admin")
    assert [p.name for p in rows.list_projects(store.reader())] == ["first"]
    assert _kinds(store) == ["chain.open", "project.create"]


def test_tokens_are_stored_only_as_hashes_and_authenticate(store: Store) -> None:
    admin.create_project(store, "P1", "one", "cli:admin")
    issued = admin.issue_token(store, "supervisor", "P1", "cli:admin")
    dump = "\n".join(store.db.iterdump())
    assert issued.token not in dump
    principal = auth.authenticate(store.reader(), f"Bearer {issued.token}")
    assert (principal.role, principal.project) == ("supervisor", "P1")


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Basic abc", "Bearer cairn_not-a-real-token"]
)
def test_missing_or_unknown_tokens_are_unauthorized(store: Store, header: str | None) -> None:
    with pytest.raises(Unauthorized):
        auth.authenticate(store.reader(), header)


def test_supervisor_token_needs_an_existing_project(store: Store) -> None:
    with pytest.raises(BadRequest, match="bound to one project"):
        admin.issue_token(store, "supervisor", None, "cli:admin")
    with pytest.raises(NotFound, match="no project"):
        admin.issue_token(store, "supervisor", "NOPE", "cli:admin")
    assert rows.list_tokens(store.reader()) == []


def test_enroll_code_is_hashed_and_audited(store: Store) -> None:
    admin.create_project(store, "P1", "one", "cli:admin")
    issued = admin.issue_enroll_code(store, "P1", 3600, "cli:admin")
    assert issued.code not in "\n".join(store.db.iterdump())
    stored = rows.get_enroll_code(
        store.reader(), auth.hash_secret(auth.normalize_code(issued.code))
    )
    assert stored is not None and stored.project == "P1"
    assert _kinds(store) == ["chain.open", "project.create"]
    assert _kinds(store, project_chain("P1")) == ["chain.open", "enroll.code"]
    p1 = project_chain("P1")
    assert verify_chain(audit_log.entries(store.reader(), p1), p1) == []


def test_codes_survive_being_typed_in_lower_case_without_dashes() -> None:
    code, digest = auth.new_enroll_code()
    assert auth.hash_secret(auth.normalize_code(code.lower().replace("-", " "))) == digest


def test_revoking_an_unknown_device_names_it(store: Store) -> None:
    with pytest.raises(NotFound, match="dev-x"):
        admin.revoke_device(store, "dev-x", "cli:admin")
