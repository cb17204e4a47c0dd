"""The `nhacviec` command: check a deadline phrase, import and export the register, ask what is due."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scheduler.clock import clock_from_env, local_today, parse_now

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from scheduler.register.file import Register

# Each command imports what it uses, inside it: `nhacviec deadline` needs the grammar, not SQLAlchemy, openpyxl
# or Alembic (tests/integration/test_lazy_imports.py holds every command to its list).

log = logging.getLogger("nhacviec.cli")

EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
STATES = (
    "active",
    "all",
    "open",
    "in_progress",
    "overdue",
    "not_reported",
    "done",
    "done_on_time",
    "done_late",
    "cancelled",
)


class CliError(Exception):
    """A problem the user can fix; printed without a traceback, exit code 2."""


# Errors that mean the user's input is wrong (a phrase, a period, a file): exit code 2 with their message.
# Any other exception is a bug of ours: exit code 1, a short line, the traceback only in DEBUG logs.
# Named, not imported, so that a command loads only what it uses: while a module is not loaded, none of
# its errors can have been raised.
USER_ERRORS = {
    ("scheduler.deadlines", "DeadlineError"),
    ("scheduler.reporting.stats", "PeriodError"),
    ("scheduler.register.invites", "InviteError"),
    ("scheduler.register.queries", "UnknownUnitError"),
    ("scheduler.register.links", "UnknownOfficialError"),
    ("scheduler.drafting.documents", "DocumentError"),
    ("scheduler.outbox.policy", "PolicyError"),
    ("scheduler.clock", "TimeTextError"),  # NHACVIEC_NOW that is no date
}


def is_user_error(exc: BaseException) -> bool:
    if isinstance(exc, CliError | FileNotFoundError | IsADirectoryError | PermissionError):
        return True
    return any((cls.__module__, cls.__name__) in USER_ERRORS for cls in type(exc).__mro__)


def _when(text: str) -> str:
    """`--today`: checked while parsing, so that a typo is the user's error and not ours."""
    try:
        parse_now(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _listen(text: str) -> str:
    """`--listen HOST:PORT`: checked while parsing, before any call to a Bot API."""
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536 or (host and not host.strip("[]")):
        raise argparse.ArgumentTypeError(f"'{text}' không phải host:cổng, vd. 0.0.0.0:8443 hoặc 127.0.0.1:8444")
    return text


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ngày {text!r} phải viết dạng YYYY-MM-DD, vd. 2022-05-02") from None


def _engine(args: argparse.Namespace) -> Engine:
    from scheduler.db import make_engine

    return make_engine(args.database)


def _unit(engine: Engine, text: str | None) -> int | None:
    from scheduler.register.queries import UnknownUnitError, find_unit_id

    if text is None:
        return None
    try:
        return find_unit_id(engine, text)
    except UnknownUnitError as exc:
        raise CliError(str(exc)) from None


def _today(args: argparse.Namespace) -> date:
    return local_today(clock_from_env(args.today))


# --- commands ------------------------------------------------------------------------------------


def cmd_deadline(args: argparse.Namespace) -> int:
    """Show how a deadline phrase is read."""
    from scheduler.deadlines import DeadlineError, parse_deadline

    try:
        found = parse_deadline(args.phrase, args.doc_date or _today(args))
    except DeadlineError as exc:
        if args.json:
            print(json.dumps({"text": args.phrase, "error": exc.reason}, ensure_ascii=False))
            return EXIT_BAD_INPUT
        raise CliError(str(exc)) from None
    if args.json:
        print(json.dumps(found.to_json(), ensure_ascii=False))
    elif found.due:
        print(f"{found.text!r} → hạn {found.due:%d/%m/%Y} ({_WEEKDAYS_VI[found.due.weekday()]})")
    else:
        how = "sự kiện: nhắc hôm trước và sáng hôm đó" if found.event else "thời hạn: nhắc và đôn đốc đến khi xong"
        print(f"{found.text!r} → lặp lại: {found.rrule} ({how})")
    return 0


_WEEKDAYS_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def cmd_import(args: argparse.Namespace) -> int:
    """Check the whole file, then write all of it in one transaction (or nothing)."""
    from scheduler.register.importer import import_register, load_register

    path = Path(args.file)
    reg = load_register(path, allow_empty=args.allow_empty)
    if args.check:
        print(f"{path.name}: hợp lệ — {len(reg.units)} đơn vị, {len(reg.officials)} cán bộ, {len(reg.tasks)} nhiệm vụ.")
        _preview_import(args, reg, path)
        return 0
    engine = _engine(args)
    report = import_register(engine, reg, clock_from_env(None), actor=f"import:{path.name}")
    print(f"Đã nhập {path.name}:")
    for line in report.summary():
        print(f"  {line}")
    from scheduler.register.bots import bots_in_use, token_variable

    with engine.connect() as conn:
        bots = bots_in_use(conn)
    for bot, units in sorted(bots.items()):  # what `nhacviec run` will ask for
        print(f"  bot riêng {bot!r} cho {len(units)} đơn vị: đặt token vào biến môi trường {token_variable(bot)}")
    return 0


def _preview_import(args: argparse.Namespace, reg: Register, path: Path) -> None:
    """What the import would change in the database already there; nothing is written, none is created."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from scheduler.db import default_url, is_current, make_engine
    from scheduler.register.importer import import_register

    try:
        url = make_url(args.database or default_url())
        if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
            return  # no database yet (opening one would create it): the import would add everything
        engine = make_engine(url.render_as_string(hide_password=False), migrate=False)
        try:
            if not is_current(engine):
                return
            report = import_register(engine, reg, clock_from_env(None), actor=f"import:{path.name}", dry_run=True)
        finally:
            engine.dispose()
    except SQLAlchemyError:
        print("(không mở được cơ sở dữ liệu để xem trước những gì sẽ thay đổi)")
        return
    print("Nhập vào cơ sở dữ liệu hiện có sẽ:")
    for line in report.summary():
        print(f"  {line}")


def _export_format(output: str | None) -> str:
    """What `-o` asks for by its name: `so.xlsx` a workbook, `so.yaml` (or nothing) YAML, a folder CSV files;
    YAML written into a file named .xlsx opened as a broken workbook."""
    if output is None:
        return "yaml"
    suffix = Path(output).suffix.lower()
    if suffix == ".xlsx":
        return "xlsx"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == "" or Path(output).is_dir():
        return "csv"
    raise CliError(f"-o {output}: ghi sổ ra tệp .yaml, .xlsx hoặc một thư mục (CSV); hoặc chọn --format")


def cmd_export(args: argparse.Namespace) -> int:
    """Write the register out in the import format."""
    from scheduler.register.importer import read_register
    from scheduler.register.tables import write_csv_folder, write_xlsx
    from scheduler.register.yaml_format import dump_yaml

    kind = args.format or _export_format(args.output)
    reg = read_register(_engine(args))
    if kind == "yaml":
        text = dump_yaml(reg)
        if not args.output:
            sys.stdout.write(text)
            return 0
        Path(args.output).write_text(text, encoding="utf-8")
    elif not args.output:
        raise CliError(f"--format {kind} cần -o: một tệp .xlsx hoặc một thư mục cho các tệp CSV")
    elif kind == "xlsx":
        write_xlsx(reg, Path(args.output))
    else:
        write_csv_folder(reg, Path(args.output))
    print(f"Đã xuất sổ ra {args.output}", file=sys.stderr)
    return 0


def _print_rows(args: argparse.Namespace, rows: list, today: date) -> None:  # type: ignore[type-arg]
    from bot.tables import assignment_table, use_color

    if args.json:
        print(json.dumps([r.to_json(today) for r in rows], ensure_ascii=False, indent=2))
        return
    print(assignment_table(rows, today, use_color(args.color)))
    if rows:
        return
    engine = _engine(args)
    if _register_is_empty(engine):
        from scheduler.db import where

        print(
            f"Sổ nhiệm vụ còn trống (cơ sở dữ liệu {where(engine)}). Nhập sổ trước, vd.: nhacviec import "
            "data/register.yaml; hoặc chạy lệnh ở thư mục có sổ, hay đặt NHACVIEC_DATABASE_URL / --database.",
            file=sys.stderr,
        )


def _register_is_empty(engine: Engine) -> bool:
    from sqlalchemy import select

    from scheduler.register.models import TASKS

    with engine.connect() as conn:
        return conn.execute(select(TASKS.c.id).limit(1)).first() is None


def cmd_tasks(args: argparse.Namespace) -> int:
    """List assignments, soonest first."""
    from scheduler.register.queries import tasks

    engine = _engine(args)
    today = _today(args)
    _print_rows(args, tasks(engine, today, _unit(engine, args.unit), args.status), today)
    return 0


def cmd_overdue(args: argparse.Namespace) -> int:
    """What is past due and not done; `--summary` counts per unit."""
    from bot.tables import summary_table, use_color
    from scheduler.register.queries import overdue, overdue_summary

    engine = _engine(args)
    today = _today(args)
    if args.summary:
        items = overdue_summary(engine, today)
        if args.json:
            print(
                json.dumps(
                    [
                        {
                            "unit": i.unit_code,
                            "unit_name": i.unit_name,
                            "overdue": i.count,
                            "oldest_due": i.oldest_due.isoformat(),
                        }
                        for i in items
                    ],
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            print(summary_table(items, today, use_color(args.color)))
        return 0
    _print_rows(args, overdue(engine, today, _unit(engine, args.unit)), today)
    return 0


def cmd_upcoming(args: argparse.Namespace) -> int:
    """What falls due in the next days."""
    from scheduler.register.queries import upcoming

    engine = _engine(args)
    today = _today(args)
    _print_rows(args, upcoming(engine, today, args.days, _unit(engine, args.unit)), today)
    return 0


def cmd_remind(args: argparse.Namespace) -> int:
    """Show what would be sent today, by person (the planner itself, rolled back); without --dry-run, plan
    and send through the log."""
    import asyncio

    from bot.tables import render_preview
    from scheduler.outbox.dispatcher import Dispatcher
    from scheduler.outbox.notify import LoggingNotifier
    from scheduler.outbox.planner import dry_run, plan_all

    engine = _engine(args)
    clock = clock_from_env(args.today)
    if args.dry_run:
        rows = dry_run(engine, clock)
        if args.json:
            print(json.dumps(preview_json(rows), ensure_ascii=False, indent=2, default=str))
        else:
            print(render_preview(rows, local_today(clock)))
        return 0
    report = plan_all(engine, clock)
    sent = asyncio.run(Dispatcher(engine, {"console": LoggingNotifier()}, clock).run_once())
    if args.json:
        print(json.dumps({"planned": report.planned, "messages": sent.messages, "reminders": sent.rows_sent}))
        return 0
    print(f"Đã lập {report.planned} lời nhắc, gửi {sent.messages} tin ({sent.rows_sent} lời nhắc).")
    if not sent.messages:
        print(_why_nothing_was_sent(engine, dry_run(engine, clock), local_today(clock)))
    return 0


def preview_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`remind --dry-run --json`: one object per reminder that would go out."""
    keys = ("official_id", "channel", "chat_id", "assignment_id", "kind", "planned_for", "send_after")
    return [{k: row.get(k) for k in keys if k in row} for row in rows]


def _why_nothing_was_sent(engine: Engine, due: list[dict[str, Any]], today: date) -> str:
    """A keeper who sees "0 tin" wants to know whether that is right: nothing due, or nobody to send it to."""
    from sqlalchemy import select

    from scheduler.register.models import CHATS

    if not due:
        return f"Hôm nay ({today:%d/%m/%Y}) không có việc nào cần nhắc."
    people = {row["official_id"] for row in due}
    with engine.connect() as conn:
        linked = set(
            conn.execute(
                select(CHATS.c.official_id).where(CHATS.c.official_id.in_(people), CHATS.c.active.is_(True))
            ).scalars()
        )
    if not linked:
        return (
            f"Chưa gửi được tin nào: hôm nay có {len(people)} người cần nhắc ({len(due)} việc) nhưng chưa ai "
            "liên kết Telegram hoặc Zalo. Tạo mã mời cho từng người: nhacviec invite --official <mã hoặc tên>."
        )
    return (
        f"{len(people) - len(linked)} trong {len(people)} người cần nhắc chưa liên kết chat; những người đã liên kết "
        "đã nhận tin trước đó hoặc sẽ nhận vào giờ gửi buổi sáng (xem nhacviec remind --dry-run)."
    )


def cmd_report(args: argparse.Namespace) -> int:
    """Statistics of a period by unit, as a table, JSON, an Excel file or a chart."""
    from bot.conversation.report_texts import report_table
    from scheduler.reporting.chart import stacked_chart
    from scheduler.reporting.excel import write_report
    from scheduler.reporting.stats import parse_period, period_containing, report_lines, statistics

    engine = _engine(args)
    today = _today(args)
    period = parse_period(args.period) if args.period else period_containing(today)
    stats = statistics(engine, period, today)
    if args.format in ("xlsx", "png") and not args.output:
        raise CliError(f"--format {args.format} cần -o <tệp>, vd. -o bao-cao-{period.key}.{args.format}")
    if args.format == "xlsx":
        rows = write_report(Path(args.output), stats, report_lines(engine, period, today))
        print(f"Đã ghi {args.output}: {rows} dòng nhiệm vụ, {len(stats.units)} đơn vị.", file=sys.stderr)
        return 0
    if args.format == "png":
        Path(args.output).write_bytes(stacked_chart(stats).png)
        print(f"Đã ghi biểu đồ {args.output}.", file=sys.stderr)
        return 0
    as_json = args.json or args.format == "json"
    text = json.dumps(stats.to_json(), ensure_ascii=False, indent=2) if as_json else report_table(stats)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


def cmd_ical(args: argparse.Namespace) -> int:
    """A unit's open deadlines as an .ics calendar file (the same as /lich in the bot)."""
    from scheduler.reporting.ical import unit_calendar

    engine = _engine(args)
    unit_id = _unit(engine, args.unit)
    assert unit_id is not None
    clock = clock_from_env(args.today)
    if args.json:  # the same open deadlines, as rows
        from scheduler.register.queries import tasks

        today = local_today(clock)
        print(json.dumps([r.to_json(today) for r in tasks(engine, today, unit_id, "active")], ensure_ascii=False))
        return 0
    data = unit_calendar(engine, [unit_id], clock.now(), f"Hạn việc — {args.unit}")
    if args.output in (None, "-"):
        sys.stdout.write(data.decode())
    else:
        Path(args.output).write_bytes(data)
        print(f"Đã ghi {args.output}: {data.count(b'BEGIN:VEVENT')} việc chưa xong.", file=sys.stderr)
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    """Draft a register from a document, or compare a draft with a reference register (--diff)."""
    from scheduler.drafting.documents import DocumentError, read_document
    from scheduler.drafting.drafts import compare, diff_text, draft_yaml, read_items, write_draft_xlsx
    from scheduler.drafting.extraction import extract

    if args.diff:
        draft_path, reference_path = (Path(p) for p in args.diff)
        for path in (draft_path, reference_path):
            if not path.exists():
                raise CliError(f"{path}: không có tệp hay thư mục này")
        print(diff_text(compare(read_items(draft_path), read_items(reference_path))))
        return 0
    if not args.file:
        raise CliError("cần một văn bản: nhacviec extract VĂN_BẢN -o draft.yaml (hoặc --diff NHÁP SỔ)")
    if args.output and Path(args.output).suffix.lower() not in (".yaml", ".yml", ".xlsx"):
        raise CliError(f"-o {args.output}: bản nháp ghi ra tệp .yaml hoặc .xlsx (vd. -o draft.yaml, -o draft.xlsx)")
    try:
        text = read_document(Path(args.file))
    except DocumentError as exc:
        raise CliError(str(exc)) from None
    from scheduler.register.importer import load_register

    register = load_register(Path(args.units))
    draft = extract(text, register, args.doc_date, source=Path(args.file).name)
    name = Path(args.output).name if args.output else "draft.yaml"
    if args.output and Path(args.output).suffix.lower() == ".xlsx":
        write_draft_xlsx(draft, register, Path(args.output))
    elif args.output:
        Path(args.output).write_text(draft_yaml(draft, register, name), encoding="utf-8")
    else:
        content = draft_yaml(draft, register, name)
        sys.stdout.write(content)
    reviewed = sum(1 for t in draft.tasks if t.review)
    day = f"{draft.doc_date:%d/%m/%Y}" if draft.doc_date else "không rõ"
    print(
        f"{args.file}: {len(draft.tasks)} nhiệm vụ ({len(draft.dated)} có thời hạn, "
        f"{len(draft.tasks) - len(draft.dated)} thường xuyên), {reviewed} cần xem lại; ngày văn bản {day}.",
        file=sys.stderr,
    )
    for note in draft.notes:
        print(f"Lưu ý: {note}", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The console demo on the Thường Xuân register: no token, no set-up."""
    from bot.demo import run_demo

    return run_demo(args.today, args.as_name)


def cmd_invite(args: argparse.Namespace) -> int:
    """Print a single-use link code for an official (valid 7 days)."""
    from scheduler.register.bots import bot_of_official, username_variable
    from scheduler.register.invites import InviteError, create_invite
    from scheduler.register.links import UnknownOfficialError, find_official_id

    engine = _engine(args)
    try:
        official_id = find_official_id(engine, args.official)
        code = create_invite(engine, official_id, clock_from_env(None), args.role)
    except (UnknownOfficialError, InviteError) as exc:
        raise CliError(str(exc)) from None
    with engine.connect() as conn:  # an official of a unit with its own bot links through that bot
        variable = username_variable(bot_of_official(conn, official_id))
    bot = os.environ.get(variable)
    print(f"Mã mời (dùng một lần, hạn 7 ngày): {code}")
    if bot:
        print(f"Telegram: https://t.me/{bot}?start={code}")
    else:  # a guessed username could be someone else's bot, and the code would go to its owner
        print(f"Telegram: mở bot của đơn vị và gửi tin nhắn: /start {code}")
        print(
            f"Lưu ý: chưa đặt {variable} (tên bot Telegram, vd. export {variable}=ten_bot_cua_ban), nên chưa in "
            "được đường link bấm vào là mở bot.",
            file=sys.stderr,
        )
    print(f"Zalo: gửi cho bot tin nhắn: /start {code}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Health: database, migrations, the last tick, the outbox, each configured channel's getMe."""
    from bot.status import run_status

    return run_status(args)


def cmd_run(args: argparse.Namespace) -> int:
    """Run the clock and the channels until stopped."""
    from bot.app import run_app

    return run_app(args)


# --- parser --------------------------------------------------------------------------------------


def _query_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--unit", help="mã, tên hoặc tên khác của đơn vị")
    _today_option(parser)
    parser.add_argument("--json", action="store_true", help="in JSON thay cho bảng")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="tô màu bảng")


def _today_option(parser: argparse.ArgumentParser, text: str = "đứng ở ngày này") -> None:
    parser.add_argument(
        "--today", type=_when, help=f"{text} (YYYY-MM-DD hoặc YYYY-MM-DDTHH:MM); mặc định NHACVIEC_NOW hoặc hôm nay"
    )


def build_parser() -> argparse.ArgumentParser:
    from bot.parser import Parser

    parser = Parser(prog="nhacviec", description="Nhắc việc: sổ nhiệm vụ và nhắc hạn cho các đơn vị.")
    parser.add_argument(
        "--database", help="URL cơ sở dữ liệu (mặc định NHACVIEC_DATABASE_URL hoặc data/nhacviec.sqlite3)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="LỆNH")

    p = sub.add_parser("deadline", help="xem một cụm từ thời hạn được hiểu thế nào")
    p.add_argument("phrase", metavar="THỜI_HẠN", help="vd. 'trong tháng 5/2022'")
    p.add_argument("--doc-date", type=_iso_date, help="ngày văn bản (YYYY-MM-DD), cho năm còn thiếu; mặc định hôm nay")
    p.add_argument("--today", type=_when, help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="in JSON")
    p.set_defaults(func=cmd_deadline)

    p = sub.add_parser("import", help="nhập sổ từ tệp YAML, Excel (.xlsx) hoặc thư mục CSV")
    p.add_argument("file")
    p.add_argument("--check", action="store_true", help="chỉ kiểm tra, không ghi gì")
    p.add_argument(
        "--allow-empty", action="store_true", help="nhận cả sổ không có đơn vị và nhiệm vụ nào (mặc định: từ chối)"
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="xuất sổ ra YAML, Excel hoặc CSV")
    p.add_argument(
        "--format", choices=("yaml", "xlsx", "csv"), help="mặc định: theo đuôi của -o (.xlsx, .yaml), không -o thì yaml"
    )
    p.add_argument("-o", "--output", help="tệp (yaml, xlsx) hoặc thư mục (csv)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("tasks", help="danh sách nhiệm vụ của các đơn vị")
    _query_options(p)
    p.add_argument("--status", choices=STATES, default="active", help="lọc theo tình trạng (mặc định: chưa xong)")
    p.set_defaults(func=cmd_tasks)

    p = sub.add_parser("overdue", help="những việc đã quá hạn")
    _query_options(p)
    p.add_argument("--summary", action="store_true", help="đếm theo đơn vị")
    p.set_defaults(func=cmd_overdue)

    p = sub.add_parser("remind", help="lời nhắc của hôm nay, theo từng người")
    p.add_argument("--dry-run", action="store_true", help="chỉ xem, không ghi và không gửi gì")
    _today_option(p)
    p.add_argument("--json", action="store_true", help="in JSON thay cho bảng")
    p.set_defaults(func=cmd_remind)

    p = sub.add_parser("demo", help="chạy thử trên màn hình (SQLite, không cần token)")
    p.add_argument("--today", type=_iso_date, default=date(2022, 4, 15), help="ngày bắt đầu (mặc định 2022-04-15)")
    p.add_argument("--as", dest="as_name", help="xem điện thoại của cán bộ này (mặc định: chánh văn phòng)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("invite", help="tạo mã mời liên kết chat cho một cán bộ")
    p.add_argument("--official", required=True, help="mã hoặc họ tên cán bộ")
    p.add_argument("--role", choices=("member", "head", "leader", "admin"), help="vai trò trao kèm mã")
    p.set_defaults(func=cmd_invite)

    p = sub.add_parser(
        "run",
        help="chạy bot: đồng hồ nhắc việc và các kênh (Telegram, Zalo)",
        description="Chạy bot cho đến khi dừng (Ctrl-C hoặc SIGTERM): mỗi phút lập và gửi lời nhắc, "
        "nhận tin trên Telegram (NHACVIEC_TELEGRAM_TOKEN) và/hoặc Zalo (NHACVIEC_ZALO_TOKEN).",
    )
    p.add_argument(
        "--channel",
        choices=("auto", "telegram", "zalo", "all", "log"),
        default="auto",
        help="auto: mọi kênh có token (Telegram, Zalo), không có token nào thì dừng (mã 3); "
        "all: cả Telegram và Zalo; log: chỉ ghi lời nhắc ra nhật ký, không cần token",
    )
    p.add_argument("--webhook", help="URL công khai để Telegram gọi (mặc định: long polling)")
    p.add_argument("--listen", type=_listen, default="0.0.0.0:8443", help="địa chỉ nghe webhook Telegram (host:port)")
    p.add_argument("--zalo-webhook", help="URL công khai để Zalo gọi (mặc định: long polling)")
    p.add_argument("--zalo-listen", type=_listen, default="0.0.0.0:8444", help="địa chỉ nghe webhook Zalo (host:port)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("extract", help="đọc văn bản (txt, docx, pdf) và viết bản nháp sổ nhiệm vụ")
    p.add_argument("file", nargs="?", help="văn bản kết luận, kế hoạch, chỉ thị (.txt UTF-8, .docx, .pdf có chữ)")
    p.add_argument("--doc-date", type=_iso_date, help="ngày văn bản (YYYY-MM-DD); mặc định đọc từ văn bản")
    p.add_argument(
        "--units", default="data/register.yaml", help="sổ chứa các đơn vị cần nhận ra (mặc định data/register.yaml)"
    )
    p.add_argument("-o", "--output", help="tệp nháp .yaml hoặc .xlsx (mặc định: YAML ra màn hình)")
    p.add_argument("--diff", nargs=2, metavar=("NHÁP", "SỔ"), help="so bản nháp với sổ, từng nhiệm vụ")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("report", help="thống kê tiến độ theo đơn vị: bảng, JSON, Excel hoặc biểu đồ")
    p.add_argument("--period", help="2022-04 (tháng), 2022-Q2 (quý), 2022 (năm); mặc định quý hiện tại")
    _today_option(p, "tính đến ngày này")
    p.add_argument("--format", choices=("text", "xlsx", "png", "json"), default="text")
    p.add_argument("--json", action="store_true", help="in JSON (như --format json)")
    p.add_argument("-o", "--output", help="tệp kết quả (bắt buộc với xlsx và png)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("ical", help="tệp lịch .ics các hạn chưa xong của một đơn vị")
    p.add_argument("--unit", required=True, help="mã, tên hoặc tên khác của đơn vị")
    p.add_argument("-o", "--output", help="tệp .ics (mặc định: in ra màn hình)")
    _today_option(p)
    p.add_argument("--json", action="store_true", help="in các hạn chưa xong dạng JSON thay cho tệp lịch")
    p.set_defaults(func=cmd_ical)

    p = sub.add_parser("upcoming", help="những việc sắp đến hạn")
    _query_options(p)
    p.add_argument("--days", type=int, default=7, help="số ngày tới (mặc định 7)")
    p.set_defaults(func=cmd_upcoming)

    p = sub.add_parser("status", help="bot có khỏe không: cơ sở dữ liệu, đồng hồ, hàng gửi, các kênh")
    p.add_argument("--json", action="store_true", help="in JSON")
    p.add_argument("--no-channels", action="store_true", help="không gọi getMe của các kênh")
    p.set_defaults(func=cmd_status)
    return parser


Command = Callable[[argparse.Namespace], int]
_SHOWN_PROBLEMS = 100


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script.

    The user's mistakes exit with 2 and a message; our own bugs exit with 1 and a short line (the
    traceback goes to the log only with NHACVIEC_LOG_LEVEL=DEBUG); never a traceback to the user otherwise.
    """
    args = build_parser().parse_args(argv)
    try:
        func: Command = args.func
        return func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `nhacviec tasks | head`: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the interpreter's last flush does not fail again
        return 141  # as a shell reports a command stopped by SIGPIPE
    except Exception as exc:
        # Only an import raises RegisterError: while its module is not loaded, this is some other error.
        register_file = sys.modules.get("scheduler.register.file")
        if register_file is not None and isinstance(exc, register_file.RegisterError):
            written = ", không có gì được ghi vào cơ sở dữ liệu" if args.command == "import" else " trong sổ"
            print(f"Lỗi: {len(exc.problems)} chỗ cần sửa{written}.", file=sys.stderr)
            for problem in exc.problems[:_SHOWN_PROBLEMS]:
                print(f"  {problem}", file=sys.stderr)
            if len(exc.problems) > _SHOWN_PROBLEMS:
                print(
                    f"  … và {len(exc.problems) - _SHOWN_PROBLEMS} chỗ khác (sửa các chỗ trên rồi chạy lại)",
                    file=sys.stderr,
                )
            return EXIT_BAD_INPUT
        if is_user_error(exc):
            print(f"Lỗi: {_user_text(exc)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        return internal_error(args.command, exc)


def _user_text(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        reason = {FileNotFoundError: "không có tệp này", IsADirectoryError: "đây là thư mục, cần một tệp"}
        return f"{exc.filename}: {reason.get(type(exc), 'không mở được (không có quyền đọc/ghi)')}"
    return str(exc).strip("'\"")


def internal_error(command: str, exc: BaseException) -> int:
    """A bug, not the user's mistake: one Vietnamese line; the traceback only at DEBUG level."""
    debug = os.environ.get("NHACVIEC_LOG_LEVEL", "").upper() == "DEBUG"
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=sys.stderr)
    log.error("internal error in %r: %s", command, type(exc).__name__, exc_info=exc if debug else None)
    print(
        f"Lỗi nội bộ khi chạy lệnh {command} ({type(exc).__name__}). Đây không phải lỗi của bạn: "
        "xin báo người quản trị; đặt NHACVIEC_LOG_LEVEL=DEBUG để xem chi tiết.",
        file=sys.stderr,
    )
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
