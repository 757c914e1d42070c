"""Bad input, tried on every importer: a corpus of broken files and what the station does.

Every importer of the station is fed hand-made bad cases (each one a kind of damage a tester
would try: a truncated PNG, a decompression bomb header, a folder where a print should be, a
weight of 10**30, a threshold of ``inf``, a template with a point outside its image, a
gallery with a zeroed page …), a few good ones, and ``fuzz`` random ones (random bytes, bit
flips of good files, random values in good records). Each case ends in exactly one of:

``clear error``
    Refused with the station's own error (a ``ValueError`` such as ``ImageError``,
    ``TemplateError``, ``DemographicsError``, or a ``GalleryError``): one line of text, at
    most 1000 characters, and nothing written.
``accepted correctly``
    Accepted, and what came out is right: the expected image, template, settings or booking;
    for a random case, a result that keeps every rule of its kind (an 8-bit image within the
    size limit, demographics that pass the form's check, thresholds finite and ordered …).
``silent wrong``
    Accepted although it should have been refused, or accepted with a wrong result (an image
    at the wrong scale, a booking written into a damaged gallery …).
``data lost``
    Refused, but the gallery changed on the way (bytes of the file, or its rows).
``traceback``
    Any other exception: the user would see a traceback.

:func:`robustness` runs the corpus in a temporary folder and returns one
:class:`ImporterRow` per importer; ``station bench --only robustness`` prints the table
(:func:`format_robustness`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import shutil
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..core import image as imageio
from ..core.synth import impression
from ..core.synth.population import demographics
from ..core.template import Template
from ..core.vocabulary import FINGERS, Repository, TransactionType
from ..gallery import file_integrity, open_gallery
from ..gallery.errors import GalleryError
from ..service import BookingService, in_gallery, load_index, seed
from ..service.demographics import check_demographics, read_demographics_file
from ..service.drive import book_files
from ..settings import Settings, load_settings

__all__ = [
    "OUTCOMES",
    "CaseResult",
    "ImporterRow",
    "format_robustness",
    "robustness",
]

#: How a case can end, in the table's column order.
OUTCOMES = ("clear error", "accepted correctly", "silent wrong", "data lost", "traceback")
_CLEAR, _ACCEPTED, _WRONG, _LOST, _TRACEBACK = OUTCOMES
#: Longest error message counted as clear.
_MAX_MESSAGE = 1000


@dataclass(frozen=True)
class CaseResult:
    """One case: the importer, the case's name, how it ended and the message or reason."""

    importer: str
    case: str
    outcome: str
    detail: str


@dataclass(frozen=True)
class ImporterRow:
    """The figures of one importer.

    Attributes
    ----------
    importer : str
    counts : dict of str to int
        Cases per outcome (every key of :data:`OUTCOMES`).
    failures : tuple of CaseResult
        The cases that ended silent wrong, data lost or in a traceback.
    """

    importer: str
    counts: dict[str, int]
    failures: tuple[CaseResult, ...] = field(default=())

    @property
    def tried(self) -> int:
        """Cases tried."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class _Case:
    """A case: ``run`` imports; ``expect`` is 'error', 'accept' or 'either'; ``check`` says
    whether an accepted result is right (``None``: any result is)."""

    name: str
    run: Callable[[], Any]
    expect: str
    check: Callable[[Any], bool] | None = None


class _WroteError(Exception):
    """A refused case changed the gallery."""


def _clear(exc: BaseException) -> bool:
    message = str(exc)
    return (
        isinstance(exc, ValueError | GalleryError)
        and bool(message.strip())
        and "\n" not in message
        and len(message) <= _MAX_MESSAGE
    )


def _outcome(
    case: _Case, guard: Callable[[], contextlib.AbstractContextManager[None]]
) -> tuple[str, str]:
    """Run a case under ``guard`` (which raises :class:`_WroteError` if a refusal wrote); the
    outcome and the message (or why it is wrong)."""
    try:
        with guard():
            try:
                result = case.run()
            except Exception as exc:
                # A good case refused with a reason is counted as a clear error, not silent.
                outcome = _CLEAR if _clear(exc) else _TRACEBACK
                raise _RefusedError(outcome, f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    except _WroteError as wrote:
        return _LOST, f"the gallery changed ({wrote.__cause__})"
    except _RefusedError as refused:
        return refused.outcome, refused.detail
    if case.expect == "error":
        return _WRONG, "accepted"
    if case.check is not None:
        try:
            ok = bool(case.check(result))
        except Exception:
            ok = False
        if not ok:
            return _WRONG, "accepted with a wrong result"
    return _ACCEPTED, ""


class _RefusedError(Exception):
    """A case ended in an exception (``outcome`` clear error or traceback)."""

    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__(detail)
        self.outcome, self.detail = outcome, detail


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


def _tally(name: str, cases: list[_Case], guard=_nothing) -> ImporterRow:
    counts = dict.fromkeys(OUTCOMES, 0)
    failures = []
    for case in cases:
        outcome, detail = _outcome(case, guard)
        counts[outcome] += 1
        if outcome in (_WRONG, _LOST, _TRACEBACK):
            failures.append(CaseResult(name, case.name, outcome, detail))
    return ImporterRow(name, counts, tuple(failures))


# --- images ----------------------------------------------------------------------------------


def _png_header(width: int, height: int, *, depth: int = 8, colour: int = 0) -> bytes:
    """A PNG signature and IHDR chunk (valid CRC) claiming ``width`` x ``height``."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


