"""Officials' status changes: done, progress, and their replies in words (several at once, or confirmed first)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from bot.conversation import texts
from bot.conversation.base import Base, number_and_rest
from bot.conversation.incoming import Incoming
from bot.conversation.replies import Extend, Intent, Reading, Unclear, parse_reply, read_reply
from bot.conversation.texts import Button, Message
from scheduler.clock import local_today
from scheduler.deadlines import DeadlineError
from scheduler.folding import fold
from scheduler.register.access import Person
from scheduler.register.bots import channel_kind
from scheduler.register.changes import (
    change_status,
)
from scheduler.register.models import (
    ASSIGNMENTS,
    REMINDERS,
    ReminderState,
    Status,
)
from scheduler.register.queries import (
    AssignmentRow,
    assignment_row,
    tasks,
    unit_of,
)

RECENT_REMINDER = timedelta(days=3)  # a plain reply refers to the last reminder if it is this recent
MAX_CHOICES = 10


@dataclass(frozen=True)
class Step:
    """One change a message asks for, on one task; stored as JSON while the bot waits for a confirmation."""

    task: int
    action: str  # done | progress | extend
    percent: int | None = None
    when: str = ""
    reason: str = ""
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Step:
        percent = data.get("percent")
        return cls(
            int(data.get("task", 0)),
            str(data.get("action", "done")),
            int(percent) if percent is not None else None,
            str(data.get("when", "")),
            str(data.get("reason", "")),
            str(data.get("note", "")),
        )


def _step(intent: Intent, task: int) -> Step:
    return Step(task, intent.action, intent.percent, intent.when, intent.reason, intent.note)


def describe(step: Step, row: AssignmentRow | None) -> str:
    """'#9 Kế hoạch tuyên truyền… là xong' — what a step would record, in words."""
    title = f"#{step.task} {texts.short(row.title, 50)}" if row else f"#{step.task}"
    if step.action == "done":
        return f"{title}: xong"
    if step.action == "progress":
        return f"{title}: đang làm{f' {step.percent}%' if step.percent is not None else ''}"
    return (
        f"{title}: xin gia hạn{' ' + step.when if step.when else ''}{f' (lý do: {step.reason})' if step.reason else ''}"
    )


class StatusUpdates(Base):
    """/xong, /tiendo, /giahan and plain replies to reminders."""

    def done(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/xong <số> [ghi chú]"""
        number, rest = number_and_rest(args)
        if number is None:
            return self._ask_which(msg, person, {"action": "done", "note": args})
        return self._close(msg, person, number, rest)

    def progress(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/tiendo <số> <phần trăm> [ghi chú]"""
        match = re.fullmatch(r"#?(\d+)\s+(\d{1,3})\s*%?\s*(.*)", args.strip(), re.S)
        if not match:
            return [Message("Cách dùng: /tiendo <số việc> <phần trăm> [ghi chú], vd. /tiendo 12 60 đã họp chi ủy")]
        return self._progress(msg, person, int(match[1]), int(match[2]), match[3].strip())

    def extend(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/giahan <số> <ngày> <lý do>"""
        number, rest = number_and_rest(args)
        if number is None or not rest:
            return [Message("Cách dùng: /giahan <số việc> <ngày> <lý do>, vd. /giahan 12 15/6 vì chưa đủ kinh phí")]
        row = self._visible(person, number, acting=True)
        if isinstance(row, Message):
            return [row]
        reply = parse_reply(f"gia hạn {rest}", local_today(self.clock), row.due)
        if not isinstance(reply, Extend):
            return [Message(f"Chưa ghi gì: {reply.why if isinstance(reply, Unclear) else ''}")]
        return self._request_extension(msg, person, number, reply.due, reply.reason)

    def _close(self, msg: Incoming, person: Person, assignment_id: int, note: str) -> list[Message]:
        row = self._visible(person, assignment_id, acting=True)
        if isinstance(row, Message):
            return [row]
        if row.status == Status.done:
            return [
                Message(
                    f"Việc #{row.id} đã được ghi là xong từ trước ({texts.moment(row.done_at)})."
                    if row.done_at
                    else f"Việc #{row.id} đã xong từ trước."
                )
            ]
        if row.status == Status.cancelled:
            return [Message(f"Việc #{row.id} đã bị hủy, không cần báo cáo.")]
        event = change_status(self.engine, assignment_id, Status.done, self._actor(msg, person), self.clock, note=note)
        self._clear_waiting(msg)
        late = " (trễ hạn)" if local_today(self.clock) > row.due else ""
        return [
            Message(
                f"✅ Đã ghi nhận: #{row.id} {texts.short(row.title, 80)} — {row.unit_name} — hoàn thành "
                f"lúc {texts.moment(event.at)}{late}."
            )
        ]

    def _progress(
        self, msg: Incoming, person: Person, assignment_id: int, percent: int | None, note: str
    ) -> list[Message]:
        if percent is not None and not 0 <= percent <= 100:
            return [Message("Tiến độ phải từ 0 đến 100%.")]
        row = self._visible(person, assignment_id, acting=True)
        if isinstance(row, Message):
            return [row]
        if row.status not in (Status.open, Status.in_progress):
            return [Message(f"Việc #{row.id} đã {'xong' if row.status == Status.done else 'hủy'}, không ghi tiến độ.")]
        if percent == 100:
            return self._close(msg, person, assignment_id, note)
        change_status(
            self.engine,
            assignment_id,
            Status.in_progress,
            self._actor(msg, person),
            self.clock,
            percent=percent,
            note=note,
        )
        self._clear_waiting(msg)
        figure = f" {percent}%" if percent is not None else ""
        return [
            Message(
                f"⏳ Đã ghi nhận: #{row.id} {texts.short(row.title, 80)} — đang làm{figure}"
                f"{' (' + note + ')' if note else ''}, lúc {texts.moment(self.clock.now())}."
            )
        ]

    # --- replies in words ------------------------------------------------------------------------

    def _reply(self, msg: Incoming, person: Person, text: str) -> list[Message]:
        decision = re.fullmatch(
            r"(đồng ý|dong y|từ chối|tu choi)\s+#?(\d{1,12})\s*[,:.-]?\s*(.*)", text.strip(), re.S | re.I
        )
        if decision:
            approve = decision[1].lower() in ("đồng ý", "dong y")
            reason = re.sub(r"^(?:vì|vi|do|lý do|ly do)\s*:?\s*", "", decision[3].strip(), flags=re.I)
            return self._decide(msg, person, int(decision[2]), approve, None if approve or not reason else reason)
        reading = read_reply(text)
        if reading.question:
            return self._question(person, reading)
        if not reading.intents:
            why = f" ({reading.why})" if reading.why else ""
            return [Message(f"{texts.UNCLEAR}{why}")]
        return self._act(msg, person, reading)

    def _act(self, msg: Incoming, person: Person, reading: Reading) -> list[Message]:
        """Apply what a message says, or ask first when any part of it is not certain."""
        context = self._replied_tasks(msg, person)
        steps: list[Step] = []
        unsure = reading.unsure
        for intent in reading.intents:
            if intent.tasks:
                if reading.choices and set(intent.tasks) <= set(reading.choices):
                    return self._ask_which(msg, person, {"steps": [s.to_json() for s in steps],
                                                         "pending": _step(intent, 0).to_json()},
                                           list(reading.choices))  # fmt: skip
                steps += [_step(intent, t) for t in intent.tasks]
                continue
            named = self._named_by_content(person, intent.content)
            if (
                intent.ordinal is not None
                and context
                and not named
                and (1 <= intent.ordinal <= len(context) or intent.ordinal == -1)
            ):
                steps.append(_step(intent, context[intent.ordinal - 1 if intent.ordinal > 0 else -1]))
                unsure = unsure or "đồng chí chỉ việc theo thứ tự trong tin nhắc"
                continue
            if intent.all_tasks and context and (intent.count in (None, len(context))):
                steps += [_step(intent, t) for t in context]
                continue
            if intent.count is not None and context and intent.count == len(context) and len(context) > 1:
                steps += [_step(intent, t) for t in context]
                continue
            if named is not None:
                steps.append(_step(intent, named))
                if context != [named]:
                    unsure = unsure or "đồng chí gọi việc theo tên"
                continue
            if len(context) == 1 and intent.count in (None, 1):
                steps.append(_step(intent, context[0]))
                if intent.weak:
                    unsure = unsure or "tôi muốn chắc đồng chí báo xong"
                continue
            return self._ask_which(
                msg, person, {"steps": [s.to_json() for s in steps], "pending": _step(intent, 0).to_json()}, context
            )
        steps = list(dict.fromkeys(steps))
        if unsure:
            return self._confirm(msg, person, steps, unsure)
        return self._apply_steps(msg, person, steps)

    def _apply_steps(self, msg: Incoming, person: Person, steps: list[Step]) -> list[Message]:
        out: list[Message] = []
        for step in steps:
            out += self._apply(msg, person, step)
        return _joined(out)

    def _apply(self, msg: Incoming, person: Person, step: Step) -> list[Message]:
        if step.action == "done":
            return self._close(msg, person, step.task, step.note)
        if step.action == "progress":
            return self._progress(msg, person, step.task, step.percent, step.note)
        row = self._visible(person, step.task, acting=True)
        if isinstance(row, Message):
            return [row]
        today = local_today(self.clock)
        problem = ""
        if not step.when:
            problem = "chưa có ngày"
        else:
            try:
                due = parse_reply_date(step.when, today, row.due)
            except DeadlineError as exc:
                problem = f"chưa đọc được ngày “{step.when}” ({exc.reason})"
            else:
                if due <= row.due:
                    problem = f"ngày {texts.day(due)} không sau hạn hiện tại {texts.day(row.due)}"
                else:
                    return self._request_extension(msg, person, step.task, due, step.reason)
        self._set_waiting(msg, "extend_date", {"id": step.task, "reason": step.reason})
        return [
            Message(
                f"Xin gia hạn #{row.id} {texts.short(row.title, 60)} (hạn hiện tại {texts.day(row.due)}): {problem}. "
                'Đến ngày nào ạ? Vd. "15/5", "thêm 10 ngày", "cuối tháng 5" (gõ /huy để thôi).'
            )
        ]

    def _confirm(self, msg: Incoming, person: Person, steps: list[Step], why: str) -> list[Message]:
        """Propose the changes and wait for one tap or number: 1 yes, 2 no."""
        mine = [s for s in steps if self._own(person, s.task)]
        if not mine:
            return self._apply_steps(msg, person, steps)  # only refusals to say
        self._set_waiting(msg, "confirm", {"steps": [s.to_json() for s in mine]})
        lines = [f"Tôi hiểu thế này ({why}), ghi vào sổ nhé?"]
        lines += [f"• {describe(s, assignment_row(self.engine, s.task))}" for s in mine]
        lines.append("Trả lời 1 = Đúng, ghi đi · 2 = Không, bỏ qua (hoặc bấm nút).")
        return [Message("\n".join(lines), [[Button("1. Đúng", "cf:1"), Button("2. Không", "cf:2")]])]

    def _confirmed(self, msg: Incoming, person: Person, data: dict[str, Any]) -> list[Message]:
        return self._apply_steps(msg, person, [Step.from_json(s) for s in data.get("steps", [])])

    def _own(self, person: Person, assignment_id: int) -> bool:
        unit_id = unit_of(self.engine, assignment_id)
        return unit_id is not None and person.may_act_on(unit_id)

    def _question(self, person: Person, reading: Reading) -> list[Message]:
        """A question changes nothing; about a task of one's own, say where it stands."""
        lines = []
        for number in reading.tasks[:5]:
            row = assignment_row(self.engine, number)
            if row is None or not self._own(person, number):
                continue
            state = texts.STATE_LABELS[row.state(local_today(self.clock))]
            lines.append(f"#{row.id} {texts.short(row.title, 70)}: hạn {texts.day(row.due)}, {state}.")
        if not lines:
            lines.append("Tôi chưa ghi gì vì câu này là một câu hỏi.")
        lines.append("Gõ /viec để xem các việc; báo kết quả bằng các câu như “xong 12”, “12 được 50%”.")
        return [Message("\n".join(lines))]

    def _named_by_content(self, person: Person, words: tuple[str, ...]) -> int | None:
        """The one open task of the person's units whose title carries the words ("đại hội đoàn" → #3)."""
        if len(set(words)) < 2:
            return None
        wanted = set(words)
        scored: list[tuple[int, int]] = []
        for row in tasks(self.engine, local_today(self.clock), unit_ids=person.unit_ids):
            title = set(re.findall(r"\w+", fold(row.title)))
            hits = len(wanted & title)
            if hits >= 2 and hits * 2 >= len(wanted):
                scored.append((hits, row.id))
        scored.sort(reverse=True)
        if not scored or (len(scored) > 1 and scored[1][0] == scored[0][0]):
            return None
        return scored[0][1]

    def _replied_tasks(self, msg: Incoming, person: Person) -> list[int]:
        """The open tasks of the reminder replied to, or of the last reminder in this chat."""
        with self.engine.connect() as conn:
            query = select(REMINDERS.c.assignment_id).join(ASSIGNMENTS, ASSIGNMENTS.c.id == REMINDERS.c.assignment_id)
            query = query.where(
                REMINDERS.c.channel == msg.channel,
                REMINDERS.c.chat_id == msg.chat_id,
                REMINDERS.c.state == ReminderState.sent.value,
                ASSIGNMENTS.c.status.in_((Status.open.value, Status.in_progress.value)),
            )
            if msg.reply_to:
                ids = conn.execute(query.where(REMINDERS.c.message_id == msg.reply_to)).scalars().all()
            else:
                last = conn.execute(
                    select(REMINDERS.c.message_id, REMINDERS.c.sent_at)
                    .where(
                        REMINDERS.c.channel == msg.channel,
                        REMINDERS.c.chat_id == msg.chat_id,
                        REMINDERS.c.state == ReminderState.sent.value,
                    )
                    .order_by(REMINDERS.c.sent_at.desc())
                ).first()
                if last is None or last.sent_at < self.clock.now() - RECENT_REMINDER:
                    return []
                ids = conn.execute(query.where(REMINDERS.c.message_id == last.message_id)).scalars().all()
        rows = [assignment_row(self.engine, i) for i in dict.fromkeys(ids)]
        ordered = sorted((r for r in rows if r), key=lambda r: (r.due, r.unit_name, r.id))  # as the digest lists them
        return [r.id for r in ordered if person.may_act_on(unit_of(self.engine, r.id) or -1)]

    def _ask_which(
        self, msg: Incoming, person: Person, data: dict[str, Any], candidates: list[int] | None = None
    ) -> list[Message]:
        """Which task? Choices numbered 1…n, each saying its task's number, so a choice is never a task id."""
        if candidates is None:
            candidates = self._replied_tasks(msg, person)
        if not candidates:
            today = local_today(self.clock)
            candidates = [r.id for r in tasks(self.engine, today, unit_ids=person.unit_ids)][:MAX_CHOICES]
        candidates = [c for c in candidates if self._own(person, c)][:MAX_CHOICES]
        if not candidates:
            return [Message("Đơn vị của đồng chí không còn việc nào đang mở.")]
        if "pending" not in data:
            data = {"steps": [], "pending": _legacy_step(data)}
        self._set_waiting(msg, "pick", {**data, "candidates": candidates})
        rows = [assignment_row(self.engine, i) for i in candidates]
        pending = Step.from_json(data["pending"])
        said = describe(pending, None).split(": ", 1)[-1]
        numbers = "1" if len(rows) == 1 else f"số thứ tự 1–{len(rows)}"
        lines = [f"Việc nào ạ? Để ghi “{said}”, gõ {numbers} hoặc bấm nút (/huy để thôi):"]
        caps = texts.CAPABILITIES.get(channel_kind(msg.channel), texts.TELEGRAM)
        if caps.buttons:  # without buttons (Zalo) the channel lists the choices itself, numbered the same way
            lines += [f"{n}. việc #{r.id} {texts.short(r.title, 70)}" for n, r in enumerate(rows, start=1) if r]
        numbered = channel_kind(msg.channel) == "telegram"  # the console numbers its buttons itself
        buttons = [
            [Button(f"{f'{n} · ' if numbered else ''}#{r.id} {texts.short(r.title, 28)}", f"k:{r.id}")]
            for n, r in enumerate(rows, start=1)
            if r
        ]
        return [Message("\n".join(lines), buttons)]

    def _act_on_pick(self, msg: Incoming, person: Person, assignment_id: int, data: dict[str, Any]) -> list[Message]:
        if "pending" not in data:  # a percent button, or a question from before this form
            data = {"steps": [], "pending": _legacy_step(data)}
        pending = Step.from_json({**data["pending"], "task": assignment_id})
        steps = [Step.from_json(s) for s in data.get("steps", [])] + [pending]
        self._clear_waiting(msg)
        return self._apply_steps(msg, person, steps)


def parse_reply_date(when: str, today: date, current_due: date) -> date:
    from scheduler.deadlines import parse_extension_date

    return parse_extension_date(when, today, current_due)


def _legacy_step(data: dict[str, Any]) -> dict[str, Any]:
    action = data.get("action", "done")
    return Step(
        0, action, data.get("percent"), data.get("when", ""), data.get("reason", ""), data.get("note", "")
    ).to_json()


def _joined(messages: list[Message]) -> list[Message]:
    """Several plain answers in one message (a list of changes); those with buttons or a file stay apart."""
    here = [m for m in messages if not m.buttons and m.attachment is None]
    if len(here) <= 1:
        return messages
    rest = [m for m in messages if m not in here]
    return [Message("\n".join(m.text for m in here)), *rest]
