"""The README's "Several bots" section works as written: its register imports as it stands and gives each unit
the bot it says, its variables are the ones the code reads, `nhacviec invite` links to the unit's own bot,
and a malformed bot name or a token pasted into the register is refused with its place (never echoed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from bot.cli import main
from scheduler.db import make_engine
from scheduler.register.bots import (
    api_url_variable,
    bot_of_official,
    token_variable,
    unit_bots,
    username_variable,
)
from scheduler.register.models import OFFICIALS, UNITS

ROOT = Path(__file__).resolve().parents[2]
SECTION = (ROOT / "README.md").read_text(encoding="utf-8").split("## Several bots", 1)[1].split("\n## ", 1)[0]


def block(language: str) -> str:
    found = re.search(rf"```{language}\n(.*?)```", SECTION, flags=re.S)
    assert found, f"no {language} block in the README's Several bots section"
    return found.group(1)


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'nhacviec.sqlite3'}"


def test_the_readmes_register_imports_and_gives_each_unit_its_bot(tmp_path: Path, database: str, capsys) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(block("yaml"), encoding="utf-8")
    assert main(["--database", database, "import", str(path)]) == 0
    out = capsys.readouterr().out  # the import says which variables `nhacviec run` will need
    assert "bot riêng 'huyen_a' cho 2 đơn vị: đặt token vào biến môi trường NHACVIEC_TELEGRAM_TOKEN_HUYEN_A" in out
    assert "NHACVIEC_TELEGRAM_TOKEN_HUYEN_B" in out
    engine = create_engine(database)
    with engine.connect() as conn:
        codes = dict(conn.execute(select(UNITS.c.id, UNITS.c.code)).all())
        bots = {codes[i]: b for i, b in unit_bots(conn).items()}
        people = dict(conn.execute(select(OFFICIALS.c.code, OFFICIALS.c.id)).all())
        assert bot_of_official(conn, people["a1"]) == "huyen_a" and bot_of_official(conn, people["vp"]) == ""
    engine.dispose()
    assert bots == {"xa-a1": "huyen_a", "xa-a2": "huyen_a", "xa-b1": "huyen_b", "van-phong": ""}


def test_the_readmes_variables_are_the_ones_the_code_reads() -> None:
    exported = set(re.findall(r"^export (NHACVIEC_[A-Z_]+)=", block("sh"), flags=re.M))
    wanted = {token_variable(b) for b in ("", "huyen_a", "huyen_b")} | {
        username_variable(b) for b in ("", "huyen_a", "huyen_b")
    }
    assert exported == wanted
    assert f"`{api_url_variable('huyen_a')}`" in SECTION


def test_invite_links_to_the_officials_own_bot(
    tmp_path: Path, database: str, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(block("yaml"), encoding="utf-8")
    assert main(["--database", database, "import", str(path)]) == 0
    monkeypatch.setenv("NHACVIEC_TELEGRAM_BOT", "ten_bot_tinh")
    monkeypatch.setenv("NHACVIEC_TELEGRAM_BOT_HUYEN_A", "ten_bot_huyen_a")
    capsys.readouterr()
    assert main(["--database", database, "invite", "--official", "a1"]) == 0
    assert "https://t.me/ten_bot_huyen_a?start=" in capsys.readouterr().out
    assert main(["--database", database, "invite", "--official", "vp"]) == 0
    assert "https://t.me/ten_bot_tinh?start=" in capsys.readouterr().out
    assert main(["--database", database, "invite", "--official", "b1"]) == 0  # no username set for huyen_b
    out, err = capsys.readouterr()
    assert "NHACVIEC_TELEGRAM_BOT_HUYEN_B" in err


@pytest.mark.parametrize(
    ("line", "said"),
    [
        # a name with capitals and diacritics: what to write instead
        ("  - {code: xa-b1, name: Xã B1, bot: Huyện B}", "chỉ được gồm chữ thường không dấu"),
        # a token where the name goes: refused, and said to be revoked
        ("  - {code: xa-b1, name: Xã B1, bot: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw'}", "đừng ghi token"),
    ],
)
def test_a_malformed_bot_is_refused_with_its_place_and_nothing_is_written(
    tmp_path: Path, database: str, capsys, line: str, said: str
) -> None:
    lines = block("yaml").splitlines()
    number = next(n for n, text in enumerate(lines, start=1) if text.startswith("  - {code: xa-b1,"))
    lines[number - 1] = line
    text = "\n".join(lines) + "\n"
    path = tmp_path / "register.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["--database", database, "import", str(path)]) == 2
    out, err = capsys.readouterr()
    assert f"register.yaml:{number}" in err and "bot" in err and said in err, err
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in out + err
    engine = make_engine(database)
    with engine.connect() as conn:
        assert conn.execute(select(UNITS.c.id)).first() is None
    engine.dispose()
