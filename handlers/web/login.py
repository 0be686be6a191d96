"""Staff sessions of the web dashboard: the login pages, logout, the Mini App, and the
middleware that finds each request's session (request.state.viewer, handlers/web/viewer.py).

GET /login?t=… never uses the link up (Telegram's link preview and other fetchers GET links):
it shows a button that POSTs the token. Only hashes of tokens and cookies are stored; nothing
here logs a token, a cookie or a name.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.domain.weblogin import Via
from bot.usecases import weblogin
from bot.usecases.results import Refused
from handlers.web.context import Web
from handlers.web.pages import language, render
from handlers.web.viewer import LOGIN_PATH, Forbidden, Viewer, staff_only, viewer_of

COOKIE = "griddesk_session"
HOME = "/"
MAX_FORM = 8192  # a token or an initData string is far shorter


class Sessions:
    """ASGI middleware: sets `request.state.viewer` from the session cookie on every request
    (None without a live session), re-reading the staff row and the member's language."""

    def __init__(self, app: ASGIApp, web: Web):
        self.app = app
        self.web = web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            viewer = None
            cookie = request.cookies.get(COOKIE)
            if cookie:
                services = self.web.services
                live = await weblogin.session_of(services, cookie, at=services.clock())
                if live is not None:
                    viewer = Viewer(live.staff, live.lang, live.session.csrf, live.session.hash)
            request.state.viewer = viewer
            if cookie and viewer is None:  # ended or forged: the browser forgets it
                send = _forget_cookie(send)
        await self.app(scope, receive, send)


def _forget_cookie(send: Send) -> Send:
    async def forgetting(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            if not any(v.startswith(f"{COOKIE}=") for v in headers.getlist("set-cookie")):
                headers.append("set-cookie", f"{COOKIE}=; Max-Age=0; Path=/; HttpOnly")
        await send(message)

    return forgetting


def _secure(web: Web) -> bool:
    return (web.services.settings.web.public_url or "").startswith("https://")


def _with_cookie(web: Web, response: Response, session: weblogin.NewSession) -> Response:
    secure = _secure(web)
    # Telegram Web opens a Mini App in a cross-site iframe: only SameSite=None reaches it there
    # (and browsers take SameSite=None only with Secure).
    cross_site = session.via is Via.MINIAPP and secure
    response.set_cookie(
        COOKIE,
        session.cookie,
        max_age=int(web.services.settings.web.session_max_hours * 3600),
        path="/",
        httponly=True,
        secure=secure,
        samesite="none" if cross_site else "lax",
    )
    return response


def _foreign(web: Web, request: Request) -> bool:
    """Tells whether a login POST came from another site's page (login CSRF: someone logging
    the browser into their own session). Browsers say where a request comes from in
    Sec-Fetch-Site; our pages send no Referer (Referrer-Policy: no-referrer), so a browser's
    own form POST or fetch carries `Origin: null`, which tells nothing: only a real Origin
    is compared with public_url (older browsers without Sec-Fetch-Site)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    public = web.services.settings.web.public_url
    if origin is None or origin == "null" or not public:
        return False
    parts = urlsplit(public)
    return origin != f"{parts.scheme}://{parts.netloc}"


async def _field(request: Request, name: str) -> str:
    if int(request.headers.get("content-length") or 0) > MAX_FORM:
        return ""
    value = (await request.form()).get(name)
    return value if isinstance(value, str) else ""


def routes(web: Web) -> list[BaseRoute]:
    services = web.services

    def page(request: Request, key: str, *, status: int = 200, token: str = "") -> Response:
        return render(
            web, request, "login.html", status=status, key=key, token=token, error=status >= 400
        )

    async def login_page(request: Request) -> Response:
        """The login page: with a token, a button that uses it; without, how to get one."""
        token = request.query_params.get("t", "")
        if not token:
            if viewer_of(request) is not None:
                return RedirectResponse(HOME, status_code=303)
            return page(request, "weblogin.ask_bot")
        problem = await weblogin.link_problem(services, token, at=services.clock())
        if problem is not None:
            return page(request, problem, status=400)
        return page(request, "weblogin.confirm", token=token)

    async def login(request: Request) -> Response:
        """Uses the link's token up and opens a session, or says which way the link is bad."""
        if _foreign(web, request):
            raise Forbidden("web.csrf")
        token = await _field(request, "t")
        done = await weblogin.login_with_link(services, token, at=services.clock())
        if isinstance(done, Refused):
            return page(request, done.key, status=400)
        return _with_cookie(web, RedirectResponse(HOME, status_code=303), done.value)

    @staff_only
    async def logout(request: Request) -> Response:
        viewer = viewer_of(request)
        assert viewer is not None
        await weblogin.logout(services, viewer.session)
        response = RedirectResponse(LOGIN_PATH, status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, secure=_secure(web))
        return response

    async def mini_app(request: Request) -> Response:
        """The Mini App's page: its script sends the launch data to /login/telegram."""
        return render(web, request, "miniapp.html")

    async def login_telegram(request: Request) -> Response:
        """Opens a session from a Mini App's initData; 403 with the reason if it is not good."""
        raw = "" if _foreign(web, request) else await _field(request, "init_data")
        done = await weblogin.login_with_init_data(services, raw, at=services.clock())
        if isinstance(done, Refused):
            text = services.texts(done.key, language(web, request))
            return JSONResponse({"ok": False, "error": text}, status_code=403)
        response = JSONResponse({"ok": True, "next": HOME})
        return _with_cookie(web, response, done.value)

    return [
        Route(LOGIN_PATH, login_page, methods=["GET"]),
        Route(LOGIN_PATH, login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/app", mini_app, methods=["GET"]),
        Route("/login/telegram", login_telegram, methods=["POST"]),
    ]
