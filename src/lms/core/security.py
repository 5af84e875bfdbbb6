"""Password hashing, JWTs, opaque tokens, one-time codes and secret encryption."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import bcrypt
import jwt
from cryptography.fernet import Fernet, InvalidToken

from lms.core.config import Settings
from lms.core.errors import Unauthorized

JWT_ALGORITHM = "HS256"
MAX_PASSWORD_BYTES = 72  # bcrypt ignores (bcrypt 5 refuses) anything longer


async def hash_password(password: str, rounds: int) -> str:
    """bcrypt in a worker thread: a cost-12 hash takes ~0.3 s of CPU."""
    salt = bcrypt.gensalt(rounds)
    hashed = await anyio.to_thread.run_sync(bcrypt.hashpw, password.encode(), salt)
    return hashed.decode()


# A real hash to compare against when the account does not exist, so that an unknown
# email costs the same time as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(4))


async def verify_password(password: str, password_hash: str | None) -> bool:
    encoded = password.encode()[:MAX_PASSWORD_BYTES]
    target = password_hash.encode() if password_hash else _DUMMY_HASH
    ok = await anyio.to_thread.run_sync(bcrypt.checkpw, encoded, target)
    return ok and password_hash is not None


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    role: str
    jti: str
    issued_at: datetime
    expires_at: datetime
    # An "act as" token (RFC 8693 ``act`` claim): the admin acting as ``user_id``.
    acting_admin_id: uuid.UUID | None = None


def create_access_token(
    settings: Settings,
    *,
    user_id: uuid.UUID,
    role: str,
    acting_admin_id: uuid.UUID | None = None,
    minutes: int | None = None,
) -> tuple[str, AccessClaims]:
    """An access token for ``user_id``. With ``acting_admin_id`` it is an "act as" token:
    it carries ``act: {"sub": <admin id>}`` (RFC 8693, section 4.1) and lasts
    ``minutes``."""
    now = datetime.now(UTC)
    claims = AccessClaims(
        user_id=user_id,
        role=role,
        jti=uuid.uuid4().hex,
        issued_at=now,
        # Whole seconds: what the token's ``exp`` says (JWT encodes it as an integer).
        expires_at=(now + timedelta(minutes=minutes or settings.access_token_minutes)).replace(
            microsecond=0
        ),
        acting_admin_id=acting_admin_id,
    )
    payload: dict[str, Any] = {
        "sub": str(user_id),
        "role": role,
        "jti": claims.jti,
        "type": "access",
        # Sub-second precision so "tokens issued before this change" is exact.
        "iat": now.timestamp(),
        "exp": claims.expires_at,
    }
    if acting_admin_id is not None:
        payload["act"] = {"sub": str(acting_admin_id)}
    token = jwt.encode(payload, settings.secret_key, algorithm=JWT_ALGORITHM)
    return token, claims


def create_purpose_token(
    settings: Settings, *, subject: str, purpose: str, minutes: int, **extra: Any
) -> str:
    """A short-lived signed token for one purpose (e.g. the MFA step of a login)."""
    now = datetime.now(UTC)
    payload = {
        "sub": subject,
        "type": purpose,
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": now + timedelta(minutes=minutes),
        **extra,
    }
    return jwt.encode(payload, settings.secret_key, algorithm=JWT_ALGORITHM)


def decode_token(settings: Settings, token: str, *, expected_type: str) -> dict[str, Any]:
    return _decode(settings.secret_key, token, expected_type=expected_type)


def _decode(secret_key: str, token: str, *, expected_type: str) -> dict[str, Any]:
    try:
        payload: dict[str, Any] = jwt.decode(
            token,
            secret_key,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "iat", "sub", "jti", "type"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired.", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("The token is invalid.", code="token_invalid") from exc
    if payload.get("type") != expected_type:
        raise Unauthorized("The token is not valid for this use.", code="token_invalid")
    return payload


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    """The claims of a valid access token. A token is verified once per process: the
    same string seen again is the same signed claims (the signature check and JSON
    parsing are a visible part of a request's cost), only its expiry is checked anew.
    Revocation is not decided here (the denylist is read on every request)."""
    claims = _verified_access_token(settings.secret_key, token)
    if claims.expires_at <= datetime.now(UTC):
        raise Unauthorized("The token has expired.", code="token_expired")
    return claims


@functools.lru_cache(maxsize=4096)
def _verified_access_token(secret_key: str, token: str) -> AccessClaims:
    """Verified claims by token (an invalid token raises, and errors are not cached)."""
    payload = _decode(secret_key, token, expected_type="access")
    try:
        user_id = uuid.UUID(payload["sub"])
    except (ValueError, TypeError) as exc:
        raise Unauthorized("The token is invalid.", code="token_invalid") from exc
    acting_admin_id = None
    act = payload.get("act")
    if act is not None:
        try:
            acting_admin_id = uuid.UUID(act["sub"])
        except (ValueError, TypeError, KeyError) as exc:
            raise Unauthorized("The token is invalid.", code="token_invalid") from exc
    return AccessClaims(
        user_id=user_id,
        role=str(payload.get("role", "")),
        jti=str(payload["jti"]),
        issued_at=datetime.fromtimestamp(float(payload["iat"]), UTC),
        expires_at=datetime.fromtimestamp(float(payload["exp"]), UTC),
        acting_admin_id=acting_admin_id,
    )


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_numeric_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def keyed_hash(settings: Settings, *parts: str) -> str:
    """HMAC of the parts with a key derived from the secret key (codes at rest)."""
    key = hashlib.sha256(b"lms-code-pepper:" + settings.secret_key.encode()).digest()
    return hmac.new(key, "|".join(parts).encode(), hashlib.sha256).hexdigest()


def constant_time_equal(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode(), right.encode())


def _fernet(settings: Settings) -> Fernet:
    key = hashlib.sha256(b"lms-encryption:" + settings.secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(settings: Settings, value: str) -> str:
    return _fernet(settings).encrypt(value.encode()).decode()


def decrypt_secret(settings: Settings, value: str) -> str | None:
    try:
        return _fernet(settings).decrypt(value.encode()).decode()
    except InvalidToken:
        return None
