"""The labelled reply corpus (tests/data/replies/*.jsonl) played against a real database.

The scenario the corpus was written for: Wednesday 20/4/2022, 08:30; the speaker is a member of
"Công đoàn thị trấn" whose open tasks are #1–#60, each due 30/04/2022; #61–#70 belong to another unit
(UBND thị trấn). A message with `reply_to: N` answers the reminder of task N, one with `digest: [..]`
answers a morning digest of those tasks: the reminders are real outbox rows sent by the dispatcher
through the channel under test, so the reply-to lookup is the real one.

Each message is played in a clean state (the register as imported, no reminders, no waiting question),
through the conversation core (console channel) or through the Telegram channel over real HTTP (PTB's
own client against tests/fake_telegram.py). What the database holds afterwards — status events and
extension requests — is compared with the message's `expect`:

- a list of effects: `{task, done}`, `{task, percent}` (null: in progress, no figure), `{task, extend_to, reason}`;
- "ask": the bot asks (a waiting question is open) and changes nothing;
- "nothing": no change and no question.

A *wrong change* is any change not in `expect`: worse than a question.

    .venv/bin/python -m tests.replies_corpus dev [--channel core|telegram|both] [--misses]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, delete, select, update

from bot.channels.console import ConsoleChannel
from bot.conversation.core import Conversation, Incoming
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.register.importer import import_register, load_register
from scheduler.register.links import find_official_id, link_chat
from scheduler.register.models import (
    ASSIGNMENTS,
    CHAT_STATES,
    EVENTS,
    EXTENSIONS,
    REMINDERS,
    TASKS,
    ReminderState,
)

CORPUS = Path(__file__).resolve().parent / "data" / "replies"
NOW = datetime(2022, 4, 20, 8, 30, tzinfo=LOCAL_TZ)  # Wednesday
DUE = date(2022, 4, 30)
OWN_TASKS = range(1, 61)
OTHER_TASKS = range(61, 71)
TITLES = {
    3: "Đại hội Đoàn thanh niên thị trấn",
    4: "Báo cáo tổng kết Công đoàn năm 2021",
    5: "Hội nghị cán bộ, công chức, người lao động năm 2022",
    6: "Kiện toàn Ban Thanh tra nhân dân",
    9: "Kế hoạch tuyên truyền kỷ niệm 30/4",
    13: "Rà soát đất đai khu phố",
    19: "Tuyên truyền ngày sinh Bác Hồ 19/5",
}
SPEAKER, LEADER = "cd-thanh-vien", "bi-thu"
CONSOLE_CHAT, TELEGRAM_CHAT, LEADER_TELEGRAM_CHAT = "speaker", 7001, 7002


def load(name: str) -> list[dict[str, Any]]:
    """The messages of one corpus file (`dev` or `holdout`)."""
    with (CORPUS / f"{name}.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_register(path: Path) -> None:
    """The scenario's register: tasks 1–60 for Công đoàn thị trấn, 61–70 for UBND thị trấn."""
    tasks = []
    for number in range(1, 71):
        tasks.append(
            {
                "code": f"T{number:02d}",
                "title": TITLES.get(number, f"Nhiệm vụ quý 2 mã T{number:02d}"),
                "deadline": "ngày 30/4/2022",
                "due": DUE.isoformat(),
                "lead": ["cong-doan" if number in OWN_TASKS else "ubnd"],
            }
        )
    register = {
        "title": "Kịch bản kiểm thử câu trả lời",
        "source_doc": "Kết luận giả định",
        "source_date": "2022-04-07",
        "units": [
            {"code": "dang-uy", "name": "Đảng ủy thị trấn"},
            {"code": "cong-doan", "name": "Công đoàn thị trấn"},
            {"code": "ubnd", "name": "UBND thị trấn"},
        ],
        "officials": [
            {
                "code": SPEAKER,
                "name": "Trần Thị Hoa",
                "title": "Ủy viên BCH Công đoàn",
                "role": "member",
                "units": ["cong-doan"],
            },
            {"code": "ubnd-vien", "name": "Lê Văn Nam", "title": "Công chức", "role": "member", "units": ["ubnd"]},
            {
                "code": LEADER,
                "name": "Nguyễn Văn An",
                "title": "Bí thư Đảng ủy",
                "role": "leader",
                "units": ["dang-uy"],
            },
            {
                "code": "pho-bi-thu",
                "name": "Phạm Thị Bình",
                "title": "Phó Bí thư Đảng ủy",
                "role": "leader",
                "units": ["dang-uy"],
            },
        ],
        "tasks": tasks,
    }
    path.write_text(yaml.safe_dump(register, allow_unicode=True, sort_keys=False), encoding="utf-8")


