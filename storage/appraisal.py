"""Report histories for appraisal, read as of a period's end, and the monthly posts' claims.

A period's histories are read CHUNK of reports at a time (reports created in those hours,
through summary_reports_created, or figures_reports_unit_created for a unit subtree, and their
events up to the period's end through report_events_report), and one chunk's rows are alive at a
time, so memory stays bounded whatever the month's size: on the bench's 1,000,000 reports a
day's chunk was ~53,000 rows (~50 MB as rows), two of them alive at once, and the arenas they
fragmented stayed with the bot after the monthly 通报 (bench/README.md section 6).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.domain.appraisal import History, Step
from storage import outbox
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing
from storage.outbox_files import add_file
from storage.summaries import scoped

CHUNK = timedelta(hours=4)

_HISTORIES = """
SELECT r.id AS id, r.unit AS unit, r.category AS category, r.created_at AS created_at,
       e.action AS action, e.new AS new, e.actor_id AS actor_id, e.at AS at, e.due_at AS due_at,
       CASE e.action WHEN 'confirm' THEN json_extract(e.data, '$.stars') END AS stars,
       CASE e.action WHEN 'transfer' THEN json_extract(e.data, '$.to') END AS target,
       CASE e.action WHEN 'revisit_answer' THEN json_extract(e.data, '$.satisfied') END AS answer
FROM reports r {created}
JOIN report_events e ON e.report_id = r.id
WHERE r.created_at >= :start AND r.created_at < :end AND e.at <= :as_of {units}
ORDER BY r.id, e.id
"""

# Files kept with a 通报: a chart and an XLSX per recipient chat.
Files = Sequence[tuple[str, bytes]]


def _step(row: Any) -> Step:
    due_text = row["due_at"]
    return Step(
        action=row["action"],
        new=row["new"],
        actor_id=row["actor_id"],
        at=from_db(row["at"]),  # type: ignore[arg-type]
        due=from_db(due_text) if due_text else None,
        due_known=due_text is not None,
        stars=int(row["stars"]) if row["stars"] is not None else None,
        to=int(row["target"]) if row["target"] is not None else None,
        satisfied=None if row["answer"] is None else int(row["answer"]) != 0,
    )


def _histories(rows: Sequence[Any]) -> list[History]:
    """Returns the histories in ROWS (_HISTORIES' columns, ordered by report and event).

    Runs in a worker thread (a day of a big office is tens of thousands of rows, and updates
    keep flowing on the event loop); columns are read by position, datetimes parsed once."""
    parse = datetime.fromisoformat
    histories: list[History] = []
    steps: list[Step] = []
    first: Any = None
    for row in rows:
        if first is None or row[0] != first[0]:
            if first is not None:
                histories.append(
                    History(first[0], first[1], first[2], parse(first[3]), tuple(steps))
                )
            first, steps = row, []
        due_text, stars, target, answer = row[8], row[9], row[10], row[11]
        steps.append(
            Step(
                action=row[4],
                new=row[5],
                actor_id=row[6],
                at=parse(row[7]),
                due=parse(due_text) if due_text else None,
                due_known=due_text is not None,
                stars=int(stars) if stars is not None else None,
                to=int(target) if target is not None else None,
                satisfied=None if answer is None else int(answer) != 0,
            )
        )
    if first is not None:
        histories.append(_history(first, steps))
    return histories


class Appraisals:
    def __init__(self, db: Database):
        self.db = db

    async def histories(
        self,
        start: datetime,
        end: datetime,
        as_of: datetime,
        units: Sequence[str] | None = None,
    ) -> AsyncIterator[list[History]]:
        """Yields, CHUNK at a time, the histories of reports created in [START, END) (at UNITS
        only, if given), each with its events up to AS_OF. The caller drops each chunk before
        asking for the next (`del`): only then is one chunk alive at a time."""
        scope, names = scoped(units or None)
        sql = _HISTORIES.format(**scope)
        day = start
        while day < end:
            until = min(day + CHUNK, end)
            rows = await self.db.fetchall(
                sql, {"start": to_db(day), "end": to_db(until), "as_of": to_db(as_of), **names}
            )
            chunk = await asyncio.to_thread(_histories, rows)
            del rows  # the rows are the bulk: gone before the next chunk's are read
            yield chunk
            del chunk
            day = until

    async def claimed(self, month: str) -> set[tuple[str, str]]:
        """Returns the (unit, kind) pairs whose MONTH post was already queued."""
        rows = await self.db.fetchall(
            "SELECT unit, kind FROM appraisal_sent WHERE month = ?", (month,)
        )
        return {(row["unit"], row["kind"]) for row in rows}

    async def queue(
        self,
        unit: str,
        month: str,
        kind: str,
        at: datetime,
        files: Mapping[int, Files],
        messages: Callable[[dict[int, list[dict[str, int]]]], Sequence[Outgoing]],
    ) -> bool:
        """Claims (UNIT, MONTH, KIND) and queues its FILES (per chat) and MESSAGES(file refs
        per chat) in one commit; False, writing nothing, if it was queued before."""
        async with self.db.transaction(completes_update=False) as conn:
            cursor = await conn.execute(
                "INSERT INTO appraisal_sent (unit, month, kind, queued_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (unit, month, kind) DO NOTHING",
                (unit, month, kind, to_db(at)),
            )
            if cursor.rowcount != 1:
                return False
            refs: dict[int, list[dict[str, int]]] = {}
            for chat_id, chat_files in files.items():
                refs[chat_id] = [
                    await add_file(conn, chat_id, name, data, at) for name, data in chat_files
                ]
            await outbox.add(conn, list(messages(refs)), at)
        return True


def _history(first: Any, steps: list[Step]) -> History:
    return History(first[0], first[1], first[2], datetime.fromisoformat(first[3]), tuple(steps))
