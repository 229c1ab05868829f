"""How a market is set up beyond its instruments: participants, fees and TLS, for ``launch``
and ``marketsim serve`` alike."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from marketsim.core.ledger import Fees
from marketsim.errors import InvalidCommandError
from marketsim.journal.writer import FsyncPolicy
from marketsim.server.connections import ConnectionLimits
from marketsim.server.feed import MarketDataMode
from marketsim.server.participants import Roster
from marketsim.server.tls import TlsConfig

OPEN_BEYOND_LOOPBACK = (
    "refusing to serve an open market on {host}: without participants anyone who can reach it "
    "may act as anyone. Give participants (a participants file: `marketsim participants new`), "
    "or bind 127.0.0.1, or accept the risk explicitly (insecure_open / --insecure-open)."
)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1 or localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class MarketConfig:
    """Participants (``roster``, with ``tokens`` when they were made here), ``fees`` by
    symbol, whether the leaderboard is public, ``tls``, and the ``connections`` limits."""

    roster: Roster | None = None
    tokens: Mapping[str, str] = field(default_factory=dict)
    fees: Mapping[str, Fees] = field(default_factory=dict)
    public_leaderboard: bool = False
    tls: TlsConfig | None = None
    connections: ConnectionLimits = field(default_factory=ConnectionLimits)
    #: A journal directory makes the market durable (see ``MarketServer``).
    journal: Path | None = None
    fsync: FsyncPolicy = "batch"
    #: "process": serve market data from a replica process as well (see ``MarketServer``).
    market_data: MarketDataMode = "inline"

    @classmethod
    def make(
        cls,
        participants: Mapping[str, str] | Roster | str | Path | None = None,
        limits: Mapping[str, object] | None = None,
        fees: Mapping[str, object] | None = None,
        public_leaderboard: bool = False,
        tls: TlsConfig | None = None,
        connections: ConnectionLimits | None = None,
    ) -> MarketConfig:
        """Normalise ``launch``'s arguments (see there)."""
        tokens: dict[str, str] = {}
        if participants is None:
            if limits:
                raise InvalidCommandError("limits apply to participants; give participants too")
            roster = None
        elif isinstance(participants, Roster):
            roster = participants
        elif isinstance(participants, str | Path):
            roster = Roster.load(participants)
        elif isinstance(participants, Mapping):
            roster, tokens = Roster.create(participants, defaults=dict(limits or {}))
        else:
            raise InvalidCommandError(
                f"participants must be a mapping, a Roster or a file, got {participants!r:.60}"
            )
        if roster is not None and limits and not isinstance(participants, Mapping):
            raise InvalidCommandError("limits come from the participants file or Roster here")
        fee_table = {symbol: Fees.of(spec) for symbol, spec in (fees or {}).items()}  # type: ignore[arg-type]
        return cls(
            roster, tokens, fee_table, public_leaderboard, tls, connections or ConnectionLimits()
        )

    def server_options(self) -> dict[str, object]:
        """The ``MarketServer`` keyword arguments of this configuration."""
        options: dict[str, object] = {
            "roster": self.roster,
            "public_leaderboard": self.public_leaderboard,
            "fees": self.fees,
            "tls": self.tls,
            "connections": self.connections,
        }
        if self.journal is not None:
            options.update(journal=self.journal, fsync=self.fsync)
        if self.market_data != "inline":
            options["market_data"] = self.market_data
        return options

    def serve_arguments(self, folder: Path) -> list[str]:
        """``marketsim serve`` options giving a child process this configuration, writing the
        files they name into ``folder``."""
        arguments = []
        if self.roster is not None:
            path = folder / "participants.toml"
            self.roster.save(path)
            arguments += ["--participants", str(path)]
        for symbol, fees in self.fees.items():
            arguments += ["--fee", f"{symbol}:{fees.maker}:{fees.taker}"]
        if self.public_leaderboard:
            arguments.append("--public-leaderboard")
        if self.journal is not None:
            arguments += ["--journal", str(self.journal), "--fsync", self.fsync]
        if self.market_data != "inline":
            arguments += ["--market-data", self.market_data]
        limits = self.connections
        arguments += [
            "--keepalive",
            str(limits.keepalive),
            "--keepalive-timeout",
            str(limits.keepalive_timeout),
            "--idle-timeout",
            str(limits.idle),
            "--max-streams",
            str(limits.max_streams),
        ]
        if self.tls is not None:
            pem = {"cert.pem": self.tls.certificate_chain, "key.pem": self.tls.private_key}
            if self.tls.client_ca is not None:
                pem["client-ca.pem"] = self.tls.client_ca
            for name, data in pem.items():
                (folder / name).write_bytes(data)
                (folder / name).chmod(0o600)
            arguments += [
                "--tls-cert",
                str(folder / "cert.pem"),
                "--tls-key",
                str(folder / "key.pem"),
            ]
            if self.tls.client_ca is not None:
                arguments += ["--tls-client-ca", str(folder / "client-ca.pem")]
        return arguments
