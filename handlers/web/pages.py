"""Server-rendered pages: one Jinja2 environment over handlers/web/templates and the static files
under /static (every script, style and font served by the app itself: no CDN)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from bot.domain import access
from bot.texts import pick_language
from handlers.web.context import Web
from handlers.web.viewer import Forbidden, viewer_of

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

if TYPE_CHECKING:
    import jinja2


@cache
def environment() -> jinja2.Environment:
    """The templates' environment, made at the first page: Jinja2 stays out of a bot that
    serves none (~2 MB resident, tests/test_imports.py)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(("html", "xml")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def language(web: Web, request: Request) -> str:
    """The viewer's language in the bot; before login, the browser's (zh unless it asks for en)."""
    viewer = viewer_of(request)
    if viewer is not None:
        return viewer.lang
    return pick_language(request.headers.get("accept-language"), web.services.texts.default)


def headers(web: Web) -> dict[str, str]:
    """Security headers of every page: scripts, styles and fonts only from the app itself;
    images also from the configured map tiles; no Referer (login links carry a token)."""
    images = "'self' data: blob:"
    tiles = web.services.settings.web.tiles_url
    if tiles:
        parts = urlsplit(tiles)
        host = parts.netloc
        if "{" in host:  # t{s}.tianditu.gov.cn: any subdomain of what follows the template
            host = "*." + host.split(".", 1)[-1]
        images += f" {parts.scheme}://{host}"
    return {
        "Content-Security-Policy": (
            f"default-src 'self'; img-src {images}; object-src 'none'; base-uri 'none'; "
            "form-action 'self'"
        ),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


def render(
    web: Web, request: Request, template: str, *, status: int = 200, **context: Any
) -> HTMLResponse:
    """Renders TEMPLATE for REQUEST's viewer. Templates get `t(key, **params)` (the catalog text
    in the viewer's language: parameters escaped, the catalog's own markup kept), `lang`,
    `viewer` (None before login), `csrf` (the session's token, "" before login) ,
    `nav_figures` (whether the nav links /figures) and `here` (the path, for the nav)."""
    lang = language(web, request)
    viewer = viewer_of(request)

    def t(key: str, **params: Any) -> Markup:
        return Markup(web.services.texts(key, lang, **params))

    # the nav offers /figures only to whom it would show their own unit's (as /appraisal)
    figures = viewer is not None and access.view_appraisal(viewer.staff) is None
    page = environment().get_template(template)
    html = page.render(
        t=t,
        lang=lang,
        viewer=viewer,
        csrf=viewer.csrf if viewer else "",
        nav_figures=figures,
        here=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=headers(web))


def forbidden(web: Web, request: Request, exc: Exception) -> HTMLResponse:
    """The page for a request its viewer may not make (handlers/web/viewer.py Forbidden)."""
    assert isinstance(exc, Forbidden)
    return render(web, request, "error.html", status=403, key=exc.key, params=exc.params)


def http_error(web: Web, request: Request, exc: Exception) -> Response:
    """A wrong address (404) or method (405) in the pages' words for a browser (it asks for
    text/html), Starlette's plain text for anything else (Open311 and API clients)."""
    assert isinstance(exc, HTTPException)
    known = exc.status_code in (404, 405)
    if not known or "text/html" not in request.headers.get("accept", ""):
        return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
    key = f"web.http_{exc.status_code}"
    return render(web, request, "error.html", status=exc.status_code, key=key, params={})


def routes(web: Web) -> list[BaseRoute]:
    return [Mount("/static", app=StaticFiles(directory=STATIC), name="static")]
