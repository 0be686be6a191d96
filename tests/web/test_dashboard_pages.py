"""handlers/web/dashboard.py over HTTP (httpx on the ASGI app) with the real Application and a
recording Bot API: the case list and its filters, the case page, photo bytes through getFile,
the worker card's moves (the reporter's notice queued), bad input 400, another unit's case 404.

Until the login's session middleware lands, a test middleware sets `request.state.viewer`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.metrics import Prometheus
from bot.services import Services
from bot.usecases.reports import accept, submit
from handlers.web import dashboard, pages, server
from handlers.web.context import Web
from handlers.web.viewer import Viewer
from tests import updates
from tests.conftest import COMMUNITY, PROPERTY, RESIDENT, WORKER_G1, WORKER_G2, Harness

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


class AsViewer:
    """Sets `request.state.viewer` to whoever `as_` last named (None: no session)."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.viewer: Viewer | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.viewer is not None:
            scope.setdefault("state", {})["viewer"] = self.viewer
        await self.app(scope, receive, send)


class Site:
    def __init__(
        self,
        harness: Harness,
        client: httpx.AsyncClient,
        gate: AsViewer,
        services: Services | None = None,
    ):
        self.harness, self.client, self.gate = harness, client, gate
        self.services = services or harness.services

    async def as_(self, user_id: int | None, lang: str = "zh") -> None:
        if user_id is None:
            self.gate.viewer = None
            return
        staff = await self.services.people.staff(user_id)
        assert staff is not None
        self.gate.viewer = Viewer(staff, lang, "tok", f"s{user_id}")

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.client.get(url, **kw)

    async def post(self, url: str, data: dict[str, str] | None = None) -> httpx.Response:
        return await self.client.post(url, data={"csrf": "tok", **(data or {})})


@pytest.fixture
async def site(harness: Harness) -> AsyncIterator[Site]:
    web = Web(harness.services, harness.app, Prometheus(), harness.clock())
    app = server.build(web, [pages.routes, dashboard.routes])
    app.user_middleware.clear()  # AsViewer stands in for the session middleware
    gate = AsViewer(app)
    transport = httpx.ASGITransport(app=gate)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Site(harness, client, gate)


async def report(site: Site, unit: str = "B1", category: str = "litter", text: str = "楼道堆物"):
    return await submit(
        site.services,
        reporter_id=RESIDENT,
        entered_by=None,
        category=category,
        unit=unit,
        description=text,
        photos=["photo-1"],
    )


async def queued_to(site: Site, chat_id: int) -> int:
    row = await site.services.store.db.fetchone(
        "SELECT COUNT(*) FROM outbox WHERE chat_id = ?", (chat_id,)
    )
    assert row is not None
    return int(row[0])


async def test_without_a_session_every_page_sends_to_the_login(site: Site):
    made = await report(site)
    for url in ("/cases", f"/cases/{made.number}", f"/cases/{made.number}/photos/1"):
        answer = await site.get(url)
        assert (answer.status_code, answer.headers["location"]) == (303, "/login"), url
    answer = await site.post(f"/cases/{made.number}/accept")
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


async def test_a_post_without_the_sessions_token_is_forbidden_and_changes_nothing(site: Site):
    made = await report(site)
    await site.as_(WORKER_G1)
    bare = await site.client.post(f"/cases/{made.number}/accept", data={"csrf": "forged"})
    stored = await site.services.reports.get(made.id)

    assert bare.status_code == 403
    assert stored is not None and stored.status.value == "open"


async def test_the_list_shows_the_workers_own_cases_and_nothing_of_other_grids(site: Site):
    mine = await report(site, "B1", text="一号楼道堆物")
    theirs = await report(site, "B3", text="三号楼私密描述")
    await site.as_(WORKER_G1)
    page = await site.get("/cases")

    assert page.status_code == 200
    assert mine.number in page.text and "1栋" in page.text and "🟢" in page.text
    assert theirs.number not in page.text and "3栋" not in page.text
    assert "三号楼私密描述" not in page.text
    assert "content-security-policy" in page.headers
    assert "/static/vendor/htmx/htmx.min.js" in page.text


