"""What the browser tests share: reading how text was laid out, logging in from the bot's link
(not a test module)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from playwright.async_api import Page

from tests.e2e.web import Site, login_link

# Debian's chromium, headless on a closed network: every background connection it would try is
# refused here, so it is told not to (Playwright cannot download a browser of its own here).
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root in a container without user namespaces
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
MISSING = "the browser tests need Debian's package (apt-get install chromium; .ci/run installs it)"

# Widths of the first element matching a selector's text, and of as many characters no font has
# (U+0378 is unassigned: chromium draws each as a "tofu" box) in the same computed font.
_MEASURE = """(selector) => {
  const element = document.querySelector(selector);
  if (element === null) return null;
  const style = getComputedStyle(element);
  const text = element.textContent.trim();
  const range = document.createRange();
  range.selectNodeContents(element);
  const probe = document.createElement("span");
  probe.style.font = style.font;  // CSP: a style set from script, not a style="" attribute
  probe.style.whiteSpace = "pre";
  probe.textContent = "\\u0378".repeat([...text].length);
  document.body.appendChild(probe);
  const tofu = probe.getBoundingClientRect().width;
  probe.remove();
  return {text, width: range.getBoundingClientRect().width, tofu,
          size: parseFloat(style.fontSize), family: style.fontFamily};
}"""


@dataclass(frozen=True)
class Layout:
    text: str
    width: float  # of the text as laid out
    tofu: float  # of as many boxes for missing glyphs
    size: float  # the font size in px
    family: str  # the computed font-family list


async def layout_of(page: Page, selector: str) -> Layout:
    """Returns how the text of SELECTOR's first match was laid out; fails if nothing matches."""
    measured = await page.evaluate(_MEASURE, selector)
    assert measured is not None, f"nothing matches {selector!r} on {page.url}"
    return Layout(**measured)


def has_real_glyphs(layout: Layout) -> bool:
    """Tells whether Chinese text was drawn from a CJK font: each character one em wide
    (every CJK font's advance), not the narrower box of a missing glyph."""
    em = layout.size * len(layout.text)
    return abs(layout.width - em) <= 0.05 * em and layout.tofu < 0.8 * em


async def follow(page: Page, link: str) -> None:
    """Opens a login LINK in PAGE as a person would, confirming on the login page if it asks
    (a form posting to /login: link previews must not spend a single-use link)."""
    await page.goto(link)
    confirm = page.locator("form[action^='/login'] [type=submit]")
    if urlsplit(page.url).path == "/login" and await confirm.count():
        await confirm.first.click()
        await page.wait_for_load_state()


async def log_in(page: Page, site: Site, staff_id: int) -> str:
    """Asks the bot for STAFF_ID's login link with /web (through the fake Bot API), follows it
    in PAGE and waits until the browser has left /login; returns the link."""
    link = await login_link(site.fake, staff_id)
    await follow(page, link)
    await page.wait_for_url(lambda url: urlsplit(url).path != "/login")
    return link
