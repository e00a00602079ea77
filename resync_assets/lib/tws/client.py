"""Synchronous client for the read-only TWS / HCL Workload Automation REST API v2.

One pooled ``httpx.Client`` (HTTP/1.1 keep-alive) per ``TwsClient``; safe to share between threads.
Every call is a GET, hence idempotent, so transient failures are retried: 429/500/502/503/504,
connect errors, resets, read timeouts and truncated or malformed bodies, with exponential backoff
and jitter that honours ``Retry-After`` (never longer than ``backoff_max_seconds``). 400/401/403/404
are never retried. A circuit breaker (pybreaker) counts calls that failed after their retries; after
``breaker_fail_max`` in a row it opens and calls fail fast with ``TwsCircuitOpenError`` until
``breaker_reset_seconds`` have passed, then one trial call half-opens it and a success closes it.
"""

from __future__ import annotations

import base64
import email.utils
import logging
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Self
from urllib.parse import quote

import httpx
import orjson
import pybreaker
import tenacity

from resync_assets.lib.breaker import BreakerClock
from resync_assets.lib.tws.errors import (
    TwsApiError,
    TwsAuthError,
    TwsCircuitOpenError,
    TwsConnectionError,
    TwsError,
    TwsNotFoundError,
    TwsProtocolError,
    TwsTimeoutError,
)
from resync_assets.lib.tws.joblog import Joblog, decode_joblog
from resync_assets.lib.tws.oql import Oql, with_default_order
from resync_assets.lib.tws.settings import TwsSettings

log = logging.getLogger("resync.tws")

# Decodes a page body into an object with ``results`` (a list), ``count`` and ``next``; None declines.
PageDecoder = Callable[[bytes], Any]

