"""Passwords (argon2id through argon2-cffi) and who may see what."""

from __future__ import annotations

import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from emitra.core.models import Counter, Role, User


def _hasher() -> PasswordHasher:
    # EMITRA_FAST_PASSWORD_HASH=1 is for the test suite only: it lowers argon2's cost so that
    # seeding a district per test stays fast. Never set it in production.
    if os.environ.get("EMITRA_FAST_PASSWORD_HASH") == "1":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


_DUMMY_HASH: str | None = None


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ValueError("A password needs at least 8 characters.")
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, or None. Takes as long either way."""
    global _DUMMY_HASH
    user = await User.get_or_none(username=(username or "").strip().lower(), active=True)
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = _hasher().hash("not-a-real-password")
        verify_password(_DUMMY_HASH, password or "")
        return None
    if not verify_password(user.password_hash, password or ""):
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
        await user.save(update_fields=["password_hash"])
    return user


def can_see_counter(user: User, counter: Counter) -> bool:
    """An operator sees their own counter; an LSP admin their LSP's; a Society admin their district's."""
    if user.role == Role.STATE_ADMIN:
        return True
    if user.role == Role.SOCIETY_ADMIN:
        return counter.district_id == user.district_id
    if user.role == Role.LSP_ADMIN:
        return counter.lsp_id == user.lsp_id
    if user.role == Role.OPERATOR:
        return counter.id == user.counter_id
    return False
