"""Name what went wrong talking to a Chroma server, in one line with its fix.

chromadb reports the same few failures in many shapes: a refused connection is an
httpx.ConnectError, or a ValueError("Could not connect...") raised while handling one;
a 401/403 is chromadb's AuthorizationError / ChromaAuthError when the server says so in
Chroma's JSON, else a bare Exception(body) raised while handling httpx's HTTPStatusError
(what a proxy in front of Chroma answers). So the whole cause chain is read. A failure
that is none of these is not named here: it passes through as it was raised.
"""

from __future__ import annotations

from collections.abc import Iterator

from assistant.core.errors import StudyError

START = "start it with `chroma run --path DIR --port PORT` or unset STUDY_CHROMA_URL"
TOKEN_PROVIDER = "chromadb.auth.token_authn.TokenAuthClientProvider"


def causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then what it was raised from or while handling, innermost last.

    >>> try:
    ...     try:
    ...         raise KeyError("inner")
    ...     except KeyError:
    ...         raise ValueError("outer")
    ... except ValueError as e:
    ...     [type(c).__name__ for c in causes(e)]
    ['ValueError', 'KeyError']
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _auth_status(err: BaseException) -> int | None:
    import httpx
    from chromadb.errors import AuthorizationError, ChromaAuthError

    if isinstance(err, (AuthorizationError, ChromaAuthError)):
        return err.code()
    if isinstance(err, httpx.HTTPStatusError) and err.response.status_code in (401, 403):
        return err.response.status_code
    return None


def server_error(exc: BaseException, url: str, credentials_sent: bool = False) -> StudyError | None:
    """The one-line error for a failed call to the Chroma server at `url`, or None when
    the failure is not about reaching the server or being let in.

    >>> import httpx
    >>> print(server_error(httpx.ConnectError("refused"), "http://127.0.0.1:9"))
    Chroma server at http://127.0.0.1:9 is not reachable (ConnectError): start it with `chroma run --path DIR --port PORT` or unset STUDY_CHROMA_URL
    >>> server_error(KeyError("q"), "http://127.0.0.1:9") is None
    True
    """
    import httpx

    for err in causes(exc):
        status = _auth_status(err)
        if status is not None and credentials_sent:
            return StudyError(
                f"Chroma server at {url} refused the credentials sent (HTTP {status})",
                "check CHROMA_CLIENT_AUTH_CREDENTIALS (the server's token) and "
                "CHROMA_AUTH_TOKEN_TRANSPORT_HEADER (Authorization or X-Chroma-Token)",
            )
        if status is not None:
            return StudyError(
                f"Chroma server at {url} requires credentials (HTTP {status})",
                f"set CHROMA_CLIENT_AUTH_PROVIDER={TOKEN_PROVIDER} and CHROMA_CLIENT_AUTH_CREDENTIALS "
                "to the server's token",
            )
        if isinstance(err, httpx.TransportError):
            return StudyError(f"Chroma server at {url} is not reachable ({type(err).__name__})", START)
        if isinstance(err, httpx.HTTPStatusError):
            # Not Chroma's own JSON error: a proxy, or not a Chroma 1.x server at all.
            response = err.response
            return StudyError(
                f"the server at {url} answered HTTP {response.status_code} {response.reason_phrase} "
                f"to {response.request.method} {response.request.url.path}",
                "point STUDY_CHROMA_URL at a `chroma run` server of chromadb 1.x (or the proxy in front of one)",
            )
    return None
