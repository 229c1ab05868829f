"""What the exchange mechanics (stops, icebergs, STP, auctions) cost the matching engine.

Usage::

    python benchmarks/mechanics.py [--events N] [--rounds R] [--baseline-ref REF]

1. The plain workload of ``benchmarks/engine.py`` (limit, market and cancel orders only) is
   replayed on today's engine and on the engine as it was before the mechanics existed: the
   core package of git revision ``--baseline-ref`` is extracted into a temporary directory and
   imported under another name. The two replay in turns, ``--rounds`` times each (who goes
   first alternates). Printed: the fastest replay of each, and the median over the rounds of
   the ratio of the two replays of one round. The target is judged on that median of paired
   ratios, which the load of a shared machine, drifting over a run, disturbs least: the engine
   must be at most 5% slower.
2. A mixed workload, the same flow with 10% of the orders turned into stop orders and 10% into
   icebergs, is replayed on today's engine afterwards, ``--rounds`` times, and reported beside
   it (it runs in rounds of its own because its bigger heap slows whatever replays next). It
   trades more per command (stops trigger, icebergs refill), so its rate is not a like-for-like
   comparison with the plain workload: it shows what the features cost when used.

Both engines build their command objects inside the timed loop, as ``engine.py`` does. Times
are the process's CPU time (``time.process_time``), which other processes on a shared machine
disturb much less than the wall clock; the rates are events (commands) per CPU second.
"""

from __future__ import annotations

import argparse
import importlib
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workload import CANCEL, LIMIT, MARKET, MID_TICKS, LiveOrders, generate_workload

from marketsim.core import commands as current_commands
from marketsim.core.events import OrderAccepted, OrderCancelled, Trade
from marketsim.core.matching import MatchingEngine

REPO_ROOT = Path(__file__).resolve().parents[1]
#: The last revision of main before the exchange mechanics.
DEFAULT_BASELINE_REF = "55610a6"
MAX_SLOWDOWN = 0.05
STOP = "stop"
ICEBERG = "iceberg"
STOP_SHARE = ICEBERG_SHARE = 0.1


