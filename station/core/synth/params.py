"""Tunables of the synthetic fingerprint generator, in one place.

Distances are pixels at 500 ppi unless a name says otherwise; angles are radians.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_PARAMETERS", "FingerShape", "SynthParameters"]


@dataclass(frozen=True)
class FingerShape:
    """Size of a finger's distal pad at 500 ppi (rolled width nail to nail, pad height)."""

    width: int
    height: int


@dataclass(frozen=True)
class SynthParameters:
    """Every tunable of the generator.

    Attributes are grouped by stage: master print (class, orientation, frequency, minutiae),
    impression (placement, distortion, skin condition, sensor).
    """

    # --- master print -------------------------------------------------------------------
    #: Henry classes and their natural frequencies (%), arch, tented arch, left loop,
    #: right loop, whorl — as in the SFinGe papers (Cappelli, Maio, Maltoni) citing
    #: Wilson, Candela, Watson (1993).
    class_frequencies: tuple[tuple[str, float], ...] = (
        ("arch", 3.7),
        ("tented_arch", 2.9),
        ("left_loop", 33.8),
        ("right_loop", 31.7),
        ("whorl", 27.9),
    )
    #: Pad size per finger number (1 thumb … 5 little), before a per-subject scale.
    finger_shapes: dict[int, FingerShape] = field(
        default_factory=lambda: {
            1: FingerShape(width=700, height=660),
            2: FingerShape(width=590, height=610),
            3: FingerShape(width=610, height=630),
            4: FingerShape(width=570, height=600),
            5: FingerShape(width=480, height=520),
        }
    )
    #: Per-subject multiplicative size variation (uniform in ±this).
    size_jitter: float = 0.07
    #: Grid step of the master's phase fields (px). Phase is smooth, so half resolution
    #: is enough and keeps a master cheap; minutiae positions stay sub-pixel exact.
    master_step: int = 2
    #: Ridge period range (px) at 500 ppi; about 8–11 px in adult fingers.
    period_range: tuple[float, float] = (8.2, 10.8)
    #: Ridges are slightly denser near the core: period factor at the core.
    core_period_factor: float = 0.9
    #: Smooth random perturbation of the orientation field (rad, standard deviation).
    orientation_noise: float = 0.12
    #: Correlation length of the smooth random fields (px).
    noise_scale: float = 90.0
    #: Minutiae per rolled print (uniform range); real rolled prints carry roughly 40–100.
    minutiae_range: tuple[int, int] = (45, 95)
    #: Minimum spacing between two minutiae, in ridge periods.
    minutiae_spacing: float = 1.7
    #: Minutiae are kept this far inside the pad outline (px).
    minutiae_margin: float = 14.0
    #: Share of bifurcations among minutiae (endings and bifurcations are about equally common).
    bifurcation_share: float = 0.45
    #: Passes of the type-control correction (see ``phase.place_minutiae``).
    type_passes: int = 3

    # --- impression ---------------------------------------------------------------------
    #: Output size (rows, cols) of a rolled and a flat impression.
    rolled_size: tuple[int, int] = (750, 800)
    flat_size: tuple[int, int] = (512, 512)
    #: Largest absolute rotation of an impression (rad): ±25°.
    max_rotation: float = 0.436
    #: Rotation standard deviation for rolled prints (they are guided by the operator).
    rolled_rotation_sd: float = 0.06
    #: Standard deviation of a flat impression's rotation (rad), clipped to ``max_rotation``.
    flat_rotation_sd: float = 0.2
    #: Translation standard deviation (px).
    translation_sd: float = 22.0
    #: Non-linear skin distortion: largest displacement (px) at the pad's edge; the contact
    #: centre stays rigid (Cappelli, Maio, Maltoni, "Modelling plastic distortion in
    #: fingerprint images", ICAPR 2001).
    distortion_max: float = 12.0
    #: Radius (px) of the rigid contact core of the distortion model.
    distortion_core: float = 90.0
    #: Flat contact ellipse semi-axes as a share of the pad (width, height).
    flat_contact: tuple[float, float] = (0.56, 0.62)
    #: Sensor noise standard deviation (grey levels).
    sensor_noise: float = 7.0
    #: Optical blur (px, Gaussian sigma).
    blur_sigma: float = 0.7
    #: Largest allowed output side (px) for a caller-chosen size, and the smallest.
    max_side: int = 2048
    min_side: int = 64


DEFAULT_PARAMETERS = SynthParameters()