def _image_cases(root: Path, rng: np.random.Generator, fuzz: int) -> list[_Case]:
    root.mkdir()
    finger, _ = impression(0, "R2", 0, size=(256, 256))
    ramp = (np.arange(64 * 48).reshape(48, 64) % 256).astype(np.uint8)

    def save(name: str, img: Image.Image, **options: Any) -> Path:
        path = root / name
        img.save(path, **options)
        return path

    def write(name: str, data: bytes) -> Path:
        path = root / name
        path.write_bytes(data)
        return path

    def equal(expected: np.ndarray, tolerance: float = 0.0) -> Callable[[Any], bool]:
        def check(out: Any) -> bool:
            return out.shape == expected.shape and (
                np.abs(out.astype(int) - expected.astype(int)).mean() <= tolerance
            )

        return check

    def shape(rows: int, cols: int) -> Callable[[Any], bool]:
        return lambda out: out.shape == (rows, cols) and out.dtype == np.uint8

    def well_formed(out: Any) -> bool:
        return (
            isinstance(out, np.ndarray)
            and out.dtype == np.uint8
            and out.ndim == 2
            and 0 < out.size <= imageio.MAX_PIXELS
        )

    def case(name: str, path: Path, expect: str, check=None) -> _Case:
        return _Case(name, lambda: imageio.load(path), expect, check)

    good = save("good.png", Image.fromarray(finger))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored a quarter turn anticlockwise: turn clockwise to view
    turned = Image.fromarray(finger[:, :200]).transpose(Image.Transpose.ROTATE_90)
    doubled = Image.fromarray(np.repeat(np.repeat(finger, 2, 0), 2, 1))
    gif_frames = [Image.fromarray(ramp), Image.fromarray(255 - ramp)]
    gif = root / "anim.gif"
    gif_frames[0].save(gif, save_all=True, append_images=gif_frames[1:])
    tiff2 = root / "two.tif"
    gif_frames[0].save(tiff2, save_all=True, append_images=gif_frames[1:])
    raw_turned = root / "raw-turned.tif"
    turned.save(raw_turned, tiffinfo={274: 6})
    (root / "folder.png").mkdir()
    cases = [
        case("8-bit PNG", good, "accept", equal(finger)),
        case("8-bit TIFF", save("a.tif", Image.fromarray(finger)), "accept", equal(finger)),
        case(
            "BMP (its 96 dpi ignored)",
            save("a.bmp", Image.fromarray(finger)),
            "accept",
            equal(finger),
        ),
        case("PGM", save("a.pgm", Image.fromarray(finger)), "accept", equal(finger)),
        case(
            "JPEG", save("a.jpg", Image.fromarray(finger), quality=95), "accept", equal(finger, 3.0)
        ),
        case(
            "16-bit PNG",
            save("deep.png", Image.fromarray(finger.astype(np.uint16) * 257)),
            "accept",
            equal(finger, 1.0),
        ),
        case(
            "palette PNG",
            save("pal.png", Image.fromarray(finger).convert("P")),
            "accept",
            equal(finger, 1.0),
        ),
        case(
            "CMYK JPEG",
            save("cmyk.jpg", Image.fromarray(finger).convert("CMYK"), quality=95),
            "accept",
            shape(256, 256),
        ),
        case(
            "RGBA PNG",
            save("rgba.png", Image.fromarray(finger).convert("RGBA")),
            "accept",
            equal(finger, 1.0),
        ),
        case(
            "1000 ppi PNG", save("hi.png", doubled, dpi=(1000, 1000)), "accept", equal(finger, 8.0)
        ),
        case(
            "1000 ppi TIFF", save("hi.tif", doubled, dpi=(1000, 1000)), "accept", equal(finger, 8.0)
        ),
        case(
            "1000 ppi JPEG",
            save("hi.jpg", doubled, dpi=(1000, 1000), quality=95),
            "accept",
            equal(finger, 8.0),
        ),
        case("EXIF-turned PNG", save("t.png", turned, exif=exif), "accept", equal(finger[:, :200])),
        case(
            "EXIF-turned JPEG",
            save("t.jpg", turned, exif=exif, quality=95),
            "accept",
            equal(finger[:, :200], 3.0),
        ),
        case(
            "EXIF-turned TIFF (LZW)",
            save("t.tif", turned, tiffinfo={274: 6}, compression="tiff_lzw"),
            "accept",
            equal(finger[:, :200]),
        ),
        case("EXIF-turned uncompressed TIFF", raw_turned, "error"),
        case("72 dpi PNG", save("screen.png", Image.fromarray(finger), dpi=(72, 72)), "error"),
        case(
            "non-square pixels", save("ns.tif", Image.fromarray(finger), dpi=(500, 1000)), "error"
        ),
        case("zero-size file", write("empty.png", b""), "error"),
        case("non-image bytes", write("text.png", b"hello, this is not an image\n" * 20), "error"),
        case("huge dimensions header", write("huge.png", _png_header(100_000, 100_000)), "error"),
        case(
            "decompression bomb (1 bit, 60k x 60k)",
            write("bomb.png", _png_header(60_000, 60_000, depth=1)),
            "error",
        ),
        case("animated GIF", gif, "error"),
        case("two-page TIFF", tiff2, "error"),
        case("a folder named .png", root / "folder.png", "error"),
        case("missing file", root / "missing.png", "error"),
        case("huge PGM header", write("huge.pgm", b"P5\n99999 99999\n255\n" + bytes(100)), "error"),
    ]
    data = good.read_bytes()
    for cut in (8, 33, 60, len(data) // 2, len(data) // 2 + 7):
        cases.append(case(f"PNG truncated at {cut}", write(f"cut{cut}.png", data[:cut]), "error"))
    # Only the end marker cut off: every pixel is there, and read.
    cases.append(
        case("PNG without its IEND chunk", write("noend.png", data[:-12]), "accept", equal(finger))
    )
    bmp = (root / "a.bmp").read_bytes()
    for n in range(fuzz):
        if n % 3 == 0:
            blob = rng.bytes(int(rng.integers(1, 4096)))
            cases.append(case(f"random bytes #{n}", write(f"rnd{n}.png", blob), "error"))
        else:
            source = data if n % 3 == 1 else bmp
            flipped = bytearray(source)
            for _ in range(int(rng.integers(1, 8))):
                at = int(rng.integers(0, len(flipped)))
                flipped[at] ^= 1 << int(rng.integers(0, 8))
            suffix = ".png" if n % 3 == 1 else ".bmp"
            path = write(f"flip{n}{suffix}", bytes(flipped))
            cases.append(case(f"bit flips #{n}", path, "either", well_formed))
    return cases


# --- templates -------------------------------------------------------------------------------


def _template_bytes(
    rng: np.random.Generator, *, width: int = 400, height: int = 300
) -> tuple[bytes, dict]:
    n = int(rng.integers(0, 40))
    m = np.column_stack(
        [
            rng.uniform(0, width, n),
            rng.uniform(0, height, n),
            rng.uniform(0, 2 * math.pi - 0.01, n),
            rng.integers(0, 2, n),
        ]
    ).astype(np.float32)
    fields = {
        "width": width,
        "height": height,
        "dpi": 500,
        "quality": int(rng.integers(0, 101)),
        "level": int(rng.integers(1, 6)),
        "minutiae": m,
        "mq": rng.uniform(0, 1, n).astype(np.float32),
        "sp": np.zeros((0, 3), np.float32),
    }
    return _raw_template(fields), fields


def _raw_template(f: dict) -> bytes:
    header = struct.pack(
        "<4sHIIHBBIHH",
        b"BSTM",
        1,
        f["width"],
        f["height"],
        f["dpi"],
        f["quality"],
        f["level"],
        len(f["minutiae"]),
        len(f["sp"]),
        4,
    )
    body = header + b"good" + f["minutiae"].astype("<f4").tobytes()
    body += f["mq"].astype("<f4").tobytes() + f["sp"].astype("<f4").tobytes()
    return body + struct.pack("<I", zlib.crc32(body))


def _impossible(rng: np.random.Generator, f: dict) -> tuple[str, dict]:
    f = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in f.items()}
    if len(f["minutiae"]) == 0:
        f["minutiae"] = np.array([[5.0, 5.0, 1.0, 0.0]], np.float32)
        f["mq"] = np.array([0.5], np.float32)
    i = int(rng.integers(0, len(f["minutiae"])))
    big = float(rng.uniform(1.0, 1e6))
    how = str(
        rng.choice(["type", "x", "y", "negative", "angle", "nan", "mq", "level", "quality", "kind"])
    )
    if how == "type":
        f["minutiae"][i, 3] = float(rng.choice([2.0, -1.0, 0.5, big]))
    elif how == "x":
        f["minutiae"][i, 0] = f["width"] + big
    elif how == "y":
        f["minutiae"][i, 1] = f["height"] + big
    elif how == "negative":
        f["minutiae"][i, int(rng.integers(0, 2))] = -big
    elif how == "angle":
        f["minutiae"][i, 2] = float(rng.choice([-1, 1])) * (2 * math.pi + big)
    elif how == "nan":
        f["minutiae"][i, int(rng.integers(0, 3))] = float(rng.choice([np.nan, np.inf]))
    elif how == "mq":
        f["mq"][i] = float(rng.choice([-big, 1.0 + big]))
    elif how == "level":
        f["level"] = int(rng.choice([0, 6, 255]))
    elif how == "quality":
        f["quality"] = int(rng.integers(101, 256))
    else:
        f["sp"] = np.array([[1.0, 1.0, float(rng.choice([0.0, 2.0, big]))]], np.float32)
    return how, f


