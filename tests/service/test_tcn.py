"""TCNs: station, UTC time and a sequence drawn from the gallery; unique across processes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from station.benchmark.concurrency import concurrency_bench, prepare_probes
from station.gallery import Gallery, GalleryError, open_gallery
from station.gallery.bookings import TCN
from station.service import BookingService
from station.service.booking import new_tcn

AT = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("station", "sequence", "expected"),
    [
        ("BS-01", 1, "BS-01-20260301120005-000001"),
        ("BS-01", 1234567, "BS-01-20260301120005-1234567"),
        ("../../etc/x", 7, "etcx-20260301120005-000007"),
        ("/abs/path", 7, "abspath-20260301120005-000007"),
        ("Café 9", 3, "Caf9-20260301120005-000003"),
        ("--_.", 3, "BS-20260301120005-000003"),
        ("", 3, "BS-20260301120005-000003"),
        ("STATION-WITH-A-VERY-LONG-NAME-0001", 42, "STATION-WITH-A-VER-20260301120005-000042"),
        ("STATION-WITH-A-VERY-LONG-NAME-0001", 10**9, "STATION-WITH-A-20260301120005-1000000000"),
    ],
)
def test_new_tcn(station: str, sequence: int, expected: str) -> None:
    tcn = new_tcn(station, sequence, at=AT)
    assert tcn == expected
    assert 10 <= len(tcn) <= 40 and TCN.fullmatch(tcn)


def test_new_tcn_writes_utc() -> None:
    local = AT.astimezone(timezone(timedelta(hours=-5)))
    assert new_tcn("BS", 1, at=local) == "BS-20260301120005-000001"


@pytest.mark.parametrize("sequence", [0, -1, 1.5, True, "1", 10**30])
def test_new_tcn_refuses_a_bad_sequence(sequence: object) -> None:
    with pytest.raises(ValueError, match="TCN sequence"):
        new_tcn("BS", sequence, at=AT)  # type: ignore[arg-type]


def test_new_tcn_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        new_tcn("BS", 1, at=datetime(2026, 3, 1))


def test_sequence_counts_up_and_a_rolled_back_number_is_drawn_again(tmp_path: Path) -> None:
    with open_gallery(tmp_path / "g.sqlite") as g:
        assert [g.next_tcn_sequence() for _ in range(3)] == [1, 2, 3]
        with pytest.raises(RuntimeError), g.transaction():
            assert g.next_tcn_sequence() == 4
            raise RuntimeError("the booking failed")
        assert g.next_tcn_sequence() == 4
        assert g.verify().ok


def test_service_tcns_follow_the_gallery_sequence(tmp_path: Path) -> None:
    with open_gallery(tmp_path / "g.sqlite") as g:
        a = BookingService(g, station_id="BS-A")
        b = BookingService(g, station_id="BS-B")
        tcns = [g.booking(s.open_booking({}))["tcn"] for s in (a, b, a)]
        assert [re.sub(r"-\d{14}-", "-<time>-", t) for t in tcns] == [
            "BS-A-<time>-000001",
            "BS-B-<time>-000002",
            "BS-A-<time>-000003",
        ]
        assert g.booking(a.open_booking({}, tcn="GIVEN-1"))["tcn"] == "GIVEN-1"
        audit = g.audit_log(limit=10)
        assert [e["detail"]["tcn"] for e in audit] == [*tcns, "GIVEN-1"]


def test_a_failed_open_leaves_no_booking(gallery: Gallery) -> None:
    service = BookingService(gallery, station_id="BS-A")
    before = len(gallery.bookings(limit=1000))
    with pytest.raises(GalleryError, match="exists"):
        service.open_booking({}, tcn=gallery.booking(service.open_booking({}))["tcn"])
    assert len(gallery.bookings(limit=1000)) == before + 1


def test_two_processes_open_40_bookings_each_without_a_collision(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    with open_gallery(path):
        pass
    result = concurrency_bench(path, [({"last_name": "Doe"}, [])], limit=40)
    for run in result.stations:
        assert (run.bookings, run.collisions, run.busy, run.errors) == (40, 0, 0, 0), run
    assert (result.stored, result.distinct_tcns) == (80, 80)
    assert result.verify_ok and result.problems == ()
    with open_gallery(path, readonly=True) as g:
        numbers = sorted(int(b["tcn"].rsplit("-", 1)[1]) for b in g.bookings(limit=100))
    assert numbers == list(range(1, 81))


@pytest.mark.slow
def test_two_stations_book_for_a_few_seconds(gallery_copy: Path, enrolled: list[int]) -> None:
    probes = prepare_probes([enrolled[0]])
    result = concurrency_bench(gallery_copy, probes, seconds=3)
    assert [run.station_id for run in result.stations] == ["BS-A", "BS-B"]
    for run in result.stations:
        assert run.bookings >= 1 and sum(run.dispositions.values()) == run.bookings, run
        assert "ERROR" not in run.dispositions, run
        assert (run.collisions, run.busy, run.errors) == (0, 0, 0), run
    assert result.stored == result.distinct_tcns == result.bookings
    assert result.verify_ok and result.problems == ()
    assert result.as_dict()["collisions"] == 0


def test_concurrency_bench_refuses_bad_arguments(tmp_path: Path) -> None:
    probe = [({}, [])]
    with pytest.raises(ValueError, match="seconds or limit"):
        concurrency_bench(tmp_path / "g.sqlite", probe)
    with pytest.raises(ValueError, match="seconds"):
        concurrency_bench(tmp_path / "g.sqlite", probe, seconds=0)
    with pytest.raises(ValueError, match="limit"):
        concurrency_bench(tmp_path / "g.sqlite", probe, limit=0)
    with pytest.raises(ValueError, match="probe"):
        concurrency_bench(tmp_path / "g.sqlite", [], limit=1)
    with pytest.raises(ValueError, match="no gallery"):
        concurrency_bench(tmp_path / "g.sqlite", probe, limit=1)
