"""Crash safety of the real process: the installed `nhacviec run` against a fake Bot API on 127.0.0.1 whose
answers take 100–400 ms, a morning of 1,200 people with 1–3 tasks each, SIGKILLed 20 times while it sends
(each kill checked to land mid-send), then a second morning stopped with SIGTERM halfway.

    python bench/crash.py [--people 1200] [--kills 20] [--seed 7]

Counted per (person, task) from what the fake server received: lost (must be 0), repeated (at most the
messages in flight at the kills), how long after a restart the rows a kill left in `sending` took to go
out (< 10 s), and for SIGTERM: rows left in `sending` (0) and repeats (0).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.process import MORNING, Morning, prepare, tally, wait_for  # noqa: E402


def kills(args: argparse.Namespace, folder: Path, rng: random.Random) -> None:
    from tests.fake_telegram import FakeBotApi

    with FakeBotApi(delay=(0.1, 0.4), long_poll=1.0, seed=args.seed) as api:
        url = f"sqlite:///{folder / 'crash.sqlite3'}"
        epoch = time.time()
        expected = prepare(url, folder, args.people, rng, MORNING)
        morning = Morning(url, api, folder, epoch)
        print(f"crash: {args.people:,} people, {len(expected):,} (person, task) pairs, answers in 100–400 ms")
        start = time.monotonic()
        child = morning.spawn()
        in_flight: list[int] = []
        rows_in_flight: list[int] = []
        delays: list[float] = []
        missed = 0
        while len(in_flight) < args.kills:
            if wait_for(lambda: api.in_flight > 0, 60) is None:
                break  # the morning is over
            time.sleep(rng.uniform(0.2, 1.2))  # somewhere in the sending
            if wait_for(lambda: api.in_flight > 0, 2, step=0.005) is None:
                missed += 1
                continue
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            stuck = morning.ids_in("sending")
            in_flight.append(morning.messages_in_sending())
            rows_in_flight.append(len(stuck))
            child = morning.spawn()
            took = wait_for(lambda stuck=stuck: morning.settled(stuck), 120, step=0.1)  # type: ignore[misc]
            delays.append(took if took is not None else float("inf"))
        wait_for(lambda: morning.count("planned", "sending") == 0, 600, step=0.5)
        elapsed = time.monotonic() - start
        child.terminate()
        child.wait()
        lost, repeated = tally(api.sent, expected)
        print(
            f"  {len(in_flight)} SIGKILLs, each while the server held sends in flight (kills that found none: "
            f"{missed}); {elapsed:.0f} s in all; {len(api.sent):,} messages received"
        )
        print(
            f"  lost {lost}; repeated {repeated} (person, task) pairs; in flight at the kills: {sum(rows_in_flight)} "
            f"pairs in {sum(in_flight)} messages (per kill {min(in_flight, default=0)}–{max(in_flight, default=0)}); "
            f"still waiting in the outbox: {morning.count('planned', 'sending')}"
        )
        print(
            f"  rows a kill left in sending, sent again after the restart in: max {max(delays, default=0):.1f} s, "
            f"mean {sum(delays) / max(1, len(delays)):.1f} s (start-up included)"
        )
        print("  targets: 0 lost, repeated ≤ pairs in flight at the kills, stuck rows out in < 10 s")
        morning.engine.dispose()


def sigterm(args: argparse.Namespace, folder: Path, rng: random.Random) -> None:
    from tests.fake_telegram import FakeBotApi

    with FakeBotApi(delay=(0.1, 0.4), long_poll=1.0, seed=args.seed) as api:
        url = f"sqlite:///{folder / 'term.sqlite3'}"
        epoch = time.time()
        expected = prepare(url, folder, args.people, rng, MORNING)
        morning = Morning(url, api, folder, epoch)
        child = morning.spawn()
        wait_for(lambda: len(api.sent) >= len(expected) // 6, 120)  # a good part of the morning out
        flying = api.in_flight
        sent_before = len(api.sent)
        stopped = time.monotonic()
        child.send_signal(signal.SIGTERM)
        code = child.wait(60)
        took = time.monotonic() - stopped
        left_sending = morning.count("sending")
        left_planned = morning.count("planned")
        child = morning.spawn()
        wait_for(lambda: morning.count("planned", "sending") == 0, 600, step=0.5)
        child.terminate()
        child.wait()
        lost, repeated = tally(api.sent, expected)
        print(
            f"sigterm: mid-morning ({sent_before:,} messages out, {flying} in flight at the server): exit code {code} "
            f"after {took:.1f} s; left in sending {left_sending}, still planned {left_planned:,}"
        )
        print(f"  after a restart: lost {lost}, repeated {repeated}  (targets: 0 left in sending, 0 repeats, 0 lost)")
        morning.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1200)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=("kills", "sigterm"))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "kills"):
            kills(args, Path(folder), rng)
        if args.only in (None, "sigterm"):
            sigterm(args, Path(folder), rng)


if __name__ == "__main__":
    main()
