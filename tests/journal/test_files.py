"""Journal and snapshot files: torn tails are cut, corruption anywhere else is refused."""

from __future__ import annotations

import logging

import pytest

from marketsim.core import Instrument
from marketsim.journal import snapshots
from marketsim.journal.frames import (
    HEADER,
    JOURNAL_MAGIC,
    FrameReader,
    JournalCorruptError,
    frame,
)
from marketsim.server.durability import (
    JOURNAL_FILE,
    JournalInUseError,
    JournalMismatchError,
    fingerprint,
    open_journal,
)
from marketsim.server.sequencer import Sequencer
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb

PAYLOADS = [b"first", b"second record", b"third"]


def journal_bytes(payloads=PAYLOADS) -> bytes:
    return JOURNAL_MAGIC + b"".join(frame(p) for p in payloads)


def read(data: bytes) -> tuple[list[bytes], FrameReader]:
    reader = FrameReader(data, "j.msj", JOURNAL_MAGIC)
    return [bytes(payload) for _offset, payload in reader], reader


def test_frames_read_back_in_order():
    payloads, reader = read(journal_bytes())
    assert payloads == PAYLOADS
    assert (reader.end, reader.torn_bytes) == (len(journal_bytes()), 0)


@pytest.mark.parametrize(
    "cut", [1, HEADER.size - 1, HEADER.size + 1, len(frame(b"third")) - 1], ids=str
)
def test_a_final_frame_cut_short_is_a_torn_tail(cut):
    whole = journal_bytes()
    payloads, reader = read(whole[: len(whole) - len(frame(b"third")) + cut])
    assert payloads == PAYLOADS[:2]
    assert reader.torn_bytes == cut
    assert reader.end == len(whole) - len(frame(b"third"))


def test_a_zero_filled_tail_is_torn_and_a_bad_final_payload_too():
    payloads, reader = read(journal_bytes() + bytes(100))
    assert (payloads, reader.torn_bytes) == (PAYLOADS, 100)
    damaged = bytearray(journal_bytes())
    damaged[-1] ^= 0xFF  # the last record's payload, as a crash mid-write can leave it
    payloads, reader = read(bytes(damaged))
    assert payloads == PAYLOADS[:2] and reader.torn_bytes == len(frame(b"third"))


@pytest.mark.parametrize("where", ["header", "payload"])
def test_a_flipped_byte_before_the_last_frame_is_refused_with_its_offset(where):
    damaged = bytearray(journal_bytes())
    second = len(JOURNAL_MAGIC) + len(frame(PAYLOADS[0]))
    damaged[second + (2 if where == "header" else HEADER.size + 3)] ^= 0x01
    with pytest.raises(JournalCorruptError, match=f"at byte offset {second}:"):
        read(bytes(damaged))


def test_a_file_that_is_not_a_journal_is_refused():
    with pytest.raises(JournalCorruptError, match="not a marketsim journal"):
        read(b"PK\x03\x04 a zip file")


# -- opening journal directories ----------------------------------------------------------------


def submit(price_ticks: int, side=pb.SIDE_BUY, qty=2, client_order_id="") -> pb.SubmitOrderRequest:
    return pb.SubmitOrderRequest(
        symbol="ACME",
        side=side,
        order_type=pb.ORDER_TYPE_LIMIT,
        qty_lots=qty,
        price_ticks=price_ticks,
        tif=pb.TIME_IN_FORCE_GTC,
        client_order_id=client_order_id,
    )


def fill(sequencer: Sequencer, n: int, start: int = 0) -> None:
    """``n`` orders that rest and trade, through the sequencer as the service sends them."""
    for i in range(start, start + n):
        request = submit(100 + i % 5, pb.SIDE_BUY if i % 3 else pb.SIDE_SELL, 1 + i % 4, f"c{i}")
        command = codec.command_from_proto(request, f"owner{i % 3}")
        sequencer.order(request, command, 1_000 + i, None, pb.OrderAck())


def opened(directory, **options):
    return open_journal(directory, [Instrument("ACME", "0.01")], {}, **options)


async def test_reopening_recovers_the_same_market_and_cuts_a_torn_tail(tmp_path, caplog):
    journal = opened(tmp_path)
    fill(journal.sequencer, 50)
    before = fingerprint(journal.sequencer)
    await journal.close()
    with open(tmp_path / JOURNAL_FILE, "ab") as file:
        file.write(frame(b"never acknowledged")[:-4])  # a crash in the middle of a write

    with caplog.at_level(logging.WARNING):
        journal = opened(tmp_path)
    assert fingerprint(journal.sequencer) == before
    assert journal.recovery.torn_bytes == HEADER.size + len(b"never acknowledged") - 4
    assert "cut a torn final record (26 bytes" in caplog.text
    fill(journal.sequencer, 1, start=50)  # appends after the cut
    await journal.close()
    journal = opened(tmp_path)
    assert journal.sequencer.records == 51 and journal.recovery.torn_bytes == 0
    await journal.close()


async def test_a_damaged_snapshot_is_skipped_and_the_journal_recovers_everything(tmp_path, caplog):
    journal = opened(tmp_path)
    fill(journal.sequencer, 30)
    state = snapshots.encode(journal.sequencer.state(), journal.writer.size)
    snapshots.write(tmp_path, 30, state)  # as the server takes one
    before = fingerprint(journal.sequencer)
    await journal.close()
    newest = tmp_path / "snapshot-000000000030.mss"
    newest.write_bytes(newest.read_bytes()[:-10])  # truncated
    with caplog.at_level(logging.WARNING):
        journal = opened(tmp_path)
    assert "skipped snapshot snapshot-000000000030.mss" in caplog.text
    assert journal.recovery.snapshot is None and journal.recovery.replayed == 30
    assert fingerprint(journal.sequencer) == before
    await journal.close()


async def test_a_journal_for_other_instruments_is_refused_naming_both(tmp_path):
    await opened(tmp_path).close()
    with pytest.raises(
        JournalMismatchError, match=r"made for ACME \(tick 0.01.*lists ACME \(tick 0.05"
    ):
        open_journal(tmp_path, [Instrument("ACME", "0.05")], {})
    with pytest.raises(JournalMismatchError, match=r"fees 0\.001/0\.002"):
        open_journal(tmp_path, [Instrument("ACME", "0.01")], {"ACME": (0.001, 0.002)})


async def test_one_server_at_a_time(tmp_path):
    journal = opened(tmp_path)
    with pytest.raises(JournalInUseError, match="in use by another marketsim server"):
        opened(tmp_path)
    await journal.close()
    await opened(tmp_path).close()
