"""Large input handled off the event loop: one rule for the bridge and the core.

Parsing or converting a body is CPU work that holds the event loop: 150,000 messages took
~0.7 s, and every other request (``/health`` too) waited. Input larger than
``Settings.json_offload_bytes`` (256 KB) is handled in a worker thread; smaller input
inline, where a thread hop would cost more than the work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def sized(size: int, limit: int, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)``: in a worker thread when ``size`` bytes exceed ``limit``."""
    if size > limit:
        return await asyncio.to_thread(fn, *args, **kwargs)
    return fn(*args, **kwargs)
