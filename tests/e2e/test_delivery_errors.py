"""Errors classified as the Bot APIs mean them, over real HTTP to the fakes: a chat is unlinked only for the
exact answers that mean it is gone; every other answer is transient (retried, the chat kept)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime

import pytest

from bot.channels.telegram import TelegramChannel, build_application
from bot.channels.zalo import ZaloChannel, ZaloClient
from bot.conversation.core import Conversation
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.db import make_engine
from scheduler.outbox.notify import Delivery, DeliveryError
from tests import fake_telegram, fake_zalo

DELIVERY = Delivery("telegram", "7003", 1, "Vũ Thị G", date(2022, 4, 22), notice="Nhắc thử")


@pytest.fixture(scope="module")
def conversation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Conversation]:
    """Sending needs no database work: one engine for the module keeps these many small tests fast."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('errors') / 'nhacviec.sqlite3'}")
    yield Conversation(engine, FixedClock(datetime(2022, 4, 22, 8, tzinfo=LOCAL_TZ)))
    engine.dispose()


@pytest.fixture
async def telegram(conversation: Conversation) -> AsyncIterator[tuple[TelegramChannel, fake_telegram.FakeBotApi]]:
    with fake_telegram.FakeBotApi() as api:
        application = build_application(fake_telegram.TOKEN, api.base_url)
        await application.initialize()
        yield TelegramChannel(application, conversation), api
        await application.shutdown()


async def telegram_failure(
    channel: TelegramChannel, api: fake_telegram.FakeBotApi, status: int, text: str
) -> DeliveryError:
    api.fail_next(1, status, description=text)
    with pytest.raises(DeliveryError) as caught:
        await channel.deliver(DELIVERY)
    return caught.value


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (403, "Forbidden: bot was blocked by the user"),
        (400, "Bad Request: chat not found"),
        (403, "Forbidden: bot was kicked from the group chat"),
        (403, "Forbidden: bot was kicked from the supergroup chat"),
        (403, "Forbidden: user is deactivated"),
        (403, "Forbidden: bot can't initiate conversation with a user"),
    ],
    ids=["blocked", "chat-not-found", "kicked-group", "kicked-supergroup", "deactivated", "never-started"],
)
async def test_telegram_answers_that_mean_the_chat_is_gone_are_permanent(telegram, status, answer) -> None:
    error = await telegram_failure(*telegram, status, answer)
    assert error.permanent and not error.migrate_to
    assert answer.split(": ", 1)[1].lower() in error.reason.lower()


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (400, "Bad Request: message is too long"),
        (400, "Bad Request: not enough rights to send text messages to the chat"),
        (400, "Bad Request: reply message not found"),
        (403, "Forbidden: bot is not a member of the channel chat, but some new wording"),
        (500, "Internal Server Error"),
        (502, "Bad Gateway"),
        (409, "Conflict: something"),
    ],
    ids=["too-long", "no-rights", "reply-not-found", "new-wording", "500", "502", "409"],
)
async def test_every_other_telegram_answer_is_transient(telegram, status, answer) -> None:
    error = await telegram_failure(*telegram, status, answer)
    assert not error.permanent and not error.migrate_to


async def test_a_migrated_group_is_followed_not_unlinked(telegram) -> None:
    channel, api = telegram
    api.fail_next(1, 400, migrate_to=-1009003)
    with pytest.raises(DeliveryError) as caught:
        await channel.deliver(DELIVERY)
    assert caught.value.migrate_to == "-1009003" and not caught.value.permanent


async def test_telegram_429_waits_and_is_not_permanent(telegram) -> None:
    channel, api = telegram
    api.fail_next(1, 429, retry_after=7)
    with pytest.raises(DeliveryError) as caught:
        await channel.deliver(DELIVERY)
    assert caught.value.retry_after == 7 and not caught.value.permanent


@pytest.fixture
async def zalo(conversation: Conversation) -> AsyncIterator[tuple[ZaloChannel, fake_zalo.FakeZaloApi]]:
    with fake_zalo.FakeZaloApi() as api:
        client = ZaloClient(fake_zalo.TOKEN, api.base_url)
        yield ZaloChannel(client, conversation), api
        await client.close()


@pytest.mark.parametrize(
    ("status", "ok_false", "answer"),
    [
        (400, False, "Invalid parameter"),
        (403, False, "Permission denied"),
        (404, False, "Not found"),
        (400, True, "chat_id is invalid"),
        (500, False, "Internal error"),
        (502, False, "Bad Gateway"),
        (401, False, "Unauthorized"),
    ],
    ids=["400", "403", "404", "ok-false-400", "500", "502", "401"],
)
async def test_no_zalo_answer_unlinks_a_chat_as_none_is_documented_to_mean_it_is_gone(
    zalo, status, ok_false, answer
) -> None:
    channel, api = zalo
    api.fail_next(1, status, ok_false=ok_false, description=answer)
    with pytest.raises(DeliveryError) as caught:
        await channel.deliver(DELIVERY)
    assert not caught.value.permanent
    assert fake_zalo.TOKEN not in caught.value.reason


async def test_zalo_429_carries_a_wait(zalo) -> None:
    channel, api = zalo
    api.fail_next(1, 429)
    with pytest.raises(DeliveryError) as caught:
        await channel.deliver(DELIVERY)
    assert caught.value.retry_after and not caught.value.permanent
