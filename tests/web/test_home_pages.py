"""handlers/web/home.py and handlers/web/figures.py through Starlette's TestClient on the services
of a real SQLite file. A test middleware inside the login's session middleware sets
`request.state.viewer` to the member the test chooses (none: logged out)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import openpyxl
import pytest
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient

from bot.domain.summary import IsoWeek
from bot.jobs.summaries import local_summary
from bot.metrics import Prometheus
from bot.notices.appraisal import percent
from bot.services import Services
from bot.usecases import appraisal, reports
from bot.usecases.results import Done
from handlers.web import figures, home, pages, server
from handlers.web.context import Web
from handlers.web.viewer import Viewer
from tests.conftest import COMMUNITY, PROPERTY, RESIDENT, RESIDENT_2, STREET, WORKER_G1, WORKER_G2

TILES = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"


class Login:
    """Who the test middleware says is logged in (None: nobody)."""

    user_id: int | None = None


@pytest.fixture
def login() -> Login:
    return Login()


@pytest.fixture
def client(services: Services, login: Login) -> Iterator[TestClient]:
    web = Web(services, None, Prometheus(), services.clock())  # type: ignore[arg-type]
    app = server.build(web, [pages.routes, home.routes, figures.routes])

    async def as_viewer(request: Request, call_next: RequestResponseEndpoint) -> Response:
        if login.user_id is not None:
            staff = await services.people.staff(login.user_id)
            assert staff is not None
            request.state.viewer = Viewer(staff, "zh", "tok", "s")
        return await call_next(request)

    app.user_middleware.clear()  # as_viewer stands in for the session middleware
    app.add_middleware(BaseHTTPMiddleware, dispatch=as_viewer)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def with_tiles(services: Services) -> None:
    web = services.settings.web.model_copy(
        update={"tiles_url": TILES, "tiles_subdomains": "abc", "tiles_attribution": "© 测试"}
    )
    services.settings = services.settings.model_copy(update={"web": web})


async def file(services: Services, unit: str, category: str = "litter", who: int = RESIDENT) -> str:
    report = await reports.submit(
        services,
        reporter_id=who,
        entered_by=None,
        category=category,
        unit=unit,
        description="门口堆满杂物，电话 13912345678",
        photos=["p1"],
        contact="13912345678",
    )
    return report.number


def count_of(html: str, css: str) -> int:
    match = re.search(rf'class="count {css}"><span class="n">([^<]*)<', html)
    assert match, css
    return int(match[1])


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}"><span class="n">([^<]*)<', html)
    assert match, name
    return match[1]


async def test_without_a_session_every_page_sends_the_browser_to_the_login(client: TestClient):
    for path in ("/", "/cases.geojson", "/figures", "/figures.xlsx"):
        answer = client.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, "/login"), path


async def test_the_home_page_counts_open_cases_by_tier_and_overdue(
    client: TestClient, login: Login, services: Services
):
    await file(services, "B1")
    await file(services, "B3")
    referred = await file(services, "B2")
    await reports.refer_up(
        services, int(referred[1:]), by=WORKER_G1, at=services.clock(), reason="需社区协调"
    )
    services.clock.advance(days=30)  # type: ignore[attr-defined]
    await file(services, "B1")  # on time
    login.user_id = STREET

    html = client.get("/").text

    assert count_of(html, "total") == 4
    assert count_of(html, "tier-grid") == 3
    assert count_of(html, "tier-community") == 1
    assert count_of(html, "tier-street") == count_of(html, "tier-district") == 0
    assert count_of(html, "overdue") == 3


async def test_without_tiles_the_page_lists_the_open_cases_with_links_and_no_map(
    client: TestClient, login: Login, services: Services
):
    number = await file(services, "B1")
    login.user_id = WORKER_G1

    answer = client.get("/")

    assert answer.status_code == 200
    assert f'<a href="/cases/{number}">{number}</a>' in answer.text
    assert 'id="map"' not in answer.text and "leaflet" not in answer.text
    assert "第一网格 / 1栋" in answer.text and "环境卫生" in answer.text
    assert "13912345678" not in answer.text and "门口堆满杂物" not in answer.text
    assert "script-src" not in answer.headers["content-security-policy"]  # default-src 'self'


async def test_with_tiles_the_page_holds_a_map_fed_by_the_pins_and_no_inline_script(
    client: TestClient, login: Login, services: Services
):
    await file(services, "B1")
    with_tiles(services)
    login.user_id = WORKER_G1

    answer = client.get("/")
    html = answer.text

    assert 'id="map"' in html
    assert f'data-tiles="{TILES}"' in html and 'data-subdomains="abc"' in html
    assert 'data-attribution="© 测试"' in html and 'data-pins="/cases.geojson"' in html
    assert '<script src="/static/vendor/leaflet/leaflet.js" defer></script>' in html
    assert '<script src="/static/map.js" defer></script>' in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None  # CSP: no inline script
    assert "style=" not in html
    assert "http://127.0.0.1:9" in answer.headers["content-security-policy"]
    assert '<table class="open-cases"' not in html
    for path in ("/static/map.js", "/static/vendor/leaflet/leaflet.js", "/static/overview.css"):
        assert client.get(path).status_code == 200, path


async def test_the_map_has_a_legend_in_words_and_the_counts_open_the_list_they_count(
    client: TestClient, login: Login, services: Services
):
    await file(services, "B1")
    with_tiles(services)
    login.user_id = COMMUNITY

    html = client.get("/").text
    legend = html[html.index('<ul class="legend map-legend"') : html.index("</ul>")]

    # without a colour-emoji font 🟢 is a box: each colour is named in words
    for words in ("网格（绿）", "社区（黄）", "街道（蓝）", "区（红）", "黑色粗圈：已超期"):
        assert words in legend, words
    assert '<span class="swatch tier-street"></span>' in legend
    assert '<a href="/cases?tier=grid" class="count tier-grid">' in html
    assert '<a href="/cases?overdue=1" class="count overdue">' in html
    assert "已超期" in html and "已超时" not in html  # the word the case list uses


async def test_the_geojson_holds_the_viewers_pins_only_without_personal_data(
    client: TestClient, login: Login, services: Services
):
    mine = await file(services, "B1")
    theirs = await file(services, "B3")
    flat = await file(services, "B2", "property")

    login.user_id = WORKER_G1
    worker = client.get("/cases.geojson")
    login.user_id = PROPERTY
    partner = client.get("/cases.geojson").json()
    login.user_id = WORKER_G2
    other = client.get("/cases.geojson").json()

    assert worker.headers["content-type"].startswith("application/geo+json")
    body = worker.json()
    features = {f["properties"]["number"]: f for f in body["features"]}
    assert set(features) == {mine, flat}
    assert features[mine]["geometry"] == {"type": "Point", "coordinates": [114.3, 30.6]}
    assert features[mine]["properties"] == {
        "number": mine,
        "tier": "grid",
        "status": "open",
        "category": "环境卫生",
        "place": "青山街道 / 春晖社区 / 第一网格 / 1栋",
        "overdue": False,
        "url": f"/cases/{mine}",
    }
    assert (body["capped"], body["open"]) == (False, 2)
    assert "13912345678" not in worker.text and "门口" not in worker.text
    assert str(RESIDENT) not in worker.text
    assert [f["properties"]["number"] for f in partner["features"]] == [flat]
    assert [f["properties"]["number"] for f in other["features"]] == [theirs]


async def test_another_units_cases_are_absent_from_the_home_page(
    client: TestClient, login: Login, services: Services
):
    mine = await file(services, "B1")
    theirs = await file(services, "B3")
    login.user_id = WORKER_G2

    html = client.get("/").text

    assert theirs in html and mine not in html
    assert count_of(html, "total") == 1


async def finished_cases(services: Services) -> None:
    """Two reports at 第一网格, one at 第二网格, handled and rated on the same day."""
    clock = services.clock
    quick = int((await file(services, "B1"))[1:])
    slow = int((await file(services, "B2"))[1:])
    other = int((await file(services, "B3", who=RESIDENT_2))[1:])
    await file(services, "B1")  # still open
    for report, worker, who, stars, hours in (
        (quick, WORKER_G1, RESIDENT, 5, 1),
        (slow, WORKER_G1, RESIDENT, 3, 5),
        (other, WORKER_G2, RESIDENT_2, 4, 2),
    ):
        await reports.accept(services, report, by=worker, at=clock())
        clock.advance(hours=hours)  # type: ignore[attr-defined]
        await reports.resolve(services, report, by=worker, at=clock(), photo="a", note="好了")
        await reports.verify(services, report, by=who, at=clock(), stars=stars)


async def test_the_figures_are_the_ones_the_chat_gives_for_the_same_data(
    client: TestClient, login: Login, services: Services
):
    await finished_cases(services)
    now = services.clock()
    shown = await appraisal.show(services, COMMUNITY, "2026-11", at=now)
    assert isinstance(shown, Done)
    month = shown.value.report.figures
    text, _ = await local_summary(services, "C1", IsoWeek.containing(now, services.tz), "zh", now)
    login.user_id = COMMUNITY

    html = client.get("/figures?period=month").text

    assert figure(html, "received") == str(month.received) == "4"
    assert figure(html, "completion") == percent(month.completion_rate, services.texts, "zh")
    assert figure(html, "completion") == "75%"
    assert figure(html, "on_time") == percent(month.on_time_rate, services.texts, "zh")
    stars = re.search(r"平均评分 ([0-9.]+) ★", text)
    resolve = re.search(r"处置用时中位数 (\S+ \S+)", text)
    assert stars and resolve
    assert figure(html, "stars") == f"{stars[1]} ★" == "4.0 ★"
    assert figure(html, "resolve") == resolve[1] == "6 小时"  # from submission: 1, 6 and 8 hours
    assert 'data-unit="G1"' in html and 'data-unit="G2"' in html
    assert re.search(r'data-unit="G1">.*?<td class="num">3</td>', html, re.S)
    assert '<svg viewBox="0 0 640' in html and 'role="img"' in html
    assert "<title" in html and "环境卫生: 4" in html
    # both bar charts (units' rates, categories) are drawn, each bar a rect beside its value
    assert 'id="rates-title"' in html and 'id="kinds-chart"' in html
    assert html.count('<rect class="bar"') >= 3  # G1 and G2's rates, the one category


async def test_the_period_changes_what_is_counted(
    client: TestClient, login: Login, services: Services
):
    await finished_cases(services)
    login.user_id = COMMUNITY

    month = client.get("/figures?period=month").text
    last_month = client.get("/figures?period=last_month").text
    ninety = client.get("/figures?period=90d").text

    assert figure(last_month, "received") == "0"
    assert figure(ninety, "received") == "4"
    assert 'aria-current="page">近 90 天' in ninety
    assert "2026-W48 (2026-11-23 – 2026-11-24)" in month  # up to now (Tuesday): no weeks to come
    assert "2026-W49" not in month and "2026-W44 (2026-11-01 – 2026-11-01)" in month


async def test_figures_of_another_unit_or_for_a_partner_are_forbidden_and_bad_periods_400(
    client: TestClient, login: Login, services: Services
):
    login.user_id = WORKER_G1
    own = client.get("/figures?unit=G1")
    colleague = client.get("/figures?unit=G2")
    above = client.get("/figures?unit=C1")
    unknown = client.get("/figures?unit=NOPE")
    workbook = client.get("/figures.xlsx?unit=G2")
    bad = client.get("/figures?period=forever")
    login.user_id = PROPERTY
    partner = client.get("/figures")

    assert own.status_code == 200
    assert [r.status_code for r in (colleague, above, unknown, workbook, partner)] == [403] * 5
    assert "您没有权限" in colleague.text
    assert bad.status_code == 400 and "无法识别所选的统计时段" in bad.text
    rules = await services.store.db.fetchall("SELECT rule, target FROM refusals ORDER BY id")
    assert [r[0] for r in rules] == ["figures_view"] * 5
    assert [r[1] for r in rules] == ["unit:G2", "unit:C1", None, "unit:G2", "unit:C1"]


async def test_the_xlsx_is_the_monthly_workbook_for_the_unit_and_period(
    client: TestClient, login: Login, services: Services
):
    await finished_cases(services)
    login.user_id = STREET

    answer = client.get("/figures.xlsx?period=month&unit=C1")

    assert answer.status_code == 200
    assert 'filename="figures-C1-2026-11.xlsx"' in answer.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
    cells = {str(c) for sheet in book.worksheets for row in sheet.values for c in row}
    assert {"G1", "第一网格", "G2", "第二网格"} <= cells  # 下级单位: each unit below C1


@pytest.mark.parametrize(("who", "figures"), [(PROPERTY, False), (COMMUNITY, True)])
def test_the_nav_marks_the_page_and_offers_figures_only_to_whom_it_shows_them(
    client: TestClient, login: Login, who: int, figures: bool
):
    login.user_id = who
    html = client.get("/").text

    assert '<a href="/" aria-current="page">总览</a>' in html
    assert '<a href="/cases">案件</a>' in html
    assert ('href="/figures"' in html) is figures
    assert (client.get("/figures").status_code == 200) is figures
