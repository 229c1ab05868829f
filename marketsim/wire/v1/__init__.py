"""Generated from ``protos/marketsim/wire/v1/market.proto``; regenerate with
``python -m marketsim.wire.generate``, never edit by hand."""