API_PREFIX = "/twsd/api/v2"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# ScopeType of the spec: how much of each job in plan the server returns.
SCOPES = frozenset(
    {
        "WHOLE",
        "WHOLE_NO_JOB_DEFINITIONS_AND_NO_DEPENDENCIES",
        "WHOLE_NO_JOB_DEFINITIONS",
        "WHOLE_NO_DEPENDENCIES",
        "WHOLE_NO_PROPS",
        "SELF_SERVICE_CATALOG",
        "WHOLE_LAST_RUN_ONLY",
    }
)
_THROTTLE_STATUSES = frozenset({429, 503})
_MAX_ERROR_BODY = 64 * 1024
_MAX_MESSAGE = 500
_JOBLOG_CHUNK = 64 * 1024
# Times in answers and in OQL values without a zone are then UTC, whatever the server's zone.
_LOCAL_TIMEZONE = {"Local-Timezone": "UTC"}


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _tls_failure(exc: BaseException) -> str | None:
    """The reason of an SSL error in ``exc``'s cause chain (e.g. CERTIFICATE_VERIFY_FAILED), or None."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, ssl.SSLError):
            return exc.reason or type(exc).__name__
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


class TwsClient:
    """Read-only TWS REST API v2 client: paging, OQL, joblogs, retries and a circuit breaker.

    Use it as a context manager (or call ``close()``)::

        with TwsClient(TwsSettings.from_env()) as client:
            for job in client.iter_jobs(plan_id="current", oql=Oql.eq("jobStreamName", "DAILY")):
                ...

    ``transport`` and ``event_hooks`` are passed to ``httpx.Client`` (tests use them to observe the
    exact requests sent). Proxy variables and ``.netrc`` are ignored on purpose: credentials and the
    CA bundle come from ``TwsSettings`` only. Thread-safe: one client can serve a pool of workers
    (``max_connections`` pooled keep-alive connections).
    """

    def __init__(
        self,
        settings: TwsSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        event_hooks: Mapping[str, list[Callable]] | None = None,
        max_connections: int = 16,
    ) -> None:
        if not isinstance(settings, TwsSettings):
            raise TypeError("TwsClient needs a TwsSettings")
        self.settings = settings
        headers = {"Accept": "application/json"}
        auth: httpx.Auth | None = None
        if settings.token:
            headers["Authorization"] = f"Bearer {settings.token}"
        elif settings.user:
            auth = httpx.BasicAuth(settings.user, settings.password or "")
        self._secrets = self._secret_forms(settings)
        self._portable = transport is None and not event_hooks
        self._http = httpx.Client(
            base_url=settings.base_url,
            headers=headers,
            auth=auth,
            verify=settings.verify,
            timeout=httpx.Timeout(settings.timeout_seconds),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            follow_redirects=False,
            transport=transport,
            event_hooks=dict(event_hooks) if event_hooks else None,
            trust_env=False,
        )
        self._lock = threading.Lock()
        self._stats: dict[str, Any] = {
            "requests": 0,
            "retries": 0,
            "throttled": 0,
            "errors": 0,
            "pages": 0,
            "items": 0,
            "bytes_received": 0,
            "backoff_seconds": 0.0,
            "calls_rejected_by_breaker": 0,
            "status_counts": {},
        }
        self._breaker_clock = BreakerClock()
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=settings.breaker_fail_max,
            reset_timeout=settings.breaker_reset_seconds,
            exclude=[self._is_not_a_server_failure],
            listeners=[self._breaker_clock],
            name="tws",
        )

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TwsClient(base_url={self.settings.base_url!r}, auth={self.settings.auth_kind!r})"

    # ------------------------------------------------------------------ public API

    @property
    def stats(self) -> dict:
        """Counters since creation plus ``breaker_state`` ('closed', 'open' or 'half-open').

        'half-open' is also reported when the breaker is open but its reset timeout has passed,
        i.e. the next call will be the trial call.
        """
        with self._lock:
            out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in self._stats.items()}
        out["breaker_state"] = self._breaker_state()
        out["breaker_failures"] = self._breaker.fail_counter
        return out

    @property
    def portable(self) -> bool:
        """True when ``TwsClient(self.settings)`` in another process would behave the same (no custom
        transport or event hooks), so work can be handed to worker processes."""
        return self._portable

    def merge_stats(self, counts: Mapping[str, Any]) -> None:
        """Add the counters of a client that worked on this one's behalf (e.g. in a worker process)."""
        with self._lock:
            for key, value in counts.items():
                if key == "status_counts":
                    mine = self._stats["status_counts"]
                    for status, n in value.items():
                        mine[status] = mine.get(status, 0) + n
                elif key in self._stats:
                    self._stats[key] += value

    def engine_info(self) -> dict:
        """``GET /engine/info``: the ``EngineInfoV2`` object (version, time zone, ...)."""
        # The only operation that does not declare Local-Timezone.
        return self._get_json("/engine/info", expect=dict, local_timezone=False)

    def iter_job_pages(
        self,
        plan_id: str = "current",
        oql: Oql | str | None = None,
        page_size: int | None = None,
        scope: str | None = None,
        decode: PageDecoder | None = None,
    ) -> Iterator[list]:
        """Every page of ``GET /plan/job``: a list of raw ``JobInPlanV2`` dicts, or of what ``decode``
        made of the page.

        The query is sorted by ``id`` unless ``oql`` already has an ORDER BY, so offset paging never
        overlaps or skips. ``scope`` (a ``ScopeType``, e.g. ``WHOLE_NO_JOB_DEFINITIONS`` for smaller
        pages without ``jobDefinition``) is sent as the ``scope`` header; None keeps the server default.
        ``decode`` (bytes -> an object with ``results``, ``count`` and ``next``, or None when the page
        does not fit it) lets a bulk reader decode pages into its own structs; a page it declines is
        read as dicts.
        """
        params = {"plan_id": plan_id, "oql": with_default_order(oql)}
        return self._iter_pages("/plan/job", params, page_size, self._scope_header(scope), decode=decode)

    def iter_jobs(
        self,
        plan_id: str = "current",
        oql: Oql | str | None = None,
        page_size: int | None = None,
        scope: str | None = None,
    ) -> Iterator[dict]:
        """Every ``JobInPlanV2`` of the query, one by one (see ``iter_job_pages``)."""
        for page in self.iter_job_pages(plan_id=plan_id, oql=oql, page_size=page_size, scope=scope):
            yield from page

    def count_jobs(
        self,
        plan_id: str | None = "current",
        plan_filter: str = "/@/@#/@/@.@",
        grouping: str | list[str] | tuple[str, ...] | None = None,
    ) -> dict:
        """``GET /plan/job/count``: ``{"count": N, "groupedCount": {...}}``.

        ``grouping`` is an ordered subset of ``workstation``, ``status``, ``folder``.
        """
        params: dict[str, Any] = {"plan_filter": plan_filter}
        if plan_id is not None:
            params["plan_id"] = plan_id
        if grouping:
            keys = [grouping] if isinstance(grouping, str) else list(grouping)
            keys = [k.strip() for part in keys for k in part.split(",") if k.strip()]
            bad = [k for k in keys if k not in ("workstation", "status", "folder")]
            if bad:
                raise ValueError(f"grouping keys must be workstation, status or folder, not {bad}")
            params["grouping_filters"] = ",".join(keys)
        return self._get_json("/plan/job/count", params=params, expect=dict)

    def get_job(self, job_id: str, plan_id: str = "current") -> dict:
        """``GET /plan/job/{job_id}``: one ``JobInPlanV2``; ``TwsNotFoundError`` when unknown."""
        return self._get_json(
            f"/plan/job/{self._path_id(job_id, 'job_id')}", params={"plan_id": plan_id}, expect=dict
        )

    def iter_job_streams(
        self, plan_id: str = "current", oql: Oql | str | None = None, page_size: int | None = None
    ) -> Iterator[dict]:
        """Every ``JobStreamInPlanV2`` of ``GET /plan/jobstream`` (sorted by id unless told)."""
        params = {"plan_id": plan_id, "oql": with_default_order(oql)}
        for page in self._iter_pages("/plan/jobstream", params, page_size):
            yield from page

    def iter_workstations(self, oql: Oql | str | None = None, page_size: int | None = None) -> Iterator[dict]:
        """Every ``WorkstationInPlanV2`` of ``GET /plan/workstation`` (current plan only)."""
        params = {"oql": with_default_order(oql)}
        for page in self._iter_pages("/plan/workstation", params, page_size):
            yield from page

    def get_joblog(
        self,
        run_id: str,
        plan_id: str | None = None,
        from_line: int | None = None,
        to_line: int | None = None,
        content_only: bool = False,
        max_bytes: int | None = None,
    ) -> Joblog:
        """``GET /plan/job/run/{run_id}/joblog``: the joblog of one run, optionally a line range.

        The body is read as a stream and kept up to ``max_bytes`` (default
        ``settings.joblog_max_bytes``); a longer body is cut there, flagged ``truncated`` and ends
        with an explicit marker line. Invalid UTF-8 never raises: it is replaced and flagged.
        """
        cap = self.settings.joblog_max_bytes if max_bytes is None else int(max_bytes)
        if cap < 1:
            raise ValueError("max_bytes must be >= 1")
        params = self._joblog_params(plan_id, from_line, to_line, content_only)
        path = f"/plan/job/run/{self._path_id(run_id, 'run_id')}/joblog"

        def read(response: httpx.Response, endpoint: str) -> Joblog:
            buf = bytearray()
            truncated = False
            for chunk in response.iter_bytes(_JOBLOG_CHUNK):
                buf += chunk
                if len(buf) > cap:
                    truncated = True
                    del buf[cap:]
                    break
            self._add("bytes_received", len(buf))
            framing = response.headers.get("transfer-encoding", "").lower()
            return decode_joblog(
                run_id,
                bytes(buf),
                truncated=truncated,
                limit=cap,
                charset=response.charset_encoding,
                close_delimited="content-length" not in response.headers and "chunked" not in framing,
            )

        return self._call(path, params, {"Accept": "text/plain", **_LOCAL_TIMEZONE}, read)

    def iter_joblog_windows(
        self,
        run_id: str,
        plan_id: str | None = None,
        lines_per_window: int = 10_000,
        content_only: bool = False,
        max_bytes: int | None = None,
    ) -> Iterator[Joblog]:
        """Page through a joblog by line range: ``from_line``/``to_line`` windows of ``lines_per_window``.

        Each window is a :class:`Joblog` (capped at ``max_bytes`` like ``get_joblog``); paging stops
        after the first window with fewer lines than asked for that was not cut by the byte cap. A
        server that ignores ``from_line``/``to_line`` answers the whole log every time: a window with
        more lines than asked is the whole log (yielded once, then paging stops), and a window equal
        to the previous one ends paging without being yielded again.
        """
        if lines_per_window < 1:
            raise ValueError("lines_per_window must be >= 1")
        start = 1
        previous: Joblog | None = None
        while True:
            window = self.get_joblog(
                run_id,
                plan_id=plan_id,
                from_line=start,
                to_line=start + lines_per_window - 1,
                content_only=content_only,
                max_bytes=max_bytes,
            )
            if previous is not None and window.line_count and window.text == previous.text:
                return
            yield window
            if window.line_count > lines_per_window:
                return
            if window.line_count < lines_per_window and not window.truncated:
                return
            previous = window
            start += lines_per_window

    def follow_joblog(
        self, run_id: str, plan_id: str | None = None, idle_timeout_seconds: float | None = None
    ) -> Iterator[str]:
        """Stream the joblog of a running job line by line (``follow=true``) until the server ends it.

        Lines come without their line break, decoded as UTF-8 with invalid bytes replaced. If the
        connection drops, the client reconnects (within the retry budget) asking only for the lines
        after the last one it yielded. ``idle_timeout_seconds`` (default: ``timeout_seconds``) is how
        long the server may stay silent.
        """
        path = f"/plan/job/run/{self._path_id(run_id, 'run_id')}/joblog"
        endpoint = f"GET {API_PREFIX}{path}"
        idle = idle_timeout_seconds or self.settings.timeout_seconds
        yielded = 0
        failures = 0
        while True:
            self._gate(endpoint)
            params = self._joblog_params(plan_id, yielded + 1 if yielded else None, None, False)
            params["follow"] = "true"
            pending = b""
            try:
                self._add("requests", 1)
                with self._http.stream(
                    "GET",
                    API_PREFIX + path,
                    params=params,
                    headers={"Accept": "text/plain", **_LOCAL_TIMEZONE},
                    timeout=httpx.Timeout(self.settings.timeout_seconds, read=idle),
                ) as resp:
                    self._count_status(resp.status_code)
                    if resp.status_code >= 400:
                        raise self._status_error(resp, endpoint)
                    for chunk in resp.iter_bytes():
                        self._add("bytes_received", len(chunk))
                        pending += chunk
                        *lines, pending = pending.split(b"\n")
                        for line in lines:
                            yielded += 1
                            yield line.rstrip(b"\r").decode("utf-8", errors="replace")
                if pending:
                    yielded += 1
                    yield pending.rstrip(b"\r").decode("utf-8", errors="replace")
                self._record_outcome(None)
                return
            except (httpx.HTTPError, TwsError) as exc:
                error = exc if isinstance(exc, TwsError) else self._transport_error(exc, endpoint)
                if not getattr(error, "_retryable", False) or failures >= self.settings.max_retries:
                    self._add("errors", 1)
                    self._record_outcome(error)
                    raise error from None
                failures += 1
                wait = self._backoff_seconds(failures, getattr(error, "_retry_after", None))
                self._note_retry(endpoint, error, failures, wait)
                time.sleep(wait)

    # ------------------------------------------------------------------ paging

    def _iter_pages(
        self,
        path: str,
        params: dict,
        page_size: int | None,
        headers: dict | None = None,
        decode: PageDecoder | None = None,
    ) -> Iterator[list]:
        """Pages of ``results``; with ``decode`` a page is what it returns when it fits, else dicts."""
        limit = int(page_size or self.settings.page_size)
        if not 1 <= limit <= 2**31 - 1:
            raise ValueError("page_size must be between 1 and 2**31-1")
        offset = 0
        previous_first = None
        while True:
            body = self._get_json(
                path,
                params={**params, "limit": limit, "offset": offset},
                headers={"Include-Count": "true", **(headers or {})},
                expect="page",
                decode=decode,
            )
            if not isinstance(body, dict):
                body = {"results": body.results, "count": body.count, "next": body.next}
            results = body["results"]
            endpoint = f"GET {API_PREFIX}{path}"
            if results and previous_first is not None and results[0] == previous_first:
                raise TwsProtocolError(
                    f"{endpoint}: the server returned the same page for offset {offset} as for "
                    f"the previous offset; it seems to ignore 'offset'",
                    endpoint=endpoint,
                )
            previous_first = results[0] if results else None
            self._add("pages", 1)
            self._add("items", len(results))
            if results:
                yield results
            offset += len(results)
            count = body.get("count")
            more_by_count = isinstance(count, int) and offset < count
            # docs/tws_api.md §2: stop on an empty or short page, a missing `next`, or offset >= count;
            # except that a full page without `next` while `count` says more remain goes on, since
            # stopping there would silently drop data (an extra request costs little).
            if not results or len(results) < limit or (isinstance(count, int) and offset >= count):
                return
            if not body.get("next") and not more_by_count:
                return

    # ------------------------------------------------------------------ request machinery

    def _get_json(
        self,
        path: str,
        *,
        params: dict | None = None,
        headers: dict | None = None,
        expect: Any = dict,
        local_timezone: bool = True,
        decode: PageDecoder | None = None,
    ) -> Any:
        def parse(response: httpx.Response, endpoint: str) -> Any:
            data = response.read()
            self._add("bytes_received", len(data))
            if decode is not None:
                decoded = decode(data)
                if decoded is not None and isinstance(getattr(decoded, "results", None), list):
                    return decoded
                # Not JSON, or a shape the decoder does not take: the dict path below decides.
            try:
                body = orjson.loads(data)
            except orjson.JSONDecodeError:
                raise self._retryable(
                    TwsProtocolError(
                        f"{endpoint}: the response body is not valid JSON ({len(data)} bytes; truncated or malformed)",
                        endpoint=endpoint,
                    )
                )
            if expect == "page":
                if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                    raise self._retryable(
                        TwsProtocolError(
                            f"{endpoint}: expected a paginated object with a 'results' list",
                            endpoint=endpoint,
                        )
                    )
            elif expect is not None and not isinstance(body, expect):
                raise self._retryable(
                    TwsProtocolError(
                        f"{endpoint}: expected a JSON {expect.__name__}, got {type(body).__name__}",
                        endpoint=endpoint,
                    )
                )
            return body

        headers = dict(headers or {})
        if local_timezone:
            headers.update(_LOCAL_TIMEZONE)
        return self._call(path, params or {}, headers, parse)

    def _call(
        self, path: str, params: dict, headers: dict, handler: Callable[[httpx.Response, str], Any]
    ) -> Any:
        """One logical GET: breaker gate, then attempts with retries, then the breaker outcome."""
        url = API_PREFIX + path
        endpoint = f"GET {url}"
        self._gate(endpoint)

        def attempt() -> Any:
            self._add("requests", 1)
            try:
                with self._http.stream("GET", url, params=params, headers=headers) as response:
                    self._count_status(response.status_code)
                    if response.status_code >= 300:
                        raise self._status_error(response, endpoint)
                    return handler(response, endpoint)
            except httpx.HTTPError as exc:
                raise self._transport_error(exc, endpoint) from None

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.settings.max_retries + 1),
            wait=self._tenacity_wait,
            retry=tenacity.retry_if_exception(lambda e: getattr(e, "_retryable", False)),
            before_sleep=lambda state: self._note_retry(
                endpoint, state.outcome.exception(), state.attempt_number, state.next_action.sleep
            ),
            reraise=True,
        )
        try:
            result = retrying(attempt)
        except TwsError as error:
            self._add("errors", 1)
            self._record_outcome(error)
            raise error from None
        self._record_outcome(None)
        return result

    def _tenacity_wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return self._backoff_seconds(state.attempt_number, getattr(exc, "_retry_after", None))

    def _backoff_seconds(self, attempt: int, retry_after: float | None) -> float:
        """Full-jitter exponential backoff; a server's Retry-After wins, both capped by the setting."""
        cap = self.settings.backoff_max_seconds
        if retry_after is not None:
            return min(retry_after, cap)
        ceiling = min(cap, self.settings.backoff_initial_seconds * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)

    def _note_retry(self, endpoint: str, error: BaseException | None, attempt: int, wait: float) -> None:
        with self._lock:
            self._stats["retries"] += 1
            self._stats["backoff_seconds"] += wait
        log.warning("%s; retry %d/%d in %.2f s", error or endpoint, attempt, self.settings.max_retries, wait)

    # ------------------------------------------------------------------ errors

    @staticmethod
    def _retryable(error: TwsError, retry_after: float | None = None) -> TwsError:
        error._retryable = True  # type: ignore[attr-defined]
        error._retry_after = retry_after  # type: ignore[attr-defined]
        return error

    def _status_error(self, response: httpx.Response, endpoint: str) -> TwsError:
        status = response.status_code
        body = b""
        try:
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= _MAX_ERROR_BODY:
                    break
        except httpx.HTTPError:
            pass
        message = self._tws_message(body)
        reason = response.reason_phrase or ""
        text = f"{endpoint}: HTTP {status} {reason}".rstrip()
        if message:
            text += f": {message}"
        if status in RETRY_STATUSES:
            retry_after = _parse_retry_after(response.headers.get("retry-after"))
            return self._retryable(
                TwsApiError(text, endpoint=endpoint, status=status, tws_message=message), retry_after
            )
        if status in (401, 403):
            hint = (
                "check RESYNC_TWS_USER/RESYNC_TWS_PASSWORD or RESYNC_TWS_TOKEN"
                if status == 401
                else "the user lacks the permission for this call"
            )
            return TwsAuthError(f"{text} ({hint})", endpoint=endpoint, status=status, tws_message=message)
        if status == 404:
            return TwsNotFoundError(text, endpoint=endpoint, status=status, tws_message=message)
        if status < 400:
            return TwsApiError(
                f"{text} (unexpected redirect: check RESYNC_TWS_BASE_URL)",
                endpoint=endpoint,
                status=status,
                tws_message=message,
            )
        return TwsApiError(text, endpoint=endpoint, status=status, tws_message=message)

    def _transport_error(self, exc: httpx.HTTPError, endpoint: str) -> TwsError:
        # httpx messages can carry the full URL; only the exception class name is kept.
        kind = type(exc).__name__
        if isinstance(exc, httpx.TimeoutException):
            error: TwsError = TwsTimeoutError(
                f"{endpoint}: timed out after {self.settings.timeout_seconds:g} s ({kind})", endpoint=endpoint
            )
        elif isinstance(exc, httpx.RemoteProtocolError):
            error = TwsProtocolError(
                f"{endpoint}: the server broke the HTTP exchange, e.g. a truncated body ({kind})",
                endpoint=endpoint,
            )
        elif _tls_failure(exc):
            # A certificate problem does not heal by retrying.
            return TwsConnectionError(
                f"{endpoint}: TLS handshake failed: {_tls_failure(exc)}; for an internal CA set "
                "RESYNC_TWS_CA_BUNDLE to its PEM file",
                endpoint=endpoint,
            )
        elif isinstance(exc, (httpx.NetworkError, httpx.ProtocolError)):
            error = TwsConnectionError(
                f"{endpoint}: connection failed or was reset ({kind})", endpoint=endpoint
            )
        else:
            return TwsError(f"{endpoint}: HTTP client error ({kind})", endpoint=endpoint)
        return self._retryable(error)

    def _tws_message(self, body: bytes) -> str | None:
        if not body:
            return None
        text: str | None = None
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            for key in ("message", "messages", "errorMessage", "error", "detail", "title"):
                value = data.get(key)
                if isinstance(value, list):
                    value = "; ".join(str(v) for v in value)
                if value:
                    text = str(value)
                    break
        if text is None:
            text = body.decode("utf-8", errors="replace")
        text = " ".join(text.split())
        return self._redact(text[:_MAX_MESSAGE]) or None

    @staticmethod
    def _secret_forms(settings: TwsSettings) -> tuple[str, ...]:
        forms = list(settings.secrets())
        if settings.user and settings.password:
            forms.append(base64.b64encode(f"{settings.user}:{settings.password}".encode()).decode())
        # Longest first so a secret containing another is redacted whole.
        return tuple(sorted((f for f in forms if f), key=len, reverse=True))

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    # ------------------------------------------------------------------ circuit breaker

    @staticmethod
    def _is_not_a_server_failure(exc: BaseException) -> bool:
        """4xx answers (other than 429) prove the server is up: they must not open the breaker."""
        if isinstance(exc, TwsApiError) and exc.status is not None:
            return exc.status < 500 and exc.status != 429
        return not isinstance(exc, TwsError)

    def _breaker_state(self) -> str:
        return self._breaker_clock.state(self._breaker, self.settings.breaker_reset_seconds)

    def _reset_elapsed(self) -> bool:
        return self._breaker_clock.reset_elapsed(self.settings.breaker_reset_seconds)

    def _gate(self, endpoint: str) -> None:
        # pybreaker holds its lock for the whole guarded call, which would serialise every thread of
        # the pooled client; so the gate is checked here and only the outcome goes through pybreaker.
        if self._breaker.current_state == pybreaker.STATE_OPEN and not self._reset_elapsed():
            self._add("calls_rejected_by_breaker", 1)
            remaining = self.settings.breaker_reset_seconds - (
                time.monotonic() - (self._breaker_clock.opened_at or 0)
            )
            raise TwsCircuitOpenError(
                f"{endpoint}: not sent, the circuit breaker is open after {self.settings.breaker_fail_max} failed "
                f"calls in a row; next trial in {max(0.0, remaining):.1f} s",
                endpoint=endpoint,
            )

    def _record_outcome(self, error: TwsError | None) -> None:
        def outcome() -> None:
            if error is not None:
                raise error

        try:
            self._breaker.call(outcome)
        except (pybreaker.CircuitBreakerError, TwsError):
            pass

    # ------------------------------------------------------------------ helpers

    def _add(self, key: str, amount: float) -> None:
        with self._lock:
            self._stats[key] += amount

    def _count_status(self, status: int) -> None:
        with self._lock:
            counts = self._stats["status_counts"]
            counts[status] = counts.get(status, 0) + 1
            if status in _THROTTLE_STATUSES:
                self._stats["throttled"] += 1

    @staticmethod
    def _scope_header(scope: str | None) -> dict:
        if scope is None:
            return {}
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(sorted(SCOPES))}")
        return {"scope": scope}

    @staticmethod
    def _path_id(value: str, name: str) -> str:
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty string")
        if value in (".", ".."):
            # URL normalisation would resolve it (`run/../joblog` is `/plan/job/joblog`): another resource.
            raise ValueError(f"{name} {value!r} cannot be a path segment")
        return quote(value, safe="")

    @staticmethod
    def _joblog_params(
        plan_id: str | None, from_line: int | None, to_line: int | None, content_only: bool
    ) -> dict:
        params: dict[str, Any] = {}
        if plan_id is not None:
            params["plan_id"] = plan_id
        for name, value in (("from_line", from_line), ("to_line", to_line)):
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**31 - 1:
                    raise ValueError(f"{name} must be a non-negative int32")
                params[name] = value
        if from_line is not None and to_line is not None and to_line < from_line:
            raise ValueError("to_line must be >= from_line")
        if content_only:
            params["contentOnly"] = "true"
        return params
