"""Device and server key material: generation, key ids, rotation, 0600 key files.

Algorithm: a device holds an Ed25519 signing key (RFC 8032) and an age identity (X25519
by default, mlkem768x25519 optional); the server holds an Ed25519 identity for receipts,
pull responses and archive manifests, and age batch keys (post-quantum mlkem768x25519 by
default) that rotate: ``rotate()`` makes a new current key, older ones are retired but
kept for late uploads. A key id is the first 16 hex digits of SHA-256 over the public
key (the raw 32 bytes for Ed25519, the recipient text for age), as OpenPGP derives
fingerprints from the public key (RFC 4880 §12.2). Files follow OpenSSH's rule
(ssh-keygen(1)): private files 0600 in a 0700 directory, refused when group/world
readable. Ed25519 keys are PKCS#8 PEM; age identities are age-keygen files. Every file
is written as `sync.durable` writes (a complete new file renamed over the old, never
truncated); ``keys.json`` names the keys, so a new batch key's file can be written first and
becomes current only when the manifest is replaced (see `server.key_changes`).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import time
from pathlib import Path

import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import durable
from sync.age import AnyIdentity, HybridIdentity, X25519Identity, read_identity_file
from sync.age.keyfile import format_identity_file, write_private_file
from sync.errors import CairnCryptoError, KeyStoreError

SIGNING_FILE = "signing.pem"
ENCRYPTION_FILE = "encryption.agekey"
MANIFEST_FILE = "keys.json"


def key_id(public: bytes | str) -> str:
    """First 16 hex digits of SHA-256 of a public key (bytes) or recipient text (str)."""
    data = public.encode("ascii") if isinstance(public, str) else public
    return hashlib.sha256(data).hexdigest()[:16]


def signing_public(key: Ed25519PrivateKey) -> bytes:
    """The raw 32-byte Ed25519 public key."""
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class DevicePublicKeys(msgspec.Struct, frozen=True, kw_only=True):
    """What a device hands the server at enrollment."""

    signing_public: bytes
    encryption_recipient: str


class RetiredBatchKey(msgspec.Struct, frozen=True, kw_only=True):
    """A retired server batch key, still accepted for late uploads."""

    key_id: str
    recipient: str


class ServerPublicKeys(msgspec.Struct, frozen=True, kw_only=True):
    """What the server hands a device: its signing key and current batch key."""

    signing_key_id: str
    signing_public: bytes
    batch_key_id: str
    batch_recipient: str
    retired: tuple[RetiredBatchKey, ...] = ()

    def key_ids(self) -> dict[str, str | list[str]]:
        """Key ids only (for the audit log)."""
        return {
            "signing": self.signing_key_id,
            "batch": self.batch_key_id,
            "retired": [r.key_id for r in self.retired],
        }


def _prepare_dir(path: Path) -> None:
    durable.make_dir(path, 0o700)
    os.chmod(path, 0o700)


def _check_private(path: Path) -> None:
    if not path.is_file():
        raise KeyStoreError(f"key file {path} is missing; restore it from backup.")
    if path.stat().st_size == 0:
        raise KeyStoreError(f"key file {path} is empty; restore it from backup.")
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise KeyStoreError(
            f"key file {path} is readable by other users; run 'chmod 600 {path}' and check "
            "who may have copied it."
        )


def _write_signing(path: Path, key: Ed25519PrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_private_file(path, pem.decode("ascii"))


def _read_signing(path: Path) -> Ed25519PrivateKey:
    _check_private(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError:
        raise KeyStoreError(f"key file {path} is damaged; restore it from backup.") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyStoreError(f"{path} does not hold an Ed25519 private key.")
    return key


def _read_identity(path: Path) -> AnyIdentity:
    _check_private(path)
    try:
        (identity,) = read_identity_file(path)
    except (CairnCryptoError, ValueError) as exc:
        raise KeyStoreError(f"{path} must hold exactly one age identity: {exc}") from None
    return identity


class DeviceKeys:
    """A device's Ed25519 signing key and age encryption identity."""

    def __init__(self, signing_key: Ed25519PrivateKey, encryption: AnyIdentity) -> None:
        """Hold the two private keys."""
        self.signing_key = signing_key
        self.encryption = encryption

    @classmethod
    def generate(cls, *, hybrid: bool = False) -> DeviceKeys:
        """Fresh keys; X25519 encryption unless ``hybrid``."""
        identity: AnyIdentity = HybridIdentity.generate() if hybrid else X25519Identity.generate()
        return cls(Ed25519PrivateKey.generate(), identity)

    def public(self) -> DevicePublicKeys:
        """The public halves sent at enrollment."""
        return DevicePublicKeys(
            signing_public=signing_public(self.signing_key),
            encryption_recipient=str(self.encryption.recipient()),
        )

    def save(self, directory: Path) -> None:
        """Write both keys into ``directory`` (0700) as 0600 files.

        A new directory is filled under a temporary name and renamed into place, so a cut
        never leaves a device with one key of the two.
        """
        if directory.exists():
            self._write(directory)
            return
        durable.make_dir(directory.parent)
        staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
        self._write(staging)
        os.rename(staging, directory)
        durable.fsync_dir(directory.parent)

    def _write(self, directory: Path) -> None:
        _prepare_dir(directory)
        _write_signing(directory / SIGNING_FILE, self.signing_key)
        write_private_file(directory / ENCRYPTION_FILE, format_identity_file(self.encryption))

    @classmethod
    def load(cls, directory: Path) -> DeviceKeys:
        """Read keys written by ``save``; refuse files others can read."""
        return cls(
            _read_signing(directory / SIGNING_FILE), _read_identity(directory / ENCRYPTION_FILE)
        )

    def __repr__(self) -> str:
        """Public key ids only, never secrets."""
        return f"DeviceKeys(signing={key_id(signing_public(self.signing_key))})"


