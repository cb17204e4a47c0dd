"""Forged and malformed requests against both webhook servers (Telegram and Zalo), over real sockets on
127.0.0.1: the secret is checked before the body is read, big bodies get 413, idle and slow connections are
closed, and no JSON shape gives a 500."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from bot.channels import telegram as tg
from bot.channels import webhook
from bot.channels import zalo as zl
from bot.conversation.core import Conversation
from scheduler.clock import FixedClock
from scheduler.register.importer import import_register, load_register
from tests import fake_telegram, fake_zalo
from tests.conftest import REGISTER

SECRET = "webhook-secret-0123456789abcdef"
BIG = 60 * 1024 * 1024


@dataclass
class Endpoint:
    kind: str
    port: int
    path: str
    header: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"


def _port(server: Any) -> int:
    return int(next(iter(server._sockets.values())).getsockname()[1])


@pytest.fixture(params=["telegram", "zalo"])
async def endpoint(
    request: pytest.FixtureRequest, sqlite_engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Endpoint]:
    monkeypatch.setattr(webhook, "HEADER_TIMEOUT", 0.5)
    monkeypatch.setattr(webhook, "BODY_TIMEOUT", 0.5)
    import_register(sqlite_engine, load_register(REGISTER), clock)
    if request.param == "telegram":
        with fake_telegram.FakeBotApi() as api:
            application = tg.build_application(fake_telegram.TOKEN, api.base_url)
            await application.initialize()
            tg.TelegramChannel(application, Conversation(sqlite_engine, clock))
            await application.start()
            server = tg.webhook_server(application, SECRET)
            server.listen(0, "127.0.0.1")
            try:
                yield Endpoint("telegram", _port(server), "/telegram", tg.SECRET_HEADER)
            finally:
                server.stop()
                await application.stop()
                await application.shutdown()
    else:
        with fake_zalo.FakeZaloApi() as api:
            client = zl.ZaloClient(fake_zalo.TOKEN, api.base_url)
            server = zl.zalo_webhook_server(zl.ZaloChannel(client, Conversation(sqlite_engine, clock)), SECRET)
            server.listen(0, "127.0.0.1")
            try:
                yield Endpoint("zalo", _port(server), "/zalo", zl.SECRET_HEADER)
            finally:
                server.stop()
                await client.close()


def _rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _post_big(port: int, path: str, headers: dict[str, str], size: int, peak: list[int]) -> tuple[str, int]:
    """POST `size` bytes in 64 KB pieces without holding them; the status line (or '') and bytes sent."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    piece = b" " * 65536
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode())
        try:
            while sent < size:
                sent += sock.send(piece[: size - sent])
                peak[0] = max(peak[0], _rss())
        except OSError:
            pass
        try:
            answer = sock.recv(200).decode("latin-1")
        except OSError:
            answer = ""
    return answer.split("\r\n", 1)[0], sent


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no secret at all
        {"X-Telegram-Bot-Api-Secret-Token": "wrong", "X-Bot-Api-Secret-Token": "wrong"},  # a wrong one
    ],
)
async def test_a_60_mb_body_without_the_secret_is_refused_before_it_is_read(
    endpoint: Endpoint, headers: dict[str, str]
) -> None:
    before = _rss()
    peak = [before]
    for _ in range(5):  # five posts, as in the measurement that filed the issue
        status, sent = await asyncio.to_thread(_post_big, endpoint.port, endpoint.path, headers, BIG, peak)
        assert status in ("HTTP/1.1 403 Forbidden", "")  # "" when the server hung up before we read its answer
        assert sent < BIG  # the server stopped taking the body
    assert peak[0] - before < 20 * 1024 * 1024


async def test_a_60_mb_body_with_the_secret_gets_413_without_being_read(endpoint: Endpoint) -> None:
    before = _rss()
    peak = [before]
    status, sent = await asyncio.to_thread(
        _post_big, endpoint.port, endpoint.path, {endpoint.header: SECRET}, BIG, peak
    )
    assert status in ("HTTP/1.1 413 Request Entity Too Large", "")
    assert sent < BIG and peak[0] - before < 20 * 1024 * 1024


async def test_the_secret_alone_answers_403_from_the_headers(endpoint: Endpoint) -> None:
    """The answer comes before a byte of the (announced) body is sent."""
    with socket.create_connection(("127.0.0.1", endpoint.port), timeout=5) as sock:
        sock.sendall(f"POST {endpoint.path} HTTP/1.1\r\nHost: x\r\nContent-Length: {BIG}\r\n\r\n".encode())
        assert (await asyncio.to_thread(sock.recv, 100)).startswith(b"HTTP/1.1 403")


async def test_a_chunked_body_over_1_mb_gets_413(endpoint: Endpoint) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"[" + b" " * 65536 + b"]"

    async with httpx.AsyncClient() as http:
        try:
            answer = await http.post(endpoint.url, content=chunks(), headers={endpoint.header: SECRET})
            assert answer.status_code == 413
        except (httpx.RemoteProtocolError, httpx.WriteError, httpx.ReadError):
            pass  # the server answered 413 and hung up while we were still sending


# bodies of every JSON shape: none may give a 500
SHAPES: list[Any] = [
    [],  # a list
    [1, 2, 3],
    "a string",
    None,  # null
    42,
    3.5,
    True,
    {},  # an empty object
    {"update_id": "x"},  # a wrong type
    {"update_id": 1, "message": "not an object"},
    {"update_id": 1, "message": []},
    {"update_id": 1, "message": {"chat": "x"}},
    {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": None, "text": "xong"}},
    {"update_id": 1, "callback_query": 5},
    {"event_name": "message.text.received", "message": "x"},
    {"event_name": "message.text.received", "message": {"chat": []}},
    {"event_name": "message.text.received", "message": {"chat": {"id": True}, "text": 5}},
    {"event_name": "message.text.received", "message": {"chat": {"id": {"a": 1}}, "text": "xong"}},
    {"result": "x"},
    {"ok": True, "result": []},
]


async def test_no_json_shape_gives_a_500(endpoint: Endpoint) -> None:
    async with httpx.AsyncClient() as http:
        for shape in SHAPES:
            answer = await http.post(endpoint.url, content=json.dumps(shape), headers={endpoint.header: SECRET})
            assert answer.status_code in (200, 400), (shape, answer.status_code)
        for raw in (b"", b"{", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000, b'{"a": NaN}'):
            answer = await http.post(endpoint.url, content=raw, headers={endpoint.header: SECRET})
            assert answer.status_code in (200, 400), (raw[:20], answer.status_code)


async def test_an_idle_connection_is_closed(endpoint: Endpoint) -> None:
    with socket.create_connection(("127.0.0.1", endpoint.port), timeout=5) as sock:
        closed = threading.Event()

        def wait() -> None:
            if sock.recv(1) == b"":
                closed.set()

        await asyncio.to_thread(wait)
        assert closed.is_set()  # within the socket's 5 s, after the server's 0.5 s


async def test_a_half_sent_body_is_timed_out(endpoint: Endpoint) -> None:
    with socket.create_connection(("127.0.0.1", endpoint.port), timeout=5) as sock:
        head = f"POST {endpoint.path} HTTP/1.1\r\nHost: x\r\n{endpoint.header}: {SECRET}\r\nContent-Length: 100\r\n\r\n"
        sock.sendall(head.encode() + b'{"update_id": 1')
        assert await asyncio.to_thread(sock.recv, 100) == b""  # closed, without an answer, after 0.5 s
