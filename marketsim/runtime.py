"""The process-wide IO thread: one daemon thread, one event loop, created on first use.

In-process servers and the blocking client run their coroutines here, never on the caller's
loop: a notebook cell that computes for a minute must not freeze the market. The loop is made
once and reused for the life of the process, because grpc keeps references to loops it has
seen and a loop per start would leak.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None

#: Default seconds a blocking call waits for the IO thread before giving up.
DEFAULT_TIMEOUT = 30.0


def io_loop() -> asyncio.AbstractEventLoop:
    """The IO thread's event loop, starting the thread on first use."""
    global _loop, _thread
    with _lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            _thread = threading.Thread(target=run, name="marketsim-io", daemon=True)
            _thread.start()
            ready.wait()
            _loop = loop
        return _loop


def on_io_thread() -> bool:
    """True when called from the IO thread itself."""
    return _thread is not None and threading.current_thread() is _thread


def submit(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    """Schedule ``coro`` on the IO loop and return a thread-safe future."""
    return asyncio.run_coroutine_threadsafe(coro, io_loop())


def run_sync(coro: Coroutine[Any, Any, T], timeout: float | None = DEFAULT_TIMEOUT) -> T:
    """Run ``coro`` on the IO loop and wait for its result, at most ``timeout`` seconds.

    Raises ``RuntimeError`` when called from the IO thread (waiting there would deadlock)
    and ``TimeoutError`` when the deadline passes (the coroutine is then cancelled).
    """
    if on_io_thread():
        coro.close()
        raise RuntimeError(
            "a blocking marketsim call was made on marketsim's IO thread; use the async API there"
        )
    future = submit(coro)
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise TimeoutError(f"no answer from the IO thread within {timeout} s") from None