@dataclass(frozen=True)
class Effect:
    """One change the database holds: a task closed, in progress (percent or None), or an extension asked."""

    task: int
    kind: str  # done | progress | extend
    percent: int | None = None
    extend_to: date | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.kind == "done":
            return f"#{self.task} xong"
        if self.kind == "progress":
            return f"#{self.task} {self.percent if self.percent is not None else '…'}%"
        return f"#{self.task} gia hạn {self.extend_to:%d/%m/%Y} ({self.reason or 'không lý do'})"


def _reason(text: str | None) -> str:
    return " ".join((text or "").split()).strip(" .,;!")


def expected_effects(expect: list[dict[str, Any]]) -> set[Effect]:
    out: set[Effect] = set()
    for item in expect:
        if item.get("done"):
            out.add(Effect(item["task"], "done"))
        elif "percent" in item:
            percent = item["percent"]
            out.add(Effect(item["task"], "done") if percent == 100 else Effect(item["task"], "progress", percent))
        elif "extend_to" in item:
            out.add(Effect(item["task"], "extend", extend_to=date.fromisoformat(item["extend_to"]),
                           reason=_reason(item.get("reason"))))  # fmt: skip
    return out


@dataclass
class Outcome:
    """What one message did, judged against its label."""

    case: dict[str, Any]
    channel: str
    effects: set[Effect]
    asked: bool
    answer: str
    right: bool = False
    wrong: bool = False

    @property
    def got(self) -> str:
        if self.effects:
            return ", ".join(sorted(str(e) for e in self.effects))
        return "ask" if self.asked else "nothing"

    @property
    def wanted(self) -> str:
        expect = self.case["expect"]
        if isinstance(expect, str):
            return expect
        return ", ".join(sorted(str(e) for e in expected_effects(expect)))


def judge(case: dict[str, Any], channel: str, effects: set[Effect], asked: bool, answer: str) -> Outcome:
    outcome = Outcome(case, channel, effects, asked, answer)
    expect = case["expect"]
    if expect == "ask":
        outcome.right = not effects and asked
        outcome.wrong = bool(effects)
    elif expect == "nothing":
        outcome.right = not effects and not asked
        outcome.wrong = bool(effects)
    else:
        wanted = expected_effects(expect)
        outcome.right = effects == wanted
        outcome.wrong = bool(effects - wanted)
    return outcome


@dataclass
class Score:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def right(self) -> int:
        return sum(o.right for o in self.outcomes)

    @property
    def wrong(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.wrong]

    @property
    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.right]

    @property
    def rate(self) -> float:
        return self.right / len(self.outcomes) if self.outcomes else 0.0

    def by_tag(self) -> dict[str, tuple[int, int]]:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for o in self.outcomes:
            for tag in [*o.case.get("tags", []), _kind(o.case)]:
                counts[tag][0] += o.right
                counts[tag][1] += 1
        return {tag: (r, n) for tag, (r, n) in sorted(counts.items())}

    def summary(self) -> str:
        lines = [f"{self.right}/{len(self.outcomes)} right ({100 * self.rate:.1f} %), {len(self.wrong)} wrong changes"]
        missed = Counter(t for o in self.misses for t in [*o.case.get("tags", []), _kind(o.case)])
        lines.append("misses by tag: " + (", ".join(f"{t} {n}" for t, n in missed.most_common()) or "none"))
        return "\n".join(lines)

    def report(self) -> str:
        lines = [self.summary()]
        for o in self.misses:
            flag = "WRONG" if o.wrong else "miss "
            where = f" [re {o.case['reply_to']}]" if o.case.get("reply_to") else ""
            where += f" [digest {o.case['digest']}]" if o.case.get("digest") else ""
            lines.append(f"{flag} {o.case['id']} ({o.channel}) {o.case['text']!r}{where}: want {o.wanted}; got {o.got}")
            lines.append(f"      bot: {o.answer[:300]!r}")
        return "\n".join(lines)


