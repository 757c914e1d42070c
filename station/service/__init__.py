"""The booking station's services: booking transactions, the search index, seeding.

Between the core (:mod:`station.core`) and the gallery (:mod:`station.gallery`) on one
side and the user interfaces (:mod:`station.cli`, :mod:`station.gui`) on the other: both
interfaces drive bookings through the same :class:`BookingService`. No Qt here (a test
checks it).
"""

from __future__ import annotations

from .accounts import (
    PERMISSIONS,
    Account,
    AccountService,
    AuthError,
    Operator,
    Permission,
    RoleError,
    authorize,
)
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
    "PERMISSIONS",
    "Account",
    "AccountService",
    "AuthError",
    "BookingReport",
    "BookingService",
    "CandidateResult",
    "CaptureResult",
    "FingerCaptureResult",
    "Operator",
    "Outcome",
    "Permission",
    "ProcessedCapture",
    "RecaptureFinger",
    "RecordSummary",
    "Response",
    "ResumeResult",
    "RoleError",
    "SearchJob",
    "SlapCaptureResult",
    "StaleBooking",
    "SubjectSummary",
    "SyntheticSubject",
    "authorize",
    "cache_path",
    "in_gallery",
    "load_index",
    "pick_subject",
    "process_capture",
    "run_search",
    "seed",
]
