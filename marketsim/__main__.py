"""``python -m marketsim``: the same as the ``marketsim`` command."""

from marketsim.cli import main

raise SystemExit(main())