def _template_cases(rng: np.random.Generator, fuzz: int) -> list[_Case]:
    cases = []
    good, _ = _template_bytes(rng)
    cases.append(
        _Case("valid", lambda: Template.from_bytes(good), "accept", lambda t: t.to_bytes() == good)
    )
    for cut in (0, 4, 20, len(good) - 1):
        cases.append(
            _Case(f"truncated at {cut}", lambda c=cut: Template.from_bytes(good[:c]), "error")
        )
    cases.append(
        _Case(
            "JSON nested 100 000 deep",
            lambda: Template.from_json("[" * 100_000 + "]" * 100_000),
            "error",
        )
    )
    cases.append(_Case("JSON not an object", lambda: Template.from_json("[1, 2]"), "error"))
    for n in range(fuzz):
        kind = n % 4
        if kind == 0:
            blob = rng.bytes(int(rng.integers(1, 200)))
            cases.append(
                _Case(f"random bytes #{n}", lambda b=blob: Template.from_bytes(b), "error")
            )
        elif kind == 1:
            data, _ = _template_bytes(rng)
            cases.append(
                _Case(
                    f"valid #{n}",
                    lambda d=data: Template.from_bytes(d),
                    "accept",
                    lambda t, d=data: t.to_bytes() == d,
                )
            )
        else:
            _, fields = _template_bytes(rng)
            how, bad = _impossible(rng, fields)
            blob = _raw_template(bad)
            cases.append(
                _Case(
                    f"CRC-valid, impossible {how} #{n}",
                    lambda b=blob: Template.from_bytes(b),
                    "error",
                )
            )
    return cases