def load_baseline_core(ref: str, into: Path):
    """Import the ``marketsim/core`` package of git revision ``ref`` as ``baseline_core``."""
    package = into / "baseline_core"
    package.mkdir()
    listing = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{ref}:marketsim/core"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for name in listing:
        if name.endswith(".py"):
            source = subprocess.run(
                ["git", "show", f"{ref}:marketsim/core/{name}"],
                cwd=REPO_ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            source = source.replace("marketsim.core.", "baseline_core.").replace(
                "from marketsim.core import", "from baseline_core import"
            )
            (package / name).write_text(source)
    sys.path.insert(0, str(into))
    return (
        importlib.import_module("baseline_core.matching"),
        importlib.import_module("baseline_core.commands"),
    )


def mixed_workload(n_events: int, seed: int) -> list[tuple]:
    """The plain flow with 10% of orders as stops (some stop-limit) and 10% as icebergs."""
    rng = random.Random(seed)
    engine = MatchingEngine()
    live = LiveOrders()
    ops: list[tuple] = []
    for ts in range(n_events):
        draw = rng.random()
        side = rng.choice(("buy", "sell"))
        qty = rng.randint(1, 100)
        sign = 1 if side == "buy" else -1
        if draw < 0.3 and len(live):
            order_id = live.pick(rng)
            op: tuple = (CANCEL, order_id)
            command = current_commands.CancelOrder(order_id)
        elif draw < 0.3 + STOP_SHARE:
            stop = (engine.last_trade_ticks or MID_TICKS) + sign * rng.randint(1, 15)
            limit = stop + sign * 5 if rng.random() < 0.5 else None
            op = (STOP, side, qty, limit, stop)
            command = current_commands.SubmitOrder(side, qty, limit, stop_price_ticks=stop)
        elif draw < 0.3 + STOP_SHARE + ICEBERG_SHARE:
            price = MID_TICKS - sign * rng.randint(-5, 30)
            display = max(1, qty // 5)
            op = (ICEBERG, side, qty, price, display)
            command = current_commands.SubmitOrder(side, qty, price, display_qty_lots=display)
        elif draw < 0.9:
            price = MID_TICKS - sign * rng.randint(-10, 30)
            op = (LIMIT, side, qty, price)
            command = current_commands.SubmitOrder(side, qty, price)
        else:
            op = (MARKET, side, qty, None)
            command = current_commands.SubmitOrder(side, qty, None)
        ops.append(op)
        involved = set()
        for event in engine.apply(command, ts):
            kind = type(event)
            if kind is OrderAccepted:
                involved.add(event.order_id)
            elif kind is Trade:
                involved.update((event.maker_order_id, event.taker_order_id))
            elif kind is OrderCancelled:
                involved.add(event.order_id)
        for order_id in involved:
            known = order_id in live._open
            if engine.is_live(order_id) and not known:
                live.add(order_id, 0)
            elif known and not engine.is_live(order_id):
                live.remove(order_id)
    return ops


def replay_plain(engine_class, commands, ops) -> float:
    """CPU time of replaying plain ``ops`` on a fresh engine built from its own commands."""
    apply = engine_class().apply
    submit, cancel = commands.SubmitOrder, commands.CancelOrder
    started = time.process_time()
    for ts, (kind, arg, qty, price) in enumerate(ops):
        if kind == CANCEL:
            apply(cancel(arg), ts)
        else:
            apply(submit(arg, qty, price), ts)
    return time.process_time() - started


def replay_mixed(ops) -> float:
    """CPU time of replaying the mixed workload on today's engine."""
    apply = MatchingEngine().apply
    submit, cancel = current_commands.SubmitOrder, current_commands.CancelOrder
    started = time.process_time()
    for ts, op in enumerate(ops):
        kind = op[0]
        if kind == CANCEL:
            apply(cancel(op[1]), ts)
        elif kind == STOP:
            apply(submit(op[1], op[2], op[3], stop_price_ticks=op[4]), ts)
        elif kind == ICEBERG:
            apply(submit(op[1], op[2], op[3], display_qty_lots=op[4]), ts)
        else:
            apply(submit(op[1], op[2], op[3]), ts)
    return time.process_time() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seed", type=int, default=20_240_611)
    parser.add_argument("--baseline-ref", default=DEFAULT_BASELINE_REF)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        baseline_matching, baseline_commands = load_baseline_core(args.baseline_ref, Path(tmp))
        plain = generate_workload(args.events, args.seed).ops
        contenders = [
            (
                "baseline",
                lambda: replay_plain(baseline_matching.MatchingEngine, baseline_commands, plain),
            ),
            ("current", lambda: replay_plain(MatchingEngine, current_commands, plain)),
        ]
        times: dict[str, list[float]] = {"baseline": [], "current": [], "mixed": []}
        for round_number in range(args.rounds):
            # Alternate who goes first, so neither always inherits the other's heap.
            for name, run in contenders[:: 1 if round_number % 2 else -1]:
                times[name].append(run())
        # Made only now, so that its memory is not around while the two engines compete.
        mixed = mixed_workload(args.events, args.seed)
        for _ in range(args.rounds):
            times["mixed"].append(replay_mixed(mixed))

    rates = {name: args.events / min(seconds) for name, seconds in times.items()}
    paired = statistics.median(
        current / baseline
        for current, baseline in zip(times["current"], times["baseline"], strict=True)
    )
    slowdown = paired - 1
    counts = {kind: sum(1 for op in mixed if op[0] == kind) for kind in (STOP, ICEBERG)}
    print(
        f"{args.events:,} events per workload, {args.rounds} interleaved rounds (CPU time); "
        f"baseline core = git {args.baseline_ref}"
    )
    print(f"plain workload, engine before mechanics: {rates['baseline']:>10,.0f} events/s (best)")
    print(f"plain workload, engine with mechanics:   {rates['current']:>10,.0f} events/s (best)")
    print(
        f"slower by {rates['baseline'] / rates['current'] - 1:+.1%} (best against best), "
        f"{slowdown:+.1%} (median of the rounds' paired ratios)"
    )
    print(
        f"mixed workload ({counts[STOP]:,} stops, {counts[ICEBERG]:,} icebergs): "
        f"{rates['mixed']:>10,.0f} events/s "
        f"({rates['mixed'] / rates['current']:.2f}x the plain workload)"
    )
    verdict = "PASS" if slowdown <= MAX_SLOWDOWN else "FAIL"
    print(
        f"target: plain workload at most {MAX_SLOWDOWN:.0%} slower than before (paired median): "
        f"{verdict} ({slowdown:+.1%})"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
