"""The register keeper in chat (role admin): files in and out, invites, what failed.

A register sent as a file is imported as the CLI does (all or nothing); a conclusion comes back as a
draft workbook to review; /moi makes an invite with its link and QR code; /sodangky sends the register
as Excel; /loi lists failed deliveries and chats that stopped listening, newest first.
"""

from __future__ import annotations

import io
import re

from bot.conversation import texts
from bot.conversation.base import Base
from bot.conversation.incoming import Incoming, IncomingFile
from bot.conversation.texts import Attachment, Message
from scheduler.clock import local_today
from scheduler.outbox.failures import failed_deliveries, never_linked, unlinked_chats
from scheduler.register.access import Person, load_person
from scheduler.register.bots import bot_of_official
from scheduler.register.file import Problem, RegisterError
from scheduler.register.invites import InviteError, create_invite
from scheduler.register.links import UnknownOfficialError, find_official_id
from scheduler.register.models import Role
from scheduler.register.unit_chats import group_recipient, is_group_recipient
from scheduler.register.uploads import UploadError, check_size, kind_of

ADMIN_ONLY = (
    "Xin lỗi, {what} dành cho Văn phòng Đảng ủy (người giữ sổ). Nếu cần sửa sổ, hãy gửi tệp hoặc đề nghị cho Văn phòng."
)
PROBLEMS_SHOWN = 40


def located(problem: Problem) -> str:
    """A problem in a keeper's words: which sheet, row and column (or line), then what to do."""
    # "[file: ]Nhiệm vụ!G7[ (Hạn (ngày))]" or "file:12[: field]"
    cell = re.fullmatch(r"(?:[^!:]+: )?(.+)!([A-Z]{1,3})(\d+)(?: \((.*)\))?", problem.where)
    if cell:
        heading = f" ({cell[4]})" if cell[4] else ""
        return f"• Trang «{cell[1]}», dòng {cell[3]}, cột {cell[2]}{heading}: {problem.message}"
    line = re.fullmatch(r"(.+?):(\d+)(?:: (.*))?", problem.where)
    if line:
        return f"• {line[1]}, dòng {line[2]}{', ' + line[3] if line[3] else ''}: {problem.message}"
    return f"• {problem.where}: {problem.message}"


