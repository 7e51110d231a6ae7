"""The only module that imports the `anthropic` SDK; it is imported lazily, when a request is made.

`ClaudeClient` wraps `anthropic.Anthropic` with errlint's policy: the SDK's own retries are off
(`max_retries=0`, errlint retries with a cap on `retry-after`), OpenTelemetry content capture is
off, the credentials are passed explicitly (so no profile file is read), and `base_url` is left to
the SDK, which honours `ANTHROPIC_BASE_URL` for proxies and gateways. Every way a request can end
is mapped to an `Outcome`; nothing here raises for an API or transport failure.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any, Callable, Iterator, Optional

import anthropic
import httpx2

from errlint.review.model import Outcome, OutcomeKind, SdkUnavailable, Usage
from errlint.review.prompt import TOOL_NAME

SDK_VERSION = anthropic.__version__
if int(SDK_VERSION.split(".", 1)[0]) < 2:  # 0.x/1.x lack the error classes and options used here
    raise SdkUnavailable(f'anthropic {SDK_VERSION} is too old for errlint review: pip install -U "anthropic>=2.10,<3"')

from anthropic.types import Message  # noqa: E402 - after the version check

_SPEND_LIMIT_ERRORS: tuple[type[anthropic.APIStatusError], ...] = (
    anthropic.EnforcedSpendLimitReachedError,
    anthropic.ContractSpendLimitReachedError,
    anthropic.LinkedOrganizationSpendLimitReachedError,
    anthropic.LinkedOrganizationBillingUnavailableError,
    anthropic.OrganizationOnHoldError,
    anthropic.PaymentRequiredError,
)
_TRANSIENT_STATUS_ERRORS: tuple[type[anthropic.APIStatusError], ...] = (
    anthropic.RateLimitError,
    anthropic.InternalServerError,
    anthropic.RequestTimeoutError,
    anthropic.ConflictError,
)


def make_http_client() -> Any:
    """The httpx2 client handed to the SDK (None: the SDK's default). Tests replace this."""
    return None


class DeadlineExceeded(httpx2.ReadTimeout):
    """The whole request (connection, headers and body) took longer than its deadline."""


class _DeadlineStream(httpx2.SyncByteStream):
    """A response body that raises once the request's deadline has passed: a server that
    trickles bytes cannot hold a request longer than the deadline plus one read timeout."""

    def __init__(self, inner: Any, request: httpx2.Request, expires: float, clock: Callable[[], float]) -> None:
        self._inner, self._request, self._expires, self._clock = inner, request, expires, clock

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            if self._clock() > self._expires:
                raise DeadlineExceeded("the response took longer than the request deadline", request=self._request)
            yield chunk

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


class DeadlineTransport(httpx2.BaseTransport):
    """Wraps the real transport: each request gets a wall-clock budget (`budget()` seconds, from
    the per-request deadline and what is left of the run's), checked on the headers and on every
    chunk of the body. `clock` is injected: tests never wait."""

    def __init__(self, inner: httpx2.BaseTransport, budget: Callable[[], float], clock: Callable[[], float]) -> None:
        self._inner, self._budget, self._clock = inner, budget, clock

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        start = self._clock()
        expires = start + max(0.0, self._budget())
        response = self._inner.handle_request(request)
        if self._clock() > expires:
            response.close()
            raise DeadlineExceeded("no response headers before the request deadline", request=request)
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=_DeadlineStream(response.stream, request, expires, self._clock),
            extensions=response.extensions,
            request=request,
        )

    def close(self) -> None:
        self._inner.close()