# --- settings --------------------------------------------------------------------------------


def _settings_ok(s: Any) -> bool:
    d = s.disposition
    thresholds = [(d.hit, d.review), *((t.hit, t.review) for t in d.repositories.values())]
    return (
        isinstance(s, Settings)
        and all(math.isfinite(h) and math.isfinite(r) and 0 < r <= h for h, r in thresholds)
        and set(d.repositories) <= {r.value for r in Repository}
        and s.station.transaction_type in {t.value for t in TransactionType}
        and abs(s.synth.population) < 2**63
        and abs(s.scanner.seed) < 2**63
    )


_SETTINGS_BAD = {
    "inf thresholds": "[disposition]\nhit = inf\nreview = inf\n",
    "nan review": "[disposition]\nreview = nan\n",
    "review above hit": "[disposition]\nhit = 0.1\nreview = 0.5\n",
    "negative hit": "[disposition]\nhit = -1.0\n",
    "misspelled repository": "[disposition.repositories.federal-imigration]\nhit = 2.0\n",
    "repository inf": "[disposition.repositories.state]\nhit = inf\n",
    "unknown key": "[station]\noperater = 'x'\n",
    "unknown section": "[stations]\noperator = 'x'\n",
    "transaction type CRA": "[station]\ntransaction_type = 'CRA'\n",
    "huge integer": "[synth]\npopulation = 100000000000000000000000000000\n",
    "float overflow": "[disposition]\nhit = 1e400\n",
    "string threshold": "[disposition]\nhit = 'high'\n",
    "table for a value": "[disposition]\nhit = { a = 1 }\n",
    "not TOML": "[disposition\nhit = 1\n",
    "recapture level 9": "[disposition]\nrecapture_level = 9\n",
    "scanner source": "[scanner]\nsource = 'camera'\n",
}
_SETTINGS_VALUES = [
    "inf",
    "-inf",
    "nan",
    "-1",
    "0",
    "1e400",
    "'x'",
    "true",
    "[]",
    "99999999999999999999",
    "2.0",
    "0.5",
    "'CNA'",
    "'car'",
    "{}",
    "3",
]
_SETTINGS_KEYS = [
    "[disposition]\nhit",
    "[disposition]\nreview",
    "[disposition]\ncandidates",
    "[station]\ntransaction_type",
    "[synth]\npopulation",
    "[scanner]\nseed",
    "[disposition.repositories.state]\nhit",
    "[disposition.repositories.stat]\nhit",
    "[paths]\ngallery",
    "[scanner]\ndirty_platen",
]


