"""`nhacviec status`: healthy after a tick, unhealthy (exit code 1) when the clock stopped, a row is stuck in
`sending`, the schema is behind, or a channel's getMe fails; the same in --json; the Docker HEALTHCHECK."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from bot.cli import main
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.db import make_engine, upgrade
from scheduler.health import LAST_TICK, record_tick
from scheduler.outbox.planner import plan
from scheduler.register.importer import import_register, load_register
from scheduler.register.links import link_chat
from scheduler.register.models import META, OFFICIALS, REMINDERS, UNITS
from tests import fake_telegram, fake_zalo
from tests.conftest import REGISTER, ROOT


def planned_outbox(engine: Engine) -> None:
    """The register, every official linked on the console, and the morning of 22/04/2022 planned."""
    clock = FixedClock(datetime(2022, 4, 22, 7, 31, tzinfo=LOCAL_TZ))
    import_register(engine, load_register(REGISTER), clock)
    with engine.connect() as conn:
        officials = conn.execute(select(OFFICIALS.c.id, OFFICIALS.c.code)).all()
    for official_id, code in officials:
        link_chat(engine, official_id, "console", f"chat-{code}", clock)
    assert plan(engine, clock).planned > 0


def status(db_url: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:
    code = main(["--database", db_url, "status", "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def by_name(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"]}


@pytest.fixture(autouse=True)
def no_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NHACVIEC_TELEGRAM_TOKEN", "NHACVIEC_ZALO_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def test_healthy_after_a_tick_and_the_outbox_counted(engine: Engine, db_url: str, capsys) -> None:
    planned_outbox(engine)
    record_tick(engine, datetime.now(UTC) - timedelta(seconds=30), 1.25, {"planned": 3, "sent": 0, "failed": 0})
    code, report = status(db_url, capsys)
    assert code == 0 and report["healthy"]
    checks = by_name(report)
    assert checks["tick"]["data"]["seconds"] == 1.25 and 25 <= checks["tick"]["data"]["age_seconds"] < 120
    assert checks["outbox"]["data"]["reminders"]["planned"] > 0
    assert checks["outbox"]["data"]["oldest_sending_seconds"] is None
    assert main(["--database", db_url, "status"]) == 0
    text = capsys.readouterr().out
    assert "✓ lần chạy gần nhất" in text and "Khỏe." in text


def test_no_tick_for_minutes_is_unhealthy(engine: Engine, db_url: str, capsys) -> None:
    record_tick(engine, datetime.now(UTC) - timedelta(minutes=5), 0.5, {})
    code, report = status(db_url, capsys)
    assert code == 1 and not by_name(report)["tick"]["ok"]
    with engine.begin() as conn:
        conn.execute(META.delete().where(META.c.key == LAST_TICK))
    code, report = status(db_url, capsys)
    assert code == 1 and "chưa chạy lần nào" in by_name(report)["tick"]["text"]


def test_a_row_stuck_in_sending_is_unhealthy_with_its_age(engine: Engine, db_url: str, capsys) -> None:
    planned_outbox(engine)
    record_tick(engine, datetime.now(UTC), 0.1, {})
    with engine.begin() as conn:
        first = conn.execute(REMINDERS.select().limit(1)).first()
        assert first is not None
        conn.execute(
            update(REMINDERS)
            .where(REMINDERS.c.id == first.id)
            .values(state="sending", claimed_at=datetime.now(UTC) - timedelta(minutes=25))
        )
    code, report = status(db_url, capsys)
    outbox = by_name(report)["outbox"]
    assert code == 1 and not outbox["ok"] and outbox["data"]["reminders"]["sending"] == 1
    assert 24 * 60 < outbox["data"]["oldest_sending_seconds"] < 26 * 60


def test_a_schema_behind_its_migrations_is_unhealthy(tmp_path: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = make_engine(url, migrate=False)
    upgrade(old, "0002")
    old.dispose()
    code, report = status(url, capsys)
    assert code == 1 and "chưa nâng cấp" in by_name(report)["database"]["text"]


def test_an_unreachable_database_is_unhealthy_not_a_traceback(capsys) -> None:
    code, report = status("postgresql+psycopg://nobody@127.0.0.1:1/none", capsys)
    assert code == 1 and "không kết nối được" in by_name(report)["database"]["text"]


def test_each_configured_channel_answers_get_me(engine: Engine, db_url: str, capsys, monkeypatch) -> None:
    record_tick(engine, datetime.now(UTC), 0.1, {})
    with fake_telegram.FakeBotApi() as telegram, fake_zalo.FakeZaloApi() as zalo:
        monkeypatch.setenv("NHACVIEC_TELEGRAM_TOKEN", fake_telegram.TOKEN)
        monkeypatch.setenv("NHACVIEC_TELEGRAM_API_URL", telegram.base_url)
        monkeypatch.setenv("NHACVIEC_ZALO_TOKEN", fake_zalo.TOKEN)
        monkeypatch.setenv("NHACVIEC_ZALO_API_URL", zalo.base_url)
        code, report = status(db_url, capsys)
        assert code == 0 and by_name(report)["telegram"]["data"]["bot"] == "nhacviec_test_bot"
        assert by_name(report)["zalo"]["ok"]
        monkeypatch.setenv("NHACVIEC_TELEGRAM_TOKEN", "999:wrong-token")
        code, report = status(db_url, capsys)
        assert code == 1 and "401" in by_name(report)["telegram"]["text"]
        assert "999:wrong-token" not in json.dumps(report)
        assert main(["--database", db_url, "status", "--no-channels"]) == 0
        capsys.readouterr()


def test_each_bot_of_the_register_answers_get_me_or_is_named_missing(
    engine: Engine, db_url: str, capsys, monkeypatch
) -> None:
    import_register(engine, load_register(REGISTER), FixedClock(datetime(2022, 4, 8, tzinfo=LOCAL_TZ)))
    with engine.begin() as conn:
        conn.execute(update(UNITS).where(UNITS.c.code == "ubnd").values(bot="huyen_a"))
        conn.execute(update(UNITS).where(UNITS.c.code == "cong-doan").values(bot="huyen_b"))
    record_tick(engine, datetime.now(UTC), 0.1, {})
    token = "111111:token-of-bot-a-never-printed"
    with fake_telegram.FakeBotApi(token=token, username="bot_huyen_a") as bot_a:
        monkeypatch.setenv("NHACVIEC_TELEGRAM_TOKEN_HUYEN_A", token)
        monkeypatch.setenv("NHACVIEC_TELEGRAM_API_URL_HUYEN_A", bot_a.base_url)
        code, report = status(db_url, capsys)
    checks = by_name(report)
    assert checks["telegram:huyen_a"]["ok"] and checks["telegram:huyen_a"]["data"]["bot"] == "bot_huyen_a"
    assert code == 1 and "NHACVIEC_TELEGRAM_TOKEN_HUYEN_B" in checks["telegram:huyen_b"]["text"]
    assert token not in json.dumps(report)


def test_the_dockerfile_health_check_runs_status() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "HEALTHCHECK" in dockerfile and '["nhacviec", "status"]' in dockerfile


def test_a_registers_bot_without_its_token_is_named_before_the_bot_ever_ran(
    engine: Engine, db_url: str, capsys
) -> None:
    """The keeper checks the set-up before the first start: no tick yet, and the district bot has no token."""
    import_register(engine, load_register(REGISTER), FixedClock(datetime(2022, 4, 8, tzinfo=LOCAL_TZ)))
    with engine.begin() as conn:
        conn.execute(update(UNITS).where(UNITS.c.code == "ubnd").values(bot="huyen_a"))
    code, report = status(db_url, capsys)
    checks = by_name(report)
    assert code == 1 and not checks["tick"]["ok"]
    assert "NHACVIEC_TELEGRAM_TOKEN_HUYEN_A" in checks["telegram:huyen_a"]["text"]
