"""TLS for the server: a certificate chain and key, and optionally a CA for client certificates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc

from marketsim.errors import InvalidCommandError


@dataclass(frozen=True, slots=True)
class TlsConfig:
    """PEM bytes of the server's certificate chain and key; with ``client_ca``, clients must
    present a certificate signed by it (mutual TLS)."""

    certificate_chain: bytes
    private_key: bytes
    client_ca: bytes | None = None

    @classmethod
    def from_files(
        cls, cert: str | Path, key: str | Path, client_ca: str | Path | None = None
    ) -> TlsConfig:
        """Read the PEM files; ``InvalidCommandError`` names one that cannot be read."""
        return cls(_read(cert), _read(key), None if client_ca is None else _read(client_ca))

    def server_credentials(self) -> grpc.ServerCredentials:
        """The grpc credentials of a server with this configuration."""
        return grpc.ssl_server_credentials(
            [(self.private_key, self.certificate_chain)],
            root_certificates=self.client_ca,
            require_client_auth=self.client_ca is not None,
        )


def _read(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise InvalidCommandError(f"cannot read {path}: {error.strerror}") from None