def _settings_cases(root: Path, rng: np.random.Generator, fuzz: int) -> list[_Case]:
    root.mkdir()

    def file(name: str, text: str | bytes) -> Path:
        path = root / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    empty = file("empty.toml", "")
    cna = file("cna.toml", "[station]\ntransaction_type = 'CNA'\n")
    rep = file("rep.toml", "[disposition.repositories.state]\nhit = 2.0\n")
    binary = file("bin.toml", b"\xff\xfe[x]")
    cases = [
        _Case(
            "defaults (empty file)",
            lambda: load_settings(empty),
            "accept",
            lambda s: s == Settings(),
        ),
        _Case(
            "CNA",
            lambda: load_settings(cna),
            "accept",
            lambda s: s.station.transaction_type == "CNA",
        ),
        _Case(
            "repository thresholds",
            lambda: load_settings(rep),
            "accept",
            lambda s: s.disposition.thresholds("state").hit == 2.0,
        ),
        _Case("not UTF-8", lambda: load_settings(binary), "error"),
        _Case("a folder", lambda: load_settings(root), "error"),
        _Case("missing", lambda: load_settings(root / "none.toml"), "error"),
    ]
    for name, text in _SETTINGS_BAD.items():
        path = file(name.replace(" ", "-") + ".toml", text)
        cases.append(_Case(name, lambda p=path: load_settings(p), "error"))
    for n in range(fuzz):
        if n % 4 == 0:
            path = file(f"rnd{n}.toml", rng.bytes(int(rng.integers(1, 300))))
        else:
            lines = []
            for _ in range(int(rng.integers(1, 4))):
                key = str(rng.choice(_SETTINGS_KEYS))
                lines.append(f"{key} = {rng.choice(_SETTINGS_VALUES)}\n")
            path = file(f"mix{n}.toml", "".join(lines))
        cases.append(_Case(f"random #{n}", lambda p=path: load_settings(p), "either", _settings_ok))
    return cases


# --- demographics ------------------------------------------------------------------------------

_ODD_TEXT = [
    "",
    " ",
    "<script>alert(1)</script>",
    "<b>NO HIT</b>",
    "Doe\u202e",
    "Jo\u2066e",
    "A\x00B",
    "tab\there",
    "x" * 51,
    "x" * 10_000,
    "Ærø",
    "O'Neil",
    "Li-Mei",
    "J.",
    "123",
    "\ud7ff",
    "Δημήτρης",
    "\u200b",
    "—",
    "e\u0301",
]


def _demographics_ok(d: Any) -> bool:
    return isinstance(d, dict) and check_demographics(d) == [] and bool(d.get("first_name"))


