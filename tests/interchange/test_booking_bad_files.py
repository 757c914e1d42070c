"""Issue 13 item 6: bad ANSI/NIST files given to ``station book --ebts`` (and to the capture
source the GUI uses) are refused with one error naming the record and field, and nothing is
written to the gallery (the gallery file's bytes are unchanged)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from station.cli import main
from station.gallery import open_gallery
from station.interchange import (
    MAX_TRANSACTION_BYTES,
    PrintImage,
    TaggedRecord,
    TenprintSubmission,
    Transaction,
    build_submission,
    write_transaction,
)
from station.interchange.ebts import _header
from station.scanner.base import ScannerError
from station.scanner.transaction import TransactionFileSource

_DEMO = {"last_name": "Doe", "first_name": "John", "sex": "M", "date_of_birth": "1980-01-02"}
_FINGERS = ("R1", "R2", "R3", "R4", "R5", "L1", "L2", "L3", "L4", "L5")


def _valid(**changes: object) -> bytes:
    """A small valid CAR: ten uncompressed 8x8 prints."""
    image = PrintImage(bytes(range(64)), "NONE", 8, 8, quality=2)
    fingers: dict[str, object] = {f: image for f in _FINGERS}
    fingers.update(changes)
    return write_transaction(
        build_submission(
            TenprintSubmission(
                tcn="T-1",
                ori="NY0303000",
                dai="WVIAFIS0Z",
                date=dt.date(2026, 1, 2),
                demographics={"last_name": "Doe", "first_name": "John"},
                fingers=fingers,
            )
        )
    )


def _with_fgp(fgp: int) -> bytes:
    header = _header("CAR", "T-2", "NY0303000", "WVIAFIS0Z", dt.date(2026, 1, 2), {})
    record = TaggedRecord.of(
        14,
        {2: "01", 3: 1, 6: 8, 7: 8, 8: 1, 9: 500, 10: 500, 11: "NONE", 12: 8, 13: fgp},
        data=bytes(64),
    )
    return write_transaction(Transaction(header, (record,)))


def _unknown_type() -> bytes:
    """The Type-2 record relabelled Type-0 (no such record type), lengths kept."""
    data = _valid()
    return (
        data.replace(b"\x1e2\x1f00", b"\x1e0\x1f00", 1)
        .replace(b"\x1c2.0", b"\x1c0.0")
        .replace(b"\x1d2.0", b"\x1d0.0")
    )


def _lying_len() -> bytes:
    data = _valid()
    at = data.index(b"\x1c2.001:") + len(b"\x1c2.001:")
    end = data.index(b"\x1d", at)
    return data[:at] + str(int(data[at:end]) + 7).encode() + data[end:]


_CASES = {
    "truncated": (lambda: _valid()[:-300], "record 11 (Type-14) field 14.001 LEN says"),
    "lying LEN": (_lying_len, "record 2 (Type-2) field 2.001 LEN says"),
    "unknown record type": (
        _unknown_type,
        "record 2 (Type-0) (listed in 1.003 CNT subfield 2): unknown record type 0",
    ),
    "corrupt WSQ": (
        lambda: _valid(R3=PrintImage(b"\xff\xa0\xff\xa8" + bytes(300), "WSQ20", 100, 100)),
        "record 5 (Type-14) field 14.999 DATA: the WSQ image does not decode",
    ),
    "FGP out of range": (
        lambda: _with_fgp(16),
        "record 2 (Type-14) field 14.013 FGP: finger position 16 out of range (0-15)",
    ),
}


@pytest.fixture(scope="module")
def gallery(seeded_gallery: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("bad-files") / "gallery.sqlite"
    with open_gallery(seeded_gallery, readonly=True) as g:
        g.copy_to(dest)
    return dest


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(gallery: Path, bad: Path, tmp_path: Path, capsys) -> str:
    demo = tmp_path / "demo.json"
    demo.write_text(json.dumps(_DEMO))
    before = _digest(gallery)
    args = ["book", "--ebts", str(bad), "--gallery", str(gallery), "--demographics", str(demo)]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    assert _digest(gallery) == before
    return lines[0]


@pytest.mark.parametrize("case", list(_CASES))
def test_a_bad_file_is_refused_naming_record_and_field(
    case: str, gallery: Path, tmp_path: Path, capsys
) -> None:
    make, message = _CASES[case]
    bad = tmp_path / "bad.eft"
    bad.write_bytes(make())
    line = _refused(gallery, bad, tmp_path, capsys)
    assert line.startswith(f"station: error: {bad}: ")
    assert message in line
    with pytest.raises(ScannerError) as info:
        TransactionFileSource(bad)
    assert message in str(info.value)


def test_a_2_gb_file_is_refused_before_it_is_read(gallery: Path, tmp_path: Path, capsys) -> None:
    huge = tmp_path / "huge.eft"
    subprocess.run(["truncate", "-s", "2G", str(huge)], check=True)  # sparse: no disk used
    line = _refused(gallery, huge, tmp_path, capsys)
    assert line == (
        f"station: error: {huge}: {2 * 1024**3} bytes is over the {MAX_TRANSACTION_BYTES} byte "
        "limit of a transaction; not read"
    )


def test_the_valid_base_file_is_read(tmp_path: Path) -> None:
    """The bad files above are each one change away from a file the source reads."""
    good = tmp_path / "good.eft"
    good.write_bytes(_valid())
    source = TransactionFileSource(good)
    assert sorted(c.finger for c in source.captures) == sorted(_FINGERS)
    assert source.demographics == {"last_name": "DOE", "first_name": "JOHN"}
    assert source.capture("R1", "rolled").image.tolist() == [
        list(range(r * 8, r * 8 + 8)) for r in range(8)
    ]


def test_a_file_without_names_needs_demographics(gallery: Path, tmp_path: Path, capsys) -> None:
    bare = tmp_path / "bare.eft"
    bare.write_bytes(_with_fgp(1))
    before = _digest(gallery)
    assert main(["book", "--ebts", str(bare), "--gallery", str(gallery)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"station: error: {bare} has no names (no Type-2 2.018 NAM): give --demographics FILE.json"
    )
    demo = tmp_path / "demo.json"
    demo.write_text(json.dumps(_DEMO))
    args = ["book", "--ebts", str(bare), "--gallery", str(gallery), "--demographics", str(demo)]
    assert main(args) == 2
    assert capsys.readouterr().err.strip() == (
        f"station: error: {bare} has no rolled print (Type-14 or Type-4, FGP 1-10) and no "
        "14.018 AMP annotation for R2, R3, R4, R5, L1, L2, L3, L4, L5"
    )
    assert _digest(gallery) == before
