"""The journal on its own: lines that round-trip and refuse damage, numbering that survives
restarts, reading back in ranges, segments released, one slot per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from pathlib import Path

import pytest

from gate_service.ledger import Journal, RequestRecord, codec
from gate_service.routing.outcome import Attempt

Make = Callable[..., RequestRecord]


def test_a_line_round_trips_every_field(make_entry: Make) -> None:
    e = make_entry(
        ttft_ms=12.5,
        error_code="x",
        streamed=True,
        attempts=(
            Attempt("groq", "m", "k…1", "error", 503, 1.5, "server_error", "boom\nnext"),
            Attempt("openai", "gpt-4o", "sk…2", "success", 200, 40.0),
        ),
    )
    seq, back = codec.decode(codec.encode(41, e))
    assert (seq, back) == (41, e)
    naive = make_entry(created_at=datetime(2026, 1, 2, 3, 4, 5, 6))
    assert codec.decode(codec.encode(1, naive))[1] == naive


def test_the_line_format_is_pinned() -> None:
    """Adding a field to RequestRecord or Attempt changes the journal's lines: bump
    codec.VERSION with it (a journal written by the previous release is then reported as
    unreadable instead of being decoded into the wrong fields)."""
    assert codec.VERSION == 3 and codec.CONTENT_VERSION == 4
    assert [f.name for f in fields(RequestRecord)][-6:] == [
        "attempts",
        "created_at",
        "auth_ms",
        "plan_ms",
        "admission_ms",
        "content",
    ]
    assert len(codec.ENTRY_FIELDS) == 28 and len(codec.ATTEMPT_FIELDS) == 8


def test_unencodable_text_is_replaced_not_refused(make_entry: Make) -> None:
    _, back = codec.decode(codec.encode(1, make_entry(agent_name="a\ud800b")))
    assert back.agent_name == "a?b"


@pytest.mark.parametrize(
    "damage",
    [
        lambda line: line[:-1],  # no newline: torn
        lambda line: line[: len(line) // 2],  # torn mid-payload
        lambda line: line.replace(b"groq", b"grok", 1),  # a changed byte
        lambda line: b"9" + line,  # a changed sequence number
        lambda line: b"garbage\n",
    ],
)
def test_a_damaged_line_is_refused(make_entry: Make, damage: Callable[[bytes], bytes]) -> None:
    with pytest.raises(codec.CorruptLine):
        codec.decode(damage(codec.encode(7, make_entry())))


def test_numbers_continue_across_restarts_and_ranges_read_back(
    tmp_path: Path, make_entry: Make
) -> None:
    entries = [make_entry() for _ in range(50)]
    journal = Journal.open(tmp_path, segment_bytes=2_000)
    assert [journal.append(e) for e in entries[:30]] == list(range(1, 31))
    journal.close()
    journal = Journal.open(tmp_path, segment_bytes=2_000)  # the same slot, the same id
    assert [journal.append(e) for e in entries[30:]] == list(range(31, 51))
    got = journal.read(1, 20).entries + journal.read(21, 50).entries
    assert [seq for seq, _ in got] == list(range(1, 51))
    assert [e.id for _, e in got] == [e.id for e in entries]
    assert [seq for seq, _ in journal.read(45, 47).entries] == [45, 46, 47]
    journal.close()


def test_release_keeps_every_uncommitted_entry(tmp_path: Path, make_entry: Make) -> None:
    journal = Journal.open(tmp_path, segment_bytes=1_500)
    for _ in range(40):
        journal.append(make_entry())
    before = sorted(tmp_path.glob("0/*.seg"))
    assert journal.release(17) > 0
    after = sorted(tmp_path.glob("0/*.seg"))
    assert len(after) < len(before)
    assert [seq for seq, _ in journal.read(18, 40).entries] == list(range(18, 41))
    assert journal.release(40) == len(after) - 1  # never the active segment
    journal.seal()
    journal.release(40)
    (left,) = tmp_path.glob("0/*.seg")
    assert left.name == f"{41:020d}.seg" and left.stat().st_size == 0
    key = journal.key
    journal.close()
    again = Journal.open(tmp_path)
    assert (again.key, again.last_seq, again.append(make_entry())) == (key, 40, 41)
    again.close()


def test_each_process_gets_its_own_slot_and_an_empty_one_a_new_id(
    tmp_path: Path, make_entry: Make
) -> None:
    one, two = Journal.open(tmp_path), Journal.open(tmp_path)
    assert (one.directory.name, two.directory.name) == ("0", "1") and one.key != two.key
    two.append(make_entry())
    assert [j.directory.name for j in Journal.orphans(tmp_path, exclude=one.directory)] == []
    two.close()
    (orphan,) = Journal.orphans(tmp_path, exclude=one.directory)
    assert orphan.directory.name == "1" and orphan.last_seq == 1
    orphan.release(orphan.last_seq)
    orphan.close()
    one.close()
    fresh = Journal.open(tmp_path / "elsewhere")
    assert fresh.last_seq == 0
    fresh.close()
    same = Journal.open(tmp_path)  # slot 0: its empty segment keeps id and numbering
    assert (same.key, same.last_seq) == (one.key, 0)
    same.close()
    for segment in tmp_path.glob("0/*.seg"):
        segment.unlink()
    wiped = Journal.open(tmp_path)  # no segment left: numbers restart, under a new id
    assert wiped.key != one.key and wiped.last_seq == 0
    wiped.close()


def test_a_torn_tail_is_cut_before_appending(tmp_path: Path, make_entry: Make) -> None:
    """A process dies writing the first line of a fresh segment; the next start appends to
    that same segment, after cutting the torn bytes (else the new line would be glued to
    them and lost)."""
    entries = [make_entry() for _ in range(3)]
    journal = Journal.open(tmp_path)
    journal.append(entries[0])
    journal.close()
    Journal.open(tmp_path).close()  # a start that recorded nothing: an empty segment #2
    newest = sorted(tmp_path.glob("0/*.seg"))[-1]
    assert newest.name == f"{2:020d}.seg" and newest.stat().st_size == 0
    newest.write_bytes(codec.encode(2, entries[1])[:25])  # died writing #2
    again = Journal.open(tmp_path)
    assert again.last_seq == 1 and newest.stat().st_size == 0
    assert again.append(entries[1]) == 2 and again.append(entries[2]) == 3
    assert [e.id for _, e in again.read(1, 3).entries] == [e.id for e in entries]
    again.close()