async def test_a_filter_change_from_htmx_gets_only_the_table(site: Site):
    await report(site, "B1")
    prop = await report(site, "B3", "property")
    await site.as_(COMMUNITY)
    partial = await site.get("/cases?category=property", headers={"HX-Request": "true"})

    assert partial.status_code == 200
    assert partial.text.lstrip().startswith('<section id="cases">')
    assert "<html" not in partial.text
    assert prop.number in partial.text and "R000001" not in partial.text


async def test_the_list_pages_with_links_that_keep_the_filters(site: Site, monkeypatch):
    monkeypatch.setattr("bot.usecases.dashboard.PAGE", 2)
    for _ in range(3):
        await report(site)
    await site.as_(COMMUNITY)
    first = await site.get("/cases?state=all")
    second = await site.get("/cases?state=all&page=2")

    assert "R000003" in first.text and "R000002" in first.text and "R000001" not in first.text
    assert 'href="/cases?state=all&amp;page=2"' in first.text
    assert "R000001" in second.text and 'href="/cases?state=all"' in second.text


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        "page=0",
        "page=abc",
        "page=99999",
        "category=nonsense",
        "state=lost",
        "tier=purple",
        "overdue=maybe",
        "unit=" + "x" * 5000,
        "unit=G2",  # another grid: refused, not widened
    ],
)
async def test_bad_query_values_get_a_clear_400(site: Site, query: str):
    await site.as_(WORKER_G1)
    page = await site.get(f"/cases?{query}")
    assert page.status_code == 400
    assert 'role="alert"' in page.text and "<table" not in page.text


async def test_the_case_page_shows_details_history_photos_and_actions(site: Site):
    made = await report(site)
    await site.as_(WORKER_G1)
    page = await site.get(f"/cases/{made.number}")
    by_id = await site.get(f"/cases/{made.id}")

    assert page.status_code == 200 and by_id.status_code == 200
    assert "楼道堆物" in page.text and "江岸区/青山街道/春晖社区/第一网格/1栋" in page.text
    assert f'src="/cases/{made.number}/photos/1"' in page.text
    assert "上报" in page.text  # the history's first event
    assert f'action="/cases/{made.number}/accept"' in page.text
    assert 'name="csrf" value="tok"' in page.text
    assert "api.telegram.org" not in page.text and "photo-1" not in page.text


@pytest.mark.parametrize("who", [WORKER_G2, PROPERTY])
async def test_another_units_case_is_a_404_like_an_unknown_one(site: Site, who: int):
    made = await report(site, "B1", text="一号楼的私事")
    await site.as_(who)
    for url in (f"/cases/{made.number}", f"/cases/{made.number}/photos/1", "/cases/R999999"):
        answer = await site.get(url)
        assert answer.status_code == 404, url
        assert "一号楼的私事" not in answer.text
    acted = await site.post(f"/cases/{made.number}/accept")
    assert acted.status_code == 404


async def test_a_photo_comes_as_bytes_through_getfile_never_as_a_telegram_url(site: Site):
    site.harness.request.files["photo-1"] = JPEG
    made = await report(site)
    await site.as_(WORKER_G1)
    photo = await site.get(f"/cases/{made.number}/photos/1")
    again = await site.get(f"/cases/{made.number}/photos/1")

    assert photo.status_code == 200 and photo.content == JPEG
    assert photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["cache-control"].startswith("private")
    assert "location" not in photo.headers
    assert again.content == JPEG
    assert len(site.harness.request.sent("getFile")) == 1  # the second came from the cache
    missing = await site.get(f"/cases/{made.number}/photos/2")
    assert missing.status_code == 404


async def test_telegrams_failure_gives_a_502_placeholder(site: Site):
    made = await report(site)
    site.harness.request.fail_next(
        "getFile", 400, {"ok": False, "error_code": 400, "description": "Bad Request: file gone"}
    )
    await site.as_(WORKER_G1)
    photo = await site.get(f"/cases/{made.number}/photos/1")

    assert photo.status_code == 502
    assert "照片暂时无法" in photo.text and "Traceback" not in photo.text


async def test_accepting_in_the_page_moves_it_and_queues_the_reporters_notice(site: Site):
    made = await report(site)
    before = await queued_to(site, RESIDENT)
    await site.as_(WORKER_G1)
    answer = await site.post(f"/cases/{made.number}/accept")
    stored = await site.services.reports.get(made.id)

    assert answer.status_code == 303 and answer.headers["location"] == f"/cases/{made.number}"
    assert stored is not None and stored.status.value == "accepted"
    assert stored.assignee_id == WORKER_G1
    assert await queued_to(site, RESIDENT) > before
    shown = await site.get(f"/cases/{made.number}")
    assert "已接单" in shown.text and f'action="/cases/{made.number}/accept"' not in shown.text
    assert "已接单" not in (await site.get(f"/cases/{made.number}")).text  # shown once