def _demographics_cases(root: Path, rng: np.random.Generator, fuzz: int) -> list[_Case]:
    root.mkdir()
    good = demographics(1).as_dict()

    def file(name: str, content: Any, *, raw: bytes | None = None) -> Path:
        path = root / name
        if raw is not None:
            path.write_bytes(raw)
        else:
            path.write_text(json.dumps(content), encoding="utf-8")
        return path

    def case(name: str, path: Path, expect: str, check=None) -> _Case:
        return _Case(name, lambda: read_demographics_file(path), expect, check)

    today = dt.date.today()
    bad = {
        "no first name": {k: v for k, v in good.items() if k != "first_name"},
        "weight 10**30": {**good, "weight": 10**30},
        "weight NaN": {**good, "weight": float("nan")},
        "weight as text": {**good, "weight": "180"},
        "name of 10 000 characters": {**good, "last_name": "x" * 10_000},
        "control character": {**good, "last_name": "Doe\x07"},
        "bidi override": {**good, "last_name": "Doe\u202eeoD"},
        "<script> name": {**good, "first_name": "<script>alert(1)</script>"},
        "<b>NO HIT</b> name": {**good, "last_name": "<b>NO HIT</b>"},
        "future birth": {**good, "date_of_birth": (today + dt.timedelta(days=1)).isoformat()},
        "born 1850": {**good, "date_of_birth": "1850-01-01"},
        "date as number": {**good, "date_of_birth": 19800101},
        "height 9 ft 14": {**good, "height": "914"},
        "unknown field": {**good, "alias": "x"},
        "nested value": {**good, "last_name": {"a": [1, 2]}},
    }
    cases = [
        case(
            "synthetic subject",
            file("good.json", good),
            "accept",
            lambda d: d == {k: v for k, v in good.items() if v not in (None, "")},
        )
    ]
    for name, content in bad.items():
        cases.append(
            case(name, file(name.replace(" ", "-").replace("/", "") + ".json", content), "error")
        )
    cases += [
        case(
            "nested 100 000 deep",
            file("deep.json", None, raw=b"[" * 30_000 + b"]" * 30_000),
            "error",
        ),
        case(
            "10 MB file",
            file("big.json", None, raw=b'{"last_name": "' + b"x" * 10_000_000 + b'"}'),
            "error",
        ),
        case(
            "not UTF-8",
            file("latin1.json", None, raw='{"last_name": "Müller"}'.encode("latin-1")),
            "error",
        ),
        case("a list", file("list.json", [good]), "error"),
        case("empty file", file("empty.json", None, raw=b""), "error"),
    ]
    fields = list(good)
    for n in range(fuzz):
        data = dict(good)
        for _ in range(int(rng.integers(1, 4))):
            key = str(rng.choice(fields))
            pick = int(rng.integers(0, 6))
            if pick == 0:
                data[key] = str(rng.choice(_ODD_TEXT))
            elif pick == 1:
                data[key] = int(rng.choice([0, -1, 49, 50, 999, 1000, 10**30, 2**63]))
            elif pick == 2:
                data[key] = float(rng.choice([0.5, 1e308, -0.0]))
            elif pick == 3:
                data[key] = None
            elif pick == 4:
                data[key] = "".join(chr(int(c)) for c in rng.integers(1, 0x3000, 8))
            else:
                data.pop(key, None)
        cases.append(case(f"random #{n}", file(f"rnd{n}.json", data), "either", _demographics_ok))
    return cases


# --- prints folders and galleries ------------------------------------------------------------


def _gallery_state(path: Path) -> tuple:
    """What a refused case must not change: the rows of every table, and the chain."""
    with open_gallery(path, create=False, readonly=True) as g:
        stats = g.stats()
        verified = g.verify().problem is None
    keep = (
        "subjects",
        "records",
        "prints",
        "booking_prints",
        "bookings",
        "responses",
        "decisions",
        "audit",
    )
    return (*(json.dumps(stats.get(k), sort_keys=True) for k in keep), verified)


