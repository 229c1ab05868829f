"""The journal from the command line: serve --journal, restart, journal verify and export."""

from __future__ import annotations

from test_cli import READY, Child, run

from marketsim.data import load_session


def serve_journal(journal, *extra: str) -> tuple[Child, str]:
    child = Child("serve", "--port", "0", "--journal", str(journal), *extra)
    return child, child.expect(READY.pattern).group(1)


def test_a_served_journal_survives_kill_9_and_verifies_and_exports(tmp_path):
    journal = tmp_path / "acme-journal"
    child, address = serve_journal(journal, "--symbol", "ACME:0.01", "--fsync", "always")
    for side, qty, price in (("buy", "5", "99.5"), ("sell", "2", "99.5"), ("sell", "3", "99.7")):
        assert run("submit", "--address", address, "ACME", side, qty, price).returncode == 0
    child.kill()  # SIGKILL

    # No --symbol: the journal brings its instruments back.
    child, address = serve_journal(journal)
    assert any("recovered 3 journal records" in line for line in child.seen)
    book = run("book", "--address", address, "ACME")
    assert "99.70" in book.stdout and "99.50" in book.stdout
    child.interrupt()
    child.kill()  # closes its pipes

    verified = run("journal", "verify", str(journal))
    assert verified.returncode == 0, verified.stderr
    assert "records    3 (SubmitOrder 3)" in verified.stdout
    assert "book       ACME: seq 1..7, 2 resting orders" in verified.stdout

    out = tmp_path / "day1.parquet"
    exported = run("journal", "export", str(journal), "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    session = load_session(out)
    assert len(session.trades()) == 1 and session.events[-1].seq == 7


def test_a_corrupt_journal_is_refused_in_one_line_naming_the_offset(tmp_path):
    journal = tmp_path / "j"
    child, address = serve_journal(journal, "--symbol", "ACME:0.01")
    for price in ("10", "11"):
        assert run("submit", "--address", address, "ACME", "buy", "1", price).returncode == 0
    child.interrupt()
    child.kill()  # closes its pipes
    data = bytearray((journal / "journal.msj").read_bytes())
    data[60] ^= 0xFF  # inside the first record, with the second after it
    (journal / "journal.msj").write_bytes(bytes(data))

    verified = run("journal", "verify", str(journal))
    assert verified.returncode == 1
    assert verified.stderr.count("\n") == 1 and "corrupt at byte offset" in verified.stderr
    refused = Child("serve", "--port", "0", "--journal", str(journal))
    refused.process.wait(30)
    assert refused.process.returncode == 1
    assert "corrupt at byte offset" in refused.process.stderr.read()  # type: ignore[union-attr]
    refused.kill()
    mismatch = Child("serve", "--port", "0", "--journal", str(tmp_path / "j2"))
    mismatch.process.wait(30)
    assert "holds no journal yet" in mismatch.process.stderr.read()  # type: ignore[union-attr]
    mismatch.kill()
