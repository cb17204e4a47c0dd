"""Extension requests and the leaders' decisions on them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, Engine, select

from bot.conversation import texts
from bot.conversation.base import MAX_ID, Base
from bot.conversation.incoming import Incoming
from bot.conversation.texts import Button, Message
from scheduler.outbox.queue import EXTENSION_DECIDED, EXTENSION_DECISION, EXTENSION_REQUEST, Buttons, Outgoing
from scheduler.register.access import Person
from scheduler.register.bots import channel_kind
from scheduler.register.changes import (
    Decision,
    ExtensionError,
    decide_extension,
    pending_extension,
    pending_extensions,
    request_extension,
)
from scheduler.register.models import (
    ASSIGNMENTS,
    CHATS,
    EXTENSIONS,
    MEMBERS,
    OFFICIALS,
    TASKS,
    Role,
)
from scheduler.register.queries import (
    assignment_row,
)

DESK_PAGE = 5  # requests a page of /duyet shows


class Extensions(Base):
    """Asking for more time; leaders approve or refuse."""

    def _request_extension(
        self, msg: Incoming, person: Person, assignment_id: int, due: date, reason: str
    ) -> list[Message]:
        row = self._visible(person, assignment_id, acting=True)
        if isinstance(row, Message):
            return [row]
        again = pending_extension(self.engine, assignment_id)
        why = texts.reason_text(reason) if reason else "không ghi"
        ask = (
            f"📅 Đề nghị gia hạn từ {person.name} ({row.unit_name}):\n#{row.id} {texts.short(row.title)}\n"
            f"Hạn hiện tại {texts.day(row.due)} → xin đến {texts.day(due)}\nLý do: {why}"
        )

        def to_leaders(conn: Connection, request_id: int) -> list[Outgoing]:
            """The request, to every leader of the unit (or all leaders), in the same transaction."""
            buttons = button_rows([_decision_buttons(request_id)])
            out = []
            for official_id, channel, chat_id in _leader_chats(conn, _unit_of(conn, assignment_id), person.id):
                typed = not texts.CAPABILITIES.get(channel_kind(channel), texts.TELEGRAM).buttons
                text = f"{ask}\nTrả lời: đồng ý {request_id} · từ chối {request_id} [lý do]" if typed else ask
                out.append(
                    Outgoing(official_id, channel, EXTENSION_REQUEST, f"{request_id}:{chat_id}", text, buttons, chat_id)
                )
            return out

        try:
            request_extension(
                self.engine, assignment_id, person.id, due, reason, self.clock, msg.channel, msg.chat_id, to_leaders
            )
        except ExtensionError as exc:
            return [Message(f"Chưa gửi được đề nghị: {exc}.")]
        self._clear_waiting(msg)
        if again is not None:  # the same request again: it is updated, leaders are not asked twice
            return [
                Message(
                    f"📝 Đã cập nhật đề nghị gia hạn #{row.id} {texts.short(row.title, 60)} đang chờ lãnh đạo: "
                    f"nay xin đến {texts.day(due)} (lý do: {why}). Lãnh đạo thấy bản mới trong /duyet."
                )
            ]
        return [
            Message(
                f"📨 Đã gửi đề nghị gia hạn #{row.id} {texts.short(row.title, 60)} đến {texts.day(due)} "
                f"(lý do: {why}) tới lãnh đạo. "
                f"Hạn vẫn là {texts.day(row.due)} cho đến khi được đồng ý."
            )
        ]

    # --- the leaders' desk ---------------------------------------------------------------------

    def approvals(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/duyet [trang]: pending extension requests, oldest first, a page at a time."""
        if not person.decides_extensions:
            return [Message("Xin lỗi, chỉ lãnh đạo mới xem và quyết định các đề nghị gia hạn.")]
        page = int(args) if args.strip().isdigit() and int(args) > 0 else 1
        return [self._desk(page)]

    def _desk(self, page: int) -> Message:
        requests, total = pending_extensions(self.engine, (page - 1) * DESK_PAGE, DESK_PAGE)
        if total == 0:
            return Message("📭 Không có đề nghị gia hạn nào đang chờ.")
        pages = (total + DESK_PAGE - 1) // DESK_PAGE
        if not requests:
            return self._desk(pages)
        lines = [f"📋 Đề nghị gia hạn đang chờ: {total} (cũ nhất trước) — trang {page} trên {pages}"]
        buttons: list[list[Button]] = []
        for number, request in enumerate(requests, start=(page - 1) * DESK_PAGE + 1):
            row = assignment_row(self.engine, request.assignment_id)
            if row is None:
                continue
            lines.append(
                f"{number}. #{row.id} {texts.short(row.title, 60)} — {row.unit_name}\n"
                f"   hạn {texts.day(row.due)} → xin đến {texts.day(request.requested_due)} · "
                f"{request.requester}, {texts.moment(request.created_at)}\n"
                f"   lý do: {texts.reason_text(request.reason) if request.reason else 'không ghi'}"
            )
            buttons.append(_decision_buttons(request.id, row.id))
        nav = []
        if page > 1:
            nav.append(Button("◀ Trang trước", f"dv:{page - 1}"))
        if page < pages:
            nav.append(Button("Trang sau ▶", f"dv:{page + 1}"))
        if nav:
            buttons.append(nav)
        lines.append("Bấm nút, hoặc gõ: đồng ý <số đề nghị> · từ chối <số đề nghị> [lý do].")
        return Message("\n".join(lines), buttons)

    def _decide(
        self, msg: Incoming, person: Person, request_id: int, approve: bool, reason: str | None = None
    ) -> list[Message]:
        """Approve at once; a refusal first asks for a reason (which reaches the requester) unless given."""
        if not person.decides_extensions:
            return [Message("Xin lỗi, chỉ lãnh đạo mới quyết định gia hạn.")]
        if not 1 <= request_id <= MAX_ID:
            return [Message(f"Không ghi được: không có yêu cầu gia hạn số {request_id}.")]
        if not approve and reason is None:
            if pending_request_state(self.engine, request_id) != "pending":
                return self._refuse(msg, person, request_id, "")  # says why it cannot
            self._set_waiting(msg, "refuse_reason", {"request": request_id})
            return [
                Message(
                    "Lý do từ chối là gì? Gõ lý do (sẽ gửi tới người đề nghị), hoặc bấm “Từ chối, không ghi lý do”.",
                    [[Button("Từ chối, không ghi lý do", f"nr:{request_id}")]],
                )
            ]
        return self._record_decision(msg, person, request_id, approve, reason or "")

    def _refuse(self, msg: Incoming, person: Person, request_id: int, reason: str) -> list[Message]:
        self._clear_waiting(msg)
        return self._record_decision(msg, person, request_id, False, reason)

    def _record_decision(
        self, msg: Incoming, person: Person, request_id: int, approve: bool, reason: str
    ) -> list[Message]:
        why = f" Lý do: {reason}." if reason else ""

        def words(conn: Connection, decision: Decision) -> tuple[str, str, str, str]:
            """What the deciding leader, the requester and the other leaders read."""
            title = texts.short(assignment_title(conn, decision.assignment_id), 60)
            ref = f"#{decision.assignment_id}"
            if decision.approved:
                return (
                    f"✅ Đã đồng ý gia hạn {ref} đến {texts.day(decision.new_due)}.",
                    f"✅ Lãnh đạo ({person.name}) đã đồng ý gia hạn {ref} {title} đến {texts.day(decision.new_due)}.",
                    f"ℹ️ {person.name} đã đồng ý gia hạn {ref} {title} đến {texts.day(decision.new_due)}.",
                    "",
                )
            return (
                f"Đã từ chối đề nghị gia hạn {ref}; hạn giữ nguyên {texts.day(decision.old_due)}.{why}",
                f"❌ Lãnh đạo ({person.name}) chưa đồng ý gia hạn {ref} {title}; "
                f"hạn vẫn là {texts.day(decision.old_due)}.{why}",
                f"ℹ️ {person.name} đã từ chối đề nghị gia hạn {ref} {title}.{why}",
                "",
            )

        def to_others(conn: Connection, decision: Decision) -> list[Outgoing]:
            """The decision back to the chat the request came from; the other leaders asked see who decided
            what, so that nobody decides it twice."""
            _mine, theirs, others, _ = words(conn, decision)
            out = []
            if decision.chat_id and decision.channel:
                key = f"{decision.request_id}:{decision.chat_id}"
                out.append(
                    Outgoing(
                        decision.requested_by,
                        decision.channel,
                        EXTENSION_DECISION,
                        key,
                        theirs,
                        chat_id=decision.chat_id,
                    )
                )
            mine = _chats_of(conn, person.id)
            for official_id, channel, chat_id in _leader_chats(
                conn, _unit_of(conn, decision.assignment_id), decision.requested_by
            ):
                if (channel, chat_id) != (msg.channel, msg.chat_id) and chat_id not in mine:
                    key = f"{decision.request_id}:{chat_id}"
                    out.append(Outgoing(official_id, channel, EXTENSION_DECIDED, key, others, chat_id=chat_id))
            return out

        try:
            decision = decide_extension(
                self.engine,
                request_id,
                person.id,
                approve,
                self.clock,
                msg.channel,
                msg.message_id,
                note=reason,
                tell=to_others,
            )
        except ExtensionError as exc:
            return [Message(f"Không ghi được: {exc}.")]
        with self.engine.connect() as conn:
            mine = words(conn, decision)[0]
        return [Message(mine)]


