"""The staff dashboard's case pages: /cases (filters, table, paging; htmx swaps only the table),
/cases/{number} (detail, history, photos, actions), its photos through the Bot API, and the
worker card's moves as POST forms (Post/Redirect/Get with a flash). Every page is staff_only;
what a member sees is bot/usecases/dashboard.py's, what they may do the move's use case's."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.domain.deadlines import Span
from bot.domain.reports import Action, Status
from bot.notices.reports import span_label
from bot.usecases import dashboard
from bot.usecases import reports as moves
from bot.usecases.dashboard import Filters
from bot.usecases.results import Done, Refused
from handlers.reports import extension
from handlers.web.context import Web
from handlers.web.pages import render
from handlers.web.photos import PhotoCache, content_type
from handlers.web.viewer import Viewer, staff_only, viewer_of

log = logging.getLogger(__name__)

TIER_MARK = {"grid": "🟢", "community": "🟡", "street": "🔵", "district": "🔴"}
NOTE_LIMIT = 500  # a reason, as the chat's worker_press.NOTE_LIMIT
FIELD_LIMIT = 64  # characters of a filter value; longer is refused before any query
FLASHES = 1000  # pending flashes kept (one a session, shown on the next page)


class BadInput(Exception):
    """A query value the list does not take: answered 400 with the catalog text KEY."""

    def __init__(self, key: str, **params: object):
        super().__init__(key)
        self.key, self.params = key, params


def filters_of(request: Request) -> tuple[Filters, int]:
    """The list's filters and page from REQUEST's query; BadInput for a value it cannot be."""
    query = request.query_params
    values = {name: query.get(name, "") for name in ("unit", "category", "state", "tier")}
    for name, value in values.items():
        if len(value) > FIELD_LIMIT:
            raise BadInput("dashboard.bad_filter", field=name)
    page_text = query.get("page", "1") or "1"
    if not re.fullmatch(r"\d{1,4}", page_text):
        raise BadInput("dashboard.bad_page", max=dashboard.MAX_PAGE)
    overdue = query.get("overdue", "")
    if overdue not in ("", "1", "on"):
        raise BadInput("dashboard.bad_filter", field="overdue")
    filters = Filters(
        unit=values["unit"],
        category=values["category"],
        state=values["state"] or "open",
        tier=values["tier"],
        overdue=bool(overdue),
    )
    return filters, int(page_text)


def query_of(filters: Filters, page: int) -> str:
    """The list's URL query for FILTERS at PAGE (bookmarkable; only what is set)."""
    pairs: list[tuple[str, str]] = [
        (k, v)
        for k, v in (
            ("unit", filters.unit),
            ("category", filters.category),
            ("state", filters.state if filters.state != "open" else ""),
            ("tier", filters.tier),
            ("overdue", "1" if filters.overdue else ""),
            ("page", str(page) if page != 1 else ""),
        )
        if v
    ]
    return urlencode(pairs)


def refusal_text(web: Web, viewer: Viewer, refused: Refused) -> str:
    """A use case's refusal in the words the chat uses (a status named in the viewer's language)."""
    params: dict[str, Any] = dict(refused.params)
    status = params.get("status")
    if isinstance(status, Status):
        params["status"] = web.services.texts(f"status.{status.value}", viewer.lang)
    return web.services.texts(refused.key, viewer.lang, **params)


