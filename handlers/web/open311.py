"""Open311 GeoReport v2 under /open311/v2/ (http://wiki.open311.org/GeoReport_v2): parse the
query or form → bot/usecases/open311 → JSON or XML by the path's suffix.

Errors are the spec's error list, `[{"code": 400, "description": "…"}]` or
`<errors><error><code>…</code><description>…</description></error></errors>`, in the client's
language (`?locale=en` or Accept-Language; the office's default otherwise).
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from bot.services import Services
from bot.usecases import open311
from bot.usecases.results import Refused
from handlers.web.context import Web

PREFIX = "/open311/v2"
SPEC = "http://wiki.open311.org/GeoReport_v2"
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_BODY = 64 * 1024  # a POSTed form larger than this is refused unread
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# The HTTP status of each refusal; anything else is a 400.
STATUS = {
    "open311.no_key": 403,
    "open311.bad_key": 403,
    "open311.outside_key": 403,
    "open311.unknown_request": 404,
    "open311.not_found": 404,
}

Endpoint = Callable[[Request], Awaitable[Response]]
Page = Callable[[Request, Services, str], Awaitable["Reply"]]


class Reply:
    """What an endpoint answers: a JSON value and the same as an XML element, or errors."""

    def __init__(self, body: Any, xml: ET.Element, status: int = 200):
        self.body, self.xml, self.status = body, xml, status


class BadInput(Exception):
    """A query or form value that cannot be read: KEY (a catalog key) with PARAMS."""

    def __init__(self, key: str, **params: object):
        super().__init__(key)
        self.refused = Refused(key, params)


def routes(web: Web) -> list[BaseRoute]:
    """Returns the Open311 endpoints as one Mount at /open311/v2 (add it to the app as is)."""
    services = web.services
    return [
        Mount(
            PREFIX,
            routes=[
                Route("/discovery.{fmt}", _endpoint(services, discovery)),
                Route("/services.{fmt}", _endpoint(services, service_list)),
                Route("/services/{code}.{fmt}", _endpoint(services, service_definition)),
                Route("/requests.{fmt}", _endpoint(services, request_list)),
                Route("/requests.{fmt}", _endpoint(services, file_request), methods=["POST"]),
                Route("/requests/{number}.{fmt}", _endpoint(services, request_one)),
                Route("/{rest:path}", _unknown(services), methods=["GET", "POST"]),
            ],
        )
    ]


def _endpoint(services: Services, page: Page) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        lang = language_of(request, services.settings.default_language)
        fmt = request.path_params["fmt"]
        if fmt not in FORMATS:
            return render(errors(services, Refused("open311.bad_format"), lang), "json")
        try:
            reply = await page(request, services, lang)
        except BadInput as bad:
            reply = errors(services, bad.refused, lang)
        return render(reply, fmt)

    return endpoint


def _unknown(services: Services) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        lang = language_of(request, services.settings.default_language)
        fmt = "xml" if request.url.path.endswith(".xml") else "json"
        return render(errors(services, Refused("open311.not_found"), lang), fmt)

    return endpoint


# Endpoints --------------------------------------------------------------------------------------


async def discovery(request: Request, services: Services, lang: str) -> Reply:
    url = _base(request)
    endpoint = {
        "specification": SPEC,
        "url": url,
        "changeset": "2026-12-01T00:00:00Z",
        "type": "production",
        "formats": ["application/json", "text/xml"],
    }
    body = {
        "changeset": endpoint["changeset"],
        "contact": "",
        "key_service": "",
        "endpoints": [endpoint],
    }
    root = _element("discovery", {k: v for k, v in body.items() if k != "endpoints"})
    endpoints = ET.SubElement(root, "endpoints")
    one = _element("endpoint", {k: v for k, v in endpoint.items() if k != "formats"})
    formats = ET.SubElement(one, "formats")
    for name in endpoint["formats"]:
        ET.SubElement(formats, "format").text = name
    endpoints.append(one)
    return Reply(body, root)


async def service_list(request: Request, services: Services, lang: str) -> Reply:
    found = await open311.service_list(services, lang=lang)
    body = [_service(s) for s in found]
    return Reply(body, _elements("services", "service", body))


async def service_definition(request: Request, services: Services, lang: str) -> Reply:
    result = await open311.service_of(services, request.path_params["code"], lang=lang)
    if isinstance(result, Refused):
        return errors(services, result, lang, status=404)
    body = {"service_code": result.value.code, "attributes": []}
    root = _element("service_definition", {"service_code": result.value.code})
    ET.SubElement(root, "attributes")
    return Reply(body, root)


async def request_list(request: Request, services: Services, lang: str) -> Reply:
    query = request.query_params
    page = _int(query.get("page"), "page")
    result = await open311.list_requests(
        services,
        at=services.clock(),
        lang=lang,
        service_codes=_listed(query.get("service_code")),
        states=_listed(query.get("status")),
        start=_date(query.get("start_date"), "start_date", services),
        end=_date(query.get("end_date"), "end_date", services),
        page=1 if page is None else page,
        page_size=_int(query.get("page_size"), "page_size"),
    )
    if isinstance(result, Refused):
        return errors(services, result, lang)
    body = [_request(r) for r in result.value]
    return Reply(body, _elements("service_requests", "request", body))


async def request_one(request: Request, services: Services, lang: str) -> Reply:
    result = await open311.request_of(services, request.path_params["number"], lang=lang)
    if isinstance(result, Refused):
        return errors(services, result, lang)
    body = [_request(result.value)]
    return Reply(body, _elements("service_requests", "request", body))


async def file_request(request: Request, services: Services, lang: str) -> Reply:
    values = await _form(request)
    result = await open311.file_request(
        services,
        api_key=values.get("api_key"),  # never from the URL, where proxies log it
        service_code=values.get("service_code"),
        lat=_float(values.get("lat"), "lat"),
        lon=_float(values.get("long"), "long"),
        description=values.get("description"),
        lang=lang,
    )  # media_url is never fetched nor kept; personal fields (email, names, phone) are ignored
    if isinstance(result, Refused):
        return errors(services, result, lang)
    body = [asdict(result.value) | {"account_id": None}]
    return Reply(body, _elements("service_requests", "request", body), status=201)


# Parsing ----------------------------------------------------------------------------------------


def language_of(request: Request, default: str) -> str:
    """Returns 'en' or 'zh': ?locale=, else the first of Accept-Language we have, else DEFAULT."""
    wanted = [request.query_params.get("locale", "")]
    wanted += [part.split(";")[0] for part in request.headers.get("accept-language", "").split(",")]
    for tag in wanted:
        tag = tag.strip().lower()
        if tag.startswith(("zh", "en")):
            return tag[:2]
    return default


async def _form(request: Request) -> dict[str, str]:
    """Reads the spec's application/x-www-form-urlencoded body (at most MAX_BODY bytes; the first
    of a repeated field). Parsed here, not by python-multipart: one content type and no files."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("", "application/x-www-form-urlencoded"):
        raise BadInput("open311.bad_body")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise BadInput("open311.bad_body")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise BadInput("open311.bad_body") from None
    values: dict[str, str] = {}
    for name, value in pairs:
        values.setdefault(name, value)
    return values


