"""Everything a person reads, in Vietnamese with full diacritics, and how a message fits its channel."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from scheduler.clock import LOCAL_TZ
from scheduler.collation import vietnamese_key
from scheduler.register.queries import AssignmentRow, UnitOverdue
from scheduler.register.state import STATE_LABELS, State, days_text

WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
MAX_BUTTON_TASKS = 10  # a digest longer than this gets typed answers for the rest
LIST_LIMIT = 40  # longer lists are summarised per unit, so that they stay readable on a phone
SUMMARY_UNITS = 15


@dataclass(frozen=True)
class Capabilities:
    """What a channel can show: the core adapts its messages to it."""

    name: str
    buttons: bool
    reply_to: bool
    max_length: int
    files: bool = False  # pictures and documents (the chart, the .ics calendar)
    caption_length: int = 0


TELEGRAM = Capabilities("telegram", buttons=True, reply_to=True, max_length=4096, files=True, caption_length=1024)
ZALO = Capabilities("zalo", buttons=False, reply_to=False, max_length=2000)
CONSOLE = Capabilities("console", buttons=True, reply_to=True, max_length=100_000, files=True, caption_length=100_000)
CAPABILITIES = {c.name: c for c in (TELEGRAM, ZALO, CONSOLE)}


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # at most 64 bytes (Telegram's limit)


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message: a picture shown inline (the chart) or a document (the .ics calendar)."""

    filename: str
    data: bytes
    is_photo: bool = False


@dataclass
class Message:
    """An answer to the chat that spoke: text, optional button rows, a file. A message for anyone else is
    enqueued in the outbox (scheduler.outbox.queue), never answered."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    reply_to: str | None = None
    attachment: Attachment | None = None


def day(d: date) -> str:
    return f"{d:%d/%m/%Y}"


def day_with_weekday(d: date) -> str:
    return f"{WEEKDAYS[d.weekday()]} {d:%d/%m/%Y}"


def moment(at: datetime) -> str:
    local = at.astimezone(LOCAL_TZ)
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def task_ref(assignment_id: int, task_code: str = "") -> str:
    """How a task is named everywhere a person reads it: the number to type, beside the register's code."""
    return f"#{assignment_id} ({task_code})" if task_code else f"#{assignment_id}"


CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "console": "bản chạy thử trên máy"}


def channel_name(channel: str) -> str:
    """How a person reads a channel: "Telegram", or "Telegram (bot huyen_a)" for a unit's own bot."""
    kind, _, bot = channel.partition(":")
    name = CHANNEL_NAMES.get(kind, kind)
    return f"{name} (bot {bot})" if bot else name


def file_size(size: int) -> str:
    """Vietnamese style: a dot between thousands, a comma before decimals (62.180 byte → 60,7 KB)."""
    if size < 1024:
        return f"{size} byte"
    for unit, scale in (("KB", 1024), ("MB", 1024**2), ("GB", 1024**3)):
        if size < scale * 1024 or unit == "GB":
            number = f"{size / scale:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
            return f"{number} {unit}"
    raise AssertionError("unreachable")


_REASON_LEAD = re.compile(
    r"^(?:(?:bởi|boi)\s+(?:vì|vi)|(?:vì|vi|do|bởi|boi|tại|tai)|(?:lý|ly|lí|li)\s+do(?:\s+là)?)\s*:?\s+", re.I
)


def reason_text(reason: str) -> str:
    """A reason as it reads after "lý do:" — without its own "vì" / "do" / "lý do" in front."""
    return _REASON_LEAD.sub("", reason.strip(), count=1) or reason.strip()


def unknown_command(command: str, known: list[str]) -> str:
    """A mistyped command gets the closest real one: "/viecc" → "/viec"."""
    close = difflib.get_close_matches(command.lower(), known, n=1, cutoff=0.6)
    hint = f" Có phải đồng chí muốn gõ /{close[0]}?" if close else ""
    return f"Không có lệnh /{command}.{hint} Gõ /help để xem các lệnh."


def short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def task_buttons(assignment_id: int, numbered: bool = False) -> list[Button]:
    suffix = f" #{assignment_id}" if numbered else ""
    return [
        Button(f"✅ Xong{suffix}", f"d:{assignment_id}"),
        Button("⏳ Đang làm", f"p:{assignment_id}"),
        Button("📅 Xin gia hạn", f"e:{assignment_id}"),
        Button("⏰ Nhắc lại sau", f"s:{assignment_id}"),
    ]


def typed_answers(assignment_id: int) -> str:
    return f"Trả lời: xong {assignment_id} · đang làm {assignment_id} 50% · gia hạn {assignment_id} 15/6 vì …"


