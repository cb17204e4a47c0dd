"""A message the outbox delivers, shaped for the channel: the morning digest, the Monday digest, a notice.

Apart from texts.py because the Monday digest's text (report_texts.py) builds on texts.py's helpers; this module
sits above both, so neither imports the other back.
"""

from __future__ import annotations

from datetime import date

from bot.conversation.report_texts import weekly_message
from bot.conversation.texts import (
    MAX_BUTTON_TASKS,
    Button,
    Capabilities,
    Message,
    day,
    day_with_weekday,
    short,
    task_buttons,
    task_ref,
    typed_answers,
)
from scheduler.outbox.notify import Delivery, DigestItem
from scheduler.outbox.policy import ESCALATION
from scheduler.register.state import days_text


def _item_line(number: int, item: DigestItem, today: date) -> str:
    extended = f" (đã gia hạn từ {item.original_due:%d/%m})" if item.due != item.original_due else ""
    progress = f" · đang làm {item.percent}%" if item.status == "in_progress" else ""
    return (
        f"{number}. {task_ref(item.assignment_id, item.task_code)} {short(item.title)}\n"
        f"   {item.unit_name} · hạn {day_with_weekday(item.due)}{extended} · {days_text(item.due, today)}{progress}"
    )


def render_delivery(delivery: Delivery, caps: Capabilities) -> Message:
    """A morning digest (or an admin notice, the leaders' Monday digest, a message enqueued with its text) shaped
    for the channel."""
    if delivery.weekly is not None:
        return weekly_message(delivery, caps)
    if delivery.notice:
        return Message(f"⚠️ {delivery.notice}")
    if delivery.text:
        return Message(delivery.text, [[Button(label, data) for label, data in row] for row in delivery.buttons])
    today = delivery.today
    own = [i for i in delivery.items if i.kind != ESCALATION]
    escalated = [i for i in delivery.items if i.kind == ESCALATION]
    greeting = f"đồng chí {delivery.official_name}"
    if delivery.is_group and delivery.official_name.startswith("Nhóm chat "):  # a unit's group chat
        greeting = f"các đồng chí {delivery.official_name.removeprefix('Nhóm chat ')}"
    lines = [f"☀️ Chào {greeting}. Việc cần chú ý ngày {day(today)}:"]
    for number, item in enumerate(own, start=1):
        lines.append(_item_line(number, item, today))
    if escalated:
        lines.append("\n⚠️ Báo cáo lãnh đạo — đơn vị đã quá hạn, đã nhắc 3 lần chưa có kết quả:")
        for number, item in enumerate(escalated, start=len(own) + 1):
            lines.append(_item_line(number, item, today))
    buttons: list[list[Button]] = []
    if own:
        if caps.buttons:
            single = len(own) == 1
            buttons = [task_buttons(i.assignment_id, numbered=not single) for i in own[:MAX_BUTTON_TASKS]]
            lines.append(
                '\nBấm nút dưới đây, hoặc trả lời tin này: "xong", "đang làm 50%", "xin gia hạn đến 15/6 vì …".'
            )
        else:
            first = own[0].assignment_id
            if len(own) == 1:
                lines.append("\nTrả lời: xong · đang làm 50% · gia hạn 15/6 vì …")
            else:
                lines.append("\n" + typed_answers(first))
    return Message("\n".join(lines), buttons)
