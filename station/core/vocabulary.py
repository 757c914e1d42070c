"""The station's vocabulary: fingers, slaps, capture order, impressions, minutiae, outcomes.

One home for every code that more than one layer speaks. The members are :class:`enum.StrEnum`
(or :class:`enum.IntEnum` for numeric codes), so a member *is* its stored value: ``Finger.R1 ==
"R1"``, ``Disposition.NO_HIT == "NO HIT"`` and ``MinutiaType.BIFURCATION == 1`` hold, a member
goes into SQLite, JSON and f-strings as its value, and a value read back converts with
``Disposition("NO HIT")``.

Codes follow ANSI/NIST-ITL 1-2011:

- Table 8 (finger positions, FGP): 1–5 right thumb … little, 6–10 left thumb … little,
  13 plain right four fingers, 14 plain left four fingers, 15 left and right thumbs.
- Table 7 (impression types, IMP): 0 live-scan plain, 1 live-scan rolled.
- Field 14.018 (amputated or bandaged, AMP): ``XX`` amputation, ``UP`` unable to print.

Transaction types are FBI EBTS's (``CAR`` criminal tenprint submission, answer required;
``CNA`` no answer necessary).

Examples
--------
>>> Finger("r2")
<Finger.R2: 'R2'>
>>> Finger.R2.fgp, Finger.L1.description
(2, 'left thumb')
>>> [str(f) for f in Slap.TS.fingers]
['L1', 'R1']
>>> Disposition.NO_HIT == "NO HIT"
True
>>> " ".join(f"{code}/{imp}" for code, imp in CAPTURE_ORDER[9:])
'L5/rolled RS/flat LS/flat TS/flat'
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Self

__all__ = [
    "ANNOTATIONS",
    "BOOKING_STATUSES",
    "CAPTURE_ORDER",
    "CLASS_EVENTS",
    "DECISIONS",
    "DEMOGRAPHIC_FIELDS",
    "DISPOSITIONS",
    "FINGERS",
    "FINGER_CONDITIONS",
    "FINGER_NAMES",
    "IMAGE_FORMATS",
    "IMPRESSIONS",
    "OFFENCE_REPOSITORIES",
    "RACES",
    "REPLAY_KINDS",
    "REPOSITORIES",
    "ROLES",
    "SLAPS",
    "SLAP_FINGERS",
    "SYSTEMS",
    "SYSTEM_STATUSES",
    "TRAINEE_ACTIONS",
    "TRANSACTION_TYPES",
    "Annotation",
    "BookingStatus",
    "ClassEvent",
    "ClassFault",
    "Decision",
    "Disposition",
    "ExpectedAction",
    "Finger",
    "FingerCondition",
    "ImageFormat",
    "Impression",
    "MinutiaType",
    "Race",
    "ReplayKind",
    "Repository",
    "Role",
    "Slap",
    "System",
    "SystemStatus",
    "TraineeAction",
    "TransactionType",
    "Verdict",
    "fgp",
    "finger_index",
    "validate_finger",
]


class _Code(StrEnum):
    """A string code that parses case-insensitively and refuses unknown values clearly."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if isinstance(value, str):
            wanted = value.strip()
            for member in cls:
                if member.value.casefold() == wanted.casefold():
                    return member
        return None

    @classmethod
    def parse(cls, value: object, *, what: str | None = None) -> Self:
        """The member for ``value``, or ``ValueError`` naming the valid codes.

        Parameters
        ----------
        value : object
            A member or its value (any case, surrounding blanks ignored).
        what : str, optional
            What the value is, for the message (default: the class name, lower case).
        """
        try:
            return cls(value)  # type: ignore[arg-type]  # any value: _missing_ refuses it
        except ValueError:
            label = what or cls.__name__.lower()
            valid = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown {label} {value!r}: use one of {valid}") from None


class Finger(_Code):
    """One of the ten fingers, ``R1``–``R5`` and ``L1``–``L5`` (1 = thumb), in capture order."""

    R1 = "R1"
    R2 = "R2"
    R3 = "R3"
    R4 = "R4"
    R5 = "R5"
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    L4 = "L4"
    L5 = "L5"

    @property
    def order(self) -> int:
        """Position 0–9 in capture order (``R1`` = 0 … ``L5`` = 9)."""
        return _FINGER_LIST.index(self)

    @property
    def fgp(self) -> int:
        """ANSI/NIST-ITL finger position code, 1–10."""
        return self.order + 1

    @property
    def description(self) -> str:
        """Plain words, e.g. ``'right index'``."""
        return FINGER_NAMES[self]

    @property
    def hand(self) -> str:
        """``'right'`` or ``'left'``."""
        return "right" if self.value[0] == "R" else "left"