def task_list(rows: list[AssignmentRow], today: date, title: str, group_by_unit: bool = False, limit: int = 40) -> str:
    """A readable list for a phone: soonest first, or grouped by unit with days overdue."""
    if not rows:
        return f"{title}\nKhông có việc nào."
    lines = [title]
    if group_by_unit:
        by_unit: dict[str, list[AssignmentRow]] = {}
        for row in rows:
            by_unit.setdefault(row.unit_name, []).append(row)
        ordered = sorted(by_unit.items(), key=lambda kv: (-len(kv[1]), vietnamese_key(kv[0])))
        shown = 0
        for number, (unit, items) in enumerate(ordered):
            if shown >= limit:
                rest = sum(len(v) for _, v in ordered[number:])
                lines.append(
                    f"\n… và {rest} việc nữa ở {len(ordered) - number} đơn vị khác. "
                    "Gõ /quahan <tên đơn vị> để xem từng đơn vị."
                )
                break
            lines.append(f"\n▪ {unit} ({len(items)} việc)")
            for row in items[: max(1, limit - shown)]:
                lines.append(
                    f"  {task_ref(row.id, row.task_code)} {short(row.title, 70)} — hạn {day(row.due)}, "
                    f"{days_text(row.due, today)}"
                )
                shown += 1
        return "\n".join(lines)
    for row in rows[:limit]:
        state = row.state(today)
        label = STATE_LABELS[state]
        if state == State.in_progress and row.percent:
            label += f" {row.percent}%"
        lines.append(
            f"{task_ref(row.id, row.task_code)} {short(row.title, 70)}\n   {row.unit_name} · hạn {day(row.due)} · "
            f"{days_text(row.due, today)} · {label}"
        )
    if len(rows) > limit:
        lines.append(f"… và {len(rows) - limit} việc nữa.")
    return "\n".join(lines)


def overdue_summary(summary: list[UnitOverdue], today: date) -> str:
    """Many overdue tasks: the units most behind, with counts, instead of a list nobody reads on a phone."""
    total = sum(u.count for u in summary)
    lines = [f"⏰ Quá hạn ngày {day(today)}: {total} việc ở {len(summary)} đơn vị. Các đơn vị chậm nhất:"]
    for unit in summary[:SUMMARY_UNITS]:
        lines.append(f"▪ {unit.unit_name}: {unit.count} việc, lâu nhất {days_text(unit.oldest_due, today)}")
    rest = summary[SUMMARY_UNITS:]
    if rest:
        lines.append(f"… và {len(rest)} đơn vị khác ({sum(u.count for u in rest)} việc).")
    lines.append("Gõ /quahan <tên đơn vị> để xem từng việc.")
    return "\n".join(lines)


def split_text(text: str, limit: int) -> list[str]:
    """Cut a long text on line boundaries so each part fits the channel."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


HELP = """Nhắc việc — các lệnh:
/viec (/tasks) — việc của đơn vị tôi, hạn gần nhất trước
/sapden [số ngày] (/upcoming) — việc sắp đến hạn
/quahan (/overdue) — việc đã quá hạn
/xong <số> [ghi chú] (/done) — báo đã xong
/tiendo <số> <phần trăm> [ghi chú] (/progress) — báo tiến độ
/giahan <số> <ngày> <lý do> (/extend) — xin gia hạn
/lichsu <số> (/history) — lịch sử một việc
/baocao [kỳ] (/report) — biểu đồ tiến độ theo đơn vị, vd. /baocao 2022-Q2 (lãnh đạo)
/duyet [trang] (/approvals) — đề nghị gia hạn đang chờ, cũ nhất trước, với nút đồng ý/từ chối (lãnh đạo)
/lich (/calendar) — tệp lịch .ics các hạn của đơn vị, để nhập vào lịch điện thoại
/caidat — giờ nhận tin, nghỉ phép (/nghiphep đến 20/5)
/kenh telegram|zalo|ca-hai — chọn nơi nhận lời nhắc
/huy — hủy câu hỏi đang chờ
/whoami — tôi là ai trong sổ
/giaoviec <đơn vị>: <việc> <hạn> — giao việc ngay trong chat (lãnh đạo)
/nhanrieng bat|tat — nhận cả tin riêng khi đơn vị đã có nhóm chat
Văn phòng: gửi tệp sổ .xlsx để nhập, văn bản .docx/.pdf/.txt để soạn nháp; /moi, /sodangky, /loi
Có thể trả lời thẳng vào tin nhắc: "xong", "đang làm 50%", "xin gia hạn đến 15/6 vì …"."""

UNLINKED = (
    "Chào đồng chí. Cuộc trò chuyện này chưa được liên kết với sổ nhắc việc.\n"
    "Hãy gửi /start <mã mời> (mã do Văn phòng Đảng ủy cấp, dùng một lần, hạn 7 ngày)."
)

UNCLEAR = (
    'Tôi chưa hiểu ý đồng chí, nên chưa ghi gì. Tôi hiểu các câu như: "xong", "xong 12", '
    '"đang làm 50%", "xin gia hạn đến 15/6 vì …", hoặc các lệnh trong /help.'
)