class Keeper(Base):
    """Files from the keeper, /moi, /sodangky, /loi."""

    def _keeper(self, person: Person, what: str) -> Message | None:
        if person.role != Role.admin.value:
            return Message(ADMIN_ONLY.format(what=what))
        return None

    def document(self, msg: Incoming, person: Person) -> list[Message]:
        """A file sent to the bot: a register to import, or a conclusion to draft from."""
        document = msg.document
        assert document is not None
        refused = self._keeper(person, "việc gửi tệp cho bot")
        if refused is not None:
            return [refused]
        try:
            kind = kind_of(document.filename)
            check_size(document.filename, document.size)
            data = _fetch(document)
        except UploadError as exc:
            return [Message(f"Không nhận tệp: {exc}")]
        if kind == "register":
            return self._import(msg, person, document.filename, data)
        return self._draft(document.filename, data)

    def _import(self, msg: Incoming, person: Person, filename: str, data: bytes) -> list[Message]:
        from scheduler.register.uploads import import_upload  # Excel and YAML readers load on first use

        try:
            report = import_upload(self.engine, filename, data, self.clock, actor=f"{msg.channel}:{person.code}")
        except UploadError as exc:
            return [Message(f"Không nhận tệp: {exc}")]
        except RegisterError as exc:
            shown = [located(p) for p in exc.problems[:PROBLEMS_SHOWN]]
            more = len(exc.problems) - len(shown)
            lines = [f"❌ Chưa nhập {filename}: có {len(exc.problems)} chỗ cần sửa. Chưa ghi gì vào sổ."]
            lines += shown
            if more > 0:
                lines.append(f"… và {more} chỗ nữa.")
            lines.append("Sửa các chỗ trên trong tệp rồi gửi lại cả tệp.")
            return [Message("\n".join(lines))]
        lines = [f"✅ Đã nhập {filename}:"] + [f"• {line}" for line in report.summary()]
        return [Message("\n".join(lines))]

    def _draft(self, filename: str, data: bytes) -> list[Message]:
        from scheduler.register.uploads import draft_upload  # the document readers and the extractor too

        try:
            result = draft_upload(self.engine, filename, data, self.clock)
        except (UploadError, ValueError) as exc:  # DocumentError is a ValueError
            return [Message(f"Không đọc được văn bản: {exc}")]
        draft = result.draft
        day = f"{draft.doc_date:%d/%m/%Y}" if draft.doc_date else "không rõ"
        text = (
            f"📝 Bản nháp từ {filename} (ngày văn bản {day}): {len(draft.tasks)} nhiệm vụ, "
            f"{len(draft.dated)} có thời hạn, {result.to_review} cần xem lại.\n"
            "Mở tệp, xem trang «Nhiệm vụ»: mỗi dòng có câu trích văn bản và cột «Cần xem lại». Sửa thời hạn, "
            "đơn vị nếu cần, xóa ô «Cần xem lại» của dòng đã xem, rồi gửi lại tệp cho bot để nhập sổ."
        )
        return [Message(text, attachment=Attachment(result.filename, result.data))]

    def invite(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/moi <tên hoặc mã cán bộ | tên đơn vị>: a single-use invite, its link and its QR code."""
        refused = self._keeper(person, "/moi")
        if refused is not None:
            return [refused]
        wanted = args.strip()
        if not wanted:
            return [Message("Cách dùng: /moi <mã hoặc họ tên cán bộ>, vd. /moi ct-cong-doan; hoặc /moi <tên đơn vị> "
                            "để liên kết nhóm chat của đơn vị.")]  # fmt: skip
        for_group = False
        try:
            official_id = find_official_id(self.engine, wanted)
            name = wanted
        except UnknownOfficialError as exc:
            unit_id = self._unit_arg(wanted)
            if unit_id is None:
                return [Message(f"Không tạo được mã mời: {exc}; hoặc tên một đơn vị (để liên kết nhóm chat).")]
            official_id, for_group = group_recipient(self.engine, unit_id), True
        try:
            code = create_invite(self.engine, official_id, self.clock)
        except InviteError as exc:
            return [Message(f"Không tạo được mã mời: {exc}")]
        target = load_person(self.engine, official_id)
        name = target.name if target else wanted
        with self.engine.connect() as conn:  # the unit's own bot, when the register gives it one (a group
            bot = bot_of_official(conn, official_id)  # chat's recipient is a member of its unit)
        link = f"https://t.me/{self.bot_usernames.get(bot) or self.bot_username}?start={code}"
        if for_group:
            how = (
                f"Mã mời cho {name} (dùng một lần, hạn 7 ngày).\n"
                f"Trưởng đơn vị thêm bot vào nhóm chat của đơn vị rồi gõ trong nhóm:\n/start {code}\n"
                "Từ đó lời nhắc của đơn vị gửi một lần vào nhóm."
            )
        else:
            how = (
                f"Mã mời cho đồng chí {name} (dùng một lần, hạn 7 ngày).\n"
                f"Telegram: bấm {link} hoặc quét mã QR.\nZalo: nhắn cho bot: /start {code}\n"
                "Chuyển tin này cho đồng chí ấy."
            )
        return [Message(how, attachment=Attachment("ma-moi.png", qr_png(link), is_photo=True))]

    def register_file(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/sodangky: the register as an Excel workbook, to edit and send back."""
        refused = self._keeper(person, "/sodangky")
        if refused is not None:
            return [refused]
        from scheduler.register.uploads import register_workbook

        filename, data = register_workbook(self.engine, self.clock)
        return [
            Message(
                f"📒 Sổ nhắc việc ngày {texts.day(local_today(self.clock))}. Sửa trong Excel rồi gửi lại tệp để nhập.",
                attachment=Attachment(filename, data),
            )
        ]

    def failures(self, msg: Incoming, person: Person, args: str) -> list[Message]:
        """/loi: failed deliveries and chats that stopped listening, newest first."""
        refused = self._keeper(person, "/loi")
        if refused is not None:
            return [refused]
        failed = failed_deliveries(self.engine)
        gone = unlinked_chats(self.engine)
        lines: list[str] = []
        if failed:
            lines.append(f"❗ Tin không gửi được ({len(failed)}), mới nhất trước:")
            for f in failed:
                when = texts.moment(f.at) if f.at else "?"
                lines.append(f"• {when} — {f.official_name} ({f.official_code}), {f.channel}: {f.error}")
        if gone:
            lines.append(f"🔌 Chat đã ngắt liên kết ({len(gone)}), mới nhất trước:")
            for g in gone:
                kind = "nhóm chat" if g.is_group else "chat riêng"
                lines.append(f"• {g.official_name} ({g.official_code}), {kind} {g.channel}: cần /moi {g.official_code}")
        waiting = [(c, n) for c, n in never_linked(self.engine) if not is_group_recipient(c)]
        if waiting:
            shown = ", ".join(f"{n} ({c})" for c, n in waiting[:15]) + (" …" if len(waiting) > 15 else "")
            lines.append(f"👤 Chưa liên kết chat ({len(waiting)}): {shown}")
        if not lines:
            return [Message("✅ Không có tin nào gửi lỗi, mọi cán bộ đều đã liên kết chat.")]
        return [Message("\n".join(lines))]


def qr_png(link: str) -> bytes:
    """The link as a QR code picture, large enough to scan from a phone screen."""
    import segno  # only the keeper's /moi needs it

    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def _fetch(document: IncomingFile) -> bytes:
    if document.fetch is None:
        raise UploadError("kênh này không chuyển được tệp; hãy gửi qua Telegram")
    try:
        data = document.fetch()
    except Exception as exc:  # a download that failed: say so, never a traceback
        raise UploadError(f"không tải được tệp {document.filename!r} ({type(exc).__name__}); hãy gửi lại") from exc
    check_size(document.filename, len(data))
    return data
