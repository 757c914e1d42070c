"""An emulated live-scan scanner: synthetic prints of a synthetic subject, with faults.

The caller drives the device; nothing here starts a thread or sleeps. Time is the frame
counter: :meth:`MockScanner.start` puts a finger on the platen, each :meth:`MockScanner.frame`
is the next preview frame (at a nominal ``fps``), and :meth:`MockScanner.take` returns the
full-resolution print once a frame says ``stable`` — the auto-capture of a live-scan station.
:meth:`MockScanner.capture` does all three in one call. The print is rendered once per
placement; the preview frames are cheap transforms of a downsampled copy (pressure ramping
up the ridge contrast, the finger slipping and settling), so a GUI timer can poll at 15 fps.

Who is on the platen is a :class:`PlatenSubject` (an enrolled subject, a new one, or a
scenario that exercises the booking's checks); what goes wrong with the device is a
:class:`ScannerFaults`.

Examples
--------
>>> scanner = MockScanner(PlatenSubject.new(7), seed=1)
>>> scanner.connect()
>>> capture = scanner.capture("R1", "rolled")
>>> capture.image.shape
(750, 800)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
from scipy import ndimage

from ..core.synth import impression as render
from ..core.synth.params import DEFAULT_PARAMETERS as SYNTH
from ..core.vocabulary import FINGERS, SLAP_FINGERS, SLAPS, validate_finger
from .base import (
    Box,
    Capture,
    Frame,
    PlatenEmpty,
    ScannerDisconnected,
    ScannerError,
    ScannerTimeout,
    utc_now,
    validate_slot,
)

__all__ = [
    "SCENARIOS",
    "CaptureLog",
    "MockScanner",
    "MockSettings",
    "PlatenSubject",
    "Rendered",
    "ScannerFaults",
    "setup_scenario",
]

logger = logging.getLogger(__name__)

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
class MockSettings:
    """Tunables of the emulated scanner.

    Distances are pixels at 500 ppi, times are frames at ``fps``.
    """

    #: Device string recorded in every capture.
    device: str = "MockScan LS-500 (emulated)"
    #: Nominal preview rate (frames per second); the caller's timer sets the real pace.
    fps: float = 15.0
    #: Preview images are the capture downsampled by this factor (block mean).
    preview_scale: int = 2
    #: Frames before the finger touches the platen (an empty platen is shown).
    approach_frames: int = 2
    #: Frames over which the ridge contrast ramps up as the finger presses down.
    press_frames: int = 4
    #: The print is steady from a frame index drawn uniformly in this range (inclusive).
    settle_frames: tuple[int, int] = (8, 12)
    #: Initial slip of the finger as it lands (px); it decays to 0 when the print settles.
    slip: float = 14.0
    #: A finger that never holds still makes the scanner give up after this many frames.
    timeout_frames: int = 75
    #: An empty platen makes the scanner give up after this many frames.
    empty_frames: int = 30
    #: Grey level of the empty platen around a slap.
    platen_level: float = 240.0
    #: Sensor noise of the slap canvas (grey levels, standard deviation).
    platen_noise: float = 2.0
    #: Slap canvas (rows, cols): a four-finger slap is about 3.0 × 3.2 in at 500 ppi.
    slap_size: tuple[int, int] = (1500, 1600)
    #: Size (rows, cols) of each finger's plain impression on a four-finger slap.
    slap_finger_size: tuple[int, int] = (512, 360)
    #: Size (rows, cols) of each thumb's plain impression on the thumb slap.
    thumb_size: tuple[int, int] = (560, 440)
    #: Top row of each finger's impression on a four-finger slap, by finger number (2 index
    #: … 5 little): the middle finger reaches highest, the little finger lowest.
    slap_stagger: tuple[tuple[int, int], ...] = ((2, 130), (3, 50), (4, 110), (5, 300))
    #: Top row of the thumbs' impressions on the thumb slap.
    thumb_top: int = 420
    #: Columns of the thumb centres on the thumb slap, as a share of the canvas width.
    thumb_centres: tuple[float, float] = (0.3, 0.7)
    #: Random offset (px, uniform ±) of each finger on a slap.
    slap_jitter: int = 12
    #: Contact area of a finger on a slap: where the local grey-level spread (standard
    #: deviation over a Gaussian window of ``contact_sigma`` px, after a ``contact_blur`` px
    #: blur that removes sensor noise but keeps ridges) rises from the first to the second
    #: of ``contact_levels`` (grey levels). A segment box is the contact area's bounding box
    #: widened by ``segment_margin`` px.
    contact_blur: float = 1.5
    contact_sigma: float = 8.0
    contact_levels: tuple[float, float] = (8.0, 16.0)
    segment_margin: int = 8
    #: The poor-finger scenario: degradation of the first capture and the share (0–1) of the
    #: print's height and width that touched the platen.
    poor_degradation: float = 1.0
    poor_contact: float = 0.25
    #: Impression numbers: ``impression_base + seed * impression_stride + n`` for the n-th
    #: capture of a slot, so bookings never reuse the enrolled impressions (0, 1, …).
    impression_base: int = 1000
    impression_stride: int = 100_000
    #: Dirty platen: number of smudges and dust specks, and the darkest a smudge gets (0–1).
    dirt_blots: int = 7
    dirt_specks: int = 60
    dirt_opacity: float = 0.55
    #: Range of a smudge's half-axes (px, Gaussian sigma).
    dirt_sizes: tuple[float, float] = (15.0, 60.0)

    def __post_init__(self) -> None:
        lo, hi = self.settle_frames
        if not (self.approach_frames < lo <= hi < self.timeout_frames):
            raise ValueError(
                "settle_frames must lie after approach_frames and before timeout_frames"
            )
        if self.preview_scale < 1:
            raise ValueError(f"preview_scale must be >= 1, got {self.preview_scale}")


DEFAULT_SETTINGS = MockSettings()


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
    """

    subject: int
    population: int = 0
    origin: str = "new"
    swap: tuple[str, str] | None = None
    poor_finger: str | None = None
    absent: frozenset[str] = field(default_factory=frozenset)

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
        if len(self.absent) == len(FINGERS):
            raise ValueError("a subject needs at least one finger")

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