class BatchKey:
    """One server batch key: an age identity, its id and lifetime."""

    def __init__(self, identity: AnyIdentity, created_at: int, retired_at: int | None = None):
        """Wrap ``identity``; the key id derives from its recipient text."""
        self.identity = identity
        self.recipient = str(identity.recipient())
        self.key_id = key_id(self.recipient)
        self.created_at = created_at
        self.retired_at = retired_at

    def __repr__(self) -> str:
        """Key id and state, never the secret."""
        state = "retired" if self.retired_at is not None else "current"
        return f"BatchKey({self.key_id}, {state})"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class ServerKeys:
    """The server's Ed25519 identity and its rotating age batch keys."""

    def __init__(self, signing_key: Ed25519PrivateKey, batch_keys: list[BatchKey]) -> None:
        """Hold the keys; the last unretired batch key is current."""
        if not any(k.retired_at is None for k in batch_keys):
            raise KeyStoreError("server keys need one current (unretired) batch key.")
        self.signing_key = signing_key
        self.signing_key_id = key_id(signing_public(signing_key))
        self.batch_keys = batch_keys

    @classmethod
    def generate(cls, *, hybrid: bool = True) -> ServerKeys:
        """A new signing key and one batch key (post-quantum unless ``hybrid=False``)."""
        return cls(Ed25519PrivateKey.generate(), [_new_batch_key(hybrid)])

    @property
    def current(self) -> BatchKey:
        """The batch key devices should encrypt to."""
        return [k for k in self.batch_keys if k.retired_at is None][-1]

    def rotate(self, *, hybrid: bool = True) -> BatchKey:
        """Make a new current batch key; older ones are retired but still decrypt."""
        new = _new_batch_key(hybrid)
        self.make_current(new, new.created_at)
        return new

    def make_current(self, key: BatchKey, at_ms: int) -> None:
        """Add `key` as the current batch key, retiring the others at `at_ms`."""
        for old in self.batch_keys:
            if old.retired_at is None:
                old.retired_at = at_ms
        self.batch_keys.append(key)

    def batch_identities(self) -> dict[str, AnyIdentity]:
        """Every batch key (current and retired) by key id, for ``open_batch``."""
        return {k.key_id: k.identity for k in self.batch_keys}

    def public(self) -> ServerPublicKeys:
        """The public keys handed to devices at enrollment."""
        return ServerPublicKeys(
            signing_key_id=self.signing_key_id,
            signing_public=signing_public(self.signing_key),
            batch_key_id=self.current.key_id,
            batch_recipient=self.current.recipient,
            retired=tuple(
                RetiredBatchKey(key_id=k.key_id, recipient=k.recipient)
                for k in self.batch_keys
                if k.retired_at is not None
            ),
        )

    def save(self, directory: Path) -> None:
        """Write all keys to ``directory`` (0700): PEM, age-keygen files, then the manifest."""
        _prepare_dir(directory)
        _write_signing(directory / SIGNING_FILE, self.signing_key)
        for key in self.batch_keys:
            save_batch_key(directory, key)
        self.save_manifest(directory)

    def save_manifest(self, directory: Path) -> None:
        """Write ``keys.json``, which names the keys and makes the current one current."""
        manifest = [
            {"key_id": k.key_id, "created_at": k.created_at, "retired_at": k.retired_at}
            for k in self.batch_keys
        ]
        text = json.dumps({"signing_key_id": self.signing_key_id, "batch_keys": manifest}, indent=1)
        write_private_file(directory / MANIFEST_FILE, text + "\n")

    @classmethod
    def load(cls, directory: Path) -> ServerKeys:
        """Read keys written by ``save``; check ids and permissions."""
        manifest_path = directory / MANIFEST_FILE
        _check_private(manifest_path)
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            entries = [
                (str(e["key_id"]), int(e["created_at"]), e["retired_at"])
                for e in manifest["batch_keys"]
            ]
            signing_key_id = str(manifest["signing_key_id"])
        except (ValueError, KeyError, TypeError):
            raise KeyStoreError(f"{manifest_path} is damaged; restore it from backup.") from None
        batch_keys = []
        for batch_key_id, created_at, retired_at in entries:
            key = load_batch_key(directory, batch_key_id, created_at)
            key.retired_at = None if retired_at is None else int(retired_at)
            batch_keys.append(key)
        keys = cls(_read_signing(directory / SIGNING_FILE), batch_keys)
        if keys.signing_key_id != signing_key_id:
            raise KeyStoreError("signing.pem does not match the key id in keys.json.")
        return keys

    def __repr__(self) -> str:
        """Key ids only, never secrets."""
        return f"ServerKeys(signing={self.signing_key_id}, batch={self.current.key_id})"


def batch_key_file(directory: Path, batch_key_id: str) -> Path:
    """Where the batch key `batch_key_id` is kept in a keys directory."""
    return directory / f"batch-{batch_key_id}.agekey"


def save_batch_key(directory: Path, key: BatchKey) -> None:
    """Write one batch key's file; it is not used until ``keys.json`` names it."""
    write_private_file(batch_key_file(directory, key.key_id), format_identity_file(key.identity))


def load_batch_key(directory: Path, batch_key_id: str, created_at: int) -> BatchKey:
    """Read one batch key file, checking that it holds the key its name says."""
    key = BatchKey(_read_identity(batch_key_file(directory, batch_key_id)), created_at)
    if key.key_id != batch_key_id:
        raise KeyStoreError(f"batch key file for {batch_key_id} holds another key.")
    return key


def _new_batch_key(hybrid: bool) -> BatchKey:
    identity: AnyIdentity = HybridIdentity.generate() if hybrid else X25519Identity.generate()
    return BatchKey(identity, _now_ms())
