"""HTTP GET with retries, shared by what reads public web services (the World Bank WDI source, the reference
fetcher of ``park reference fetch``).

Transient faults (timeouts and other transport errors, HTTP 429, HTTP 5xx) are tried again with exponential
backoff; any other HTTP error fails at once. When the attempts run out, :class:`HTTPFetchError` says how many
there were, the URL and the last error, so the caller's message can name what it was fetching.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from tenacity import RetryError, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``attempts`` in all, waits growing from ``wait_initial`` up to ``wait_max``
    seconds, each request given ``timeout`` seconds."""

    attempts: int = 5
    wait_initial: float = 1.0
    wait_max: float = 30.0
    timeout: float = 30.0


DEFAULT_POLICY = RetryPolicy()


class HTTPFetchError(RuntimeError):
    """A GET that failed for good: its attempts ran out, or the server refused it (HTTP 4xx but 429)."""


class _TransientHTTPError(Exception):
    """HTTP 429 or 5xx: worth another attempt."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code} {response.reason_phrase}")


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, _TransientHTTPError | httpx.TransportError)


def _get(http: httpx.Client, url: str) -> httpx.Response:
    response = http.get(url)
    if response.status_code == 429 or response.status_code >= 500:
        raise _TransientHTTPError(response)
    response.raise_for_status()
    return response


def get_with_retries(http: httpx.Client, url: str, policy: RetryPolicy, *, label: str) -> httpx.Response:
    """The response of a successful GET of ``url``; ``label`` names what is fetched in the retry warnings."""
    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait_exponential(multiplier=policy.wait_initial, max=policy.wait_max),
        retry=retry_if_exception(_is_transient),
        before_sleep=lambda state: log.warning(
            "%s: attempt %d on %s failed (%s); retrying",
            label,
            state.attempt_number,
            url,
            state.outcome.exception() if state.outcome else "?",
        ),
    )
    try:
        return retrying(_get, http, url)
    except RetryError as exc:
        last = exc.last_attempt.exception()
        cause = str(last) if isinstance(last, _TransientHTTPError) else f"{type(last).__name__}: {last}"
        raise HTTPFetchError(f"giving up after {policy.attempts} attempt(s) on {url}; last error: {cause}") from last
    except httpx.HTTPStatusError as exc:
        raise HTTPFetchError(f"HTTP {exc.response.status_code} from {url}") from exc