@dataclass(frozen=True)
class ScannerFaults:
    """Faults of the emulated device.

    Attributes
    ----------
    dirty_platen : bool
        A fixed pattern of smudges and dust darkens every frame and capture until
        :meth:`MockScanner.clean_platen`.
    timeout : bool
        The finger never holds still: captures raise :class:`ScannerTimeout` after
        ``MockSettings.timeout_frames`` frames, until the fault is cleared.
    disconnect_after : int or None
        The scanner drops off at this frame of the next placement (or at its capture, if it
        settles earlier) and raises :class:`ScannerDisconnected`; it stays disconnected until
        :meth:`MockScanner.connect`. The fault fires once.
    """

    dirty_platen: bool = False
    timeout: bool = False
    disconnect_after: int | None = None

    def __post_init__(self) -> None:
        if self.disconnect_after is not None and self.disconnect_after < 0:
            raise ValueError(f"disconnect_after must be >= 0, got {self.disconnect_after}")


def setup_scenario(
    name: str, subject: int, population: int = 0
) -> tuple[PlatenSubject, ScannerFaults]:
    """The subject and faults for a named scenario of :data:`SCENARIOS` (for the GUI menu)."""
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


class Rendered(NamedTuple):
    """One synthetic impression the scanner rendered: enough to render it again.

    ``station.core.synth.impression(subject, finger, number, population=population,
    kind=kind, size=size, degradation=degradation)`` gives the same image (before a slap's
    compositing, a poor-finger crop or a dirty platen).
    """

    finger: str
    number: int
    kind: str
    size: tuple[int, int] | None
    degradation: float | None


class CaptureLog(NamedTuple):
    """A capture with the ground truth of what was on the platen."""

    capture: Capture
    subject: PlatenSubject
    rendered: tuple[Rendered, ...]


