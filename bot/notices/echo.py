"""What the 回音壁 channel and the reporter's consent question say (outbox rows)."""

from __future__ import annotations

from bot.domain.categories import Category
from bot.domain.echo import EchoPost
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard
from bot.texts import Texts
from storage.outbox import Outgoing

CAPTION = 1024  # Telegram's caption limit; a longer post goes as a text after the photos


def consent_question(
    texts: Texts, lang: str, chat_id: int, report_id: int, number: str
) -> Outgoing:
    """Returns "may we show your before/after photos on the 回音壁?" with yes / no (default no)."""
    markup = keyboard(
        [
            [button(texts("echo.photos_yes", lang), "report", "photos", report_id, 1)],
            [button(texts("echo.photos_no", lang), "report", "photos", report_id, 0)],
        ]
    )
    text = texts("echo.ask_photos", lang, number=number)
    return outgoing.card(chat_id, consent_key(report_id), text, markup=markup)


def consent_answered(
    texts: Texts, lang: str, chat_id: int, report_id: int, number: str, *, allow: bool
) -> Outgoing:
    """Returns the question edited to show the answer, without its buttons."""
    answer = texts("echo.photos_allowed" if allow else "echo.photos_refused", lang)
    text = texts("echo.ask_photos", lang, number=number) + "\n\n" + answer
    return outgoing.card(chat_id, consent_key(report_id), text)


def consent_key(report_id: int) -> str:
    return f"echo-ask:{report_id}"


def post_messages(
    texts: Texts, lang: str, channel: int, post: EchoPost, category: Category | None
) -> list[Outgoing]:
    """Returns the channel post: the photos with the text as caption (an album: on the first
    photo), or the text alone when there are no photos to show."""
    reply = post.reply if post.reply is not None else texts("echo.no_reply", lang)
    stars = "⭐" * post.stars if post.stars else ""
    text = texts(
        "echo.post",
        lang,
        number=post.number,
        category=category.name(lang) if category else post.category,
        place=post.place or texts("echo.no_place", lang),
        stars=stars,
        reply=reply,
    )
    if not post.photos:
        return [outgoing.message(channel, text)]
    fits = len(text) <= CAPTION
    caption = {"caption": text, "parse_mode": "HTML"} if fits else {}
    if post.report_id is not None:  # one picture: before and after side by side
        labels = (texts("notice.photo_before", lang), texts("notice.photo_after", lang))
        picture = outgoing.before_after_picture(post.report_id, labels)
        messages = [Outgoing(channel, "sendPhoto", {"photo": picture, **caption})]
    elif len(post.photos) == 1:
        messages = [Outgoing(channel, "sendPhoto", {"photo": post.photos[0], **caption})]
    else:
        media = [{"type": "photo", "media": file_id} for file_id in post.photos]
        media[0].update(caption)
        messages = [Outgoing(channel, "sendMediaGroup", {"media": media})]
    return messages if fits else [*messages, outgoing.message(channel, text)]
