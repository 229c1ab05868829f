"""Case clocks: the time a heat runs on, in nanoseconds from the start of the heat.

A heat asks its clock to wait until the next scheduled moment. The ``SimulatedClock`` jumps
there at once, so a dry run goes as fast as the machine allows and depends only on the seeds.
The ``RealClock`` lets that much wall time pass (``speed`` times faster, if asked), and stops
counting while it is paused, so pausing a heat freezes its schedule, its bots and its time left.
"""

from __future__ import annotations

import asyncio
import time

from marketsim.errors import InvalidCommandError

NS_PER_SECOND = 1_000_000_000


class SimulatedClock:
    """A clock that is wherever the heat last asked it to be."""

    def __init__(self) -> None:
        self.now_ns = 0
        self.paused = False

    def reset(self) -> None:
        """Back to the start of a heat."""
        self.now_ns = 0

    def wait_until(self, ts_ns: int) -> None:
        """Move to ``ts_ns`` at once."""
        self.now_ns = max(self.now_ns, ts_ns)

    async def await_until(self, ts_ns: int) -> None:
        """``wait_until`` for a heat running on an event loop."""
        self.wait_until(ts_ns)

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False


class RealClock:
    """Wall time since the start of the heat, times ``speed``, not counting pauses."""

    def __init__(self, speed: float = 1.0, poll_seconds: float = 0.05) -> None:
        if not isinstance(speed, int | float) or not 0 < speed <= 1000:
            raise InvalidCommandError(f"speed must be a number in (0, 1000], got {speed!r:.40}")
        self.speed = float(speed)
        self._poll = poll_seconds
        self._elapsed_ns = 0  # heat time counted before the current run of the clock
        self._since: float | None = None  # perf_counter when the clock last started running
        self.paused = False

    @property
    def now_ns(self) -> int:
        if self._since is None:
            return self._elapsed_ns
        return self._elapsed_ns + int((time.perf_counter() - self._since) * self.speed * 1e9)

    def reset(self) -> None:
        """Back to the start of a heat, running unless paused."""
        self._elapsed_ns = 0
        self._since = None if self.paused else time.perf_counter()

    def pause(self) -> None:
        """Stop counting time."""
        if not self.paused:
            self._elapsed_ns = self.now_ns
            self._since = None
            self.paused = True

    def resume(self) -> None:
        """Count time again from where it stopped."""
        if self.paused:
            self.paused = False
            self._since = time.perf_counter()

    def _remaining_seconds(self, ts_ns: int) -> float:
        if self.paused:
            return self._poll
        return min(self._poll, (ts_ns - self.now_ns) / 1e9 / self.speed)

    def wait_until(self, ts_ns: int) -> None:
        """Sleep until the clock reads ``ts_ns`` (in short naps, so a pause takes effect)."""
        while self.paused or self.now_ns < ts_ns:
            time.sleep(max(0.0, self._remaining_seconds(ts_ns)))

    async def await_until(self, ts_ns: int) -> None:
        """``wait_until`` without blocking the event loop."""
        while self.paused or self.now_ns < ts_ns:
            await asyncio.sleep(max(0.0, self._remaining_seconds(ts_ns)))


Clock = SimulatedClock | RealClock

__all__ = ["NS_PER_SECOND", "Clock", "RealClock", "SimulatedClock"]
