"""A "live" badge that turns to "stopped" by itself when the kernel stops refreshing it.

After a kernel restart (or a crash) the page still shows a live view's last output, and
nothing in the kernel is left to say that it died. So the badge says so on its own, with
CSS only: it shows "live" and carries an animation that, after ``stale_after`` seconds,
hides "live" and shows "stopped". While the view runs it rewrites the badge every
``HEARTBEAT_SECONDS`` (a new ``beat`` each time, so the front end redraws it and the
animation starts over); when nobody rewrites it, the animation runs out and the reader sees
that the output is stale. No front-end extension is involved: plain HTML in an HTML widget.
"""

from __future__ import annotations

from html import escape

#: How often a running view rewrites its badge, and after how long without that it goes stale.
HEARTBEAT_SECONDS = 2.0
STALE_AFTER_SECONDS = 6.0

_STYLE = (
    "<style>"
    "@keyframes marketsim-hide{to{font-size:0}}"
    "@keyframes marketsim-show{to{font-size:12px}}"
    ".marketsim-badge-live{color:#1b9e4b;font-size:12px;"
    "animation:marketsim-hide 0.01s linear var(--marketsim-stale) forwards}"
    ".marketsim-badge-stale{color:#8b1a1a;font-size:0;"
    "animation:marketsim-show 0.01s linear var(--marketsim-stale) forwards}"
    "</style>"
)


def live_badge(beat: int, stale_after: float = STALE_AFTER_SECONDS) -> str:
    """The badge of a running view: "live" now, "stopped" if not rewritten in time."""
    return (
        f'{_STYLE}<span class="marketsim-liveness" data-state="live" data-beat="{beat}" '
        f'style="--marketsim-stale:{stale_after:g}s">'
        '<span class="marketsim-badge-live">● live</span>'
        '<span class="marketsim-badge-stale" title="the kernel stopped or restarted: run the '
        'cells again">■ stopped</span></span>'
    )


def stopped_badge(reason: str = "stopped") -> str:
    """The badge of a view that stopped normally."""
    return (
        '<span class="marketsim-liveness" data-state="stopped" style="color:#8b1a1a;'
        f'font-size:12px">■ {escape(reason)}</span>'
    )
