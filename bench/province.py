"""A generated province-scale register (3,000 units, 15,000 officials, 100,000 tasks, 300,000 assignments).

Shared by the benchmarks. Written as YAML text directly (strings quoted as JSON, which YAML accepts),
because dumping 100,000 tasks through a YAML emitter would measure the generator, not nhacviec.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

UNITS = 3_000
OFFICIALS = 15_000
TASKS = 100_000
UNITS_PER_TASK = 3
DOC_DATE = date(2022, 4, 7)

PHRASES = [
    lambda d: f"trong tháng {d.month}/{d.year}",
    lambda d: f"chậm nhất ngày {d.day}/{d.month}/{d.year}",
    lambda d: f"ngày {d.day} tháng {d.month} năm {d.year}",
    lambda d: f"trước ngày {d.day}/{d.month}/{d.year}",
    lambda d: f"quý {(d.month - 1) // 3 + 1}/{d.year}",
    lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}",
]


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def write_province_register(
    path: Path,
    seed: int = 2022,
    units: int = UNITS,
    officials: int = OFFICIALS,
    tasks: int = TASKS,
    units_per_task: int = UNITS_PER_TASK,
    due: date | None = None,
) -> dict[str, int]:
    """Write the register and return its counts; `due` gives every task that one deadline."""
    rng = random.Random(seed)
    lines = [
        "title: Sổ nhắc việc cấp tỉnh (sinh tự động để đo hiệu năng)",
        "source_doc: Chương trình công tác năm 2022",
        f"source_date: {DOC_DATE.isoformat()}",
        "groups:",
        "  - {code: cac-chi-bo, name: Các chi bộ}",
        "units:",
    ]
    for i in range(units):
        group = ", groups: [cac-chi-bo]" if i % 10 == 0 else ""
        lines.append(f"  - {{code: u{i:05d}, name: {_q(f'Đơn vị số {i} của tỉnh')}, kind: xa{group}}}")
    lines.append("officials:")
    for i in range(officials):
        role = "leader" if i % 500 == 0 else ("head" if i % 5 == 0 else "member")
        lines.append(f"  - {{code: o{i:05d}, name: {_q(f'Cán bộ {i}')}, role: {role}, units: [u{i % units:05d}]}}")
    lines.append("tasks:")
    for i in range(tasks):
        day = due or DOC_DATE + timedelta(days=rng.randint(-30, 240))
        phrase = rng.choice(PHRASES)(day) if due is None else f"ngày {day.day}/{day.month}/{day.year}"
        leads = ", ".join(f"u{(i * 7 + k * 1009) % units:05d}" for k in range(units_per_task))
        lines.append(
            f"  - {{code: t{i:06d}, title: {_q(f'Nhiệm vụ số {i}: tổ chức hội nghị, báo cáo kết quả')}, "
            f"deadline: {_q(phrase)}, lead: [{leads}]}}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"units": units, "officials": officials, "tasks": tasks, "assignments": tasks * units_per_task}


def phrases(count: int, seed: int = 7) -> list[str]:
    """A mix of deadline phrases as officials write them."""
    rng = random.Random(seed)
    extra = [
        "sáng thứ 2 hằng tuần",
        "trước ngày 20 hằng tháng",
        "6 tháng đầu năm",
        "quý II năm 2022",
        "dịp nghỉ hè",
        "cuối năm 2022",
        "trong 15 ngày kể từ ngày 10/4/2022",
        "giữa năm",
    ]
    out = []
    for _ in range(count):
        if rng.random() < 0.3:
            out.append(rng.choice(extra))
        else:
            out.append(rng.choice(PHRASES)(DOC_DATE + timedelta(days=rng.randint(0, 365))))
    return out