def _kind(case: dict[str, Any]) -> str:
    expect = case["expect"]
    if isinstance(expect, str):
        return f"expect:{expect}"
    kinds = {"done" if e.get("done") or e.get("percent") == 100 else "percent" if "percent" in e else "extend"
             for e in expect}  # fmt: skip
    return "expect:" + "+".join(sorted(kinds))


class Scenario:
    """The scenario's database, with a clean slate before every message."""

    def __init__(self, engine: Engine, folder: Path) -> None:
        self.engine = engine
        self.clock = FixedClock(NOW)
        path = folder / "replies-register.yaml"
        write_register(path)
        import_register(engine, load_register(path), self.clock)
        with engine.connect() as conn:
            query = select(TASKS.c.code, ASSIGNMENTS.c.id).join(ASSIGNMENTS, ASSIGNMENTS.c.task_id == TASKS.c.id)
            ids = {code: number for code, number in conn.execute(query).all()}
            self.pristine = {
                r["id"]: dict(r)
                for r in conn.execute(
                    select(
                        ASSIGNMENTS.c.id,
                        ASSIGNMENTS.c.status,
                        ASSIGNMENTS.c.percent,
                        ASSIGNMENTS.c.note,
                        ASSIGNMENTS.c.due,
                        ASSIGNMENTS.c.done_at,
                        ASSIGNMENTS.c.updated_at,
                    )  # fmt: skip
                ).mappings()
            }
            self.baseline = int(conn.execute(select(EVENTS.c.id).order_by(EVENTS.c.id.desc())).scalar() or 0)
        # the corpus speaks of tasks by number: the assignment ids must be those numbers
        assert all(ids[f"T{n:02d}"] == n for n in range(1, 71)), "assignment ids are not the task numbers"
        self.speaker = find_official_id(engine, SPEAKER)
        self.leader = find_official_id(engine, LEADER)
        link_chat(engine, self.speaker, "console", CONSOLE_CHAT, self.clock)
        link_chat(engine, self.speaker, "telegram", str(TELEGRAM_CHAT), self.clock)
        link_chat(engine, self.leader, "telegram", str(LEADER_TELEGRAM_CHAT), self.clock)

    def reset(self) -> None:
        """The register as imported: no status change, no request, no reminder, no waiting question."""
        with self.engine.begin() as conn:
            touched = set(conn.execute(select(EVENTS.c.assignment_id).where(EVENTS.c.id > self.baseline)).scalars())
            conn.execute(delete(EXTENSIONS))
            conn.execute(delete(EVENTS).where(EVENTS.c.id > self.baseline))
            conn.execute(delete(REMINDERS))
            conn.execute(delete(CHAT_STATES))
            for assignment_id in touched:
                values = {k: v for k, v in self.pristine[assignment_id].items() if k != "id"}
                conn.execute(update(ASSIGNMENTS).where(ASSIGNMENTS.c.id == assignment_id).values(values))
        self.clock.set(NOW)

    async def send_reminders(self, channel: str, notifier: Any, tasks: Iterable[int]) -> str | None:
        """A real reminder (one task) or morning digest (several) sent through the channel: its message id."""
        numbers = list(tasks)
        if not numbers:
            return None
        now = self.clock.now()
        with self.engine.begin() as conn:
            for number in numbers:
                conn.execute(
                    REMINDERS.insert().values(
                        assignment_id=number,
                        official_id=self.speaker,
                        channel=channel,
                        kind="before_7d",
                        planned_for=NOW.date(),
                        send_after=now,
                        state=ReminderState.planned.value,
                        attempts=0,
                        last_error="",
                    )
                )
        limiter = RateLimiter(per_second=100_000, per_chat_second=100_000)
        await Dispatcher(self.engine, {channel: notifier}, self.clock, limiter=limiter).run_once()
        with self.engine.connect() as conn:
            ids = set(conn.execute(select(REMINDERS.c.message_id).where(REMINDERS.c.channel == channel)).scalars())
        assert len(ids) == 1 and None not in ids, f"the reminder was not sent as one message: {ids}"
        return str(ids.pop())

    def effects(self) -> tuple[set[Effect], bool]:
        with self.engine.connect() as conn:
            events = conn.execute(
                select(EVENTS.c.assignment_id, EVENTS.c.kind, EVENTS.c.new_status, EVENTS.c.percent).where(
                    EVENTS.c.id > self.baseline
                )
            ).all()
            requests = conn.execute(
                select(EXTENSIONS.c.assignment_id, EXTENSIONS.c.requested_due, EXTENSIONS.c.reason)
            ).all()
            asked = conn.execute(select(CHAT_STATES.c.chat_id)).first() is not None
        found: set[Effect] = set()
        for assignment_id, kind, new_status, percent in events:
            if kind == "status":
                if new_status == "done":
                    found.add(Effect(assignment_id, "done"))
                elif new_status == "in_progress":
                    found.add(Effect(assignment_id, "progress", percent))
                else:
                    found.add(Effect(assignment_id, f"status:{new_status}"))
            elif kind not in ("extension_requested", "extension_updated"):
                found.add(Effect(assignment_id, kind))
        for assignment_id, requested_due, reason in requests:
            found.add(Effect(assignment_id, "extend", extend_to=requested_due, reason=_reason(reason)))
        return found, asked