def _listed(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in (value or "").split(",") if v.strip()))


def _int(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    if not value.isascii() or not value.lstrip("-").isdigit() or len(value) > 18:
        raise BadInput("open311.bad_number", name=name)
    return int(value)


def _float(value: str | None, name: str) -> float | None:
    if value is None or value.strip() == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise BadInput("open311.bad_location") from None
    if not math.isfinite(number):
        raise BadInput("open311.bad_location")
    return number


def _date(value: str | None, name: str, services: Services) -> datetime | None:
    """Reads an ISO 8601 time (years 2000–2100); one without an offset is in the office's time
    zone. A '+' of the offset sent unescaped arrives as a space and is read as the '+'."""
    if not value:
        return None
    text = re.sub(r" (\d\d(:?\d\d)?)$", r"+\1", value.strip())
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput("open311.bad_date", name=name) from None
    if not 2000 <= at.year <= 2100:
        raise BadInput("open311.bad_date", name=name)
    return at if at.tzinfo is not None else at.replace(tzinfo=services.tz)


# Rendering --------------------------------------------------------------------------------------


def errors(services: Services, refused: Refused, lang: str, status: int | None = None) -> Reply:
    code = status or STATUS.get(refused.key, 400)
    description = open311.text(services, refused.key, lang, refused.params)
    body = [{"code": code, "description": description}]
    return Reply(body, _elements("errors", "error", body), status=code)


def render(reply: Reply, fmt: str) -> Response:
    if fmt == "xml":
        content = ET.tostring(reply.xml, encoding="utf-8", xml_declaration=True)
    else:
        content = json.dumps(reply.body, ensure_ascii=False).encode()
    return Response(content, status_code=reply.status, media_type=FORMATS.get(fmt, FORMATS["json"]))


def _base(request: Request) -> str:
    path = request.url.path
    return str(request.url.replace(path=path[: path.rindex("/")], query=""))


def _service(service: open311.Service) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description,
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(service.keywords),
        "group": service.group,
    }


def _request(request: open311.Request) -> dict[str, Any]:
    body = asdict(request)
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        at = body[name]
        body[name] = at.isoformat(timespec="seconds") if at is not None else None
    return body


def _text(value: Any) -> str:
    """VALUE as XML text: booleans as the spec writes them, characters XML 1.0 cannot hold
    (control characters a description may carry) left out."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else NOT_XML.sub("", str(value))


def _element(tag: str, fields: Mapping[str, Any]) -> ET.Element:
    root = ET.Element(tag)
    for name, value in fields.items():
        ET.SubElement(root, name).text = _text(value)
    return root


def _elements(tag: str, item: str, rows: Sequence[Mapping[str, Any]]) -> ET.Element:
    root = ET.Element(tag)
    for row in rows:
        root.append(_element(item, row))
    return root
