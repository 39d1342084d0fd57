"""Who may see and do what on the dashboard: token login, signed cookie sessions, CSRF.

Roles come from settings: WINBACK_LEADER_TOKEN grants `leader` (read pages), WINBACK_OPS_TOKEN
grants `ops` (model actions, plus read), and WINBACK_MEMBER_TOKENS, a JSON map of
team-member handle -> token, grants `member` acting as that handle (own tasks). When no token
is configured at all the app is the embedded demo on localhost and everyone is an all-roles
"local admin" (the layout shows a banner saying so).

Sessions are a cookie `wb_session` = "<roles>|<handle>|<expires>|<hmac>", signed with a key
from WINBACK_SESSION_SECRET (shared by every replica; else random per process) and refused
after its expiry even if a browser keeps sending it. Forms carry a CSRF token that is an HMAC
of the session cookie (or, for the local admin, of a random `wb_csrf` cookie), so a
cross-site form post cannot forge it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import HTTPException, Request

from winback.settings import Settings

ROLES = ("leader", "ops", "member")
SESSION_COOKIE = "wb_session"
CSRF_COOKIE = "wb_csrf"
CSRF_FIELD = "csrf_token"
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True)
class User:
    roles: frozenset[str]
    handle: str | None = None
    local_admin: bool = False

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def label(self) -> str:
        if self.local_admin:
            return "local admin"
        return self.handle or "+".join(sorted(self.roles))


ANONYMOUS = User(roles=frozenset())
LOCAL_ADMIN = User(roles=frozenset(ROLES), handle="local-admin", local_admin=True)


@dataclass
class Access:
    """The token table and the signing key of one running app."""

    tokens: dict[str, User] = field(default_factory=dict)
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    clock: Callable[[], float] = time.time

    @property
    def open_mode(self) -> bool:
        return not self.tokens

    def login(self, token: str) -> User | None:
        for known, user in self.tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                return user
        return None

    def sign(self, text: str) -> str:
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()

    def session_cookie(self, user: User) -> str:
        expires = int(self.clock()) + SESSION_SECONDS
        payload = f"{','.join(sorted(user.roles))}|{user.handle or ''}|{expires}"
        return f"{payload}|{self.sign(payload)}"

    def user_from_cookie(self, cookie: str | None) -> User:
        if not cookie or cookie.count("|") != 3:
            return ANONYMOUS
        roles, handle, expires, mac = cookie.split("|")
        if not hmac.compare_digest(mac, self.sign(f"{roles}|{handle}|{expires}")):
            return ANONYMOUS
        if not expires.isdigit() or int(expires) <= self.clock():
            return ANONYMOUS
        return User(roles=frozenset(r for r in roles.split(",") if r), handle=handle or None)


def session_key(settings: Settings) -> bytes:
    """The cookie-signing key: derived from WINBACK_SESSION_SECRET, else random."""
    if settings.session_secret and settings.session_secret.get_secret_value():
        secret = settings.session_secret.get_secret_value().encode()
        return hashlib.sha256(b"winback dashboard session\0" + secret).digest()
    return secrets.token_bytes(32)


def access_from_settings(settings: Settings, member_tokens: dict[str, str] | None = None) -> Access:
    """Build the token table from settings (and WINBACK_MEMBER_TOKENS unless given)."""
    tokens: dict[str, User] = {}
    if settings.leader_token and settings.leader_token.get_secret_value():
        tokens[settings.leader_token.get_secret_value()] = User(roles=frozenset({"leader"}))
    if settings.ops_token and settings.ops_token.get_secret_value():
        tokens[settings.ops_token.get_secret_value()] = User(roles=frozenset({"ops", "leader"}))
    if member_tokens is None:
        member_tokens = {h: t.get_secret_value() for h, t in settings.member_tokens.items()}
    for handle, token in member_tokens.items():
        if token:
            tokens[token] = User(roles=frozenset({"member"}), handle=handle)
    return Access(tokens=tokens, key=session_key(settings))


def get_access(request: Request) -> Access:
    access: Access = request.app.state.access
    return access


def current_user(request: Request) -> User:
    access = get_access(request)
    if access.open_mode:
        return LOCAL_ADMIN
    return access.user_from_cookie(request.cookies.get(SESSION_COOKIE))


def require(request: Request, *roles: str) -> User:
    """The signed-in user if they hold one of `roles`; 401 to log in, 403 when refused."""
    user = current_user(request)
    if not user.roles:
        raise HTTPException(status_code=401, detail="Sign in with your dashboard token.")
    if not any(user.has(role) for role in roles):
        raise HTTPException(
            status_code=403, detail=f"This page needs the {' or '.join(roles)} role."
        )
    return user


def csrf_seed(request: Request) -> str | None:
    """The value the CSRF token is bound to: the session cookie, else the wb_csrf cookie."""
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(CSRF_COOKIE)


def csrf_token(request: Request, seed: str | None = None) -> str:
    seed = seed or csrf_seed(request) or ""
    return get_access(request).sign(f"csrf:{seed}")


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a form post whose token does not match this browser's cookies."""
    seed = csrf_seed(request)
    if not seed or not submitted or not hmac.compare_digest(submitted, csrf_token(request, seed)):
        raise HTTPException(status_code=403, detail="Form expired or forged (CSRF check failed).")
