"""Deadlines and instruments shared by the gRPC tests (tests/server, tests/client)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")

#: Seconds any single await in these tests may take before the test fails.
DEADLINE = 10.0

INSTRUMENTS = {"ACME": 0.01, "XYZ": 0.05}


async def within(awaitable: Awaitable[T], seconds: float = DEADLINE) -> T:
    """``await awaitable``, failing the test if it takes longer than ``seconds``."""
    return await asyncio.wait_for(awaitable, seconds)
