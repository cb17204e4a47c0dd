"""A fake Bot API for the benchmarks that enforces Telegram's limits per token, run as its own process.

    python bench/fake_api.py [--delay 0.05] [--refuse 0.10] [--seed 1]

Prints its port on the first line, then serves until killed. Each token (the path's /bot<TOKEN>/) has its
own limits, as Telegram counts them: at most 30 messages arriving in any second, 1 a second to one chat;
a message over a limit is answered 429 (retry_after 1) and not delivered. `--refuse` answers that share
of the other messages 429 at random as well (a storm); `--delay` holds every answer that long. The fake
runs on Tornado's event loop in a process of its own, so that serving 120 messages a second does not take
the bot's CPU. GET /stats gives, by token: arrivals (times of delivered messages), chats, 429 counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import time
from collections import Counter, deque
from typing import Any
from urllib.parse import parse_qs

from tornado.web import Application, RequestHandler

GLOBAL_PER_SECOND = 30
CHAT_PER_SECOND = 1


class Token:
    """What the server knows of one bot: its limits' windows and what it delivered."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.window: deque[float] = deque()
        self.last_to_chat: dict[str, float] = {}
        self.arrivals: list[float] = []
        self.chats: Counter[str] = Counter()
        self.over_limit = 0  # 429s because a limit was broken
        self.refused_at_random = 0  # the storm's 429s
        self.message_id = 0

    def over(self, chat_id: str, now: float) -> bool:
        while self.window and now - self.window[0] >= 1.0:
            self.window.popleft()
        if len(self.window) >= GLOBAL_PER_SECOND or now - self.last_to_chat.get(chat_id, -10.0) < 1.0 / CHAT_PER_SECOND:
            return True
        self.window.append(now)
        self.last_to_chat[chat_id] = now
        return False


class State:
    def __init__(self, delay: float, refuse: float, seed: int) -> None:
        self.delay = delay
        self.refuse = refuse
        self.random = random.Random(seed)
        self.tokens: dict[str, Token] = {}

    def token(self, token: str) -> Token:
        if token not in self.tokens:
            self.tokens[token] = Token(len(self.tokens) + 1)
        return self.tokens[token]


def _params(handler: RequestHandler) -> dict[str, Any]:
    body = handler.request.body.decode() or "{}"
    if "json" in handler.request.headers.get("Content-Type", ""):
        return dict(json.loads(body))
    return {k: v[0] for k, v in parse_qs(body).items()}


class BotApiHandler(RequestHandler):
    def initialize(self, state: State) -> None:  # type: ignore[override]
        self.state = state

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    async def post(self, token: str, method: str) -> None:
        bot = self.state.token(token)
        params = _params(self)
        if method == "getMe":
            user = {"id": 100 + bot.number, "is_bot": True, "first_name": f"Bot {bot.number}"}
            self._reply(200, {"ok": True, "result": {**user, "username": f"nhacviec_{bot.number}_bot"}})
            return
        if method != "sendMessage":
            self._reply(200, {"ok": True, "result": True})
            return
        chat_id = str(params.get("chat_id"))
        now = time.monotonic()
        refused = bot.over(chat_id, now)
        if refused:
            bot.over_limit += 1
        elif self.state.refuse and self.state.random.random() < self.state.refuse:
            refused = True
            bot.refused_at_random += 1
        if self.state.delay:
            await asyncio.sleep(self.state.delay)
        if refused:
            description = "Too Many Requests: retry after 1"
            self._reply(
                429, {"ok": False, "error_code": 429, "description": description, "parameters": {"retry_after": 1}}
            )
            return
        bot.arrivals.append(now)
        bot.chats[chat_id] += 1
        bot.message_id += 1
        result = {
            "message_id": bot.message_id,
            "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": "private"},
            "from": {"id": 100 + bot.number, "is_bot": True, "first_name": f"Bot {bot.number}"},
            "text": params.get("text", ""),
        }
        self._reply(200, {"ok": True, "result": result})


class StatsHandler(RequestHandler):
    def initialize(self, state: State) -> None:  # type: ignore[override]
        self.state = state

    def get(self) -> None:
        self.finish(
            {
                token: {
                    "arrivals": bot.arrivals,
                    "chats": dict(bot.chats),
                    "over_limit": bot.over_limit,
                    "refused_at_random": bot.refused_at_random,
                }
                for token, bot in self.state.tokens.items()
            }
        )


async def serve(delay: float, refuse: float, seed: int) -> None:
    logging.getLogger("tornado.access").disabled = True  # its lines would carry the tokens in the paths
    state = State(delay, refuse, seed)
    app = Application(
        [
            (r"/bot([^/]+)/(\w+)", BotApiHandler, {"state": state}),
            (r"/stats", StatsHandler, {"state": state}),
        ]
    )
    server = app.listen(0, "127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    print(port, flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--refuse", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(serve(args.delay, args.refuse, args.seed))


if __name__ == "__main__":
    main()