async def test_a_second_press_gets_the_use_cases_refusal(site: Site):
    made = await report(site)
    await site.as_(WORKER_G1)
    await site.post(f"/cases/{made.number}/accept")
    await site.get(f"/cases/{made.number}")  # the first flash
    await site.post(f"/cases/{made.number}/accept")  # a stale page
    page = await site.get(f"/cases/{made.number}")

    assert 'class="notice error"' in page.text
    assert "处置中" in page.text


async def test_transfer_and_refer_up_go_through_the_cards_use_cases(site: Site):
    made = await report(site)
    await accept(site.services, made.id, by=WORKER_G1, at=site.services.clock())
    await site.as_(WORKER_G1)
    page = await site.get(f"/cases/{made.number}")
    assert f'<option value="{WORKER_G2}">' in page.text

    await site.post(f"/cases/{made.number}/transfer", {"to": str(WORKER_G2)})
    moved = await site.services.reports.get(made.id)
    assert moved is not None and moved.assignee_id == WORKER_G2

    await site.as_(WORKER_G2)
    empty = await site.post(f"/cases/{made.number}/refer_up", {"reason": "  "})
    assert empty.status_code == 303
    assert "请填写上报原因" in (await site.get(f"/cases/{made.number}")).text
    await site.post(f"/cases/{made.number}/refer_up", {"reason": "需要社区协调"})
    referred = await site.services.reports.get(made.id)
    assert referred is not None and referred.tier.value == "community"


async def test_resolve_in_the_page_starts_the_chat_flow_and_says_so(site: Site):
    made = await report(site)
    await accept(site.services, made.id, by=WORKER_G1, at=site.services.clock())
    await site.as_(WORKER_G1)
    await site.post(f"/cases/{made.number}/resolve")
    page = await site.get(f"/cases/{made.number}")
    draft = await site.services.drafts.get(WORKER_G1)

    assert draft is not None and (draft.flow, draft.step) == ("resolve", "photo")
    assert "请到与机器人的对话中发送办结照片" in page.text
    await site.harness.deliver()
    assert made.number in site.harness.last_text(WORKER_G1)


async def test_asking_for_more_time_in_the_page_sends_the_request_above(site: Site):
    made = await report(site)
    await accept(site.services, made.id, by=WORKER_G1, at=site.services.clock())
    await site.as_(WORKER_G1)
    page = await site.get(f"/cases/{made.number}")
    assert f'action="/cases/{made.number}/extension"' in page.text
    before = await queued_to(site, COMMUNITY)

    await site.post(f"/cases/{made.number}/extension", {"span": "9d", "reason": "等配件"})
    assert "请选择延期多久" in (await site.get(f"/cases/{made.number}")).text
    await site.post(f"/cases/{made.number}/extension", {"span": "2d", "reason": "等配件"})
    asked = await site.get(f"/cases/{made.number}")
    stored = await site.services.reports.get(made.id)

    assert "延期申请已提交" in asked.text
    assert stored is not None and "extension" in stored.extra
    assert await queued_to(site, COMMUNITY) > before  # the decider's card
    assert f'action="/cases/{made.number}/extension"' not in asked.text  # one pending at a time


async def test_resolve_started_in_the_page_ends_with_the_after_photo_sent_in_chat(site: Site):
    made = await report(site)
    await accept(site.services, made.id, by=WORKER_G1, at=site.services.clock())
    await site.as_(WORKER_G1)
    await site.post(f"/cases/{made.number}/resolve")
    await site.harness.deliver()
    told_before = len(site.harness.texts_to(RESIDENT))

    await site.harness.send(updates.photo(WORKER_G1, "after-1", caption="已清理干净"))
    stored = await site.services.reports.get(made.id)
    page = await site.get(f"/cases/{made.number}")

    assert stored is not None and stored.status.value == "resolved"
    assert stored.resolution_photo == "after-1"
    assert len(site.harness.texts_to(RESIDENT)) > told_before  # the reporter is asked to confirm
    assert f'src="/cases/{made.number}/photos/2"' in page.text  # the after-photo
    assert "已清理干净" in page.text