def _leader_chats(conn: Connection, unit_id: int | None, exclude: int) -> list[tuple[int, str, str]]:
    """(official, channel, chat) of every leader of the unit (of every leader when it has none), but one."""
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
        leaders = conn.execute(select(OFFICIALS.c.id).where(OFFICIALS.c.role == Role.leader.value)).scalars().all()
    chats = conn.execute(
        select(CHATS.c.official_id, CHATS.c.channel, CHATS.c.chat_id)
        .where(CHATS.c.official_id.in_([i for i in leaders if i != exclude]), CHATS.c.active.is_(True))
        .order_by(CHATS.c.id)
    ).all()
    return [(int(o), str(c), str(i)) for o, c, i in chats]


def _unit_of(conn: Connection, assignment_id: int) -> int | None:
    return conn.execute(select(ASSIGNMENTS.c.unit_id).where(ASSIGNMENTS.c.id == assignment_id)).scalar()


def _chats_of(conn: Connection, official_id: int) -> set[str]:
    return set(conn.execute(select(CHATS.c.chat_id).where(CHATS.c.official_id == official_id)).scalars())


def assignment_title(conn: Connection, assignment_id: int) -> str:
    title = conn.execute(
        select(TASKS.c.title)
        .join(ASSIGNMENTS, ASSIGNMENTS.c.task_id == TASKS.c.id)
        .where(ASSIGNMENTS.c.id == assignment_id)
    ).scalar()
    return str(title or "")


def button_rows(rows: list[list[Button]]) -> Buttons:
    """Buttons as the outbox keeps them: rows of (label, data)."""
    return tuple(tuple((b.label, b.data) for b in row) for row in rows)


def _decision_buttons(request_id: int, task: int | None = None) -> list[Button]:
    suffix = f" #{task}" if task is not None else ""
    return [Button(f"👍 Đồng ý{suffix}", f"ok:{request_id}"), Button(f"👎 Từ chối{suffix}", f"no:{request_id}")]


def pending_request_state(engine: Engine, request_id: int) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(EXTENSIONS.c.state).where(EXTENSIONS.c.id == request_id)).scalar()
