"""Property tests: stored templates with impossible values are refused, valid ones read back."""

from __future__ import annotations

import json
import math
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.core.template import Template, TemplateError

_HEADER = struct.Struct("<4sHIIHBBIHH")
_FEW = settings(max_examples=50, deadline=None)


def _raw(
    *,
    width: int = 400,
    height: int = 300,
    dpi: int = 500,
    quality: int = 60,
    level: int = 3,
    minutiae: np.ndarray,
    mq: np.ndarray,
    sp: np.ndarray,
    reason: bytes = b"good",
) -> bytes:
    """Template bytes with a valid checksum, whatever the values."""
    body = _HEADER.pack(
        b"BSTM", 1, width, height, dpi, quality, level, len(minutiae), len(sp), len(reason)
    )
    body += reason
    body += np.asarray(minutiae, "<f4").tobytes() + np.asarray(mq, "<f4").tobytes()
    body += np.asarray(sp, "<f4").tobytes()
    return body + struct.pack("<I", zlib.crc32(body))


@st.composite
def _valid(draw: st.DrawFn) -> dict:
    width = draw(st.integers(50, 2000))
    height = draw(st.integers(50, 2000))
    n = draw(st.integers(0, 30))
    k = draw(st.integers(0, 3))
    floats = {"allow_nan": False, "allow_infinity": False, "width": 32}
    xs = draw(st.lists(st.floats(0, width, **floats), min_size=n, max_size=n))
    ys = draw(st.lists(st.floats(0, height, **floats), min_size=n, max_size=n))
    angles = draw(st.lists(st.floats(0, 6.25, **floats), min_size=n, max_size=n))
    types = draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=n, max_size=n))
    mq = draw(st.lists(st.floats(0, 1, **floats), min_size=n, max_size=n))
    sx = draw(st.lists(st.floats(0, width, **floats), min_size=k, max_size=k))
    sy = draw(st.lists(st.floats(0, height, **floats), min_size=k, max_size=k))
    kinds = draw(st.lists(st.sampled_from([1.0, -1.0]), min_size=k, max_size=k))
    return {
        "width": width,
        "height": height,
        "dpi": draw(st.sampled_from([500, 1000])),
        "quality": draw(st.integers(0, 100)),
        "level": draw(st.integers(1, 5)),
        "minutiae": np.array(list(zip(xs, ys, angles, types, strict=True)), np.float32).reshape(
            n, 4
        ),
        "mq": np.array(mq, np.float32),
        "sp": np.array(list(zip(sx, sy, kinds, strict=True)), np.float32).reshape(k, 3),
    }


_IMPOSSIBLE = st.sampled_from(
    [
        "type",
        "x_negative",
        "x_outside",
        "y_outside",
        "angle_low",
        "angle_high",
        "angle_nan",
        "quality_low",
        "quality_high",
        "image_quality",
        "level_zero",
        "level_six",
        "dpi",
        "size",
        "singular_kind",
        "singular_outside",
    ]
)


def _break(fields: dict, how: str, value: float) -> dict:
    f = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in fields.items()}
    if how.startswith("singular"):
        if len(f["sp"]) == 0:
            f["sp"] = np.array([[1.0, 1.0, 1.0]], np.float32)
        column, bad = (2, 1 + abs(value) + 0.5) if how == "singular_kind" else (0, -1 - value)
        f["sp"][0, column] = bad
        return f
    if how in {"image_quality", "level_zero", "level_six", "dpi", "size"}:
        f.update(
            {
                "image_quality": {"quality": 101 + int(value) % 100},
                "level_zero": {"level": 0},
                "level_six": {"level": 6 + int(value) % 200},
                "dpi": {"dpi": 2001 + int(value) % 60000},
                "size": {"width": 10_001 + int(value) % 100_000},
            }[how]
        )
        return f
    if len(f["minutiae"]) == 0:
        f["minutiae"] = np.array([[1.0, 1.0, 0.5, 0.0]], np.float32)
        f["mq"] = np.array([0.5], np.float32)
    m, q = f["minutiae"], f["mq"]
    value = abs(value) + 1.0
    if how == "type":
        m[0, 3] = 2.0 + value if value < 1e6 else -value
    elif how == "x_negative":
        m[0, 0] = -value
    elif how == "x_outside":
        m[0, 0] = f.get("width", 400) + value
    elif how == "y_outside":
        m[0, 1] = f.get("height", 300) + value
    elif how == "angle_low":
        m[0, 2] = -math.pi - value
    elif how == "angle_high":
        m[0, 2] = 2 * math.pi + value
    elif how == "angle_nan":
        m[0, 2] = np.nan
    elif how == "quality_low":
        q[0] = -value
    elif how == "quality_high":
        q[0] = 1.0 + value
    return f


@_FEW
@given(_valid())
def test_valid_templates_round_trip(fields: dict) -> None:
    data = _raw(**fields)
    template = Template.from_bytes(data)
    assert template.to_bytes() == data
    assert Template.from_bytes(template.to_bytes()) == template
    assert Template.from_json(template.to_json()).width == fields["width"]


@_FEW
@given(_valid(), _IMPOSSIBLE, st.floats(0, 1e9, allow_nan=False, width=32))
def test_crc_valid_templates_with_impossible_values_are_refused(
    fields: dict, how: str, value: float
) -> None:
    data = _raw(**_break(fields, how, value))
    with pytest.raises(TemplateError):
        Template.from_bytes(data)


@pytest.mark.parametrize(
    ("how", "field"),
    [
        ("type", "minutia type"),
        ("x_outside", "minutia x"),
        ("y_outside", "minutia y"),
        ("angle_high", "minutia angle"),
        ("quality_high", "minutia quality"),
        ("level_six", "level"),
        ("image_quality", "quality"),
        ("dpi", "dpi"),
        ("size", "image size"),
        ("singular_kind", "singular point kind"),
        ("singular_outside", "singular point x"),
    ],
)
def test_the_message_names_the_field(how: str, field: str) -> None:
    fields = {
        "minutiae": np.array([[10.0, 10.0, 1.0, 0.0]], np.float32),
        "mq": np.array([0.5], np.float32),
        "sp": np.array([[20.0, 20.0, 1.0]], np.float32),
    }
    with pytest.raises(TemplateError, match=field):
        Template.from_bytes(_raw(**_break(fields, how, 3.0)))


def test_impossible_json_values_are_refused() -> None:
    good = Template(
        400, 300, minutiae=np.array([[10.0, 10.0, 1.0, 1.0]], np.float32), quality=50, level=3
    )
    d = good.to_dict()
    d["minutiae"][0]["x"] = 999.0
    with pytest.raises(TemplateError, match="minutia x 999"):
        Template.from_json(json.dumps(d))
    d = good.to_dict()
    d["minutiae"][0]["quality"] = 7.0
    with pytest.raises(TemplateError, match="minutia quality 7"):
        Template.from_json(json.dumps(d))
    with pytest.raises(TemplateError, match="malformed"):
        Template.from_json("[" * 100_000 + "]" * 100_000)
