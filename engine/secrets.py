"""API keys for LLM services, kept in the OS keyring (Secret Service, macOS Keychain, Windows Credential
Locker) and never in the plain settings file.

Some machines have no keyring (headless Linux, minimal desktops). There the app says so before it
keeps anything: with the user's consent the key goes to a file only this user can read (mode 0600)
in the config folder; without it, nothing is kept and the key is asked for each session."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import keyring
import keyring.errors

from engine.errors import EngineError
from engine.paths import app_paths

KEYRING_SERVICE = "riddlewire"


class SecretError(EngineError):
    """An API key could not be kept or read."""


@dataclass(frozen=True)
class KeyStorage:
    """Where a key would be kept on this machine, in words the settings page can show before saving."""

    has_keyring: bool
    sentence: str


def key_storage() -> KeyStorage:
    if _has_keyring():
        name = type(keyring.get_keyring()).__name__
        return KeyStorage(
            True, f"API keys are kept in this computer's keyring ({name}), not in the settings file."
        )
    return KeyStorage(
        False,
        "This computer has no keyring. Riddlewire can keep the API key in a file that only your user account "
        f"can read ({_key_folder()}), or ask for it again in each session.",
    )


def save_api_key(account: str, key: str, *, allow_file: bool = False) -> str:
    """Keep `key` for `account` (e.g. the service's base URL). Returns a sentence saying where it went.
    Without a keyring, the key is only written to a private file when `allow_file` (the user agreed)."""
    if not key.strip():
        raise SecretError("The API key is empty. Paste the key your service gave you.")
    if _has_keyring():
        try:
            keyring.set_password(KEYRING_SERVICE, account, key.strip())
            return "The API key is stored in this computer's keyring."
        except keyring.errors.KeyringError as error:
            if not allow_file:
                raise SecretError(
                    f"The keyring refused to store the API key ({error}). Unlock the keyring and try again, "
                    "or agree to keep the key in a private file."
                ) from error
    if not allow_file:
        raise SecretError(key_storage().sentence + " Agree to the private file to keep the key.")
    path = _key_file(account)
    _write_private(path, key.strip())
    return f"The API key is stored in {path}, readable only by your user account."


def load_api_key(account: str) -> str | None:
    """The key kept for `account`, or None when there is none (from the keyring first, then the file)."""
    if _has_keyring():
        try:
            key = keyring.get_password(KEYRING_SERVICE, account)
        except keyring.errors.KeyringError as error:
            raise SecretError(f"The keyring could not be read ({error}). Unlock it and try again.") from error
        if key:
            return key
    path = _key_file(account)
    if not path.is_file():
        return None
    return path.read_text(encoding="utf-8").strip() or None


def forget_api_key(account: str) -> None:
    if _has_keyring():
        try:
            keyring.delete_password(KEYRING_SERVICE, account)
        except keyring.errors.PasswordDeleteError:
            pass
    _key_file(account).unlink(missing_ok=True)


def _has_keyring() -> bool:
    # keyring's "fail" backend (priority 0) stands in when no real one is installed.
    try:
        return keyring.get_keyring().priority > 0
    except Exception:  # noqa: BLE001 - a broken keyring plugin counts as no keyring
        return False


def _key_folder() -> Path:
    return app_paths().config / "keys"


def _key_file(account: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in account)[:120]
    return _key_folder() / f"{safe}.key"


def _write_private(path: Path, text: str) -> None:
    """Create the file with mode 0600 from the start, so the key is never readable by others, even briefly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)
