"""Events about a whole book (a phase change, an auction's uncross) reach the public streams
and no private one; they used to break the fan-out when a private stream was open."""

from marketsim.core.events import AuctionUncrossed, PhaseChanged
from marketsim.server.hub import Hub


def test_book_wide_events_skip_private_subscriptions_and_reach_public_ones():
    hub = Hub()
    private = hub.subscribe_owner("ann")
    public = hub.subscribe("ACME")
    events = [PhaseChanged(1, 10, "auction", "continuous"), AuctionUncrossed(2, 10, None, 0)]
    hub.publish("ACME", events)
    assert list(private._items) == []
    (item,) = public._items
    assert item.events == events
