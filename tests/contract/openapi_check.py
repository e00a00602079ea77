"""Check real httpx requests and responses against the TWS API spec fixture.

openapi-core validates what is declared (parameter types, required values, response schemas); it
does not object to parameters the spec does not declare, so ``undeclared_parameters`` adds that.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from functools import lru_cache
from pathlib import Path

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "tws_api" / "WA_API3_v2.subset.json"

# Transport-level headers every HTTP client sends; they are not API parameters.
TRANSPORT_HEADERS = frozenset(
    {"host", "accept", "accept-encoding", "authorization", "connection", "user-agent", "content-length"}
)


# Deliberate differences between resync's simulator and the spec; each is relaxed in the spec copy
# the tests validate against, and nowhere else.
KNOWN_DEVIATIONS = {
    "planId pattern": "The spec gives every `planId` the UUID pattern of a plan's database id; the simulator "
    "(by design, docs/DATA_CONTRACTS.md) identifies archived plans by production date "
    "YYYY-MM-DD, so its planId values are dates.",
}


@lru_cache(maxsize=1)
def load_spec() -> dict:
    """The spec fixture as a dict (cached; callers must not mutate it)."""
    return json.loads(SPEC_PATH.read_text())


def relaxed_spec(base_url: str | None = None, head: bool = False) -> dict:
    """A copy of the spec with the KNOWN_DEVIATIONS relaxed and, if given, ``base_url`` as its server.

    With ``head``, every GET operation gets its HEAD twin (same parameters, same statuses, no body):
    HTTP requires HEAD wherever GET works (RFC 9110 §9.3.2), so the contract run exercises it too.
    """
    spec = copy.deepcopy(load_spec())
    if head:
        for item in spec["paths"].values():
            get = item.get("get")
            if get is not None:
                twin = copy.deepcopy(get)
                twin["operationId"] = f"{get.get('operationId', 'op')}_head"
                for response in twin.get("responses", {}).values():
                    response.pop("content", None)
                item["head"] = twin
    for schema in spec["components"]["schemas"].values():
        plan_id = schema.get("properties", {}).get("planId")
        if isinstance(plan_id, dict):
            plan_id.pop("pattern", None)
    if base_url is not None:
        spec["servers"] = [{"url": base_url}]
    return spec


def openapi_for(base_url: str) -> OpenAPI:
    """An openapi-core validator of the relaxed spec whose only server is ``base_url``."""
    return OpenAPI.from_dict(relaxed_spec(base_url))


class OpenAPIRequest:
    """An ``httpx.Request`` seen through openapi-core's Request protocol."""

    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )

    @property
    def host_url(self) -> str:
        return f"{self._request.url.scheme}://{self._request.url.netloc.decode()}"

    @property
    def path(self) -> str:
        return self._request.url.path

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes | None:
        return self._request.content or None

    @property
    def content_type(self) -> str:
        return self._request.headers.get("content-type", "")


class OpenAPIResponse:
    """An ``httpx.Response`` (body already read) seen through openapi-core's Response protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def content_type(self) -> str:
        return self._response.headers.get("content-type", "").lower()

    @property
    def headers(self) -> Headers:
        return Headers(list(self._response.headers.items()))

    @property
    def data(self) -> bytes:
        return self._response.content


def match_operation(path: str) -> tuple[str, dict] | None:
    """The spec path template and its path item that ``path`` matches, or None."""
    spec = load_spec()
    for template, item in spec["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template, item
    return None


def declared_parameters(template: str, method: str = "get") -> dict[tuple[str, str], dict]:
    """``{(in, lower-cased name): parameter}`` declared at path and operation level."""
    item = load_spec()["paths"][template]
    out = {}
    for param in [*item.get("parameters", []), *item[method].get("parameters", [])]:
        out[(param["in"], param["name"].lower())] = param
    return out


def undeclared_parameters(request: httpx.Request) -> list[str]:
    """Query parameters and headers in ``request`` that its operation does not declare."""
    found = match_operation(request.url.path)
    if found is None:
        return [f"path {request.url.path} is not in the spec"]
    template, _ = found
    declared = declared_parameters(template, request.method.lower())
    problems = []
    for name, _value in request.url.params.multi_items():
        if ("query", name.lower()) not in declared:
            problems.append(f"query parameter {name!r} not declared for {template}")
    for name in request.headers:
        if name.lower() in TRANSPORT_HEADERS:
            continue
        if ("header", name.lower()) not in declared:
            problems.append(f"header {name!r} not declared for {template}")
    return problems


@dataclasses.dataclass
class Exchange:
    """One request the client sent and the response it got (body read)."""

    request: httpx.Request
    response: httpx.Response | None = None


class Recorder:
    """httpx event hooks that keep every exchange of a client."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def on_request(self, request: httpx.Request) -> None:
        self.exchanges.append(Exchange(request))

    def on_response(self, response: httpx.Response) -> None:
        # Reading here caches the body; the client's own streaming read then replays it.
        response.read()
        for exchange in reversed(self.exchanges):
            if exchange.request is response.request:
                exchange.response = response
                break

    @property
    def hooks(self) -> dict:
        return {"request": [self.on_request], "response": [self.on_response]}
