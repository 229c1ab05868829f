"""Sweeps: grids of simulations over seeds, on every local core or on a Dask cluster.

    from marketsim import sim

    study = sim.sweep(
        agents={"zi": sim.ZeroIntelligence, "mm": sim.MarketMaker},
        grid={"mm.half_spread_ticks": [1, 2, 4], "zi.market_rate": [1.0, 2.5]},
        fixed={"zi.limit_rate": 1.0},
        seeds=range(20),
        duration=60,
        out="runs/spread-study",
    )
    study.summary                                       # one row per (parameters, seed)
    study.plot("mm.half_spread_ticks", "spread_mean")   # mean and 95% interval over seeds
    study.load(study.summary.run_id[0])                 # one run's session

Modules: ``plan`` (the runs and their ids), ``execute`` (one run, as a worker does it),
``metrics`` (its summary numbers), ``store`` (the output folder), ``engines`` (serial, local
processes, Dask) and ``study`` (``sweep`` and ``Study``). Dask is imported only when used.
"""

from marketsim.sweep.study import Study, sweep

__all__ = ["Study", "sweep"]
