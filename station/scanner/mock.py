"""An emulated live-scan scanner: synthetic prints of a synthetic subject, with faults.

The caller drives the device; nothing here starts a thread or sleeps. Time is the frame
counter: :meth:`MockScanner.start` puts a finger on the platen, each :meth:`MockScanner.frame`
is the next preview frame (at a nominal ``fps``), and :meth:`MockScanner.take` returns the
full-resolution print once a frame says ``stable`` — the auto-capture of a live-scan station.
:meth:`MockScanner.capture` does all three in one call. The print is rendered once per
placement; the preview frames are cheap transforms of a downsampled copy (pressure ramping
up the ridge contrast, the finger slipping and settling), so a GUI timer can poll at 15 fps.

This module is the device: its settings, its faults (:class:`ScannerFaults`) and the state
machine of connection, placement, frames and capture. Who is on the platen is a
:class:`~station.scanner.scenarios.PlatenSubject` (an enrolled subject, a new one, or a
scenario that exercises the booking's checks); the images are composed by the pure
functions of :mod:`station.scanner.platen`.

Examples
--------
>>> from station.scanner.scenarios import PlatenSubject
>>> scanner = MockScanner(PlatenSubject.new(7), seed=1)
>>> scanner.connect()
>>> capture = scanner.capture("R1", "rolled")
>>> capture.image.shape
(750, 800)
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..core.synth import impression as render
from ..core.synth.params import DEFAULT_PARAMETERS as SYNTH
from ..core.vocabulary import FINGERS, SLAP_FINGERS, SLAPS, FingerCondition
from . import platen
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

if TYPE_CHECKING:  # scenarios.py builds on this module (faults and settings of a scenario)
    from .scenarios import PlatenSubject

__all__ = [
    "CaptureLog",
    "MockScanner",
    "MockSettings",
    "Rendered",
    "ScannerFaults",
]

logger = logging.getLogger(__name__)


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
    #: Skin conditions: share of a dry print that still touches, the smear (px, Gaussian
    #: sigma) of a wet one, the synthetic degradation of both, and a scar's width (px).
    dry_coverage: float = 0.3
    wet_blur: float = 5.0
    skin_degradation: float = 1.0
    scar_width: float = 26.0

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
    disconnect_at : int or None
        The scanner drops off during its ``disconnect_at``-th placement (1-based, counting
        every :meth:`MockScanner.start` since it was made: a training booking's "scanner
        failure at finger N"), two frames after the finger lands. Fires once.
    """

    dirty_platen: bool = False
    timeout: bool = False
    disconnect_after: int | None = None
    disconnect_at: int | None = None

    def __post_init__(self) -> None:
        if self.disconnect_after is not None and self.disconnect_after < 0:
            raise ValueError(f"disconnect_after must be >= 0, got {self.disconnect_after}")
        if self.disconnect_at is not None and self.disconnect_at < 1:
            raise ValueError(f"disconnect_at must be >= 1, got {self.disconnect_at}")


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


