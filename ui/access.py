"""Who may use the UI: loopback by default; beyond it, a password or an explicit opt-out.

The password check compares digests in constant time, so a wrong guess takes as long
whatever it has in common with the password.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from assistant.core.errors import StudyError

MIN_PASSWORD = 12


def is_loopback(host: str | None) -> bool:
    """Only this machine can connect. Unset or empty means every interface (Streamlit's default).

    >>> [is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "", "10.0.0.5")]
    [True, True, True, False, False, False]
    """
    if not host:
        return False
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def bind_problem(host: str | None, password: str | None, insecure_no_auth: bool) -> StudyError | None:
    """Why the UI must not serve on `host` as configured, or None.

    >>> print(bind_problem("0.0.0.0", None, False))
    serving the UI on 0.0.0.0 would let anyone who can reach it in: set STUDY_UI_PASSWORD (12+ characters), or pass --insecure-no-auth behind a proxy that authenticates
    >>> bind_problem("0.0.0.0", "correct horse battery", False) is None, bind_problem("127.0.0.1", None, False)
    (True, None)
    """
    if is_loopback(host) or insecure_no_auth:
        return None
    where = host or "every interface"
    if not password:
        return StudyError(
            f"serving the UI on {where} would let anyone who can reach it in",
            f"set STUDY_UI_PASSWORD ({MIN_PASSWORD}+ characters), or pass --insecure-no-auth behind a proxy "
            "that authenticates",
        )
    if len(password) < MIN_PASSWORD:
        return StudyError(f"STUDY_UI_PASSWORD is {len(password)} characters: too easy to guess from the network",
                          f"use {MIN_PASSWORD} or more, e.g. `python -c 'import secrets; print(secrets.token_urlsafe())'`")
    return None


def password_ok(given: str, expected: str) -> bool:
    """Constant-time comparison; hashing first hides the password's length too.

    >>> password_ok("open sesame", "open sesame"), password_ok("open", "open sesame")
    (True, False)
    """
    digest = lambda s: hashlib.sha256(s.encode("utf-8")).digest()  # noqa: E731
    return hmac.compare_digest(digest(given), digest(expected))