async def test_the_pages_read_in_english_for_an_english_speaking_member(site: Site):
    made = await report(site)
    await site.as_(WORKER_G1, lang="en")
    listed = await site.get("/cases")
    page = await site.get(f"/cases/{made.number}")
    bad = await site.get("/cases?state=lost")

    assert "Cases" in listed.text and "Waiting to be accepted" in listed.text
    assert "History" in page.text and "Accept" in page.text and "Reported" in page.text
    assert bad.status_code == 400 and "The filter “State”" in bad.text
    assert "案件列表" not in listed.text


async def test_a_bad_filter_is_named_as_the_form_labels_it(site: Site):
    await site.as_(WORKER_G1)
    page = await site.get("/cases?unit=G2")

    assert page.status_code == 400
    assert "筛选条件“单位”" in page.text and "“unit”" not in page.text


async def test_a_refer_up_reason_too_long_is_refused_by_its_length_and_changes_nothing(
    site: Site,
):
    made = await report(site)
    await site.as_(WORKER_G1)
    await site.post(f"/cases/{made.number}/refer_up", {"reason": "长" * 5000})
    page = await site.get(f"/cases/{made.number}")
    stored = await site.services.reports.get(made.id)

    assert "上报原因太长（5000 字，最多 500 字），未上报" in page.text
    assert stored is not None and stored.tier.value == "grid" and stored.holder_unit == "G1"


async def test_waiting_lists_only_the_cases_no_one_has_accepted(site: Site):
    waiting = await report(site, text="没人接的")
    taken = await report(site, text="已接的")
    await accept(site.services, taken.id, by=WORKER_G1, at=site.services.clock())
    await site.as_(COMMUNITY)
    page = await site.get("/cases?state=waiting")

    assert page.status_code == 200 and '<option value="waiting" selected>待接单' in page.text
    assert f">{waiting.number}<" in page.text and f">{taken.number}<" not in page.text


async def test_a_grid_worker_still_sees_their_grids_case_after_referring_it_up(site: Site):
    made = await report(site)  # placed at building B1 of grid G1
    await accept(site.services, made.id, by=WORKER_G1, at=site.services.clock())
    await site.as_(WORKER_G1)
    await site.post(f"/cases/{made.number}/refer_up", {"reason": "需要社区协调"})
    referred = await site.services.reports.get(made.id)
    page = await site.get(f"/cases/{made.number}")
    listed = await site.get("/cases")

    assert (
        referred is not None and referred.holder_unit == "C1" and referred.assignee_id != WORKER_G1
    )
    assert page.status_code == 200 and "上报上级" in page.text  # its history, no longer its actions
    assert f">{made.number}<" in listed.text


async def test_a_transfer_needs_a_target_chosen_and_none_is_preselected(site: Site):
    made = await report(site)
    await accept(site.services, made.id, by=WORKER_G1, at=site.services.clock())
    await site.as_(WORKER_G1)
    page = await site.get(f"/cases/{made.number}")
    await site.post(f"/cases/{made.number}/transfer", {"to": ""})
    after = await site.get(f"/cases/{made.number}")
    stored = await site.services.reports.get(made.id)

    assert (
        '<select name="to" required>\n      <option value="">请选择转派给谁。</option>' in page.text
    )
    assert "请选择转派给谁。" in after.text and 'class="notice error"' in after.text
    assert stored is not None and stored.assignee_id == WORKER_G1


async def test_a_wrong_address_or_method_gets_a_page_in_the_members_words(site: Site):
    made = await report(site)
    await site.as_(WORKER_G1)
    html = {"Accept": "text/html,application/xhtml+xml"}
    lost = await site.get("/nowhere", headers=html)
    opened = await site.get(f"/cases/{made.number}/accept", headers=html)  # a POST's address
    api = await site.get("/nowhere", headers={"Accept": "application/json"})

    assert lost.status_code == 404 and "没有这个页面。" in lost.text
    assert "<title>无法打开 · 网格治理工作台</title>" in lost.text and 'href="/cases"' in lost.text
    assert opened.status_code == 405 and "用页面上的按钮办理" in opened.text
    assert api.status_code == 404 and api.text == "Not Found"  # API clients: plain text
