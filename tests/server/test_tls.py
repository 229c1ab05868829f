"""TLS and mutual TLS with certificates the test makes: round trips, and clean refusals."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from grpc_support import within

from marketsim.client import AsyncMarketClient
from marketsim.errors import MarketUnavailableError
from marketsim.server.participants import Roster
from marketsim.server.tls import TlsConfig
from marketsim.session import launch


@dataclass(frozen=True)
class Pem:
    cert: bytes
    key: bytes


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _certificate(subject: str, key, issuer_name, issuer_key, *, ca: bool, server: bool):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki() -> tuple[Pem, Pem, Pem]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, both by the CA."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "marketsim test CA")])
    ca = _certificate("marketsim test CA", ca_key, ca_name, ca_key, ca=True, server=False)
    issued = []
    for subject, server in (("127.0.0.1", True), ("alice", False)):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(subject, key, ca_name, ca_key, ca=False, server=server)
        issued.append(Pem(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)))
    return Pem(ca.public_bytes(serialization.Encoding.PEM), _key_pem(ca_key)), *issued


@pytest.fixture(scope="module")
def pki() -> tuple[Pem, Pem, Pem]:
    return make_pki()


async def test_a_tls_market_trades_with_a_token_over_an_encrypted_channel(make_server, pki):
    ca, server_pem, _ = pki
    roster, tokens = Roster.create({"alice": "trader"})
    server = await make_server(roster=roster, tls=TlsConfig(server_pem.cert, server_pem.key))

    async with AsyncMarketClient(
        server.address, token=tokens["alice"], tls=True, root_certificates=ca.cert
    ) as alice:
        result = await within(alice.submit("ACME", "buy", 2, 99.00))
        assert result.status == "new"
        assert (await within(alice.whoami())).participant == "alice"


async def test_a_plaintext_client_of_a_tls_server_fails_cleanly(make_server, pki):
    _, server_pem, _ = pki
    server = await make_server(tls=TlsConfig(server_pem.cert, server_pem.key))

    async with AsyncMarketClient(server.address, timeout=3.0) as plain:
        with pytest.raises(MarketUnavailableError):
            await within(plain.instruments())
    assert server.exchange["ACME"].seq == 0


async def test_mutual_tls_needs_a_client_certificate_from_the_ca(make_server, pki):
    ca, server_pem, client_pem = pki
    config = TlsConfig(server_pem.cert, server_pem.key, client_ca=ca.cert)
    server = await make_server(tls=config)

    async with AsyncMarketClient(
        server.address, tls=True, root_certificates=ca.cert, timeout=3.0
    ) as anonymous:
        with pytest.raises(MarketUnavailableError):
            await within(anonymous.instruments())
    async with AsyncMarketClient(
        server.address,
        tls=True,
        root_certificates=ca.cert,
        certificate_chain=client_pem.cert,
        private_key=client_pem.key,
    ) as known:
        assert [i.symbol for i in await within(known.instruments())] == ["ACME", "XYZ"]


async def test_a_client_that_does_not_trust_the_server_fails_cleanly(make_server, pki):
    _, server_pem, _ = pki
    server = await make_server(tls=TlsConfig(server_pem.cert, server_pem.key))
    stranger_ca, _, _ = make_pki()

    async with AsyncMarketClient(
        server.address, tls=True, root_certificates=stranger_ca.cert, timeout=3.0
    ) as wary:
        with pytest.raises(MarketUnavailableError):
            await within(wary.instruments())


def test_a_process_market_serves_tls_to_its_own_clients(pki):
    _, server_pem, _ = pki  # the market's own clients trust its certificate as given
    market = launch(
        {"ACME": 0.01},
        mode="process",
        participants={"alice": "trader"},
        tls=TlsConfig(server_pem.cert, server_pem.key),
    )
    try:
        alice = market.client("alice")
        assert alice.submit("ACME", "buy", 1, 99.0).status == "new"
        assert "tls=True" in market.join_lines()[0]
    finally:
        market.stop()
