"""matplotlib plots of books, quotes and trades: axes-level functions over ``marketsim.frames``.

    import marketsim as ms
    from marketsim import plotting

    ax = plotting.plot_depth(book)                 # a frame, or the book itself
    plotting.plot_bbo(book.events, ax=other_ax)    # draw into your own axes
    ax.figure.savefig("depth.png")

Every function takes ``ax=`` (without it, a new pyplot figure, which a notebook shows under
the cell), returns the Axes, checks its input first (``PlotInputError`` names the missing
columns), and never calls ``plt.show()`` or changes rcParams.
"""

from marketsim.plotting._common import (
    ASK_COLOUR,
    BID_COLOUR,
    MID_COLOUR,
    SPREAD_COLOUR,
    PlotInputError,
)
from marketsim.plotting.book import plot_depth, plot_ladder, plot_queue
from marketsim.plotting.heatmap import plot_book_heatmap
from marketsim.plotting.series import plot_bbo, plot_trades

__all__ = [
    "ASK_COLOUR",
    "BID_COLOUR",
    "MID_COLOUR",
    "SPREAD_COLOUR",
    "PlotInputError",
    "plot_bbo",
    "plot_book_heatmap",
    "plot_depth",
    "plot_ladder",
    "plot_queue",
    "plot_trades",
]