def _folder_cases(root: Path, gallery: Path, subject: int) -> tuple[list[_Case], Callable]:
    root.mkdir()
    prints = {f: impression(subject, f, 5, kind="rolled")[0] for f in FINGERS}
    demo = root / "demographics.json"
    demo.write_text(json.dumps(demographics(subject).as_dict()), encoding="utf-8")

    def folder(
        name: str, *, fingers=FINGERS, annotations: dict | None = None, ppi: int = 500
    ) -> Path:
        path = root / name
        path.mkdir()
        for f in fingers:
            image = prints[f]
            if ppi != 500:
                image = np.repeat(np.repeat(image, 2, 0), 2, 1)
            Image.fromarray(image).save(path / f"{f}.png", dpi=(ppi, ppi))
        if annotations is not None:
            (path / "annotations.json").write_text(json.dumps(annotations))
        return path

    def book(path: Path) -> Any:
        with open_gallery(gallery, create=False) as g:
            service = BookingService(g, index=load_index(g), station_id="ROBUST-1")
            return book_files(service, path, demo)

    def hit(report: Any) -> bool:
        return str(report.disposition) == "HIT" and report.response.subject is not None

    def case(name: str, path: Path, expect: str, check=None) -> _Case:
        return _Case(name, lambda: book(path), expect, check)

    six = FINGERS[:6]
    up = dict.fromkeys(FINGERS[6:], "UP")
    cases = [
        case("ten prints", folder("ten"), "accept", hit),
        case("six prints and four UP", folder("six", fingers=six, annotations=up), "accept", hit),
        case(
            "six prints at 1000 ppi and four UP",
            folder("hi", fingers=six, annotations=up, ppi=1000),
            "accept",
            hit,
        ),
    ]
    f = folder("missing", fingers=six)
    cases.append(case("four fingers missing, no annotations", f, "error"))
    f = folder("dir", fingers=six, annotations=up)
    (f / "R4.png").unlink()
    (f / "R4.png").mkdir()
    cases.append(case("a folder where R4.png should be", f, "error"))
    f = folder("link", fingers=six, annotations=up)
    (f / "R3.png").unlink()
    (f / "R3.png").symlink_to(root / "nowhere.png")
    cases.append(case("a dangling link", f, "error"))
    f = folder("empty", fingers=six, annotations=up)
    (f / "R2.png").write_bytes(b"")
    cases.append(case("an empty print file", f, "error"))
    f = folder("corrupt", fingers=six, annotations=up)
    (f / "R2.png").write_bytes((f / "R2.png").read_bytes()[:200])
    cases.append(case("a truncated print file", f, "error"))
    f = folder("text", fingers=six, annotations=up)
    (f / "notes.txt").write_text("hello")
    cases.append(case("a text file among the prints", f, "error"))
    f = folder("unknown", fingers=six, annotations=up)
    shutil.copy(f / "R1.png", f / "R6.png")
    cases.append(case("finger code R6", f, "error"))
    f = folder("twice", fingers=six, annotations=up)
    shutil.copy(f / "R1.png", f / "fgp01.png")
    cases.append(case("two files for R1", f, "error"))
    f = folder("nonutf8", fingers=six, annotations=up)
    (f / "R1.png").rename(f / "R1_\udcff.png")
    cases.append(case("a non-UTF-8 file name", f, "error"))
    f = folder("dpi72", fingers=six, annotations=up)
    Image.fromarray(prints["R1"]).save(f / "R1.png", dpi=(72, 72))
    cases.append(case("a 72 dpi print", f, "error"))
    for name, text in (
        ("annotations not JSON", "{"),
        ("annotations a list", "[1]"),
        ("annotation code XY", '{"L2": "XY", "L3": "UP", "L4": "UP", "L5": "UP"}'),
        ("annotation for R9", '{"R9": "UP"}'),
        ("annotated and printed", '{"R1": "UP", "L2": "UP", "L3": "UP", "L4": "UP", "L5": "UP"}'),
    ):
        f = folder(name.replace(" ", "-"), fingers=six)
        (f / "annotations.json").write_text(text)
        cases.append(case(name, f, "error"))
    f = folder("slaps-only", fingers=())
    Image.fromarray(prints["R2"]).save(f / "RS.png")
    cases.append(case("no rolled prints", f, "error"))
    cases.append(case("missing folder", root / "none", "error"))
    cases.append(case("a file for a folder", demo, "error"))

    @contextlib.contextmanager
    def guard() -> Iterator[None]:
        before = _gallery_state(gallery)
        try:
            yield
        except _RefusedError as refused:
            if _gallery_state(gallery) != before:
                raise _WroteError from refused
            raise

    return cases, guard


