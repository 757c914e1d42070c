"""The station's test kit: a pytest plugin, page objects and throw-away galleries.

Installed with the station; pytest loads :mod:`station.testing.plugin` through the
``pytest11`` entry point, so a test in any project can ask for the ``station`` fixture::

    def test_a_gallery_subject_is_a_hit(station, station_enrolled):
        station.booking.generate("gallery", station_enrolled[0])
        station.booking.new(slaps=False)
        station.capture.roll_all()
        assert station.booking.submit() == "HIT"

The page objects (:mod:`station.testing.pages`) import no pytest: a demo driver uses them too.
"""

from __future__ import annotations

from station.core.vocabulary import Disposition
from station.gui.automation.galleries import (
    FAST_SCANNER,
    OFFICER_USER,
    copy_gallery,
    open_station_window,
    prepare_gallery,
    sign_in,
)
from station.gui.automation.pages import (
    BookingPage,
    Candidate,
    CaptureOutcome,
    CapturePage,
    ResponsePage,
    Station,
)
from station.gui.automation.waiting import EventLoopWaiter, NotReadyError, Waiter

__all__ = [
    "FAST_SCANNER",
    "OFFICER_USER",
    "BookingPage",
    "Candidate",
    "CaptureOutcome",
    "CapturePage",
    "Disposition",
    "EventLoopWaiter",
    "NotReadyError",
    "ResponsePage",
    "Station",
    "Waiter",
    "copy_gallery",
    "open_station_window",
    "prepare_gallery",
    "sign_in",
]