_FINGER_LIST: list[Finger] = list(Finger)


class Slap(_Code):
    """The plain "4-4-2" slaps: right four fingers, left four fingers, both thumbs."""

    RS = "RS"
    LS = "LS"
    TS = "TS"

    @property
    def fgp(self) -> int:
        """ANSI/NIST-ITL finger position code: 13, 14 or 15."""
        return {"RS": 13, "LS": 14, "TS": 15}[self.value]

    @property
    def fingers(self) -> tuple[Finger, ...]:
        """The slap's fingers, left to right as they lie in the image."""
        return SLAP_FINGERS[self]

    @property
    def description(self) -> str:
        """Plain words, e.g. ``'right four fingers'``."""
        return {"RS": "right four fingers", "LS": "left four fingers", "TS": "both thumbs"}[
            self.value
        ]


class Impression(_Code):
    """How a print was taken: rolled nail to nail, or flat (plain) on the platen."""

    ROLLED = "rolled"
    FLAT = "flat"

    @property
    def imp(self) -> int:
        """ANSI/NIST-ITL impression type code of a live-scan capture (1 rolled, 0 plain)."""
        return 1 if self is Impression.ROLLED else 0


class MinutiaType(IntEnum):
    """A minutia's type as stored in templates: a ridge ending or a bifurcation."""

    ENDING = 0
    BIFURCATION = 1


class Annotation(_Code):
    """Why a finger was not captured (ANSI/NIST-ITL AMP)."""

    XX = "XX"  # amputated
    UP = "UP"  # unable to print (bandaged, injured)

    @property
    def description(self) -> str:
        """Plain words: ``'amputated'`` or ``'unable to print'``."""
        return "amputated" if self is Annotation.XX else "unable to print"


class ImageFormat(_Code):
    """How a stored print image is encoded."""

    PNG = "png"  # lossless; galleries before WSQ, and images too small for WSQ
    WSQ = "wsq"  # FBI WSQ at 0.75 bits per pixel (lossy)


class Disposition(_Code):
    """What a booking's submission came back with."""

    HIT = "HIT"
    NO_HIT = "NO HIT"
    REVIEW = "REVIEW"
    RECAPTURE = "RECAPTURE"
    ERROR = "ERROR"


class TransactionType(_Code):
    """FBI EBTS tenprint transaction types a station sends."""

    CAR = "CAR"  # criminal tenprint submission, answer required
    CNA = "CNA"  # criminal tenprint submission, no answer necessary


class BookingStatus(_Code):
    """Where a booking stands."""

    OPEN = "open"
    SUBMITTED = "submitted"
    RESPONDED = "responded"
    DECIDED = "decided"
    ENROLLED = "enrolled"
    ERROR = "error"
    CANCELLED = "cancelled"


class Decision(_Code):
    """An examiner's decision on one candidate, or the undoing of the latest one.

    ``UNDO`` (schema version 3) cancels the latest decision on the same response that is not
    undone yet; decisions are append-only, so an undo is a row of its own.
    """

    CONFIRM = "confirm"
    REJECT = "reject"
    UNDO = "undo"


class Role(_Code):
    """An operator's role at the station (an account holds one or more).

    What each role may do is decided in one place, ``station.service.accounts.PERMISSIONS``.
    """

    OFFICER = "officer"
    EXAMINER = "examiner"
    INSTRUCTOR = "instructor"
    TRAINEE = "trainee"
    ADMINISTRATOR = "administrator"


class Race(_Code):
    """A subject's race as EBTS 2.025 RAC codes it (NCIC race codes)."""

    A = "A"  # Asian or Pacific Islander
    B = "B"  # Black
    I = "I"  # American Indian or Alaskan Native  # noqa: E741
    U = "U"  # Unknown
    W = "W"  # White


class ReplayKind(_Code):
    """What one step of a booking's replay is (:mod:`station.service.replay`)."""

    OPEN = "open"
    PAGE = "page"
    CAPTURE = "capture"
    RECAPTURE = "recapture"
    ANNOTATE = "annotate"
    ACCEPT = "accept"
    SUBMIT = "submit"
    RESPONSE = "response"
    DECISION = "decision"
    ENROL = "enrol"
    CLOSE = "close"
    AGENCIES = "agencies"  # sent to (or resubmitted to) the Secure Communities agencies
    OTHER = "other"


