"""Can the trading screen keep up with a fast market? The TUI's state layer fed 100,000 book
delta updates a second for 10 s, with the real screen redrawing from it.

Usage::

    python benchmarks/tui.py [--rate 100000] [--seconds 10] [--rounds 2]

Runs ``TraderApp`` headless (Textual's ``run_test``, 160x48: layout and rendering happen, the
output is discarded) with no server: a feeder task on the app's own event loop, as the real
feed is, applies pre-built ``BookDelta`` events (levels around a wandering mid, a trade now and
then) every 10 ms, catching up to ``rate`` per second of wall time. It reports the rate it
achieved, the process's CPU time per wall second, redraws per second, and staleness: how long
after a seq was fed the screen showed it (the worst during the run, and at the end).

Each round runs the conflated screen (redraws at most 10 times a second, from the latest
state) and, as the same-run baseline, the same screen redrawn after every fed batch (what an
unconflated view does), interleaved. Targets, for the conflated screen: the achieved rate is
at least 99% of ``rate``, CPU below one core, staleness at the end at most 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import time
from dataclasses import dataclass

from marketsim.core import Instrument
from marketsim.core.events import BookDelta, Trade
from marketsim.tui.app import TraderApp
from marketsim.tui.state import TraderState

BATCH_SECONDS = 0.01
TARGET_STALENESS_S = 0.2
TARGET_RATE_SHARE = 0.99


def make_events(count: int, seed: int = 1) -> list:
    """``count`` delta updates around a wandering mid (one trade per 50), seqs 1..count."""
    rng = random.Random(seed)
    mid, events = 10_000, []
    ts = time.time_ns()
    for seq in range(1, count + 1):
        ts += 10_000
        if rng.random() < 0.01:
            mid += rng.choice((-1, 1))
        if seq % 50 == 0:
            events.append(Trade(seq, ts, seq, mid, 1, "buy", 1, 2, "", ""))
            continue
        side = rng.choice(("bid", "ask"))
        price = mid - rng.randint(1, 40) if side == "bid" else mid + rng.randint(1, 40)
        qty = rng.randint(0, 50)
        action = "delete" if qty == 0 else "update"
        events.append(BookDelta(seq, ts, side, price, qty, max(1, qty // 5), action, True))
    return events


@dataclass
class Outcome:
    name: str
    rate: float
    cpu: float
    redraws: float
    worst_staleness: float
    end_staleness: float


async def run_round(events: list, rate: float, seconds: float, conflated: bool) -> Outcome:
    """Feed ``events`` at ``rate`` for ``seconds`` into a headless screen; measure it."""
    state = TraderState("ACME")
    state.reset(Instrument("ACME", "0.01"), 0, [], [])
    state.set_connection("live", "benchmark")
    app = TraderApp("127.0.0.1:1", "ACME", state=state, follow=False)
    fed_at: dict[int, float] = {}  # seq of each batch's last event -> when it was fed
    worst = 0.0
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        loop = asyncio.get_running_loop()
        cpu0, start = time.process_time(), loop.time()
        fed = 0
        while (now := loop.time()) - start < seconds and fed < len(events):
            due = min(len(events), int((now - start) * rate))
            if due > fed:
                batch = events[fed:due]
                state.apply(batch)
                fed = due
                fed_at[batch[-1].seq] = loop.time()
                if not conflated:
                    app.redraw()
            shown = fed_at.get(app.shown_seq)
            if shown is not None and app.shown_seq < state.seq:
                worst = max(worst, loop.time() - shown - BATCH_SECONDS)
            await asyncio.sleep(BATCH_SECONDS)
        wall, cpu = loop.time() - start, time.process_time() - cpu0
        redraws = app.redraws
        final_seq, ended = state.seq, loop.time()
        while app.shown_seq < final_seq and loop.time() - ended < 5:
            await asyncio.sleep(0.005)
        end_staleness = loop.time() - ended
    name = "conflated (<=10/s)" if conflated else "redraw every batch"
    return Outcome(name, fed / wall, cpu / wall, redraws / wall, worst, end_staleness)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    events = make_events(int(args.rate * args.seconds * 1.05))
    # A million pre-built events are the benchmark's own data: keep them out of the
    # collector's full passes, which would otherwise stall the screen for up to a second.
    gc.collect()
    gc.freeze()
    print(f"load average before: {os.getloadavg()[0]:.2f}; feeding {args.rate:,.0f} updates/s")
    print(f"{'round':>5} {'screen':<20} {'fed/s':>9} {'CPU':>6} {'redraws/s':>9} "
          f"{'worst lag':>9} {'end lag':>8}")  # fmt: skip
    results: dict[str, list[Outcome]] = {}
    for round_number in range(1, args.rounds + 1):
        for conflated in (True, False):
            outcome = asyncio.run(run_round(events, args.rate, args.seconds, conflated))
            results.setdefault(outcome.name, []).append(outcome)
            print(
                f"{round_number:>5} {outcome.name:<20} {outcome.rate:>9,.0f} "
                f"{outcome.cpu:>6.0%} {outcome.redraws:>9.1f} "
                f"{outcome.worst_staleness * 1000:>7.0f}ms {outcome.end_staleness * 1000:>6.0f}ms"
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    conflated = results["conflated (<=10/s)"]
    baseline = results["redraw every batch"]
    mean = lambda values: sum(values) / len(values)  # noqa: E731
    cpu_ratio = mean([o.cpu for o in baseline]) / mean([o.cpu for o in conflated])
    print(f"same-run ratio: redraw-every-batch uses {cpu_ratio:.1f}x the CPU of the conflated "
          f"screen; fed/s {mean([o.rate for o in baseline]):,.0f} vs "
          f"{mean([o.rate for o in conflated]):,.0f}")  # fmt: skip
    checks = {
        f"fed at least {TARGET_RATE_SHARE:.0%} of {args.rate:,.0f}/s": all(
            o.rate >= TARGET_RATE_SHARE * args.rate for o in conflated
        ),
        "CPU under one core": all(o.cpu < 1.0 for o in conflated),
        "redraws at most ~10/s": all(o.redraws <= 11 for o in conflated),
        f"shown seq lags the fed seq by <= {TARGET_STALENESS_S * 1000:.0f} ms at the end": all(
            o.end_staleness <= TARGET_STALENESS_S for o in conflated
        ),
    }
    for name, passed in checks.items():
        print(f"{'PASS' if passed else 'FAIL'}: {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
