"""What is on the platen: the synthetic person, and the named scenarios of the scanner panel.

A :class:`PlatenSubject` is who the emulated scanner (:class:`~station.scanner.mock.MockScanner`)
prints: an enrolled subject, a new one, or one set up for a booking scenario (fingers rolled
out of order, a poor first print, an amputated finger). :func:`setup_scenario` turns a
scenario name of :data:`SCENARIOS` into that subject and the device faults it needs.

Examples
--------
>>> PlatenSubject.scenario("swapped", 7).swap
('R2', 'R3')
>>> subject, faults = setup_scenario("dirty-platen", 7)
>>> subject.origin, faults.dirty_platen
('dirty-platen', True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.vocabulary import FINGERS, FingerCondition, Slap, validate_finger
from .mock import DEFAULT_SETTINGS, ScannerFaults

__all__ = ["SCENARIOS", "PlatenSubject", "setup_scenario"]

#: Named situations for the scanner panel. The first four are about the person on the platen
#: (:meth:`PlatenSubject.scenario`), the others about the device (:class:`ScannerFaults`).
SCENARIOS: tuple[str, ...] = (
    "normal",
    "swapped",
    "poor-finger",
    "amputated",
    "dirty-platen",
    "timeout",
    "disconnect",
)
_SUBJECT_SCENARIOS = ("normal", "swapped", "poor-finger", "amputated")


@dataclass(frozen=True)
class PlatenSubject:
    """The synthetic person whose fingers the mock scanner prints.

    Attributes
    ----------
    subject, population : int
        Seeds of the synthetic subject (see :func:`station.core.synth.impression`).
    origin : str
        ``'gallery'``, ``'new'`` or the scenario name, for display.
    swap : tuple of str or None
        Two fingers whose rolled prints come out swapped (the officer rolled them out of
        order); their slaps are correct, so the sequence check must flag them.
    poor_finger : str or None
        A finger whose first capture is badly degraded and partial.
    absent : frozenset of str
        Fingers that are missing (amputated): nothing is placed on the platen for them.
    conditions : tuple of (str, str)
        Per-finger conditions of the skin, ``(finger, condition)`` sorted by finger:
        ``bandaged`` (nothing can be printed), ``dry`` or ``wet`` (the first rolled capture
        is faint and broken, or smeared; the officer conditions the finger and later ones are
        normal) and ``scarred`` (a scar crosses every print of the finger, always at the same
        place); amputated fingers are :attr:`absent`.
    wrong_hand : str or None
        A four-finger slap (``RS`` or ``LS``) whose first capture is of the other hand.
    borrowed : tuple of (str, int, int)
        ``(finger, subject, population)``: fingers printed from another synthetic subject (a
        near miss of that subject when it is enrolled).
    """

    subject: int
    population: int = 0
    origin: str = "new"
    swap: tuple[str, str] | None = None
    poor_finger: str | None = None
    absent: frozenset[str] = field(default_factory=frozenset)
    conditions: tuple[tuple[str, str], ...] = ()
    wrong_hand: str | None = None
    borrowed: tuple[tuple[str, int, int], ...] = ()

    def __post_init__(self) -> None:
        for name, value in (("subject", self.subject), ("population", self.population)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative whole number, got {value!r}")
        if self.swap is not None:
            a, b = (validate_finger(f) for f in self.swap)
            if a == b:
                raise ValueError(f"swap needs two different fingers, got {self.swap!r}")
            object.__setattr__(self, "swap", (a, b))
        if self.poor_finger is not None:
            object.__setattr__(self, "poor_finger", validate_finger(self.poor_finger))
        object.__setattr__(self, "absent", frozenset(validate_finger(f) for f in self.absent))
        conditions = {}
        for finger, condition in self.conditions:
            code = FingerCondition.parse(condition, what="finger condition")
            if code is FingerCondition.AMPUTATED:
                raise ValueError("an amputated finger is one of absent, not a condition")
            conditions[validate_finger(finger)] = code
        if len(conditions) != len(self.conditions):
            raise ValueError(f"a finger has two conditions: {self.conditions!r}")
        object.__setattr__(
            self, "conditions", tuple(sorted(conditions.items(), key=lambda c: c[0].order))
        )
        if self.wrong_hand is not None:
            hand = Slap.parse(self.wrong_hand, what="slap")
            if hand is Slap.TS:
                raise ValueError("wrong_hand must be RS or LS (a four-finger slap)")
            object.__setattr__(self, "wrong_hand", hand)
        borrowed = []
        for finger, subject, population in self.borrowed:
            for name, value in (("subject", subject), ("population", population)):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"borrowed {name} must be a whole number >= 0, got {value!r}")
            borrowed.append((validate_finger(finger), subject, population))
        if len({b[0] for b in borrowed}) != len(borrowed):
            raise ValueError(f"a finger is borrowed twice: {self.borrowed!r}")
        object.__setattr__(self, "borrowed", tuple(borrowed))
        if len(self.absent | self.unprintable) == len(FINGERS):
            raise ValueError("a subject needs at least one finger")

    def condition(self, finger: str) -> FingerCondition | None:
        """The skin condition of ``finger`` (``None``: normal or absent)."""
        return dict(self.conditions).get(finger)

    @property
    def unprintable(self) -> frozenset[str]:
        """Fingers that are there but cannot be printed (bandaged)."""
        return frozenset(f for f, c in self.conditions if c == FingerCondition.BANDAGED)

    def source(self, finger: str) -> tuple[int, int]:
        """``(subject, population)`` of the synthetic finger printed for ``finger``."""
        for code, subject, population in self.borrowed:
            if code == finger:
                return subject, population
        return self.subject, self.population

    @classmethod
    def gallery(cls, subject: int, population: int = 0) -> PlatenSubject:
        """An enrolled subject (the caller enrolled ``subject`` in its gallery)."""
        return cls(subject, population, origin="gallery")

    @classmethod
    def new(cls, subject: int, population: int = 0) -> PlatenSubject:
        """A subject unknown to the gallery (the caller picks a ``subject`` it did not enrol)."""
        return cls(subject, population, origin="new")

    @classmethod
    def scenario(
        cls, name: str, subject: int, population: int = 0, *, finger: str | None = None
    ) -> PlatenSubject:
        """A subject set up for one of the booking scenarios.

        Parameters
        ----------
        name : {'normal', 'swapped', 'poor-finger', 'amputated'}
            ``'swapped'``: the rolled prints of ``R2`` and ``R3`` come out swapped.
            ``'poor-finger'``: the first capture of ``finger`` (default ``R2``) is badly
            degraded and partial; later ones are normal. ``'amputated'``: ``finger`` (default
            ``L4``) is missing. (A dirty platen is a scanner fault: see :class:`ScannerFaults`.)
        subject, population : int
            Seeds of the synthetic subject.
        finger : str, optional
            The finger the scenario is about; for ``'swapped'`` the first of the pair, which
            is swapped with its neighbour on the same hand.
        """
        if name not in _SUBJECT_SCENARIOS:
            hint = (
                " — it is a scanner fault: use ScannerFaults or setup_scenario()"
                if name in SCENARIOS
                else ""
            )
            raise ValueError(
                f"unknown subject scenario {name!r}{hint}; use one of "
                f"{', '.join(_SUBJECT_SCENARIOS)}"
            )
        if name == "normal":
            return cls(subject, population, origin=name)
        if name == "swapped":
            first = validate_finger(finger or "R2")
            hand, number = first[0], int(first[1])
            second = f"{hand}{number + 1 if number < 5 else number - 1}"
            return cls(subject, population, origin=name, swap=(first, second))
        if name == "poor-finger":
            return cls(subject, population, origin=name, poor_finger=finger or "R2")
        return cls(subject, population, origin=name, absent=frozenset({finger or "L4"}))

    def placed(self, finger: str, impression: str) -> str:
        """The finger actually placed when ``finger`` is asked for (differs if swapped)."""
        if self.swap is not None and impression == "rolled" and finger in self.swap:
            a, b = self.swap
            return b if finger == a else a
        return finger


def setup_scenario(
    name: str, subject: int, population: int = 0
) -> tuple[PlatenSubject, ScannerFaults]:
    """The subject and faults for a named scenario of :data:`SCENARIOS` (for the GUI menu).

    Parameters
    ----------
    name : str
        One of :data:`SCENARIOS`: a subject scenario (see :meth:`PlatenSubject.scenario`,
        with its default finger) or a device fault ``'dirty-platen'``, ``'timeout'`` or
        ``'disconnect'`` (the scanner drops off two frames after the finger lands).
    subject, population : int
        Seeds of the synthetic subject.

    Returns
    -------
    subject : PlatenSubject
        Who is on the platen; its ``origin`` is ``name``.
    faults : ScannerFaults
        The device faults of the scenario (none for a subject scenario).

    Examples
    --------
    >>> setup_scenario("timeout", 3)[1].timeout
    True
    """
    if name in _SUBJECT_SCENARIOS:
        return PlatenSubject.scenario(name, subject, population), ScannerFaults()
    faults = {
        "dirty-platen": ScannerFaults(dirty_platen=True),
        "timeout": ScannerFaults(timeout=True),
        "disconnect": ScannerFaults(disconnect_after=DEFAULT_SETTINGS.approach_frames + 2),
    }
    if name not in faults:
        raise ValueError(f"unknown scenario {name!r}: use one of {', '.join(SCENARIOS)}")
    return PlatenSubject(subject, population, origin=name), faults[name]
