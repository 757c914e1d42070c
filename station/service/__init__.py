"""The booking station's services: booking transactions, the search index, seeding.

Between the core (:mod:`station.core`) and the gallery (:mod:`station.gallery`) on one
side and the user interfaces (:mod:`station.cli`, :mod:`station.gui`) on the other: both
interfaces drive bookings through the same :class:`BookingService`. No Qt here (a test
checks it).
"""

from __future__ import annotations

from .booking import BookingService, ProcessedCapture, SearchJob, process_capture, run_search
from .index import cache_path, load_index
from .results import (
    BookingReport,
    CandidateResult,
    CaptureResult,
    FingerCaptureResult,
    Outcome,
    RecaptureFinger,
    RecordSummary,
    Response,
    ResumeResult,
    SlapCaptureResult,
    StaleBooking,
    SubjectSummary,
)
from .seed import in_gallery, seed
from .synthetic import SyntheticSubject, pick_subject

__all__ = [
    "BookingReport",
    "BookingService",
    "CandidateResult",
    "CaptureResult",
    "FingerCaptureResult",
    "Outcome",
    "ProcessedCapture",
    "RecaptureFinger",
    "RecordSummary",
    "Response",
    "ResumeResult",
    "SearchJob",
    "SlapCaptureResult",
    "StaleBooking",
    "SubjectSummary",
    "SyntheticSubject",
    "cache_path",
    "in_gallery",
    "load_index",
    "pick_subject",
    "process_capture",
    "run_search",
    "seed",
]
