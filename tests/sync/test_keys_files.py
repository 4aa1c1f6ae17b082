"""Key generation, key ids, rotation and key files (0600, no secrets in repr)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sync import age, errors
from sync.keys import DeviceKeys, ServerKeys, key_id


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("hybrid", [False, True])
def test_device_keys_save_load_round_trip(tmp_path: Path, hybrid: bool) -> None:
    """Saved device keys load back identical, in a 0700 dir of 0600 files."""
    keys = DeviceKeys.generate(hybrid=hybrid)
    directory = tmp_path / "device"
    keys.save(directory)
    assert _mode(directory) == 0o700
    assert all(_mode(p) == 0o600 for p in directory.iterdir())
    loaded = DeviceKeys.load(directory)
    assert loaded.public() == keys.public()
    assert loaded.public().encryption_recipient.startswith("age1pq1" if hybrid else "age1")


def test_server_keys_rotation_survives_save_load(tmp_path: Path) -> None:
    """Rotation makes a new current key; the retired one survives a restart and decrypts."""
    keys = ServerKeys.generate(hybrid=False)
    old = keys.current
    new = keys.rotate()
    assert keys.current is new and old.retired_at is not None
    assert new.recipient.startswith("age1pq1")
    keys.save(tmp_path)
    assert all(_mode(p) == 0o600 for p in tmp_path.iterdir())
    loaded = ServerKeys.load(tmp_path)
    assert loaded.public() == keys.public()
    assert set(loaded.batch_identities()) == {old.key_id, new.key_id}
    sealed = age.encrypt_bytes(b"late upload", [age.parse_recipient(old.recipient)])
    assert age.decrypt_bytes(sealed, list(loaded.batch_identities().values())) == b"late upload"


def test_key_ids_are_stable_and_short() -> None:
    """A key id is a pure function of the public key: 16 hex digits."""
    keys = ServerKeys.generate(hybrid=False)
    assert keys.current.key_id == key_id(keys.current.recipient)
    assert len(keys.signing_key_id) == 16 and int(keys.signing_key_id, 16) >= 0
    assert keys.public().key_ids()["batch"] == keys.current.key_id


def test_group_readable_key_file_is_refused(tmp_path: Path) -> None:
    """Like ssh, a key file others can read is refused with a fix in the message."""
    DeviceKeys.generate().save(tmp_path)
    (tmp_path / "signing.pem").chmod(0o644)
    with pytest.raises(errors.KeyStoreError, match="chmod 600"):
        DeviceKeys.load(tmp_path)


def test_reprs_never_show_secrets(tmp_path: Path) -> None:
    """No repr or str of a private key object contains its secret text or bytes."""
    device = DeviceKeys.generate(hybrid=True)
    server = ServerKeys.generate()
    x = age.generate_x25519()
    shown = " ".join(
        f(o)
        for o in (device, server, x, device.encryption, server.current, server.current.identity)
        for f in (repr, str)
    )
    for identity in (x, device.encryption, server.current.identity):
        secret = identity.export_secret()
        assert secret not in shown and secret.split("1", 1)[1][:20] not in shown.upper()
    device.save(tmp_path)
    assert "AGE-SECRET-KEY-PQ-1" in (tmp_path / "encryption.agekey").read_text()


def test_identity_file_like_age_keygen(tmp_path: Path) -> None:
    """Identity files carry age-keygen's comments and read back (0600)."""
    identity = age.generate_x25519()
    path = tmp_path / "key.txt"
    age.write_identity_file(path, identity)
    text = path.read_text()
    assert text.startswith("# created: ") and f"# public key: {identity.recipient()}\n" in text
    assert _mode(path) == 0o600
    (loaded,) = age.read_identity_file(path)
    assert loaded.recipient() == identity.recipient()


@pytest.mark.parametrize(
    "text",
    ["", "age1", "AGE-SECRET-KEY-1QQQQ", "Age1mixedCase", "ssh-ed25519 AAAA", "age1pq1xyz"],
)
def test_bad_key_text_is_refused(text: str) -> None:
    """Mistyped or foreign key text raises an AgeError with a clear message."""
    with pytest.raises(errors.AgeError):
        age.parse_recipient(text)
    with pytest.raises(errors.AgeError):
        age.parse_identity(text)
