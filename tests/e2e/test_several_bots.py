"""Several bot tokens on the real `nhacviec run`: the register gives a group of units (district A's communes)
and a unit (commune B1) bots of their own; each bot is a fake Bot API of its own on 127.0.0.1 with its own
token. Officials link through their unit's bot, their reminders come from that bot, a storm of 429s on bot
A does not hold bot B back, nothing is lost, and no token reaches the output.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.telegram import SECRET_HEADER
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.db import make_engine
from scheduler.register.importer import import_register, load_register
from scheduler.register.invites import create_invite
from scheduler.register.links import find_official_id
from scheduler.register.models import CHATS, OFFICIALS, REMINDERS
from tests import fake_telegram
from tests.e2e.test_run_process import NHACVIEC, Bot, free_port

TOKEN_A = "111111:AAAA-token-of-district-a-never-printed"
TOKEN_B = "222222:BBBB-token-of-commune-b1-never-printed"
PEOPLE = 8  # officials per unit

REGISTER = """\
title: Hai huyện, mỗi nơi một bot
source_date: 2022-04-07
groups:
  - {code: xa-huyen-a, name: Các xã huyện A, bot: huyen_a}
units:
  - {code: xa-a1, name: Xã A1, groups: [xa-huyen-a]}
  - {code: xa-b1, name: Xã B1, bot: huyen_b}
  - {code: van-phong, name: Văn phòng}
officials:
%s
tasks:
  - {code: T1, title: Báo cáo sơ kết quý, deadline: ngày 22/4/2022, lead: [xa-a1, xa-b1]}