class Dashboard:
    """The case pages on WEB, with the photo cache and the flashes they share."""

    def __init__(self, web: Web):
        self.web = web
        self.photos = PhotoCache()
        self.flashes: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def _viewer(self, request: Request) -> Viewer:
        viewer = viewer_of(request)
        assert viewer is not None  # staff_only let the request in
        return viewer

    def _now(self) -> datetime:
        return self.web.services.clock()

    def _common(self, viewer: Viewer) -> dict[str, Any]:
        tz = self.web.services.tz

        def local(at: datetime | None) -> str:
            return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else ""

        return {"tier_mark": TIER_MARK, "local": local}

    # The list ---------------------------------------------------------------------------------

    async def cases(self, request: Request) -> Response:
        viewer = self._viewer(request)
        partial = request.headers.get("hx-request") == "true"
        template = "_cases_table.html" if partial else "cases.html"
        try:
            filters, page = filters_of(request)
        except BadInput as bad:
            return self._bad(request, template, Filters(), bad.key, bad.params)
        outcome = await dashboard.cases(
            self.web.services, viewer.staff.user_id, filters, page, at=self._now()
        )
        if isinstance(outcome, Refused):
            return self._bad(request, template, filters, outcome.key, dict(outcome.params))
        found = outcome.value
        return render(
            self.web,
            request,
            template,
            filters=filters,
            found=found,
            error=None,
            cap=dashboard.COUNT_CAP,
            names={c.code: c.name(viewer.lang) for c in found.categories},
            states=dashboard.STATES,
            previous=query_of(filters, page - 1) if page > 1 else None,
            next=query_of(filters, page + 1) if found.has_next else None,
            **self._common(viewer),
        )

    def _bad(
        self, request: Request, template: str, filters: Filters, key: str, params: dict[str, Any]
    ) -> Response:
        viewer = self._viewer(request)
        if "field" in params:  # the filter as the form labels it, not its query name
            field = f"dashboard.filter.{params['field']}"
            params = {**params, "field": self.web.services.texts(field, viewer.lang)}
        return render(
            self.web,
            request,
            template,
            status=400,
            filters=filters,
            found=None,
            error=(key, params),
            cap=dashboard.COUNT_CAP,
            names={},
            states=dashboard.STATES,
            previous=None,
            next=None,
            **self._common(viewer),
        )

    # One case ---------------------------------------------------------------------------------

    async def case(self, request: Request) -> Response:
        viewer = self._viewer(request)
        number = request.path_params["number"]
        outcome = await dashboard.case(self.web.services, viewer.staff.user_id, number)
        if isinstance(outcome, Refused):
            return self._not_found(request)
        view = outcome.value
        categories = {c.code: c for c in await self.web.services.units.categories()}
        category = categories.get(view.report.category)
        return render(
            self.web,
            request,
            "case.html",
            view=view,
            category=category.name(viewer.lang) if category else view.report.category,
            flash=self.flashes.pop(viewer.session, None),
            Action=Action,
            spans=[
                (code, span_label(self.web.services, Span.parse(code), viewer.lang))
                for code in extension.CHOICES
            ],
            overdue=view.report.status.is_open
            and view.report.due_at is not None
            and view.report.due_at < self._now(),
            **self._common(viewer),
        )

    def _not_found(self, request: Request) -> Response:
        return render(
            self.web, request, "error.html", status=404, key=dashboard.NOT_FOUND, params={}
        )

    async def photo(self, request: Request) -> Response:
        viewer = self._viewer(request)
        number, n = request.path_params["number"], request.path_params["n"]
        outcome = await dashboard.photo(self.web.services, viewer.staff.user_id, number, n)
        if isinstance(outcome, Refused):
            return self._not_found(request)
        file_id = outcome.value
        content = self.photos.get(file_id)
        if content is None:
            try:
                file = await self.web.application.bot.get_file(file_id)
                content = bytes(await file.download_as_bytearray())
            except Exception as error:  # Telegram down, file gone: a placeholder, never a trace
                log.warning("photo of a report could not be fetched: %s", type(error).__name__)
                text = self.web.services.texts("dashboard.photo_failed", viewer.lang)
                return Response(
                    text,
                    status_code=502,
                    media_type="text/plain; charset=utf-8",
                    headers={"Cache-Control": "no-store"},
                )
            self.photos.put(file_id, content)
        return Response(
            content,
            media_type=content_type(content),
            headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    # Moves (the worker card's, through the same use cases) -----------------------------------

    async def act(self, request: Request) -> Response:
        viewer = self._viewer(request)
        number, verb = request.path_params["number"], request.path_params["verb"]
        seen = await dashboard.case(self.web.services, viewer.staff.user_id, number)
        if isinstance(seen, Refused):
            return self._not_found(request)
        report = seen.value.report
        form = await request.form()
        services, by, at = self.web.services, viewer.staff.user_id, self._now()
        outcome: Done[Any] | Refused
        if verb == "accept":
            outcome = await moves.accept(services, report.id, by=by, at=at, attempted="web:accept")
        elif verb == "transfer":
            to = str(form.get("to", ""))
            if not re.fullmatch(r"\d{1,15}", to):
                outcome = Refused("dashboard.choose_target")
            else:
                outcome = await moves.transfer(
                    services, report.id, by=by, to_user=int(to), at=at, attempted="web:transfer"
                )
        elif verb == "refer_up":
            reason = str(form.get("reason", "")).strip()
            if not reason:
                outcome = Refused("dashboard.reason_needed", {"limit": NOTE_LIMIT})
            elif len(reason) > NOTE_LIMIT:
                outcome = Refused(
                    "dashboard.reason_too_long", {"length": len(reason), "limit": NOTE_LIMIT}
                )
            else:
                outcome = await moves.refer_up(
                    services, report.id, by=by, at=at, reason=reason, attempted="web:refer_up"
                )
        elif verb == "extension":
            outcome = await self._ask_more_time(
                viewer, report.id, str(form.get("span", "")), str(form.get("reason", "")).strip()
            )
        elif verb == "resolve":
            outcome = await dashboard.start_resolve(services, number, by=by, at=at)
        else:
            return self._not_found(request)
        if isinstance(outcome, Refused):
            self._flash(viewer, "error", refusal_text(self.web, viewer, outcome))
        else:
            done = services.texts(f"dashboard.done.{verb}", viewer.lang, number=report.number)
            self._flash(viewer, "ok", done)
        return RedirectResponse(f"/cases/{report.number}", status_code=303)

    async def _ask_more_time(
        self, viewer: Viewer, report_id: int | None, span: str, reason: str
    ) -> Done[Any] | Refused:
        """申请延期 as the card's flow makes it: one of its durations and a typed reason."""
        if span not in extension.CHOICES:
            return Refused("dashboard.choose_span")
        if not extension.REASON_MIN <= len(reason) <= extension.REASON_LIMIT:
            return Refused(
                "dashboard.extension_reason_needed",
                {"min": extension.REASON_MIN, "limit": extension.REASON_LIMIT},
            )
        return await moves.request_extension(
            self.web.services,
            report_id,
            by=viewer.staff.user_id,
            at=self._now(),
            span=Span.parse(span),
            reason=reason,
        )

    def _flash(self, viewer: Viewer, kind: str, text: str) -> None:
        self.flashes[viewer.session] = (kind, text)
        self.flashes.move_to_end(viewer.session)
        while len(self.flashes) > FLASHES:
            self.flashes.popitem(last=False)


def routes(web: Web) -> list[BaseRoute]:
    pages = Dashboard(web)
    return [
        Route("/cases", staff_only(pages.cases), methods=["GET"]),
        Route("/cases/{number}", staff_only(pages.case), methods=["GET"]),
        Route("/cases/{number}/photos/{n:int}", staff_only(pages.photo), methods=["GET"]),
        Route("/cases/{number}/{verb}", staff_only(pages.act), methods=["POST"]),
    ]
