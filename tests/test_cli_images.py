"""Smoke tests of the commands that write pictures: ``synth --sheet`` and
``extract --overlay``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from station.cli import main
from station.core import image as imageio
from station.core.overlay import BIFURCATION_COLOUR, ENDING_COLOUR
from station.core.synth import impression
from station.core.template import Template


def _rgb(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        assert img.mode == "RGB"
        return np.asarray(img)


@pytest.mark.slow  # renders ten prints: about 1.5 s of one core
def test_synth_sheet_writes_two_rows_of_five_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sheet.png"
    assert main(["synth", "--sheet", str(out), "--population", "0"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    sheet = imageio.load(out)
    side = 300  # tiles of 300 px and a 22 px label strip
    assert sheet.shape == (2 * (side + 22), 5 * side)
    for row in range(2):
        for col in range(5):
            tile = sheet[
                row * (side + 22) : row * (side + 22) + side, col * side : (col + 1) * side
            ]
            assert tile.std() > 10, f"tile {row}, {col} holds no print"


@pytest.fixture
def print_file(tmp_path: Path) -> Path:
    image, _ = impression(11, "R2", 0, kind="flat", size=(320, 320), degradation=0.0)
    return imageio.save(tmp_path / "print.png", image)


def test_extract_writes_the_overlay_template_and_json(
    tmp_path: Path, print_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overlay, binary = tmp_path / "ov.png", tmp_path / "print.tpl"
    code = main(
        ["extract", str(print_file), "--overlay", str(overlay), "--json", "--template", str(binary)]
    )
    assert code == 0
    record = json.loads(capsys.readouterr().out)
    template = Template.from_bytes(binary.read_bytes())
    assert (record["width"], record["height"], record["dpi"]) == (320, 320, 500)
    assert record["quality"] == template.quality and record["reason"] == template.reason
    assert len(template) >= 8 and len(record["minutiae"]) == len(template)
    for m, (x, y, angle, kind) in zip(record["minutiae"], template.minutiae, strict=True):
        assert (m["x"], m["y"]) == (x, y)
        assert m["angle"] == pytest.approx(angle, abs=1e-4)
        assert m["type"] == ("bifurcation" if kind else "ending")
    drawn = _rgb(overlay)
    assert drawn.shape == (320, 320, 3)
    grey = imageio.load(print_file)
    # Every minutia has a mark of its colour within its circle's reach.
    for x, y, _angle, kind in template.minutiae:
        colour = BIFURCATION_COLOUR if kind else ENDING_COLOUR
        r, c = round(float(y)), round(float(x))
        window = drawn[max(r - 6, 0) : r + 7, max(c - 6, 0) : c + 7]
        assert (window == colour).all(axis=2).any(), (x, y, kind)
    # Away from the marks the overlay is the print, grey.
    marked = (drawn != grey[..., None]).any(axis=2)
    near = ndimage.binary_dilation(marked, iterations=1)
    assert near.mean() < 0.5
    assert np.array_equal(drawn[~near, 0], grey[~near])


def test_extract_overlay_is_drawn_at_500_ppi(tmp_path: Path, print_file: Path) -> None:
    grey = imageio.load(print_file)
    big = imageio.save(tmp_path / "big.png", np.repeat(np.repeat(grey, 2, axis=0), 2, axis=1))
    overlay = tmp_path / "ov.png"
    assert main(["extract", str(big), "--dpi", "1000", "--overlay", str(overlay)]) == 0
    assert _rgb(overlay).shape == (320, 320, 3)
