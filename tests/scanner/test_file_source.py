"""Prints from image files: slots from file names, reading, and refusing bad files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import station.scanner.files as files
from station.core.image import save
from station.core.vocabulary import CAPTURE_ORDER
from station.scanner import ImageFileSource, ScannerError
from station.scanner.files import MAX_FILE_BYTES, slot_from_name


def _print(value: int = 90) -> np.ndarray:
    image = np.full((64, 48), 230, np.uint8)
    image[::6] = value
    return image


def _four_finger_slap() -> np.ndarray:
    """Four ridge-filled fingertips on a light platen (tips at different heights)."""
    slap = np.full((700, 1300), 240, np.uint8)
    ridges = (120 + 100 * (np.arange(700) % 9 < 4)).astype(np.uint8)[:, None]
    for top, left in ((150, 60), (60, 380), (120, 700), (260, 1010)):
        slap[top : top + 300, left : left + 230] = ridges[top : top + 300]
    return slap


@pytest.mark.parametrize(
    ("name", "slot"),
    [
        ("R1.png", ("R1", "rolled")),
        ("subject_r1_rolled.tif", ("R1", "rolled")),
        ("L5_flat.png", ("L5", "flat")),
        ("plain-l3.bmp", ("L3", "flat")),
        ("fgp7.png", ("L2", "rolled")),
        ("FGP_13.png", ("RS", "flat")),
        ("0007_01.png", ("R1", "rolled")),
        ("booking 14.jpg", ("LS", "flat")),
        ("15.pgm", ("TS", "flat")),
        ("11.png", ("R1", "flat")),
        ("06_plain.png", ("L1", "flat")),
        ("ts-slap.png", ("TS", "flat")),
        ("ls_plain.png", ("LS", "flat")),
        ("case12_R4.png", ("R4", "rolled")),  # a finger code wins over a number
    ],
)
def test_slots_from_file_names(name: str, slot: tuple[str, str]) -> None:
    assert slot_from_name(name) == slot


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("notes.png", "no finger code"),
        ("subject_0007.png", "no finger code"),
        ("R1_R2.png", r"several finger codes \(R1, R2\)"),
        ("r1_flat_rolled.png", "both flat and rolled"),
        ("RS_rolled.png", "RS here is a plain impression"),
        ("11_rolled.png", "R1 here is a plain impression"),
        ("fgp16.png", "FGP 16 is not a booking finger position"),
        ("03_04.png", r"several finger position numbers \(03, 04\)"),
    ],
)
def test_names_that_fit_no_slot(name: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        slot_from_name(name)


def test_folder_assignment(tmp_path: Path) -> None:
    for name in ("R1.png", "subject_r2_rolled.tif", "L5_flat.png", "notes.png"):
        save(tmp_path / name, _print())
    (tmp_path / "readme.txt").write_text("booking 2009-10-27", encoding="utf-8")
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    source = ImageFileSource(tmp_path)
    assert source.assignments == {
        ("R1", "rolled"): tmp_path / "R1.png",
        ("R2", "rolled"): tmp_path / "subject_r2_rolled.tif",
        ("L5", "flat"): tmp_path / "L5_flat.png",
    }
    reasons = {u.path.name: u.reason for u in source.unassigned}
    assert set(reasons) == {"notes.png", "readme.txt"}
    assert "not an image file (.txt)" in reasons["readme.txt"]
    assert source.connected and source.name == f"Image files ({tmp_path.name})"
    assert source.missing == [
        s for s in CAPTURE_ORDER if s not in {("R1", "rolled"), ("R2", "rolled")}
    ]


def test_duplicates_name_both_files(tmp_path: Path) -> None:
    with pytest.raises(ScannerError, match=r"Two files for R1 rolled: R1\.png and fgp01\.png"):
        ImageFileSource([tmp_path / "R1.png", tmp_path / "fgp01.png"])


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ScannerError, match="folder not found"):
        ImageFileSource(tmp_path / "nowhere")


def test_capture_reads_the_file(tmp_path: Path) -> None:
    save(tmp_path / "l2_plain.png", _print(40))
    source = ImageFileSource(tmp_path, clock=lambda: "2009-10-27T14:03:11+00:00")
    capture = source.capture("l2", "flat")
    assert np.array_equal(capture.image, _print(40)) and not capture.image.flags.writeable
    assert (capture.finger, capture.impression, capture.segments) == ("L2", "flat", ())
    assert capture.device == "image file l2_plain.png"
    assert capture.captured_at == "2009-10-27T14:03:11+00:00"
    with pytest.raises(ScannerError, match="No file for L2 rolled"):
        source.capture("L2", "rolled")


def test_slap_files_are_segmented(tmp_path: Path) -> None:
    save(tmp_path / "RS.png", _four_finger_slap())
    save(tmp_path / "LS.png", np.full((700, 1300), 240, np.uint8))  # an empty platen
    source = ImageFileSource(tmp_path)
    right = source.capture("RS", "flat")
    assert [f for f, _ in right.segments] == ["R2", "R3", "R4", "R5"]
    assert right.segments[1][1][0] < right.segments[3][1][0]  # middle finger above little
    empty = source.capture("LS", "flat")
    assert empty.segments == () and "found 0 fingers" in (empty.annotation or "")


def test_corrupt_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "R2.png").write_bytes(b"this is not a PNG")
    with pytest.raises(ScannerError, match=r"Cannot read R2.png: .*not a readable image"):
        ImageFileSource(tmp_path).capture("R2", "rolled")


def test_vanished_file(tmp_path: Path) -> None:
    save(tmp_path / "R3.png", _print())
    source = ImageFileSource(tmp_path)
    (tmp_path / "R3.png").unlink()
    with pytest.raises(ScannerError, match=r"file not found: .*R3\.png"):
        source.capture("R3", "rolled")


def test_oversize_file_is_refused_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "R4.tif"
    with path.open("wb") as handle:  # a sparse file: no 50 MB written
        handle.truncate(MAX_FILE_BYTES + 1)
    assert os.path.getsize(path) > MAX_FILE_BYTES

    def never(path: Path) -> np.ndarray:
        raise AssertionError("an oversize file must not be decoded")

    monkeypatch.setattr(files, "load", never)
    with pytest.raises(ScannerError, match=r"R4\.tif is 50 MB, more than the 50 MB"):
        ImageFileSource(tmp_path).capture("R4", "rolled")


def test_folders_links_and_non_utf8_names_are_not_prints(tmp_path: Path) -> None:
    from station.scanner.files import shown_name

    Image.fromarray(np.full((40, 40), 200, np.uint8)).save(tmp_path / "R1.png")
    (tmp_path / "R2.png").mkdir()
    (tmp_path / "R3_\udcff.png").write_bytes((tmp_path / "R1.png").read_bytes())
    (tmp_path / "annotations.json").write_text("{}")
    source = ImageFileSource(tmp_path)
    assert list(source.assignments) == [("R1", "rolled")]
    reasons = {shown_name(u.path): u.reason for u in source.unassigned}
    assert reasons == {
        "R2.png": "a folder, not an image file",
        "R3_\ufffd.png": "the file name is not valid UTF-8: rename the file",
    }