def _gallery_cases(root: Path, seeded: Path, rng: np.random.Generator) -> tuple[list, Callable]:
    root.mkdir()
    data = seeded.read_bytes()
    page = 4096
    pages = len(data) // page
    files: dict[str, Path] = {}

    def file(name: str, content: bytes) -> Path:
        path = root / f"{name}.sqlite"
        path.write_bytes(content)
        files[name] = path
        return path

    def book(path: Path) -> Any:
        """Open the gallery and a booking in it (the first write a booking makes)."""
        with open_gallery(path, create=False) as g:
            service = BookingService(g, station_id="ROBUST-1")
            booking_id = service.open_booking(demographics(0).as_dict())
            return g.booking(booking_id)

    def book_then_verify(path: Path) -> tuple[Any, Any]:
        booking = book(path)
        with open_gallery(path, create=False, readonly=True) as g:
            return booking, g.verify()

    def _named(result: tuple[Any, Any]) -> bool:
        booking, report = result
        return booking["status"] == "open" and report.problem is not None

    sound = file("sound", data)
    cases = [_Case("a sound copy", lambda: book(sound), "accept", lambda b: b["status"] == "open")]
    bad = {
        "random bytes": rng.bytes(8192),
        "empty file": b"",
        "a text file": b"these are not the droids\n" * 100,
        "truncated to half": data[: len(data) // 2],
        "truncated header": data[:50],
    }
    for where in (1, 2, pages // 2, pages - 2):
        zeroed = bytearray(data)
        zeroed[where * page : (where + 1) * page] = bytes(page)
        bad[f"page {where + 1} of {pages} zeroed"] = bytes(zeroed)
    for name, content in bad.items():
        path = file(name.replace(" ", "-"), content)
        if name.endswith("zeroed") and _structurally_sound(path):
            # The page held the middle of a stored value (an image's bytes): SQLite's own
            # checks cannot see it, so the gallery opens; right is that the tamper chain names
            # the changed row (``station gallery verify``, ``gallery check``).
            cases.append(_Case(name, lambda p=path: book_then_verify(p), "accept", _named))
        else:
            cases.append(_Case(name, lambda p=path: book(p), "error"))
    cases.append(_Case("a folder", lambda: book(root), "error"))

    @contextlib.contextmanager
    def guard() -> Iterator[None]:
        digests = {n: _digest(p) for n, p in files.items()}
        try:
            yield
        except _RefusedError as refused:
            if {n: _digest(p) for n, p in files.items()} != digests:
                raise _WroteError from refused
            raise

    return cases, guard


def _structurally_sound(path: Path) -> bool:
    """True when SQLite's ``PRAGMA integrity_check`` finds nothing wrong with the file."""
    return not file_integrity(path)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


# --- the whole run ---------------------------------------------------------------------------


def robustness(
    *, fuzz: int = 100, seed_value: int = 0, workdir: Path | None = None
) -> list[ImporterRow]:
    """Run the bad-input corpus on every importer.

    Parameters
    ----------
    fuzz : int
        Random cases per importer (on top of the hand-made ones), >= 0.
    seed_value : int
        Seed of the random cases.
    workdir : pathlib.Path, optional
        Where to build the corpus and a two-subject gallery (default: a temporary folder,
        removed afterwards).

    Returns
    -------
    rows : list of ImporterRow
        images, prints folders, demographics JSON, settings TOML, templates, galleries.
    """
    if isinstance(fuzz, bool) or not isinstance(fuzz, int) or fuzz < 0:
        raise ValueError(f"fuzz must be a whole number >= 0, got {fuzz!r}")
    rng = np.random.default_rng(seed_value)
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="robust-")))
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        seeded = workdir / "seeded.sqlite"
        if not seeded.exists():
            seed(seeded, 2, workers=1)
        subject = next(iter(in_gallery(2)))
        booking_gallery = workdir / "bookings.sqlite"
        shutil.copy(seeded, booking_gallery)
        rows = [
            _tally("images", _image_cases(workdir / "images", rng, fuzz)),
        ]
        folder_cases, folder_guard = _folder_cases(workdir / "folders", booking_gallery, subject)
        rows.append(_tally("prints folders", folder_cases, folder_guard))
        rows.append(
            _tally("demographics JSON", _demographics_cases(workdir / "demographics", rng, fuzz))
        )
        rows.append(_tally("settings TOML", _settings_cases(workdir / "settings", rng, fuzz)))
        rows.append(_tally("templates", _template_cases(rng, fuzz)))
        gallery_cases, gallery_guard = _gallery_cases(workdir / "galleries", seeded, rng)
        rows.append(_tally("galleries", gallery_cases, gallery_guard))
    return rows


def format_robustness(rows: list[ImporterRow]) -> str:
    """The table ``station bench --only robustness`` prints (Markdown), failures listed."""
    header = ["importer", "cases tried", *OUTCOMES]
    header[2:] = ["clear errors", "accepted correctly", "silent wrong", "data lost", "tracebacks"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        values = [row.importer, str(row.tried), *(str(row.counts[o]) for o in OUTCOMES)]
        lines.append("| " + " | ".join(values) + " |")
    for row in rows:
        for failure in row.failures:
            lines.append(
                f"  {failure.outcome}: {failure.importer}: {failure.case} ({failure.detail})"
            )
    return "\n".join(lines)
