"""Password hashing with argon2id (RFC 9106), via argon2-cffi's tuned defaults."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from staff.errors import WeakPassword

MIN_PASSWORD_LENGTH = 12


class Passwords:
    """Hash and verify staff passwords. One instance per process (the hasher is stateless)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        check_strength(password)
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)

    def burn(self, password: str) -> None:
        """Spend the time of one verification, so an unknown username is not told apart by timing."""
        self.verify(_DUMMY_HASH, password)


def check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"a staff password needs at least {MIN_PASSWORD_LENGTH} characters")


# A fixed hash of a random string, for burn(); any valid argon2id hash works.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$m8Ivp8FXuzLOBjUDHdJZMQ$jBaCwX13pL8qv3Hb2WTWdf2L1gPo7zycZHVaikKKau8"
