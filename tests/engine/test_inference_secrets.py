"""API keys live in the OS keyring, never in the settings file. This machine has no keyring, so the
keyring case installs a small in-memory backend of our own (a real keyring.backend.KeyringBackend);
the no-keyring case uses the machine as it is (keyring's own "fail" backend)."""

import stat

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from engine.paths import app_paths
from engine.secrets import SecretError, forget_api_key, key_storage, load_api_key, save_api_key

URL = "https://api.example.org/v1"


class MemoryKeyring(KeyringBackend):
    priority = 5

    def __init__(self):
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def _files_under_config() -> str:
    config = app_paths().config
    return "".join(p.read_text() for p in config.rglob("*") if p.is_file()) if config.exists() else ""


def test_a_key_goes_to_the_keyring_and_nowhere_else(memory_keyring):
    assert key_storage().has_keyring
    assert "keyring" in save_api_key(URL, " sk-secret-1 ")
    assert memory_keyring.items == {("riddlewire", URL): "sk-secret-1"}
    assert load_api_key(URL) == "sk-secret-1"
    assert "sk-secret-1" not in _files_under_config()
    forget_api_key(URL)
    assert load_api_key(URL) is None


def test_without_a_keyring_nothing_is_kept_unless_the_user_agrees(no_keyring):
    storage = key_storage()
    assert not storage.has_keyring and "no keyring" in storage.sentence
    with pytest.raises(SecretError, match="no keyring"):
        save_api_key(URL, "sk-secret-2")
    assert load_api_key(URL) is None and "sk-secret-2" not in _files_under_config()


def test_with_consent_the_key_goes_to_a_private_file(no_keyring):
    sentence = save_api_key(URL, "sk-secret-3", allow_file=True)
    files = [p for p in app_paths().config.rglob("*.key")]
    assert len(files) == 1 and str(files[0]) in sentence
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(files[0].parent.stat().st_mode) == 0o700
    assert load_api_key(URL) == "sk-secret-3"
    forget_api_key(URL)
    assert load_api_key(URL) is None and not files[0].exists()


def test_an_empty_key_is_refused(memory_keyring):
    with pytest.raises(SecretError, match="empty"):
        save_api_key(URL, "   ")
