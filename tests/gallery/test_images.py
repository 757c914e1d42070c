"""Print images kept as WSQ: new prints, old PNG galleries, migrate-images and the chain."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from station.benchmark.codec import psnr
from station.cli import main
from station.core.image import load
from station.core.synth import impression
from station.core.vocabulary import FINGERS, ImageFormat
from station.gallery import GalleryError, ImageMigration, open_gallery
from station.gallery import codecs as gallery_codecs
from station.gallery import connection as gallery_connection
from station.gallery.schema import MIGRATIONS, SCHEMA_VERSION
from station.interchange import wsq


@pytest.fixture(scope="module")
def prints() -> list[np.ndarray]:
    """Five synthetic prints cut to 200 x 180 (small, so the tests stay quick)."""
    return [impression(41_000 + n, "R1", 0, kind="rolled")[0][200:400, 300:480] for n in range(5)]


def _formats(path: Path) -> list[tuple[int, str, bytes]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(
            "SELECT id, format, substr(data, 1, 4) FROM images ORDER BY id"
        ).fetchall()


def test_new_prints_are_stored_as_wsq(gallery_path: Path, prints: list[np.ndarray]) -> None:
    small = np.arange(40 * 70, dtype=np.uint8).reshape(40, 70)  # under 64 px a side
    with open_gallery(gallery_path) as g:
        sid = g.add_subject({"last_name": "Novak"})
        big = g.add_print(sid, "R1", "rolled", prints[0], device="m")
        tiny = g.add_print(sid, "R2", "rolled", small, device="m")
        bid = g.open_booking(
            tcn="T-1", operator="officer 7", station_id="BS-1", demographics={"last_name": "Novak"}
        )
        g.add_booking_print(bid, "R3", "rolled", prints[1], device="m")
        back = g.print_image(big)
        assert back.shape == prints[0].shape and back.flags.writeable
        np.testing.assert_array_equal(back, wsq.decode(wsq.encode(prints[0])))
        assert psnr(prints[0], back) > 25
        np.testing.assert_array_equal(g.print_image(tiny), small)  # PNG, lossless
        [booked] = g.booking_prints(bid, with_images=True)
        np.testing.assert_array_equal(booked["image"], wsq.decode(wsq.encode(prints[1])))
        stats = g.stats()
        assert stats["images"] == {"png": 1, "wsq": 2}
        assert stats["images_to_convert"] == 0
        # print centres, all ridges, compress less than whole prints (10:1 and more)
        assert stats["image_bytes"]["wsq"] < prints[0].size * 2 / 8
        assert g.verify().ok
        assert g.check() == []
        out = g.export(gallery_path.parent / "export")  # WSQ rows are written as PNG files
        [enrolled] = [p for p in (out / "prints").iterdir() if p.name.startswith(f"{sid}_R1")]
        np.testing.assert_array_equal(load(enrolled), back)
        [booked_file] = (out / "bookings" / "T-1").iterdir()
        assert booked_file.read_bytes().startswith(b"\x89PNG")
        np.testing.assert_array_equal(load(booked_file), booked["image"])
    assert [(f, head[:2]) for _, f, head in _formats(gallery_path)] == [
        ("wsq", b"\xff\xa0"),
        ("png", b"\x89P"),
        ("wsq", b"\xff\xa0"),
    ]


def test_a_format_that_lies_is_reported_as_damage(gallery_path: Path, prints) -> None:
    with open_gallery(gallery_path) as g:
        sid = g.add_subject({"last_name": "Novak"})
        pid = g.add_print(sid, "R1", "rolled", prints[0], device="m")
    with closing(sqlite3.connect(gallery_path)) as conn, conn:
        conn.execute("UPDATE images SET format = 'png'")
    with open_gallery(gallery_path) as g:
        with pytest.raises(GalleryError, match="recorded as PNG but the bytes are not PNG"):
            g.print_image(pid)
        assert any("does not decode" in line for line in g.check())


def _v2_gallery(path: Path, images: list[np.ndarray], monkeypatch: pytest.MonkeyPatch) -> None:
    """A schema-2 gallery written as the code before WSQ wrote it (PNG in ``images.png``)."""
    with monkeypatch.context() as m:
        m.setattr(gallery_connection, "MIGRATIONS", MIGRATIONS[:2])
        m.setattr(gallery_connection, "SCHEMA_VERSION", 2)
        with open_gallery(path) as g:
            sid = g.add_subject({"last_name": "Horvat"})
            for n, image in enumerate(images):
                png, width, height = gallery_codecs.encode_png(image)
                with g.transaction():
                    image_id = g._insert("images", {"width": width, "height": height, "png": png})
                    g._insert(
                        "prints",
                        {
                            "subject_id": sid,
                            "finger": FINGERS[n],
                            "impression": "rolled",
                            "device": "old station",
                            "captured_at": "2020-01-01T00:00:00.000Z",
                            "image_id": image_id,
                            "created_at": "2020-01-01T00:00:00.000Z",
                        },
                    )


def test_png_gallery_opens_migrates_and_still_verifies(
    gallery_path: Path, prints: list[np.ndarray], monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    small = np.full((30, 30), 90, np.uint8)
    _v2_gallery(gallery_path, [*prints, small], monkeypatch)
    with open_gallery(gallery_path) as g:  # v5: every image row re-chained once
        assert g.schema_version == SCHEMA_VERSION
        assert g.verify().ok
        stats = g.stats()
        assert stats["images"] == {"png": 6, "wsq": 0} and stats["images_to_convert"] == 5
        assert g.audit_log()[-1]["action"] == "schema 5: images.format (PNG or WSQ)"
        np.testing.assert_array_equal(g.print_image(1), prints[0])  # PNG still reads
        seen: list[tuple[int, int]] = []
        done = g.migrate_images(batch=2, limit=3, progress=lambda *a: seen.append(a))
        assert done.converted == 3 and done.batches == 2 and done.remaining == 2
        assert done.wsq_bytes * 5 < done.png_bytes
        assert seen == [(2, 3), (3, 3)]
        assert g.verify().ok
        assert g.stats()["images"] == {"png": 3, "wsq": 3}
    before = gallery_path.stat().st_size
    assert main(["gallery", "migrate-images", "--gallery", str(gallery_path), "--batch", "4"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"{gallery_path}: 2 images converted to WSQ in 1 transaction(s), ")
    after = gallery_path.stat().st_size
    assert after < before  # vacuumed once the last PNG image was converted
    assert out.endswith(f"; 0 PNG image(s) left to convert; file {after / 1e6:.1f} MB\n")
    assert err == f"{gallery_path}: 2 of 2 images converted to WSQ\n"
    assert main(["gallery", "verify", "--gallery", str(gallery_path)]) == 0
    assert capsys.readouterr().out.startswith(f"{gallery_path}: ok: ")
    with open_gallery(gallery_path) as g:
        stats = g.stats()
        assert stats["images"] == {"png": 1, "wsq": 5} and stats["images_to_convert"] == 0
        for n, image in enumerate(prints, 1):  # exactly what the codec makes of the PNG's image
            np.testing.assert_array_equal(g.print_image(n), wsq.decode(wsq.encode(image)))
        np.testing.assert_array_equal(g.print_image(6), small)  # too small: stays PNG
        batches = [e for e in g.audit_log() if e["action"] == "convert images to WSQ"]
        assert [e["detail"]["images"] for e in batches] == [2, 1, 2]
        assert g.check() == []
    assert [f for _, f, _ in _formats(gallery_path)] == ["wsq"] * 5 + ["png"]


def test_a_failing_batch_leaves_whole_batches_and_says_so(
    gallery_path: Path, prints: list[np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    _v2_gallery(gallery_path, prints, monkeypatch)
    real = wsq.encode
    calls = []

    def failing(image: np.ndarray, **options) -> bytes:
        calls.append(1)
        if len(calls) == 4:
            raise wsq.WsqError("disk full, say")
        return real(image, **options)

    with open_gallery(gallery_path) as g:
        monkeypatch.setattr(wsq, "encode", failing)
        with pytest.raises(wsq.WsqError, match="disk full"):
            g.migrate_images(batch=2)
        monkeypatch.setattr(wsq, "encode", real)
        assert g.stats()["images"] == {"png": 3, "wsq": 2}  # batch 1 kept, batch 2 undone
        assert g.verify().ok
        again = g.migrate_images(batch=2)
        assert isinstance(again, ImageMigration)
        assert (again.converted, again.batches, again.remaining) == (3, 2, 0)
        assert g.verify().ok


def test_a_print_encoded_elsewhere_is_stored_as_the_same_bytes(
    gallery_path: Path, prints: list[np.ndarray]
) -> None:
    """Seeding workers WSQ-encode prints; the gallery stores their bytes as its own encoding."""
    small = np.full((40, 70), 200, np.uint8)
    with open_gallery(gallery_path) as g:
        sid = g.add_subject({"last_name": "Novak"})
        mine = g.add_print(sid, "R1", "rolled", prints[0], device="m")
        theirs = g.add_print(
            sid, "R2", "rolled", gallery_codecs.encoded_image(prints[0]), device="m"
        )
        tiny = g.add_print(sid, "R3", "rolled", gallery_codecs.encoded_image(small), device="m")
        np.testing.assert_array_equal(g.print_image(theirs), g.print_image(mine))
        np.testing.assert_array_equal(g.print_image(tiny), small)  # PNG under 64 px
        assert g.verify().ok
    with closing(sqlite3.connect(gallery_path)) as conn:
        blobs = conn.execute(
            "SELECT i.format, i.data FROM prints p JOIN images i ON i.id = p.image_id ORDER BY p.id"
        ).fetchall()
    assert blobs[0] == blobs[1] and blobs[0][0] == "wsq" and blobs[2][0] == "png"
    assert main(["gallery", "verify", "--gallery", str(gallery_path)]) == 0


def test_an_encoded_print_that_does_not_match_itself_is_refused(
    gallery_path: Path, prints: list[np.ndarray]
) -> None:
    good = gallery_codecs.encoded_image(prints[0])  # 180 x 200
    wrong_size = gallery_codecs.EncodedImage(good.data, good.format, 200, 180)
    as_png = gallery_codecs.EncodedImage(good.data, ImageFormat.PNG, 180, 200)
    not_wsq = gallery_codecs.EncodedImage(b"\xff\xa0junk", good.format, 180, 200)
    with open_gallery(gallery_path) as g:
        sid = g.add_subject({"last_name": "Novak"})
        for bad, message in [
            (wrong_size, "says 180x200, not 200x180"),
            (as_png, "stored as wsq, not png"),
            (not_wsq, "not readable WSQ"),
        ]:
            with pytest.raises(ValueError, match=message):
                g.add_print(sid, "R1", "rolled", bad, device="m")
        assert g.prints(sid) == []
        assert g.verify().ok