class FingerCondition(_Code):
    """What is wrong with one finger on the platen (training scenarios, the mock scanner)."""

    AMPUTATED = "amputated"  # nothing to print: annotate XX
    BANDAGED = "bandaged"  # covered: annotate UP
    DRY = "dry"  # the first print is faint and broken: recapture
    WET = "wet"  # the first print is smeared: recapture
    SCARRED = "scarred"  # a scar crosses every print of the finger


class TraineeAction(_Code):
    """What a trainee can do in a training booking (an action event's kind)."""

    CAPTURE = "capture"
    CAPTURE_REMAINING = "capture remaining"
    IMPORT = "import transaction"
    ANNOTATE = "annotate"
    ACCEPT_QUALITY = "accept quality"
    CLEAN_PLATEN = "clean platen"
    RECONNECT = "reconnect"
    SUBMIT = "submit"
    REFUSE = "refuse"
    DECIDE = "decide"
    ENROL = "enrol"


class ClassEvent(_Code):
    """What happened in a training class (the instructor's console; a class event's kind)."""

    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    BOOKING_STARTED = "booking started"  # a trainee took the next booking
    BOOKING_SCORED = "booking scored"  # ... and ended it: the run is stored
    FAULT = "fault"  # the instructor injected a fault into a trainee's booking


class ClassFault(_Code):
    """A fault the instructor can inject into a trainee's running booking (mock scanner)."""

    DISCONNECT = "scanner disconnect"
    DIRTY_PLATEN = "dirty platen"


class ExpectedAction(_Code):
    """What a training scenario expects the trainee to do (an expectation's kind)."""

    ANNOTATE = "annotate"
    RECAPTURE = "recapture"
    CLEAN_PLATEN = "clean platen"
    RECONNECT = "reconnect"
    REFUSE = "refuse"
    SUBMIT = "submit"
    DISPOSITION = "disposition"
    DECIDE = "decide"
    ENROL = "enrol"
    AGENCY = "agency"


class Verdict(_Code):
    """How a trainee did on one expectation of a training scenario."""

    RIGHT = "right"
    MISSED = "missed"
    WRONG = "wrong"
    NOT_SCORED = "not scored"


class Repository(_Code):
    """Repositories that can hold a record of a subject.

    Secure Communities (2009): the jail's own records, the state identification bureau's, the
    FBI's criminal repository (IAFIS, now NGI) and DHS's immigration repository (IDENT).
    """

    LOCAL = "local"
    STATE = "state"
    FEDERAL_CRIMINAL = "federal-criminal"
    FEDERAL_IMMIGRATION = "federal-immigration"

    @property
    def description(self) -> str:
        """The name an officer reads, e.g. ``'FBI criminal (IAFIS)'``.

        Examples
        --------
        >>> Repository("federal-criminal").description
        'FBI criminal (IAFIS)'
        """
        return _REPOSITORY_NAMES[self.value]

    @classmethod
    def describe(cls, code: str) -> str:
        """The name of a repository code; an unknown code is shown as it is."""
        return _REPOSITORY_NAMES.get(str(code), str(code))


_REPOSITORY_NAMES: dict[str, str] = {
    "local": "Local",
    "state": "State",
    "federal-criminal": "FBI criminal (IAFIS)",
    "federal-immigration": "DHS immigration (IDENT)",
}


class System(_Code):
    """The agencies a booking's prints go to (Secure Communities): the state identification
    bureau, the FBI's NGI (formerly IAFIS), DHS's IDENT and ICE's Law Enforcement Support
    Center (LESC), which answers an immigration alien query on an IDENT match.

    Examples
    --------
    >>> System("ngi").description, System.NGI.repository
    ('FBI NGI (IAFIS)', <Repository.FEDERAL_CRIMINAL: 'federal-criminal'>)
    >>> System.LESC.repository is None
    True
    """

    STATE = "STATE"
    NGI = "NGI"
    IDENT = "IDENT"
    LESC = "LESC"

    @property
    def description(self) -> str:
        """The name an officer reads, e.g. ``'DHS IDENT'``."""
        return _SYSTEM_NAMES[self.value]

    @property
    def repository(self) -> Repository | None:
        """The repository whose records the system identifies against (``None`` for LESC,
        which holds no prints and answers from what IDENT matched)."""
        return _SYSTEM_REPOSITORIES.get(self.value)


_SYSTEM_NAMES: dict[str, str] = {
    "STATE": "State identification bureau",
    "NGI": "FBI NGI (IAFIS)",
    "IDENT": "DHS IDENT",
    "LESC": "ICE LESC",
}
_SYSTEM_REPOSITORIES: dict[str, Repository] = {
    "STATE": Repository.STATE,
    "NGI": Repository.FEDERAL_CRIMINAL,
    "IDENT": Repository.FEDERAL_IMMIGRATION,
}