async def play_core(scenario: Scenario, cases: list[dict[str, Any]]) -> Score:
    """Every message through the conversation core, as the console channel hands it over."""
    console = ConsoleChannel(write=lambda _text: None)
    conversation = Conversation(scenario.engine, scenario.clock)
    score = Score()
    for number, case in enumerate(cases):
        scenario.reset()
        reply_to = await scenario.send_reminders("console", console, _reminded(case))
        answers = conversation.handle(
            Incoming("console", CONSOLE_CHAT, case["text"], reply_to=reply_to, message_id=f"m{number}")
        )
        effects, asked = scenario.effects()
        text = "\n".join(a.text for a in answers)  # every answer is to the chat that spoke
        score.outcomes.append(judge(case, "core", effects, asked, text))
    return score


async def play_telegram(scenario: Scenario, cases: list[dict[str, Any]]) -> Score:
    """Every message through python-telegram-bot over real HTTP to the fake Bot API on 127.0.0.1."""
    from telegram import Update

    from bot.channels.telegram import TelegramChannel, build_application
    from tests.fake_telegram import TOKEN, FakeBotApi

    score = Score()
    with FakeBotApi() as api:
        application = build_application(TOKEN, api.base_url)
        await application.initialize()
        try:
            channel = TelegramChannel(application, Conversation(scenario.engine, scenario.clock))
            for case in cases:
                scenario.reset()
                reply_to = await scenario.send_reminders("telegram", channel, _reminded(case))
                before = len(api.messages_to(TELEGRAM_CHAT))
                update = Update.de_json(
                    api.text_update(TELEGRAM_CHAT, case["text"], int(reply_to) if reply_to else None), application.bot
                )
                await application.process_update(update)
                answers = api.messages_to(TELEGRAM_CHAT)[before:]
                effects, asked = scenario.effects()
                text = "\n".join(str(a.get("text", "")) for a in answers)
                score.outcomes.append(judge(case, "telegram", effects, asked, text))
        finally:
            await application.shutdown()
    return score


def _reminded(case: dict[str, Any]) -> list[int]:
    if case.get("digest"):
        return list(case["digest"])
    return [case["reply_to"]] if case.get("reply_to") else []


async def play(engine: Engine, folder: Path, cases: list[dict[str, Any]], channels: Iterable[str]) -> dict[str, Score]:
    scenario = Scenario(engine, folder)
    scores: dict[str, Score] = {}
    for channel in channels:
        scores[channel] = await (play_core if channel == "core" else play_telegram)(scenario, cases)
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="+", help="dev, holdout")
    parser.add_argument("--channel", choices=["core", "telegram", "both"], default="core")
    parser.add_argument("--misses", action="store_true", help="list every message not right")
    parser.add_argument("--only", help="a regular expression on message ids")
    args = parser.parse_args(argv)
    cases = [c for name in args.corpus for c in load(name)]
    if args.only:
        cases = [c for c in cases if re.search(args.only, c["id"])]
    channels = ["core", "telegram"] if args.channel == "both" else [args.channel]
    from scheduler.db import make_engine

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'replies.sqlite3'}")
        scores = asyncio.run(play(engine, Path(folder), cases, channels))
        engine.dispose()
    for channel, score in scores.items():
        print(f"== {'+'.join(args.corpus)} through {channel}")
        print(score.report() if args.misses else score.summary())
        if args.misses is False:
            for tag, (right, total) in score.by_tag().items():
                print(f"  {tag:18} {right}/{total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