class ClaudeClient:
    """One SDK client for a run; `send` makes exactly one HTTP attempt."""

    def __init__(
        self,
        *,
        api_key: Optional[str],
        auth_token: Optional[str],
        timeout: float,
        http_client: Any = None,
        budget: Optional[Callable[[], float]] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        client = http_client if http_client is not None else make_http_client()
        if client is None:
            client = anthropic.DefaultHttpxClient()
        # Every request gets a wall-clock deadline (the SDK's timeout applies per read only).
        client._transport = DeadlineTransport(client._transport, budget or (lambda: timeout), clock)
        self._budget = budget or (lambda: timeout)
        self._timeout = timeout
        self._client = anthropic.Anthropic(
            api_key=api_key or None,
            auth_token=None if api_key else auth_token,
            timeout=timeout,
            max_retries=0,
            http_client=client,
            open_telemetry=False,
        )

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    def close(self) -> None:
        self._client.close()

    def send(self, body: dict[str, Any]) -> Outcome:
        """Send one request body as is; map every ending to an `Outcome`."""
        left = max(0.001, min(self._timeout, self._budget()))
        try:
            # No single read may wait longer than what is left of the deadline.
            result = self._client.messages.create(**body, timeout=httpx2.Timeout(left, connect=min(left, 10.0)))
        except _SPEND_LIMIT_ERRORS as err:
            return _status_outcome(OutcomeKind.SPEND_LIMIT, err)
        except (anthropic.AuthenticationError, anthropic.PermissionDeniedError) as err:
            return _status_outcome(OutcomeKind.AUTH, err)
        except anthropic.NotFoundError as err:
            return _status_outcome(OutcomeKind.MODEL, err)
        except _TRANSIENT_STATUS_ERRORS as err:
            return _status_outcome(OutcomeKind.TRANSIENT, err, retry_after=_retry_after(err.response.headers))
        except anthropic.ContentTooLargeError as err:
            return _status_outcome(OutcomeKind.TOO_LARGE, err)
        except anthropic.BadRequestError as err:
            too_long = "too long" in (err.api_message or "").lower() or "too large" in (err.api_message or "").lower()
            return _status_outcome(OutcomeKind.TOO_LARGE if too_long else OutcomeKind.REJECTED, err)
        except anthropic.APIStatusError as err:
            return _status_outcome(OutcomeKind.REJECTED, err)
        except anthropic.APITimeoutError as err:
            if isinstance(err.__cause__, DeadlineExceeded):
                return Outcome(OutcomeKind.TIMEOUT, f"the request deadline passed: {err.__cause__}")
            return Outcome(OutcomeKind.TIMEOUT, "the request timed out")
        except anthropic.APIConnectionError as err:
            cause = f": {type(err.__cause__).__name__}" if err.__cause__ is not None else ""
            return Outcome(OutcomeKind.TRANSIENT, f"connection error{cause}")
        except anthropic.APIResponseValidationError as err:
            return Outcome(OutcomeKind.INVALID, f"the response does not match the Messages API schema: {err.message}")
        except json.JSONDecodeError as err:
            return Outcome(OutcomeKind.INVALID, f"the response body is not valid JSON ({err.msg})")
        return _message_outcome(result, body.get("tool_choice", {}).get("name", TOOL_NAME))


def _status_outcome(kind: OutcomeKind, err: anthropic.APIStatusError, retry_after: Optional[float] = None) -> Outcome:
    what = err.api_message or err.type or "no message"
    detail = f"HTTP {err.status_code} {err.type or 'error'}: {what}"
    if err.error_code:
        detail += f" ({err.error_code})"
    return Outcome(kind, " ".join(detail.split())[:300], err.request_id, retry_after)


def _retry_after(headers: Any) -> Optional[float]:
    """Seconds from `retry-after-ms`, or `retry-after` (seconds or an HTTP date); None when absent."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass  # fall through to retry-after
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass  # not a number of seconds: an HTTP date
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None  # unparsable: behave as if there were no header
    return max(0.0, when.timestamp() - time.time())


def _message_outcome(result: object, tool: str = TOOL_NAME) -> Outcome:
    if isinstance(result, str):
        return Outcome(OutcomeKind.INVALID, "the API answered with text, not a message (an error page from a proxy?)")
    if not isinstance(result, Message):
        return Outcome(OutcomeKind.INVALID, f"the API answered with {type(result).__name__}, not a message")
    request_id = getattr(result, "_request_id", None)
    usage = _usage(result)
    content = getattr(result, "content", None)
    if not isinstance(content, list):
        return Outcome(OutcomeKind.INVALID, "the message has no content blocks", request_id, usage=usage)
    stop = getattr(result, "stop_reason", None)
    if stop == "max_tokens":
        return Outcome(OutcomeKind.INVALID, "the answer was cut off: raise max-tokens", request_id, usage=usage)
    if stop == "refusal":
        return Outcome(OutcomeKind.INVALID, "the model declined to review this code", request_id, usage=usage)
    calls = [b for b in content if getattr(b, "type", None) == "tool_use"]
    if len(calls) != 1 or getattr(calls[0], "name", None) != tool:
        names = ", ".join(str(getattr(b, "name", "?")) for b in calls) or "none"
        return Outcome(OutcomeKind.INVALID, f"expected one {tool} call, got {names}", request_id, usage=usage)
    return Outcome(OutcomeKind.OK, "", request_id, tool_input=getattr(calls[0], "input", None), usage=usage)


def _usage(result: Message) -> Usage:
    usage = getattr(result, "usage", None)

    def number(name: str) -> int:
        value = getattr(usage, name, 0) if usage is not None else 0
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    return Usage(
        number("input_tokens"),
        number("output_tokens"),
        number("cache_read_input_tokens"),
        number("cache_creation_input_tokens"),
    )
