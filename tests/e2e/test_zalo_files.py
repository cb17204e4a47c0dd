"""Zalo gets pictures and files too: served by the bot's webhook server at short-lived, unguessable URLs."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from icalendar import Calendar
from PIL import Image
from sqlalchemy import Engine

from bot.channels.media import MediaStore
from bot.channels.zalo import ZaloChannel, ZaloClient, zalo_webhook_server
from bot.conversation.core import Conversation
from bot.conversation.texts import Attachment, Message
from scheduler.clock import FixedClock
from scheduler.register.importer import import_register, load_register
from scheduler.register.invites import create_invite
from scheduler.register.links import find_official_id
from tests import fake_zalo
from tests.conftest import REGISTER

LEADER, UNION = "z-leader", "z-union"


class Seconds:
    """A clock for the store, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def served(
    engine: Engine, clock: FixedClock
) -> AsyncIterator[tuple[ZaloChannel, fake_zalo.FakeZaloApi, Seconds]]:
    """A Zalo channel in webhook mode: its server on 127.0.0.1 also serves the files."""
    import_register(engine, load_register(REGISTER), clock)
    seconds = Seconds()
    with fake_zalo.FakeZaloApi() as api:
        client = ZaloClient(fake_zalo.TOKEN, api.base_url)
        store = MediaStore("http://127.0.0.1:0", now=seconds)
        channel = ZaloChannel(client, Conversation(engine, clock), media=store)
        server = zalo_webhook_server(channel, "zalo-secret-123456")
        server.listen(0, "127.0.0.1")
        store.public_url = f"http://127.0.0.1:{next(iter(server._sockets.values())).getsockname()[1]}"
        for chat, code in ((LEADER, "bi-thu"), (UNION, "ct-cong-doan")):
            invite = create_invite(engine, find_official_id(engine, code), clock)
            await channel.handle_event(api.text_event(chat, f"/start {invite}"))
        try:
            yield channel, api, seconds
        finally:
            server.stop()
            await client.close()


async def test_the_chart_goes_to_zalo_as_a_photo_by_url(served) -> None:
    channel, api, seconds = served
    await channel.handle_event(api.text_event(LEADER, "/baocao 2022-Q2"))
    photo = api.messages_to(LEADER)[-1]
    assert photo["photo"].startswith(channel.media.public_url + "/tep/")
    assert photo["text"].startswith("📊 Tiến độ nhiệm vụ quý 2/2022")
    async with httpx.AsyncClient() as http:
        fetched = await http.get(photo["photo"])
        assert fetched.status_code == 200 and Image.open(io.BytesIO(fetched.content)).size == (1200, 800)
        guessed = await http.get(re.sub(r"/tep/[^/]+/", "/tep/" + "A" * 32 + "/", photo["photo"]))
        assert guessed.status_code == 404  # unguessable: another token finds nothing
        seconds.now += 15 * 60 + 1
        assert (await http.get(photo["photo"])).status_code == 404  # short-lived


async def test_the_calendar_goes_to_zalo_as_a_link_to_the_ics_file(served) -> None:
    channel, api, _ = served
    await channel.handle_event(api.text_event(UNION, "/lich"))
    answer = api.messages_to(UNION)[-1]["text"]
    link = re.search(r"📎 Tải tệp nhac-viec\.ics \(trong 15 phút\): (\S+)", answer)
    assert link is not None and answer.startswith("📆 Lịch hạn việc của Công đoàn cơ quan thị trấn")
    async with httpx.AsyncClient() as http:
        fetched = await http.get(link[1])
    assert fetched.headers["content-type"].startswith("text/calendar")
    assert len(list(Calendar.from_ical(fetched.content).walk("VEVENT"))) == 5


async def test_without_a_public_url_zalo_keeps_the_text_answer(engine: Engine, clock: FixedClock) -> None:
    import_register(engine, load_register(REGISTER), clock)
    with fake_zalo.FakeZaloApi() as api:
        client = ZaloClient(fake_zalo.TOKEN, api.base_url)
        channel = ZaloChannel(client, Conversation(engine, clock))
        invite = create_invite(engine, find_official_id(engine, "ct-cong-doan"), clock)
        await channel.handle_event(api.text_event(UNION, f"/start {invite}"))
        await channel.handle_event(api.text_event(UNION, "/lich"))
        await channel.send(UNION, Message("x", attachment=Attachment("a.png", b"png", is_photo=True)))
        await client.close()
    assert api.messages_to(UNION)[-2]["text"].startswith("Kênh này không gửi được tệp lịch")
    assert "photo" not in api.messages_to(UNION)[-1] and api.messages_to(UNION)[-1]["text"] == "x"