@dataclass
class _Placement:
    """A finger (or a slap) on the platen: rendered once, previewed many times."""

    subject: PlatenSubject
    finger: str
    impression: str
    image: np.ndarray | None  # full-resolution print before dirt; None: empty platen
    preview: np.ndarray | None  # float32, downsampled
    background: float
    shape: tuple[int, int]
    settle: int
    direction: np.ndarray
    rng: np.random.Generator
    segments: tuple[tuple[str, Box], ...]
    rendered: tuple[Rendered, ...]
    annotation: str | None
    poor: bool
    index: int = 0
    last_stable: bool = False


def _downsample(image: np.ndarray, scale: int) -> np.ndarray:
    """Block mean by ``scale`` (the edge rows/cols that do not fill a block are dropped)."""
    if scale == 1:
        return image.astype(np.float32)
    rows, cols = (side // scale for side in image.shape)
    blocks = image[: rows * scale, : cols * scale].reshape(rows, scale, cols, scale)
    return blocks.mean(axis=(1, 3), dtype=np.float32)


def _shifted(image: np.ndarray, dy: int, dx: int, fill: float) -> np.ndarray:
    """``image`` moved by ``(dy, dx)`` pixels, uncovered pixels set to ``fill``."""
    out = np.full_like(image, fill)
    rows, cols = image.shape
    src_r = slice(max(0, -dy), rows - max(0, dy))
    src_c = slice(max(0, -dx), cols - max(0, dx))
    dst_r = slice(max(0, dy), rows - max(0, -dy))
    dst_c = slice(max(0, dx), cols - max(0, -dx))
    out[dst_r, dst_c] = image[src_r, src_c]
    return out


def _contact(
    image: np.ndarray, blur: float, sigma: float, levels: tuple[float, float]
) -> np.ndarray:
    """Contact weight 0..1 of a single print: high where ridges are, 0 on the empty platen."""
    smooth = ndimage.gaussian_filter(image.astype(np.float64), blur)
    mean = ndimage.gaussian_filter(smooth, sigma)
    spread = np.sqrt(np.maximum(ndimage.gaussian_filter(smooth**2, sigma) - mean**2, 0.0))
    lo, hi = levels
    return np.clip((spread - lo) / (hi - lo), 0.0, 1.0)


def _background(image: np.ndarray) -> float:
    """Grey level of the empty platen in a synthetic impression (its bright tail)."""
    return float(np.percentile(image, 97))


class MockScanner:
    """An emulated live-scan scanner (a :class:`~station.scanner.base.CaptureSource`).

    Parameters
    ----------
    subject : PlatenSubject, optional
        Who is on the platen; set :attr:`subject` later otherwise.
    faults : ScannerFaults, optional
        Device faults; :attr:`faults` may be changed at any time.
    seed : int, optional
        Device seed: the same seed, subject and sequence of calls give the same images.
    settings : MockSettings, optional
        Tunables.
    clock : callable, optional
        Returns the capture time as an ISO-8601 string (default: now, UTC).

    Notes
    -----
    The scanner starts disconnected, like a device that must be opened: call
    :meth:`connect` first.
    """

    def __init__(
        self,
        subject: PlatenSubject | None = None,
        *,
        faults: ScannerFaults | None = None,
        seed: int = 0,
        settings: MockSettings | None = None,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative whole number, got {seed!r}")
        self.settings = settings or DEFAULT_SETTINGS
        self.faults = faults or ScannerFaults()
        self.seed = seed
        self.history: list[CaptureLog] = []
        self._clock = clock
        self._connected = False
        self._subject = subject
        self._counters: dict[tuple[str, str], int] = {}
        self._poor_done: set[str] = set()
        self._placement: _Placement | None = None
        self._dirt: dict[tuple[int, int], np.ndarray] = {}
        self._dirt_preview_cache: dict[tuple[int, int], np.ndarray] = {}

    # --- device ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The device string (as recorded in captures)."""
        return self.settings.device

    @property
    def fps(self) -> float:
        """Nominal preview frame rate (frames per second)."""
        return self.settings.fps

    @property
    def connected(self) -> bool:
        """True between :meth:`connect` and :meth:`disconnect` (or a disconnect fault)."""
        return self._connected

    def connect(self) -> None:
        """Open the device (again, after a disconnect)."""
        self._connected = True
        logger.info("%s connected", self.name)

    def disconnect(self) -> None:
        """Close the device; a placement in progress is abandoned."""
        self._connected = False
        self._placement = None
        logger.info("%s disconnected", self.name)

    def clean_platen(self) -> None:
        """Wipe the platen: clears the dirty-platen fault."""
        self.faults = replace(self.faults, dirty_platen=False)

    @property
    def subject(self) -> PlatenSubject | None:
        """Who is on the platen. Setting it abandons a placement in progress."""
        return self._subject

    @subject.setter
    def subject(self, subject: PlatenSubject | None) -> None:
        self._subject = subject
        self._placement = None
        self._poor_done.clear()

    @property
    def placing(self) -> tuple[str, str] | None:
        """The slot of the placement in progress, or None."""
        p = self._placement
        return None if p is None else (p.finger, p.impression)

    # --- live preview ---------------------------------------------------------------------

    def start(self, finger: str, impression: str) -> None:
        """Begin a placement: the officer puts ``finger`` on the platen.

        Renders the print once; a placement in progress is replaced.

        Raises
        ------
        ScannerDisconnected
            The scanner is not connected.
        ScannerError
            Nobody is on the platen.
        ValueError
            Unknown finger or impression type.
        """
        finger, impression = validate_slot(finger, impression)
        if not self._connected:
            raise ScannerDisconnected()
        if self._subject is None:
            raise ScannerError(
                "Nobody is at the scanner — choose the person to print in the scanner panel"
            )
        s = self.settings
        subject = self._subject
        count = self._counters.get((finger, impression), 0)
        self._counters[(finger, impression)] = count + 1
        number = s.impression_base + self.seed * s.impression_stride + count
        rng = np.random.default_rng([self.seed, subject.subject, subject.population, number])
        if finger in SLAPS:
            placement = self._slap(subject, finger, number, rng)
        else:
            placement = self._single(subject, finger, impression, number, rng)
        self._placement = placement
        logger.debug(
            "placement %s %s: %s",
            finger,
            impression,
            [(r.finger, r.number) for r in placement.rendered],
        )

    def frame(self) -> Frame:
        """The next preview frame of the placement in progress.

        Raises
        ------
        ScannerError
            No placement was started.
        ScannerDisconnected
            The disconnect fault fired.
        ScannerTimeout
            The finger never held still (timeout fault).
        PlatenEmpty
            Nothing was placed on the platen (a missing finger).
        """
        p = self._placement
        if p is None:
            raise ScannerError("No finger is being captured — choose a finger and press Capture")
        s = self.settings
        t = p.index
        p.index += 1
        if not self._connected:
            self._placement = None
            raise ScannerDisconnected()
        if self.faults.disconnect_after is not None and t >= self.faults.disconnect_after:
            self._drop_connection()
        if p.preview is None:
            if t >= s.empty_frames:
                self._placement = None
                raise PlatenEmpty(self._empty_message(p.finger))
            return self._frame(p, t, present=False, contrast=0.0, shift=(0, 0), stable=False)
        if t < s.approach_frames:
            return self._frame(p, t, present=False, contrast=0.0, shift=(0, 0), stable=False)
        pressed = t - s.approach_frames + 1
        if self.faults.timeout:
            if t >= s.timeout_frames:
                self._placement = None
                raise ScannerTimeout()
            wobble = p.rng.normal(0.0, 0.5 * s.slip, 2)
            contrast = float(
                np.clip(min(1.0, pressed / s.press_frames) - p.rng.uniform(0, 0.4), 0, 1)
            )
            return self._frame(p, t, present=True, contrast=contrast, shift=wobble, stable=False)
        contrast = min(1.0, pressed / s.press_frames)
        remaining = max(0.0, 1.0 - (t - s.approach_frames) / (p.settle - s.approach_frames))
        slip = s.slip * remaining**2 * p.direction + p.rng.normal(0.0, remaining, 2)
        stable = t >= p.settle
        if stable:
            slip = np.zeros(2)
        p.last_stable = stable
        return self._frame(p, t, present=True, contrast=contrast, shift=slip, stable=stable)

    def take(self) -> Capture:
        """Take the print of the placement in progress (after a ``stable`` frame).

        Raises
        ------
        ScannerError
            No placement, or its print has not settled yet.
        ScannerDisconnected
            The scanner is not connected, or the disconnect fault fired.
        """
        p = self._placement
        if p is None:
            raise ScannerError("No finger is being captured — choose a finger and press Capture")
        if not self._connected:
            self._placement = None
            raise ScannerDisconnected()
        if self.faults.disconnect_after is not None:
            self._drop_connection()
        if not p.last_stable or p.image is None:
            raise ScannerError("The print has not settled yet — hold the finger still")
        image = p.image
        if self.faults.dirty_platen:
            image = np.rint(image * (1.0 - self._dirt_mask(image.shape))).astype(np.uint8)
        capture = Capture(
            image=image,
            finger=p.finger,
            impression=p.impression,
            device=self.name,
            captured_at=self._clock(),
            segments=p.segments,
            annotation=p.annotation,
        )
        if p.poor:
            self._poor_done.add(p.finger)
        self.history.append(CaptureLog(capture, p.subject, p.rendered))
        self._placement = None
        logger.info("captured %s %s", p.finger, p.impression)
        return capture

    def cancel(self) -> None:
        """Abandon the placement in progress (the officer lifts the finger)."""
        self._placement = None

    def capture(self, finger: str, impression: str) -> Capture:
        """Capture a slot: place the finger, wait for a steady print, take it.

        Parameters
        ----------
        finger : str
            ``R1``–``L5``, or a slap ``RS``, ``LS``, ``TS``.
        impression : {'rolled', 'flat'}
            Impression type (slaps are ``'flat'``).

        Returns
        -------
        capture : Capture
            Full resolution: rolled 750 × 800 px, flat 512 × 512 px, slaps 1500 × 1600 px.

        Raises
        ------
        ScannerDisconnected, ScannerTimeout, PlatenEmpty, ScannerError
            With a message for the officer.
        """
        self.start(finger, impression)
        while not self.frame().stable:
            pass
        return self.take()

    # --- internals ------------------------------------------------------------------------

    def _drop_connection(self) -> None:
        logger.warning("%s: emulated disconnect", self.name)
        self.faults = replace(self.faults, disconnect_after=None)
        self._connected = False
        self._placement = None
        raise ScannerDisconnected()

    def _empty_message(self, finger: str) -> str:
        return (
            f"No finger on the platen for {finger} — if it is missing or cannot be printed, "
            "annotate it (XX amputated, UP unable to print) and go on to the next finger"
        )

    def _frame(
        self,
        p: _Placement,
        t: int,
        *,
        present: bool,
        contrast: float,
        shift: np.ndarray | tuple[int, int],
        stable: bool,
    ) -> Frame:
        bg = np.float32(p.background)
        if p.preview is None or contrast <= 0.0:
            rows, cols = (side // self.settings.preview_scale for side in p.shape)
            view = np.full((rows, cols), bg, np.float32)
        else:
            dy, dx = (int(np.rint(v / self.settings.preview_scale)) for v in shift)
            view = _shifted(p.preview, dy, dx, float(bg))
            view = bg - np.float32(contrast) * (bg - view)
        if self.faults.dirty_platen:
            view = view * (1.0 - self._dirt_preview(p.shape))
        image = np.clip(np.rint(view), 0, 255).astype(np.uint8)
        return Frame(image, present, stable, float(contrast), t)

    def _placement_for(
        self,
        subject: PlatenSubject,
        finger: str,
        impression: str,
        image: np.ndarray | None,
        shape: tuple[int, int],
        rng: np.random.Generator,
        *,
        segments: tuple[tuple[str, Box], ...] = (),
        rendered: tuple[Rendered, ...] = (),
        annotation: str | None = None,
        poor: bool = False,
        background: float | None = None,
    ) -> _Placement:
        s = self.settings
        if background is None:
            background = s.platen_level if image is None else _background(image)
        angle = rng.uniform(0.0, 2.0 * np.pi)
        return _Placement(
            subject=subject,
            finger=finger,
            impression=impression,
            image=image,
            preview=None if image is None else _downsample(image, s.preview_scale),
            background=background,
            shape=shape,
            settle=int(rng.integers(s.settle_frames[0], s.settle_frames[1] + 1)),
            direction=np.array([np.sin(angle), np.cos(angle)]),
            rng=rng,
            segments=segments,
            rendered=rendered,
            annotation=annotation,
            poor=poor,
        )

    def _single(
        self,
        subject: PlatenSubject,
        finger: str,
        impression: str,
        number: int,
        rng: np.random.Generator,
    ) -> _Placement:
        s = self.settings
        shape = SYNTH.rolled_size if impression == "rolled" else SYNTH.flat_size
        if finger in subject.absent:
            return self._placement_for(subject, finger, impression, None, shape, rng)
        placed = subject.placed(finger, impression)
        poor = subject.poor_finger == finger and finger not in self._poor_done
        degradation = s.poor_degradation if poor else None
        image, _ = render(
            subject.subject,
            placed,
            number,
            population=subject.population,
            kind=impression,
            degradation=degradation,
        )
        if poor:
            image = self._partial(image, rng)
        rendered = (Rendered(placed, number, impression, None, degradation),)
        return self._placement_for(
            subject, finger, impression, image, image.shape, rng, rendered=rendered, poor=poor
        )

    def _partial(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Keep a small patch of the print: the finger barely touched the platen."""
        rows, cols = image.shape
        share = self.settings.poor_contact
        cy = rows * rng.uniform(0.35, 0.65)
        cx = cols * rng.uniform(0.35, 0.65)
        yy, xx = np.ogrid[0:rows, 0:cols]
        level = np.hypot((yy - cy) / (0.5 * share * rows), (xx - cx) / (0.5 * share * cols))
        keep = np.clip((1.0 - level) / 0.1, 0.0, 1.0)
        bg = _background(image)
        empty = bg + rng.normal(0.0, self.settings.platen_noise, image.shape)
        out = empty - keep * (empty - image.astype(np.float64))
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)

    def _slap(
        self, subject: PlatenSubject, code: str, number: int, rng: np.random.Generator
    ) -> _Placement:
        s = self.settings
        fingers = SLAP_FINGERS[code]
        rows, cols = s.slap_size
        canvas = np.full((rows, cols), s.platen_level, np.float64)
        if code == "TS":
            size = s.thumb_size
            tops = [s.thumb_top] * len(fingers)
            lefts = [int(c * cols - size[1] / 2) for c in s.thumb_centres]
        else:
            size = s.slap_finger_size
            stagger = dict(s.slap_stagger)
            tops = [stagger[int(f[1])] for f in fingers]
            gap = (cols - len(fingers) * size[1]) // (len(fingers) + 1)
            lefts = [gap + i * (size[1] + gap) for i in range(len(fingers))]
        segments: list[tuple[str, Box]] = []
        rendered: list[Rendered] = []
        missing = [f for f in fingers if f in subject.absent]
        for finger, top, left in zip(fingers, tops, lefts, strict=True):
            dy, dx = (int(v) for v in rng.integers(-s.slap_jitter, s.slap_jitter + 1, 2))
            if finger in subject.absent:
                continue
            image, _ = render(
                subject.subject,
                finger,
                number,
                population=subject.population,
                kind="flat",
                size=size,
            )
            rendered.append(Rendered(finger, number, "flat", size, None))
            r0 = int(np.clip(top + dy, 0, rows - size[0]))
            c0 = int(np.clip(left + dx, 0, cols - size[1]))
            box = self._paste(canvas, image, r0, c0)
            if box is not None:
                segments.append((finger, box))
        canvas += rng.normal(0.0, s.platen_noise, canvas.shape)
        slap = np.clip(np.rint(canvas), 0, 255).astype(np.uint8)
        # Missing (amputated) fingers leave a gap on the slap; the device notes it.
        annotation = f"{', '.join(missing)} not on the platen" if missing else None
        return self._placement_for(
            subject,
            code,
            "flat",
            slap if segments else None,
            (rows, cols),
            rng,
            segments=tuple(segments),
            rendered=tuple(rendered),
            annotation=annotation,
            background=s.platen_level,
        )

    def _paste(self, canvas: np.ndarray, image: np.ndarray, r0: int, c0: int) -> Box | None:
        """Lay a finger's print on the canvas at ``(r0, c0)``; return its contact box.

        Only the contact area is laid down (where the ridge texture is), so the impression's
        own background does not show as a rectangle on the slap.
        """
        s = self.settings
        contact = _contact(image, s.contact_blur, s.contact_sigma, s.contact_levels)
        ink = _background(image) - image.astype(np.float64)
        region = canvas[r0 : r0 + image.shape[0], c0 : c0 + image.shape[1]]
        region -= ink * contact
        inside = contact >= 0.5
        rows_in = np.flatnonzero(inside.any(axis=1))
        cols_in = np.flatnonzero(inside.any(axis=0))
        if rows_in.size == 0:
            return None
        m = s.segment_margin
        return (
            r0 + max(0, int(rows_in[0]) - m),
            c0 + max(0, int(cols_in[0]) - m),
            r0 + min(image.shape[0], int(rows_in[-1]) + 1 + m),
            c0 + min(image.shape[1], int(cols_in[-1]) + 1 + m),
        )

    def _dirt_mask(self, shape: tuple[int, int]) -> np.ndarray:
        """Opacity 0..1 of the platen's smudges and dust at capture resolution (cached)."""
        shape = (int(shape[0]), int(shape[1]))
        if shape not in self._dirt:
            s = self.settings
            rng = np.random.default_rng([self.seed, *shape, 7])
            rows, cols = shape
            dirt = np.zeros(shape)
            for _ in range(s.dirt_blots):
                cy, cx = rng.uniform(0, rows), rng.uniform(0, cols)
                sy, sx = rng.uniform(*s.dirt_sizes, 2)
                theta = rng.uniform(0, np.pi)
                darkness = rng.uniform(0.4, 1.0)
                reach = 4.0 * max(sy, sx)  # the blot is negligible beyond 4 sigma
                r0, r1 = int(max(0, cy - reach)), int(min(rows, cy + reach + 1))
                c0, c1 = int(max(0, cx - reach)), int(min(cols, cx + reach + 1))
                if r0 >= r1 or c0 >= c1:
                    continue
                yy, xx = np.ogrid[r0:r1, c0:c1]
                u = (yy - cy) * np.cos(theta) + (xx - cx) * np.sin(theta)
                v = -(yy - cy) * np.sin(theta) + (xx - cx) * np.cos(theta)
                blot = darkness * np.exp(-0.5 * ((u / sy) ** 2 + (v / sx) ** 2))
                np.maximum(dirt[r0:r1, c0:c1], blot, out=dirt[r0:r1, c0:c1])
            specks = np.zeros(shape)
            specks[rng.integers(0, rows, s.dirt_specks), rng.integers(0, cols, s.dirt_specks)] = 1
            specks = ndimage.gaussian_filter(specks, 1.5) * 14.0
            self._dirt[shape] = np.clip(s.dirt_opacity * np.maximum(dirt, specks), 0.0, 1.0)
        return self._dirt[shape]

    def _dirt_preview(self, shape: tuple[int, int]) -> np.ndarray:
        """The dirt mask at preview resolution (cached)."""
        key = (int(shape[0]), int(shape[1]))
        if key not in self._dirt_preview_cache:
            mask = _downsample(self._dirt_mask(key), self.settings.preview_scale)
            self._dirt_preview_cache[key] = mask
        return self._dirt_preview_cache[key]
