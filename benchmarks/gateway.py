"""Does the engine change the gateway's batched order entry? ``submit_many``, engine against engine.

Usage::

    python benchmarks/gateway.py [--orders N] [--rounds R] [--before DIR]

Each measurement is a child process that launches a market in a background process
(``marketsim.launch(mode="process")``, which inherits the child's environment), enters
``--orders`` orders with ``AsyncMarketClient.submit_many`` in batches of 2,000 (one batch
first as a warm-up), and prints orders per second. A seventh of the orders cross the
spread; the rest rest on 20 levels a side. Variants, taking turns for ``--rounds`` rounds:
the compiled engine, the pure one (``MARKETSIM_PURE=1``), and with ``--before`` the package
in ``DIR`` (put first on ``PYTHONPATH``; the child runs in ``DIR``, since ``python -m
marketsim serve`` puts its working directory first on ``sys.path``). For the code before the
compiled engine (issue 14)::

    git archive 85031a0^1 marketsim | tar -x -C DIR

This machine's speed moves by up to 2x within minutes, so the verdict is on the median of
the ratios of rounds taken back to back. Target (issue 14): the compiled engine does not
lower the rate, read as a median ratio of at least 0.95 against ``--before`` (or against the
pure engine without it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 2_000
TARGET_RATIO = 0.95

CHILD = """
import asyncio, sys, time
import marketsim
from marketsim.client import AsyncMarketClient

def orders(count):
    for i in range(count):
        side = "buy" if i % 2 else "sell"
        away = 0.01 * (i % 20 + 1)
        price = 100.00 - away if side == "buy" else 100.00 + away
        if i % 7 == 0:  # crosses the spread
            price = 100.05 if side == "buy" else 99.95
        yield {"side": side, "qty": 1 + i % 5, "price": round(price, 2)}

async def main(count, batch):
    market = marketsim.launch({"ACME": 0.01}, mode="process")
    try:
        flow = list(orders(count + batch))
        async with AsyncMarketClient(market.address, owner="bulk") as client:
            await client.submit_many("ACME", flow[:batch], progress=False)  # warm-up
            started = time.perf_counter()
            for start in range(batch, len(flow), batch):
                await client.submit_many("ACME", flow[start : start + batch], progress=False)
            print(count / (time.perf_counter() - started))
    finally:
        market.stop()

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
"""


def measure(orders: int, pure: bool, tree: Path | None) -> float:
    """Orders per second of one child process (see the module docstring)."""
    environment = {k: v for k, v in os.environ.items() if k != "MARKETSIM_PURE"}
    if pure:
        environment["MARKETSIM_PURE"] = "1"
    if tree is not None:
        environment["PYTHONPATH"] = str(tree)
    with tempfile.TemporaryDirectory() as elsewhere:  # no marketsim/ on the server's path
        completed = subprocess.run(
            [sys.executable, "-c", CHILD, str(orders), str(BATCH)],
            env=environment,
            cwd=tree or elsewhere,
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
    return float(completed.stdout.split()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", type=Path, help="source tree of the code before the change")
    args = parser.parse_args(argv)
    variants: dict[str, tuple[bool, Path | None]] = {
        "compiled": (False, None),
        "pure": (True, None),
    }
    if args.before is not None:
        if not (args.before / "marketsim" / "__init__.py").is_file():
            raise SystemExit(f"{args.before} holds no marketsim package")
        variants["before"] = (False, args.before.resolve())
    print(
        f"load average {os.getloadavg()[0]:.1f}; submit_many of {args.orders:,} orders "
        f"in batches of {BATCH:,}, {args.rounds} interleaved rounds"
    )
    rates: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, (pure, tree) in variants.items():
            rates[name].append(measure(args.orders, pure, tree))
    for name, values in rates.items():
        print(
            f"  {name:<9} median {statistics.median(values):>9,.0f} orders/s "
            f"(best {max(values):,.0f}; rounds: {', '.join(f'{v:,.0f}' for v in values)})"
        )
    baseline = "before" if "before" in rates else "pure"
    ratios = [c / b for c, b in zip(rates["compiled"], rates[baseline], strict=True)]
    median = statistics.median(ratios)
    verdict = "PASS" if median >= TARGET_RATIO else "FAIL"
    print(
        f"  compiled / {baseline}, round by round: {', '.join(f'{r:.2f}' for r in ratios)}; "
        f"median {median:.2f}: target >= {TARGET_RATIO} {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
