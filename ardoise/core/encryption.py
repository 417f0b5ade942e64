"""Secrets at rest: the payment providers' API keys and webhook signing secrets.

Encrypted with `cryptography`'s Fernet (AES-128-CBC with an HMAC-SHA256, a timestamp and a
version byte) under the keys of `settings.ENCRYPTION_KEYS`, through a `MultiFernet`: the first
key encrypts, every key decrypts. Rotation: put a new key first, run `manage.py
rotate_encryption` (it re-encrypts every stored secret with the first key), then drop the old
key. A token that no key opens raises `SecretUnreadable`, never returns garbage.

Decrypted values are plain strings held as briefly as possible: they are never logged, never
put in an audit event, never shown again once saved (the forms show "saved", not the value).
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """A stored secret that none of ENCRYPTION_KEYS decrypts (a key was removed too early)."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.ENCRYPTION_KEYS))


def encrypt(secret: str) -> str:
    """The Fernet token (ASCII) of `secret`, under the first key."""
    return _current().encrypt(secret.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as error:
        raise SecretUnreadable("no encryption key opens this secret") from error


def rotate(token: str) -> str:
    """`token` re-encrypted under the first key (the same secret)."""
    try:
        return _current().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as error:
        raise SecretUnreadable("no encryption key opens this secret") from error