"""


def register_text() -> str:
    people = [f"  - {{code: a{i}, name: Cán bộ A{i}, units: [xa-a1]}}" for i in range(PEOPLE)]
    people += [f"  - {{code: b{i}, name: Cán bộ B{i}, units: [xa-b1]}}" for i in range(PEOPLE)]
    return REGISTER % "\n".join(people)


@pytest.fixture
def apis() -> Iterator[dict[str, fake_telegram.FakeBotApi]]:
    with ExitStack() as stack:
        yield {
            "": stack.enter_context(fake_telegram.FakeBotApi()),
            "huyen_a": stack.enter_context(fake_telegram.FakeBotApi(token=TOKEN_A, username="nhacviec_huyen_a_bot")),
            "huyen_b": stack.enter_context(fake_telegram.FakeBotApi(token=TOKEN_B, username="nhacviec_xa_b1_bot")),
        }


def start(tmp_path: Path, apis: dict[str, fake_telegram.FakeBotApi], now: str, *args: str, **changed: str) -> Bot:
    """`nhacviec run` as the README configures several bots: a token variable (and here an API URL) per bot."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHACVIEC_")}
    env.update(
        NHACVIEC_DATABASE_URL=f"sqlite:///{tmp_path / 'nhacviec.sqlite3'}",
        NHACVIEC_STARTUP_BACKOFF="0.05",
        NHACVIEC_NOW=now,
        NHACVIEC_TELEGRAM_TOKEN=fake_telegram.TOKEN,
        NHACVIEC_TELEGRAM_API_URL=apis[""].base_url,
        NHACVIEC_TELEGRAM_TOKEN_HUYEN_A=TOKEN_A,
        NHACVIEC_TELEGRAM_API_URL_HUYEN_A=apis["huyen_a"].base_url,
        NHACVIEC_TELEGRAM_TOKEN_HUYEN_B=TOKEN_B,
        NHACVIEC_TELEGRAM_API_URL_HUYEN_B=apis["huyen_b"].base_url,
    )
    env.update(changed)
    env = {k: v for k, v in env.items() if v}
    process = subprocess.Popen(
        [str(NHACVIEC), "run", "--channel", "telegram", *args],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return Bot(process, [fake_telegram.TOKEN, TOKEN_A, TOKEN_B])


def wait_until(check: object, timeout: float, bot: Bot, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        assert bot.process.poll() is None, f"nhacviec run exited before {what}:\n{bot.output}"
        time.sleep(0.05)
    pytest.fail(f"no {what} within {timeout} s:\n{bot.output}")


def test_each_unit_links_and_is_reminded_through_its_own_bot_and_one_bots_429s_do_not_slow_the_other(
    tmp_path: Path, apis: dict[str, fake_telegram.FakeBotApi]
) -> None:
    (tmp_path / "register.yaml").write_text(register_text(), encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'nhacviec.sqlite3'}")
    clock = FixedClock(datetime(2022, 4, 22, 6, 0, tzinfo=LOCAL_TZ))
    import_register(engine, load_register(tmp_path / "register.yaml"), clock)
    chats = {
        "huyen_a": {1000 + i: f"a{i}" for i in range(PEOPLE)},
        "huyen_b": {2000 + i: f"b{i}" for i in range(PEOPLE)},
    }
    for bot_name, people in chats.items():  # each official sends the code to their unit's bot
        for chat, code in people.items():
            invite = create_invite(engine, find_official_id(engine, code), clock)
            apis[bot_name].updates.append(apis[bot_name].text_update(chat, f"/start {invite}"))

    # 06:00, quiet hours: the bots answer the codes, no reminder goes out yet
    bot = start(tmp_path, apis, "2022-04-22T06:00")
    wait_until(lambda: all(len(apis[b].sent) >= PEOPLE for b in chats), 60, bot, "an answer to every code")
    assert bot.stop() == 0
    for bot_name, people in chats.items():
        assert {int(m["chat_id"]) for m in apis[bot_name].sent} == set(people)  # answered by the unit's bot
    assert not apis[""].sent  # the default bot heard nothing
    with engine.connect() as conn:
        linked = dict(conn.execute(select(OFFICIALS.c.code, CHATS.c.channel).join(CHATS)).all())
    assert linked == {code: f"telegram:{b}" for b, people in chats.items() for code in people.values()}

    # 07:31: the morning's wave; bot A's first answers are 429s for several chats (its global limit)
    for api in apis.values():
        api.sent.clear()
    apis["huyen_a"].fail_next(6, 429, retry_after=3)
    bot = start(tmp_path, apis, "2022-04-22T07:31")
    wait_until(lambda: all(len(apis[b].sent) >= PEOPLE for b in chats), 90, bot, "every reminder")
    time.sleep(0.5)  # nothing more should come
    assert bot.stop() == 0
    for bot_name, people in chats.items():  # one digest each, through the bot the chat was linked on
        got = [int(m["chat_id"]) for m in apis[bot_name].sent]
        assert sorted(got) == sorted(people), bot_name
        assert all("Báo cáo sơ kết quý" in m["text"] for m in apis[bot_name].sent)
    assert not apis[""].sent
    refused = {int(f["chat_id"]): f["at"] for f in apis["huyen_a"].failed}
    assert len(refused) == 6
    again = [m["at"] for m in apis["huyen_a"].sent if int(m["chat_id"]) in refused]
    b_times = sorted(m["at"] for m in apis["huyen_b"].sent)
    assert min(again) - max(refused.values()) >= 2.5, "bot A's refused chats waited the retry_after"
    assert b_times[-1] - b_times[0] < 2.0, "bot B kept its own pace"
    assert b_times[-1] < min(again), "bot B's wave was over before bot A's refused chats were sent again"
    with engine.connect() as conn:
        rows = conn.execute(select(REMINDERS.c.channel, REMINDERS.c.state, REMINDERS.c.chat_id)).all()
    assert {(c, s) for c, s, _ in rows} == {("telegram:huyen_a", "sent"), ("telegram:huyen_b", "sent")}
    assert len(rows) == 2 * PEOPLE  # nothing lost, nothing twice
    engine.dispose()


@pytest.mark.parametrize(
    ("changed", "variable"),
    [
        ({"NHACVIEC_TELEGRAM_TOKEN_HUYEN_B": ""}, "NHACVIEC_TELEGRAM_TOKEN_HUYEN_B"),  # not set
        ({"NHACVIEC_TELEGRAM_TOKEN_HUYEN_A": "333333:wrong-token-never-printed"}, "NHACVIEC_TELEGRAM_TOKEN_HUYEN_A"),
        # the network down for the default bot: the missing variable is still said at once, not after retries
        (
            {"NHACVIEC_TELEGRAM_TOKEN_HUYEN_B": "", "NHACVIEC_TELEGRAM_API_URL": "http://127.0.0.1:9"},
            "NHACVIEC_TELEGRAM_TOKEN_HUYEN_B",
        ),
    ],
)
def test_a_bot_of_the_register_without_its_token_stops_the_start_naming_its_variable(
    tmp_path: Path, apis: dict[str, fake_telegram.FakeBotApi], changed: dict[str, str], variable: str
) -> None:
    (tmp_path / "register.yaml").write_text(register_text(), encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'nhacviec.sqlite3'}")
    import_register(
        engine, load_register(tmp_path / "register.yaml"), FixedClock(datetime(2022, 4, 22, tzinfo=LOCAL_TZ))
    )
    engine.dispose()
    bot = start(tmp_path, apis, "2022-04-22T07:31", **changed)
    bot.secrets.append("333333:wrong-token-never-printed")
    assert bot.process.wait(timeout=60) == 3
    time.sleep(0.2)
    bot.assert_no_secret()
    assert variable in bot.output and "Traceback" not in bot.output, bot.output


def test_in_webhook_mode_every_bot_has_its_path_on_the_one_server(
    tmp_path: Path, apis: dict[str, fake_telegram.FakeBotApi]
) -> None:
    (tmp_path / "register.yaml").write_text(register_text(), encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'nhacviec.sqlite3'}")
    import_register(
        engine, load_register(tmp_path / "register.yaml"), FixedClock(datetime(2022, 4, 22, tzinfo=LOCAL_TZ))
    )
    engine.dispose()
    port = free_port()
    webhook = ["--webhook", "https://bot.example.vn/telegram", "--listen", f"127.0.0.1:{port}"]
    bot = start(tmp_path, apis, "2022-04-22T06:00", *webhook)
    try:
        wait_until(lambda: all(api.webhook for api in apis.values()), 60, bot, "every bot's setWebhook")
        assert apis[""].webhook["url"] == "https://bot.example.vn/telegram"
        assert apis["huyen_a"].webhook["url"] == "https://bot.example.vn/telegram/huyen_a"
        assert apis["huyen_b"].webhook["url"] == "https://bot.example.vn/telegram/huyen_b"
        for path, name in (("/telegram/huyen_a", "huyen_a"), ("/telegram", "")):
            update = apis[name].text_update(4242, "/help")
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}",
                data=json.dumps(update).encode(),
                headers={"Content-Type": "application/json", SECRET_HEADER: apis[name].webhook["secret_token"]},
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.status == 200
            wait_until(lambda name=name: apis[name].messages_to(4242), 30, bot, f"an answer from bot {name!r}")
        assert not apis["huyen_b"].messages_to(4242)  # each update answered by the bot it was sent to
        assert len(apis["huyen_a"].messages_to(4242)) == len(apis[""].messages_to(4242)) == 1
    finally:
        assert bot.stop() == 0