class SystemStatus(_Code):
    """Where one agency's answer to a booking stands: ``pending`` until it answers (an
    ``answered`` message), fails (``error``: the agency sent an ERRT) or times out."""

    PENDING = "pending"
    ANSWERED = "answered"
    ERROR = "error"
    TIMEOUT = "timeout"

    @property
    def final(self) -> bool:
        """Whether the status will not change any more (all but ``pending``)."""
        return self is not SystemStatus.PENDING


FINGER_NAMES: dict[str, str] = {
    "R1": "right thumb",
    "R2": "right index",
    "R3": "right middle",
    "R4": "right ring",
    "R5": "right little",
    "L1": "left thumb",
    "L2": "left index",
    "L3": "left middle",
    "L4": "left ring",
    "L5": "left little",
}

#: Descriptive fields of a subject or booking, in the order the booking form shows them (the
#: EBTS Type-2 fields a booking holds: name, date of birth, sex, height, weight, eye and hair
#: colour, place of birth).
DEMOGRAPHIC_FIELDS: tuple[str, ...] = (
    "last_name",
    "first_name",
    "middle_initial",
    "date_of_birth",
    "sex",
    "height",
    "weight",
    "eye_colour",
    "hair_colour",
    "place_of_birth",
)
#: The ten fingers in capture order (right thumb → right little, left thumb → left little).
FINGERS: tuple[Finger, ...] = tuple(Finger)
#: The slap codes in capture order.
SLAPS: tuple[Slap, ...] = tuple(Slap)
#: The fingers of each slap, left to right as they lie in the image (seen from below the
#: platen, as on an ink card).
SLAP_FINGERS: dict[str, tuple[Finger, ...]] = {
    Slap.RS: (Finger.R2, Finger.R3, Finger.R4, Finger.R5),
    Slap.LS: (Finger.L5, Finger.L4, Finger.L3, Finger.L2),
    Slap.TS: (Finger.L1, Finger.R1),
}
#: Booking capture order: the ten rolled prints, then the three slaps (plain).
CAPTURE_ORDER: tuple[tuple[Finger | Slap, Impression], ...] = tuple(
    (f, Impression.ROLLED) for f in FINGERS
) + tuple((s, Impression.FLAT) for s in SLAPS)

IMPRESSIONS: tuple[Impression, ...] = tuple(Impression)
ANNOTATIONS: tuple[Annotation, ...] = tuple(Annotation)
IMAGE_FORMATS: tuple[ImageFormat, ...] = tuple(ImageFormat)
DISPOSITIONS: tuple[Disposition, ...] = tuple(Disposition)
TRANSACTION_TYPES: tuple[TransactionType, ...] = tuple(TransactionType)
BOOKING_STATUSES: tuple[BookingStatus, ...] = tuple(BookingStatus)
DECISIONS: tuple[Decision, ...] = tuple(Decision)
REPOSITORIES: tuple[Repository, ...] = tuple(Repository)
ROLES: tuple[Role, ...] = tuple(Role)
SYSTEMS: tuple[System, ...] = tuple(System)
SYSTEM_STATUSES: tuple[SystemStatus, ...] = tuple(SystemStatus)
RACES: tuple[Race, ...] = tuple(Race)
REPLAY_KINDS: tuple[ReplayKind, ...] = tuple(ReplayKind)
FINGER_CONDITIONS: tuple[FingerCondition, ...] = tuple(FingerCondition)
TRAINEE_ACTIONS: tuple[TraineeAction, ...] = tuple(TraineeAction)
CLASS_EVENTS: tuple[ClassEvent, ...] = tuple(ClassEvent)
#: Repositories whose records carry an offence level (1 most serious … 3).
OFFENCE_REPOSITORIES: tuple[Repository, ...] = (Repository.STATE, Repository.FEDERAL_CRIMINAL)


def validate_finger(code: object) -> Finger:
    """The finger for ``code`` (any case), or ``ValueError`` naming the valid codes.

    Examples
    --------
    >>> validate_finger(" l5 ")
    <Finger.L5: 'L5'>
    """
    return Finger.parse(code, what="finger code")


def finger_index(code: object) -> int:
    """Index 0–9 of a finger code in capture order (``R1`` = 0 … ``L5`` = 9)."""
    return validate_finger(code).order


def fgp(code: object) -> int:
    """ANSI/NIST-ITL finger position code (FGP 1–10) of a finger code."""
    return validate_finger(code).fgp