#: Captures whose ground truth :attr:`MockScanner.history` keeps (the latest booking: 13 slots
#: and retakes).
HISTORY_SIZE = 16


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
        # the ground truth of the latest captures only: a window left running (a demo loop)
        # would otherwise keep every print it ever took
        self.history: deque[CaptureLog] = deque(maxlen=HISTORY_SIZE)
        self._clock = clock
        self._connected = False
        self._subject = subject
        self._counters: dict[tuple[str, str], int] = {}
        self._poor_done: set[str] = set()
        self._placements = 0
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
    def placements(self) -> int:
        """Placements so far (every :meth:`start` since the scanner was made; what
        ``disconnect_at`` counts)."""
        return self._placements

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
        self._placements += 1
        if self.faults.disconnect_at == self._placements:
            self.faults = replace(
                self.faults, disconnect_at=None, disconnect_after=s.approach_frames + 2
            )
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
            image = platen.through_dirt(image, self._dirt_mask(image.shape))
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
        subject = self._subject
        if subject is not None and finger in subject.unprintable:
            return (
                f"{finger} is bandaged: nothing to print — annotate it UP (unable to print) "
                "and go on to the next finger"
            )
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
        scale = self.settings.preview_scale
        if p.preview is None:
            rows, cols = (side // scale for side in p.shape)
            view = np.full((rows, cols), np.float32(p.background), np.float32)
        else:
            dy, dx = (int(np.rint(v / scale)) for v in shift)
            view = platen.pressed(
                p.preview, contrast=contrast, offset=(dy, dx), background=p.background
            )
        if self.faults.dirty_platen:
            image = platen.through_dirt(view, self._dirt_preview(p.shape))
        else:
            image = platen.quantize(view)
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
            background = s.platen_level if image is None else platen.background_level(image)
        angle = rng.uniform(0.0, 2.0 * np.pi)
        return _Placement(
            subject=subject,
            finger=finger,
            impression=impression,
            image=image,
            preview=None if image is None else platen.downsample(image, s.preview_scale),
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
        if finger in subject.absent or finger in subject.unprintable:
            return self._placement_for(subject, finger, impression, None, shape, rng)
        placed = subject.placed(finger, impression)
        condition = subject.condition(placed)
        skin = (
            condition in (FingerCondition.DRY, FingerCondition.WET)
            and impression == "rolled"
            and finger not in self._poor_done
        )
        poor = (subject.poor_finger == finger and finger not in self._poor_done) or skin
        degradation = s.skin_degradation if skin else s.poor_degradation if poor else None
        seeds, population = subject.source(placed)
        image, _ = render(
            seeds,
            placed,
            number,
            population=population,
            kind=impression,
            degradation=degradation,
        )
        if skin:
            image = self._skin(image, condition, rng)
        elif poor:
            image = platen.partial_contact(image, rng, share=s.poor_contact, noise=s.platen_noise)
        if condition is FingerCondition.SCARRED:
            image = platen.scar(image, self._scar_rng(subject, placed), width=s.scar_width)
        rendered = (Rendered(placed, number, impression, None, degradation),)
        return self._placement_for(
            subject, finger, impression, image, image.shape, rng, rendered=rendered, poor=poor
        )

    def _slap(
        self, subject: PlatenSubject, code: str, number: int, rng: np.random.Generator
    ) -> _Placement:
        s = self.settings
        fingers = SLAP_FINGERS[code]
        rows, cols = s.slap_size
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
        prints: list[tuple[str, np.ndarray, tuple[int, int]]] = []
        rendered: list[Rendered] = []
        away = subject.absent | subject.unprintable
        missing = [f for f in fingers if f in away]
        # The wrong hand on a four-finger slap (its first capture): the other hand's fingers
        # are where this hand's should be.
        wrong = subject.wrong_hand == code and code not in self._poor_done
        for finger, top, left in zip(fingers, tops, lefts, strict=True):
            dy, dx = (int(v) for v in rng.integers(-s.slap_jitter, s.slap_jitter + 1, 2))
            placed = ("L" if finger[0] == "R" else "R") + finger[1] if wrong else finger
            if placed in away:
                continue
            seeds, population = subject.source(placed)
            image, _ = render(
                seeds,
                placed,
                number,
                population=population,
                kind="flat",
                size=size,
            )
            if subject.condition(placed) is FingerCondition.SCARRED:
                image = platen.scar(image, self._scar_rng(subject, placed), width=s.scar_width)
            rendered.append(Rendered(placed, number, "flat", size, None))
            prints.append((finger, image, (top + dy, left + dx)))
        slap, segments = platen.compose_slap(
            prints,
            rng,
            size=(rows, cols),
            level=s.platen_level,
            noise=s.platen_noise,
            blur=s.contact_blur,
            sigma=s.contact_sigma,
            levels=s.contact_levels,
            margin=s.segment_margin,
        )
        # Missing (amputated) fingers leave a gap on the slap; the device notes it.
        annotation = f"{', '.join(missing)} not on the platen" if missing else None
        return self._placement_for(
            subject,
            code,
            "flat",
            slap if segments else None,
            (rows, cols),
            rng,
            segments=segments,
            rendered=tuple(rendered),
            annotation=annotation,
            poor=wrong,
            background=s.platen_level,
        )

    def _skin(
        self, image: np.ndarray, condition: FingerCondition | None, rng: np.random.Generator
    ) -> np.ndarray:
        """The first rolled print of a dry or wet finger."""
        s = self.settings
        if condition is FingerCondition.DRY:
            return platen.dry_skin(image, rng, coverage=s.dry_coverage)
        return platen.wet_skin(image, blur=s.wet_blur)

    @staticmethod
    def _scar_rng(subject: PlatenSubject, finger: str) -> np.random.Generator:
        """The generator of a finger's scar: the same scar on every print of the finger."""
        seeds, population = subject.source(finger)
        return np.random.default_rng([seeds, population, FINGERS.index(finger), 31])

    def _dirt_mask(self, shape: tuple[int, int]) -> np.ndarray:
        """Opacity 0..1 of the platen's smudges and dust at capture resolution (cached)."""
        shape = (int(shape[0]), int(shape[1]))
        if shape not in self._dirt:
            s = self.settings
            self._dirt[shape] = platen.dirt_mask(
                shape,
                np.random.default_rng([self.seed, *shape, 7]),
                blots=s.dirt_blots,
                specks=s.dirt_specks,
                opacity=s.dirt_opacity,
                sizes=s.dirt_sizes,
            )
        return self._dirt[shape]

    def _dirt_preview(self, shape: tuple[int, int]) -> np.ndarray:
        """The dirt mask at preview resolution (cached)."""
        key = (int(shape[0]), int(shape[1]))
        if key not in self._dirt_preview_cache:
            mask = platen.downsample(self._dirt_mask(key), self.settings.preview_scale)
            self._dirt_preview_cache[key] = mask
        return self._dirt_preview_cache[key]
