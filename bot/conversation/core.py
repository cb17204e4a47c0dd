"""The conversation core: takes an incoming message, returns what to send. It knows no channel.

Telegram, Zalo and the console are thin adapters around `Conversation.handle`, so every command works
the same everywhere and is tested once. An unknown chat sees nothing but how to link itself; a member
changes only their own units' assignments; every refusal says why; every change is a StatusEvent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from bot.conversation import texts
from bot.conversation.replies import Done, Extend, Progress, Unclear, parse_reply
from bot.conversation.report_texts import report_message
from bot.conversation.texts import Button, Message
from scheduler.register.access import Person, load_person
from scheduler.register.changes import (
    Actor,
    AssignmentNotFoundError,
    ExtensionError,
    change_status,
    decide_extension,
    history,
    request_extension,
)
from scheduler.clock import Clock, at_local, local_now, local_today, to_utc
from scheduler.deadlines import DeadlineError, parse_deadline
from scheduler.reporting.ical import unit_calendar
from scheduler.register.invites import InviteError, redeem_invite
from scheduler.register.links import officials_of_chat
from scheduler.register.models import (
    ASSIGNMENTS,
    CHAT_STATES,
    CHATS,
    MEMBERS,
    OFFICIALS,
    REMINDERS,
    SETTINGS,
    UNITS,
    ReminderState,
    Role,
    Status,
)
from scheduler.register.queries import (
    AssignmentRow,
    UnknownUnitError,
    assignment_row,
    find_unit_id,
    overdue,
    overdue_summary,
    tasks,
    unit_of,
    upcoming,
)
from scheduler.reporting.stats import PeriodError, parse_period, period_containing, statistics
from scheduler.workdays import next_working_day

log = logging.getLogger("nhacviec.core")

ALIASES = {
    "viec": "tasks",
    "quahan": "overdue",
    "sapden": "upcoming",
    "xong": "done",
    "tiendo": "progress",
    "giahan": "extend",
    "lichsu": "history",
    "baocao": "report",
    "lich": "calendar",
    "huy": "cancel",
    "trogiup": "help",
    "caidat": "settings",
    "nghiphep": "leave",
    "toila": "whoami",
    "kenh": "channel",
}
COMMANDS = {  # the command menu, in Vietnamese
    "viec": "Việc của đơn vị tôi",
    "sapden": "Việc sắp đến hạn",
    "quahan": "Việc đã quá hạn",
    "xong": "Báo xong: /xong <số> [ghi chú]",
    "tiendo": "Báo tiến độ: /tiendo <số> <phần trăm>",
    "giahan": "Xin gia hạn: /giahan <số> <ngày> <lý do>",
    "lichsu": "Lịch sử một việc: /lichsu <số>",
    "baocao": "Biểu đồ tiến độ theo đơn vị (lãnh đạo)",
    "lich": "Tệp lịch các hạn việc cho điện thoại",
    "caidat": "Cài đặt: giờ nhận tin, nghỉ phép",
    "huy": "Hủy câu hỏi đang chờ",
    "kenh": "Chọn kênh nhận nhắc: telegram, zalo, cả hai",
    "help": "Hướng dẫn",
}
RECENT_REMINDER = timedelta(days=3)


@dataclass(frozen=True)
class Incoming:
    """A message from a chat: text typed, or a button pressed, perhaps replying to one of ours."""

    channel: str
    chat_id: str
    text: str = ""
    button: str | None = None
    reply_to: str | None = None
    message_id: str | None = None
    is_group: bool = False


class Conversation:
    """The bot's brain, shared by every channel."""

    def __init__(self, engine: Engine, clock: Clock, bot_username: str = "nhacviec_bot") -> None:
        self.engine = engine
        self.clock = clock
        self.bot_username = bot_username

    # --- entry point ---------------------------------------------------------------------------

    def handle(self, msg: Incoming) -> list[Message]:
        """Everything to send in answer to one incoming message."""
        try:
            return self._handle(msg)
        except AssignmentNotFoundError as exc:
            return [Message(f"Không tìm thấy: {exc}.")]

    def _handle(self, msg: Incoming) -> list[Message]:
        text = msg.text.strip()
        command, args = _split_command(text)
        person = self._person(msg)
        if command == "start":
            return self._start(msg, args, person)
        if person is None:
            if command is None and re.fullmatch(r"[A-Za-z0-9_-]{12,40}", text):  # Zalo: just the code
                return self._start(msg, text, None)
            return [Message(texts.UNLINKED)]
        if msg.button:
            return self._button(msg, person, msg.button)
        if command is not None:
            return self._command(msg, person, command, args)
        waiting = self._waiting(msg)
        if waiting is not None:
            return self._answer(msg, person, waiting, text)
        return self._reply(msg, person, text)

    # --- who -------------------------------------------------------------------------------------

    def _person(self, msg: Incoming) -> Person | None:
        ids = officials_of_chat(self.engine, msg.channel, msg.chat_id)
        return load_person(self.engine, ids[0]) if ids else None

    def _start(self, msg: Incoming, code: str, person: Person | None) -> list[Message]:
        if not code:
            if person is not None:
                return [Message(f"Chào đồng chí {person.name}. Chat này đã được liên kết.\n\n{texts.HELP}")]
            return [Message(texts.UNLINKED)]
        try:
            official_id = redeem_invite(self.engine, code, msg.channel, msg.chat_id, self.clock, msg.is_group)
        except InviteError as exc:
            return [Message(f"Không liên kết được: {exc}")]
        linked = load_person(self.engine, official_id)
        assert linked is not None
        return [
            Message(
                f"✅ Đã liên kết chat này với đồng chí {linked.name} ({linked.title}). "
                f"Từ nay đồng chí sẽ nhận lời nhắc hạn tại đây.\n\n{texts.HELP}"
            )
        ]

    # --- commands ------------------------------------------------------------------------------

    def _command(self, msg: Incoming, person: Person, command: str, args: str) -> list[Message]:
        handlers: dict[str, Callable[[Incoming, Person, str], list[Message]]] = {
            "help": lambda m, p, a: [Message(texts.HELP)],
            "whoami": self.whoami,
            "tasks": self.tasks,
            "overdue": self.overdue,
            "upcoming": self.upcoming,
            "done": self.done,
            "progress": self.progress,
            "extend": self.extend,
            "history": self.history,
            "report": self.report,
            "calendar": self.calendar,
            "cancel": self.cancel,
            "settings": self.settings,
            "leave": self.leave,
            "channel": self.channel,
        }
        handler = handlers.get(ALIASES.get(command, command))
        if handler is None:
            return [Message(f"Không có lệnh /{command}. Gõ /help để xem các lệnh.")]
        return handler(msg, person, args)

    def whoami(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """Who the chat speaks for, and which units."""
        with self.engine.connect() as conn:
            names = list(conn.execute(select(UNITS.c.name).where(UNITS.c.id.in_(person.unit_ids))).scalars())
        role = {"member": "cán bộ", "head": "phụ trách đơn vị", "leader": "lãnh đạo", "admin": "quản trị sổ"}
        return [
            Message(
                f"Đồng chí {person.name} — {person.title}\nVai trò: {role.get(person.role, person.role)}\n"
                f"Đơn vị: {', '.join(names) or '(chưa có)'}"
            )
        ]

    def tasks(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """My units' open tasks, soonest first."""
        today = local_today(self.clock)
        rows = tasks(self.engine, today, unit_ids=person.unit_ids)
        return [Message(texts.task_list(rows, today, f"📋 Việc của đơn vị đồng chí ({len(rows)} việc chưa xong):"))]

    def overdue(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """Overdue: leaders see every unit, grouped (summarised when long); members their own units."""
        today = local_today(self.clock)
        scope = None if person.sees_everything else person.unit_ids
        unit_id = self._unit_arg(args) if args and person.sees_everything else None
        if args and person.sees_everything and unit_id is None:
            return [Message(f"Không tìm thấy đơn vị {args!r}. Gõ tên hoặc mã đơn vị, vd. /quahan ubnd")]
        if scope is None and unit_id is None:
            summary = overdue_summary(self.engine, today)
            total = sum(u.count for u in summary)
            if total > texts.LIST_LIMIT:
                return [Message(texts.overdue_summary(summary, today))]
        rows = overdue(self.engine, today, unit_id=unit_id, unit_ids=scope)
        units = len({r.unit_name for r in rows})
        title = f"⏰ Quá hạn ngày {texts.day(today)}: {len(rows)} việc ở {units} đơn vị"
        return [Message(texts.task_list(rows, today, title, group_by_unit=True))]

    def upcoming(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """Due in the next days (7 unless given)."""
        today = local_today(self.clock)
        days = int(args) if args.strip().isdigit() else 7
        scope = None if person.sees_everything else person.unit_ids
        rows = upcoming(self.engine, today, min(days, 366), unit_ids=scope)
        return [
            Message(
                texts.task_list(
                    rows,
                    today,
                    f"📅 Đến hạn trong {days} ngày tới ({len(rows)} việc):",
                    group_by_unit=person.sees_everything,
                )
            )
        ]

    def done(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/xong <số> [ghi chú]"""
        number, rest = _number_and_rest(args)
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
        number, rest = _number_and_rest(args)
        if number is None or not rest:
            return [Message("Cách dùng: /giahan <số việc> <ngày> <lý do>, vd. /giahan 12 15/6 vì chưa đủ kinh phí")]
        reply = parse_reply(f"gia hạn {rest}", local_today(self.clock))
        if not isinstance(reply, Extend):
            return [Message(f"Chưa ghi gì: {reply.why if isinstance(reply, Unclear) else ''}")]
        return self._request_extension(msg, person, number, reply.due, reply.reason)

    def history(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/lichsu <số>"""
        number, _ = _number_and_rest(args)
        if number is None:
            return [Message("Cách dùng: /lichsu <số việc>")]
        row = self._visible(person, number)
        if isinstance(row, Message):
            return [row]
        lines = [f"🗂 Lịch sử #{row.id} {texts.short(row.title, 70)} — {row.unit_name}"]
        for line in history(self.engine, number):
            lines.append(f"• {texts.moment(line.at)} — {line.who or 'hệ thống'}: {_describe(line)}")
        if len(lines) == 1:
            lines.append("Chưa có thay đổi nào.")
        return [Message("\n".join(lines))]

    def report(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/report [period]: the chart per unit, worst first, and a short summary (leaders only)."""
        if not person.sees_everything:
            return [Message("Xin lỗi, /baocao dành cho lãnh đạo. Đồng chí có thể xem việc của đơn vị mình bằng /viec.")]
        today = local_today(self.clock)
        try:
            period = parse_period(args) if args.strip() else period_containing(today)
        except PeriodError as exc:
            return [Message(f"Chưa hiểu: {exc}.")]
        stats = statistics(self.engine, period, today)
        return [report_message(stats, texts.CAPABILITIES.get(msg.channel, texts.CONSOLE))]

    def calendar(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/lich [unit]: the unit's open deadlines as an .ics file for the phone's calendar."""
        unit_ids: list[int] = sorted(person.unit_ids)
        if args.strip():
            unit_id = self._unit_arg(args)
            if unit_id is None:
                return [Message(f"Không tìm thấy đơn vị “{args.strip()}”.")]
            if not person.may_act_on(unit_id):
                return [Message("Xin lỗi, đồng chí chỉ lấy được lịch của đơn vị mình.")]
            unit_ids = [unit_id]
        if not unit_ids:
            return [Message("Đồng chí chưa thuộc đơn vị nào. Gõ /lich <tên đơn vị> để lấy lịch của một đơn vị.")]
        caps = texts.CAPABILITIES.get(msg.channel, texts.CONSOLE)
        if not caps.files:
            return [
                Message("Kênh này không gửi được tệp lịch. Xin dùng Telegram, hoặc nhờ Văn phòng xuất: nhacviec ical.")
            ]
        with self.engine.connect() as conn:
            names = list(conn.execute(select(UNITS.c.name).where(UNITS.c.id.in_(unit_ids))).scalars())
        data = unit_calendar(self.engine, unit_ids, self.clock.now(), f"Hạn việc — {', '.join(names)}")
        count = data.count(b"BEGIN:VEVENT")
        text = (
            f"📆 Lịch hạn việc của {', '.join(names)}: {count} việc chưa xong. "
            "Mở tệp này trên điện thoại để thêm vào lịch; mỗi việc có lời nhắc 8 giờ sáng hôm trước."
        )
        return [Message(text, attachment=texts.Attachment("nhac-viec.ics", data))]

    def cancel(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/huy — forget the question the bot is waiting on."""
        had = self._clear_waiting(msg)
        return [Message("Đã hủy câu hỏi đang chờ." if had else "Không có câu hỏi nào đang chờ.")]

    def settings(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/caidat [giờ HH:MM] — show or change the morning time."""
        match = re.fullmatch(r"(?:giờ|gio)\s+(\d{1,2})[:h](\d{2})", args.strip().lower())
        if match:
            at = time(int(match[1]), int(match[2]))
            if not time(7, 0) <= at < time(21, 0):
                return [Message("Giờ nhận tin phải từ 07:00 đến trước 21:00.")]
            self._save_setting(person.id, digest_at=at)
            return [Message(f"Đã đổi giờ nhận tin buổi sáng thành {at:%H:%M}.")]
        setting = self._setting(person.id)
        digest = setting.get("digest_at") or time(7, 30)
        muted = setting.get("muted_until")
        leave = f"nghỉ phép đến {texts.day(muted)}" if muted and muted >= local_today(self.clock) else "không"
        return [
            Message(
                f"⚙️ Cài đặt của đồng chí {person.name}:\n• Giờ nhận tin: {digest:%H:%M} "
                "(đổi: /caidat giờ 06:45)\n"
                f"• Nghỉ phép: {leave} (đặt: /nghiphep đến 20/5; hủy: /nghiphep hủy)\n• Ngôn ngữ: tiếng Việt"
            )
        ]

    def leave(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/nghiphep đến 20/5 — mute my reminders; my unit's other officials receive them meanwhile."""
        words = args.strip().lower()
        if words in ("hủy", "huy", "thôi"):
            self._save_setting(person.id, muted_until=None)
            return [Message("Đã hủy nghỉ phép: đồng chí nhận lời nhắc trở lại từ sáng mai.")]
        phrase = re.sub(r"^(?:đến|tới|den)\s+", "", words)
        today = local_today(self.clock)
        try:
            until = parse_deadline(phrase, today).due
        except DeadlineError as exc:
            return [Message(f"Chưa ghi: {exc.reason}. Cách dùng: /nghiphep đến 20/5")]
        if until is None or until < today:
            return [Message("Ngày kết thúc nghỉ phép phải từ hôm nay trở đi, vd. /nghiphep đến 20/5")]
        self._save_setting(person.id, muted_until=until)
        return [
            Message(
                f"Đã ghi nghỉ phép đến hết {texts.day(until)}. Trong thời gian này, lời nhắc của đơn vị "
                "sẽ gửi cho các cán bộ khác của đơn vị (hoặc lãnh đạo nếu đơn vị không còn ai)."
            )
        ]

    def channel(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/kenh telegram|zalo|ca-hai — where reminders go when linked on both."""
        choice = args.strip().lower().replace(" ", "-")
        wanted = {"telegram": "telegram", "zalo": "zalo", "ca-hai": "", "cả-hai": "", "both": ""}.get(choice)
        with self.engine.connect() as conn:
            linked = sorted(
                set(
                    conn.execute(
                        select(CHATS.c.channel).where(CHATS.c.official_id == person.id, CHATS.c.active.is_(True))
                    ).scalars()
                )
            )
        if wanted is None:
            current = self._setting(person.id).get("channels") or "cả hai"
            return [
                Message(
                    f"Đang nhận lời nhắc qua: {current} (đã liên kết: {', '.join(linked)}).\n"
                    "Đổi: /kenh telegram · /kenh zalo · /kenh ca-hai"
                )
            ]
        if wanted and wanted not in linked:
            return [Message(f"Đồng chí chưa liên kết {wanted}. Hãy gửi mã mời tới bot trên {wanted} trước.")]
        self._save_setting(person.id, channels=wanted)
        where = wanted or "mọi kênh đã liên kết"
        return [Message(f"Từ nay lời nhắc gửi qua {where}.")]

    # --- the actions ---------------------------------------------------------------------------

    def _visible(self, person: Person, assignment_id: int, acting: bool = False) -> AssignmentRow | Message:
        row = assignment_row(self.engine, assignment_id)
        unit_id = unit_of(self.engine, assignment_id)
        if row is None or unit_id is None:
            return Message(f"Không có việc số {assignment_id}. Gõ /viec để xem số của các việc.")
        if not person.may_act_on(unit_id):
            verb = "cập nhật" if acting else "xem"
            return Message(
                f"Xin lỗi, việc #{assignment_id} thuộc {row.unit_name}. Đồng chí chỉ {verb} được việc "
                "của đơn vị mình; nếu cần, hãy báo lãnh đạo hoặc Văn phòng Đảng ủy."
            )
        return row

    def _actor(self, msg: Incoming, person: Person) -> Actor:
        return Actor(person.name, person.id, msg.channel, msg.message_id)

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

    def _progress(self, msg: Incoming, person: Person, assignment_id: int, percent: int, note: str) -> list[Message]:
        if not 0 <= percent <= 100:
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
        return [
            Message(
                f"⏳ Đã ghi nhận: #{row.id} {texts.short(row.title, 80)} — đang làm {percent}%"
                f"{' (' + note + ')' if note else ''}, lúc {texts.moment(self.clock.now())}."
            )
        ]

    def _request_extension(
        self, msg: Incoming, person: Person, assignment_id: int, due: date, reason: str
    ) -> list[Message]:
        row = self._visible(person, assignment_id, acting=True)
        if isinstance(row, Message):
            return [row]
        if not reason:
            self._set_waiting(msg, "extend_reason", {"id": assignment_id, "due": due.isoformat()})
            return [Message(f"Xin gia hạn #{row.id} đến {texts.day(due)}: vì lý do gì? (gõ /huy để thôi)")]
        try:
            request_id = request_extension(
                self.engine, assignment_id, person.id, due, reason, self.clock, msg.channel, msg.chat_id
            )
        except ExtensionError as exc:
            return [Message(f"Chưa gửi được đề nghị: {exc}.")]
        self._clear_waiting(msg)
        out = [
            Message(
                f"📨 Đã gửi đề nghị gia hạn #{row.id} {texts.short(row.title, 60)} đến {texts.day(due)} "
                f"(lý do: {reason}) tới lãnh đạo. Hạn vẫn là {texts.day(row.due)} cho đến khi được đồng ý."
            )
        ]
        ask = (
            f"📅 Đề nghị gia hạn từ {person.name} ({row.unit_name}):\n#{row.id} {texts.short(row.title)}\n"
            f"Hạn hiện tại {texts.day(row.due)} → xin đến {texts.day(due)}\nLý do: {reason}"
        )
        buttons = [[Button("👍 Đồng ý", f"ok:{request_id}"), Button("👎 Từ chối", f"no:{request_id}")]]
        for channel, chat_id in self._leader_chats(unit_of(self.engine, assignment_id), person.id):
            text = (
                ask
                if texts.CAPABILITIES.get(channel, texts.TELEGRAM).buttons
                else (f"{ask}\nTrả lời: đồng ý {request_id} · từ chối {request_id}")
            )
            out.append(Message(text, buttons, channel=channel, chat_id=chat_id))
        return out

    def _leader_chats(self, unit_id: int | None, exclude: int) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            leaders = (
                conn.execute(
                    select(OFFICIALS.c.id)
                    .join(MEMBERS, MEMBERS.c.official_id == OFFICIALS.c.id)
                    .where(MEMBERS.c.unit_id == unit_id, OFFICIALS.c.role == Role.leader.value)
                )
                .scalars()
                .all()
            )
            if not leaders:
                leaders = (
                    conn.execute(select(OFFICIALS.c.id).where(OFFICIALS.c.role == Role.leader.value)).scalars().all()
                )
            chats = conn.execute(
                select(CHATS.c.channel, CHATS.c.chat_id).where(
                    CHATS.c.official_id.in_([i for i in leaders if i != exclude]), CHATS.c.active.is_(True)
                )
            ).all()
        return [(c, i) for c, i in chats]

    def _decide(self, msg: Incoming, person: Person, request_id: int, approve: bool) -> list[Message]:
        if not person.decides_extensions:
            return [Message("Xin lỗi, chỉ lãnh đạo mới quyết định gia hạn.")]
        try:
            decision = decide_extension(
                self.engine, request_id, person.id, approve, self.clock, msg.channel, msg.message_id
            )
        except ExtensionError as exc:
            return [Message(f"Không ghi được: {exc}.")]
        row = assignment_row(self.engine, decision.assignment_id)
        assert row is not None
        if approve:
            mine = f"✅ Đã đồng ý gia hạn #{row.id} đến {texts.day(decision.new_due)}."
            theirs = (
                f"✅ Lãnh đạo ({person.name}) đã đồng ý gia hạn #{row.id} {texts.short(row.title, 60)} "
                f"đến {texts.day(decision.new_due)}."
            )
        else:
            mine = f"Đã từ chối đề nghị gia hạn #{row.id}; hạn giữ nguyên {texts.day(decision.old_due)}."
            theirs = (
                f"❌ Lãnh đạo ({person.name}) chưa đồng ý gia hạn #{row.id} {texts.short(row.title, 60)}; "
                f"hạn vẫn là {texts.day(decision.old_due)}."
            )
        out = [Message(mine)]
        if decision.chat_id:
            out.append(Message(theirs, channel=decision.channel, chat_id=decision.chat_id))
        return out

    def _snooze(self, msg: Incoming, person: Person, assignment_id: int, when: str) -> list[Message]:
        row = self._visible(person, assignment_id, acting=True)
        if isinstance(row, Message):
            return [row]
        now = local_now(self.clock)
        if when == "2h":
            at = now + timedelta(hours=2)
            if at.time() >= time(21, 0) or at.date() != now.date():
                when = "am"
        if when == "am":
            next_day = next_working_day(now.date() + timedelta(days=1))
            at = at_local(next_day, self._setting(person.id).get("digest_at") or time(7, 30))
        with self.engine.begin() as conn:
            exists = conn.execute(
                select(REMINDERS.c.id).where(
                    REMINDERS.c.assignment_id == assignment_id,
                    REMINDERS.c.official_id == person.id,
                    REMINDERS.c.kind == "snooze",
                    REMINDERS.c.planned_for == at.date(),
                    REMINDERS.c.channel == msg.channel,
                )
            ).scalar()
            values: dict[str, Any] = {"send_after": to_utc(at), "state": ReminderState.planned.value}
            if exists:
                conn.execute(update(REMINDERS).where(REMINDERS.c.id == exists).values(values))
            else:
                conn.execute(
                    insert(REMINDERS).values(
                        assignment_id=assignment_id,
                        official_id=person.id,
                        channel=msg.channel,
                        kind="snooze",
                        planned_for=at.date(),
                        attempts=0,
                        last_error="",
                        note="",
                        **values,
                    )
                )
        return [Message(f"⏰ Sẽ nhắc lại #{row.id} lúc {at:%H:%M} ngày {at:%d/%m/%Y}.")]

    # --- buttons -------------------------------------------------------------------------------

    def _button(self, msg: Incoming, person: Person, data: str) -> list[Message]:
        match = re.fullmatch(r"(d|p|e|s|s2|sm|ok|no|k)(?::(\d{1,12}))?(?::(\d{1,3}))?", data)
        if not match or match[2] is None:
            return [Message("Nút này không còn dùng được. Gõ /viec để xem việc.")]
        action, number = match[1], int(match[2])
        if action == "d":
            return self._close(msg, person, number, "")
        if action == "p":
            row = self._visible(person, number, acting=True)
            if isinstance(row, Message):
                return [row]
            self._set_waiting(msg, "progress_percent", {"id": number})
            return [
                Message(
                    f'Việc #{number} đã làm được bao nhiêu phần trăm? (vd. 60, hoặc "60 đã họp chi ủy"; /huy để thôi)',
                    [[Button(f"{p}%", f"k:{number}:{p}") for p in (25, 50, 75, 100)]],
                )
            ]
        if action == "e":
            row = self._visible(person, number, acting=True)
            if isinstance(row, Message):
                return [row]
            self._set_waiting(msg, "extend_date", {"id": number})
            return [
                Message(f'Xin gia hạn #{number} đến ngày nào, vì sao? (vd. "15/6 vì chưa đủ kinh phí"; /huy để thôi)')
            ]
        if action == "s":
            return [
                Message(
                    f"Nhắc lại việc #{number} khi nào?",
                    [[Button("Sau 2 giờ", f"s2:{number}"), Button("Sáng mai", f"sm:{number}")]],
                )
            ]
        if action in ("s2", "sm"):
            return self._snooze(msg, person, number, "2h" if action == "s2" else "am")
        if action in ("ok", "no"):
            return self._decide(msg, person, number, action == "ok")
        waiting = self._waiting(msg) or ("", {})
        if match[3] is not None:  # a percent button
            return self._progress(msg, person, number, int(match[3]), "")
        return self._act_on_pick(msg, person, number, waiting[1])

    # --- plain replies and waiting questions -------------------------------------------------------

    def _reply(self, msg: Incoming, person: Person, text: str) -> list[Message]:
        today = local_today(self.clock)
        decision = re.fullmatch(r"(đồng ý|dong y|từ chối|tu choi)\s+#?(\d+)", text.strip().lower())
        if decision:
            return self._decide(msg, person, int(decision[2]), decision[1] in ("đồng ý", "dong y"))
        reply = parse_reply(text, today)
        if isinstance(reply, Unclear):
            why = f" ({reply.why})" if reply.why else ""
            return [Message(f"{texts.UNCLEAR}{why}")]
        if reply.assignment_id is not None:
            return self._apply(msg, person, reply.assignment_id, reply)
        candidates = self._replied_tasks(msg, person)
        if len(candidates) == 1:
            return self._apply(msg, person, candidates[0], reply)
        return self._ask_which(msg, person, _reply_data(reply), candidates)

    def _apply(
        self, msg: Incoming, person: Person, assignment_id: int, reply: Done | Progress | Extend
    ) -> list[Message]:
        if isinstance(reply, Done):
            return self._close(msg, person, assignment_id, reply.note)
        if isinstance(reply, Progress):
            return self._progress(msg, person, assignment_id, reply.percent, reply.note)
        return self._request_extension(msg, person, assignment_id, reply.due, reply.reason)

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
        allowed = [i for i in dict.fromkeys(ids) if person.may_act_on(unit_of(self.engine, i) or -1)]
        return allowed

    def _ask_which(
        self, msg: Incoming, person: Person, data: dict[str, Any], candidates: list[int] | None = None
    ) -> list[Message]:
        if candidates is None:
            candidates = self._replied_tasks(msg, person)
        if not candidates:
            today = local_today(self.clock)
            candidates = [r.id for r in tasks(self.engine, today, unit_ids=person.unit_ids)][:10]
        if not candidates:
            return [Message("Đơn vị của đồng chí không còn việc nào đang mở.")]
        self._set_waiting(msg, "pick", {**data, "candidates": candidates})
        rows = [assignment_row(self.engine, i) for i in candidates[:10]]
        lines = ["Việc nào ạ? Bấm nút hoặc gõ số việc (/huy để thôi):"]
        lines += [f"#{r.id} {texts.short(r.title, 70)} — {r.unit_name}" for r in rows if r]
        buttons = [[Button(f"#{r.id} {texts.short(r.title, 30)}", f"k:{r.id}")] for r in rows if r]
        return [Message("\n".join(lines), buttons)]

    def _act_on_pick(self, msg: Incoming, person: Person, assignment_id: int, data: dict[str, Any]) -> list[Message]:
        action = data.get("action", "done")
        if action == "progress":
            return self._progress(msg, person, assignment_id, int(data.get("percent", 0)), data.get("note", ""))
        if action == "extend":
            return self._request_extension(
                msg, person, assignment_id, date.fromisoformat(data["due"]), data.get("reason", "")
            )
        return self._close(msg, person, assignment_id, data.get("note", ""))

    def _answer(self, msg: Incoming, person: Person, waiting: tuple[str, dict[str, Any]], text: str) -> list[Message]:
        kind, data = waiting
        if kind == "pick":
            number = re.fullmatch(r"#?(\d+)", text.strip())
            if number:
                chosen = int(number[1])
                candidates = data.get("candidates", [])
                if chosen not in candidates and 1 <= chosen <= len(candidates):
                    chosen = candidates[chosen - 1]  # a numbered choice
                return self._act_on_pick(msg, person, chosen, data)
        if kind == "progress_percent":
            match = re.fullmatch(r"(\d{1,3})\s*%?\s*(.*)", text.strip(), re.S)
            if match:
                return self._progress(msg, person, data["id"], int(match[1]), match[2].strip())
            return [Message("Hãy gõ một số phần trăm, vd. 60 (hoặc /huy).")]
        if kind == "extend_date":
            reply = parse_reply(f"gia hạn {text}", local_today(self.clock))
            if isinstance(reply, Extend):
                return self._request_extension(msg, person, data["id"], reply.due, reply.reason)
            return [
                Message(
                    f"Chưa đọc được ngày: {reply.why if isinstance(reply, Unclear) else ''}. "
                    'Vd. "15/6 vì chưa đủ kinh phí" (hoặc /huy).'
                )
            ]
        if kind == "extend_reason" and text.strip():
            return self._request_extension(msg, person, data["id"], date.fromisoformat(data["due"]), text.strip())
        self._clear_waiting(msg)
        return self._reply(msg, person, text)

    # --- chat state ----------------------------------------------------------------------------

    def _waiting(self, msg: Incoming) -> tuple[str, dict[str, Any]] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(CHAT_STATES.c.waiting_for, CHAT_STATES.c.data).where(
                    CHAT_STATES.c.channel == msg.channel, CHAT_STATES.c.chat_id == msg.chat_id
                )
            ).first()
        return (row[0], dict(row[1])) if row else None

    def _set_waiting(self, msg: Incoming, kind: str, data: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(CHAT_STATES).where(CHAT_STATES.c.channel == msg.channel, CHAT_STATES.c.chat_id == msg.chat_id)
            )
            conn.execute(
                insert(CHAT_STATES).values(
                    channel=msg.channel, chat_id=msg.chat_id, waiting_for=kind, data=data, updated_at=self.clock.now()
                )
            )

    def _clear_waiting(self, msg: Incoming) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(CHAT_STATES).where(CHAT_STATES.c.channel == msg.channel, CHAT_STATES.c.chat_id == msg.chat_id)
            )
        return bool(result.rowcount)

    def _setting(self, official_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(SETTINGS).where(SETTINGS.c.official_id == official_id)).mappings().first()
        return dict(row) if row else {}

    def _save_setting(self, official_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            exists = conn.execute(select(SETTINGS.c.official_id).where(SETTINGS.c.official_id == official_id)).scalar()
            if exists is None:
                conn.execute(insert(SETTINGS).values(official_id=official_id, language="vi", **values))
            else:
                conn.execute(update(SETTINGS).where(SETTINGS.c.official_id == official_id).values(**values))

    def _unit_arg(self, text: str) -> int | None:
        try:
            return find_unit_id(self.engine, text)
        except UnknownUnitError:
            return None


def _split_command(text: str) -> tuple[str | None, str]:
    if not text.startswith("/"):
        return None, text
    head, _, rest = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    return name, rest.strip()


def _number_and_rest(args: str) -> tuple[int | None, str]:
    match = re.fullmatch(r"#?(\d{1,12})\s*(.*)", args.strip(), re.S)
    return (int(match[1]), match[2].strip()) if match else (None, args.strip())


def _reply_data(reply: Done | Progress | Extend) -> dict[str, Any]:
    if isinstance(reply, Done):
        return {"action": "done", "note": reply.note}
    if isinstance(reply, Progress):
        return {"action": "progress", "percent": reply.percent, "note": reply.note}
    return {"action": "extend", "due": reply.due.isoformat(), "reason": reply.reason}


def _describe(line: Any) -> str:
    labels = {"open": "chưa làm", "in_progress": "đang làm", "done": "xong", "cancelled": "hủy"}
    if line.kind == "status":
        pct = f" {line.percent}%" if line.new_status == "in_progress" and line.percent is not None else ""
        text = f"{labels.get(line.old_status, line.old_status)} → {labels.get(line.new_status, line.new_status)}{pct}"
    elif line.kind == "deadline_changed":
        text = f"đổi hạn trong sổ {texts.day(line.old_due)} → {texts.day(line.new_due)}"
    elif line.kind == "extension_requested":
        text = f"xin gia hạn đến {texts.day(line.new_due)}"
    elif line.kind == "extension_approved":
        text = f"lãnh đạo đồng ý gia hạn {texts.day(line.old_due)} → {texts.day(line.new_due)}"
    elif line.kind == "extension_refused":
        text = "lãnh đạo chưa đồng ý gia hạn"
    else:
        text = line.kind
    via = f" qua {line.channel}" if line.channel else ""
    note = f" — {line.note}" if line.note else ""
    return f"{text}{via}{note}"
