"""The generator's compiled loops against the Python and numpy code they replaced.

Each ``_reference_*`` function is the generator's former code, kept here as the
specification: the kernels must give the same results (to the last bit where numpy's
arithmetic is reproduced operation for operation; within float32 rounding for the spiral
product, whose modulus numpy takes with its own ``hypotf``).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from station.core.synth import master_print
from station.core.synth._kernels import (
    add_half_turn,
    dilate_cross,
    doubled_samples,
    far_enough,
    gaussian_blur,
    skin_samples,
    spiral_product,
    spread_points,
    streamline,
)
from station.core.synth.impression import _COARSE, _blur, _upsample
from station.core.synth.master import sample_ridge_signal
from station.core.synth.orientation import doubled_angle
from station.core.synth.pattern import SingularPoint
from station.core.synth.phase import _RENORMALISE_EVERY, spiral_field


def _reference_grid(x, y, points, theta_inf, noise):
    """orientation_field's former full grid: zero-pole model turned by the noise."""
    grid = doubled_angle(x, y, points, theta_inf)
    turn = np.empty(grid.shape, complex)
    np.cos(2 * noise, out=turn.real)
    np.sin(2 * noise, out=turn.imag)
    return grid * turn


def _reference_sample(grid, xs, ys, step):
    rows, cols = grid.shape
    fr = np.clip(np.asarray(ys, float) / step, 0, rows - 1.000001)
    fc = np.clip(np.asarray(xs, float) / step, 0, cols - 1.000001)
    r0, c0 = fr.astype(int), fc.astype(int)
    wr, wc = fr - r0, fc - c0
    return (
        grid[r0, c0] * (1 - wr) * (1 - wc)
        + grid[r0, c0 + 1] * (1 - wr) * wc
        + grid[r0 + 1, c0] * wr * (1 - wc)
        + grid[r0 + 1, c0 + 1] * wr * wc
    )


def _reference_streamline(grid, step_grid, px, py, cut, x, y, step=3.0, straight=18.0):
    """orientation's former ``_streamline``: plain floats, one step at a time."""
    x0, x1, y0, y1 = float(x[0, 0]), float(x[0, -1]), float(y[0, 0]), float(y[-1, 0])
    n_steps = int(2 * (x1 - x0 + y1 - y0) / step)
    hx, hy = float(np.cos(cut)), float(np.sin(cut))
    line = [(px, py)]
    for i in range(n_steps):
        if i * step >= straight:
            d2 = complex(_reference_sample(grid, px, py, step_grid))
            angle = 0.5 * np.arctan2(d2.imag, d2.real)
            rx, ry = float(np.cos(angle)), float(np.sin(angle))
            if rx * hx + ry * hy >= 0:
                hx, hy = rx, ry
            else:
                hx, hy = -rx, -ry
        px, py = px + step * hx, py + step * hy
        line.append((px, py))
        if not (x0 - 8 <= px <= x1 + 8 and y0 - 8 <= py <= y1 + 8):
            return np.array(line)
    return None


def _model(seed: int, shape=(40, 50), step=2.0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]].astype(float) * step
    points = [
        SingularPoint("core", *rng.uniform(20, 70, 2)),
        SingularPoint("delta", *rng.uniform(20, 70, 2)),
    ]
    noise = 0.1 * rng.standard_normal(shape)
    theta_inf = float(rng.normal(0, 0.1))
    table = np.array([(p.x, p.y, 1.0 if p.kind == "core" else 0.0) for p in points])
    return x, y, points, table, noise, theta_inf


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_doubled_samples_equal_the_full_grid_sampled(seed: int) -> None:
    x, y, points, table, noise, theta_inf = _model(seed)
    grid = _reference_grid(x, y, points, theta_inf, noise)
    rng = np.random.default_rng(seed + 10)
    xs, ys = rng.uniform(-5, 105, 200), rng.uniform(-5, 85, 200)
    got = doubled_samples(xs, ys, x, y, complex(np.exp(2j * theta_inf)), table, noise)
    np.testing.assert_allclose(got, _reference_sample(grid, xs, ys, 2.0), rtol=0, atol=1e-14)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_streamline_follows_the_python_steps(seed: int) -> None:
    x, y, points, table, noise, theta_inf = _model(seed)
    grid = _reference_grid(x, y, points, theta_inf, noise)
    start = complex(np.exp(2j * theta_inf))
    for p in points:
        for cut in (0.3, 2.0, 4.0):
            expected = _reference_streamline(grid, 2.0, p.x, p.y, cut, x, y)
            n_steps = int(2 * (x[0, -1] + y[-1, 0]) / 3.0)
            got = streamline(x, y, start, table, noise, (p.x, p.y), cut, n_steps, 3.0, 18.0)
            if expected is None:
                assert got.shape == (0, 2)
            else:
                assert got.shape == expected.shape
                np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_a_straight_streamline_by_hand() -> None:
    # No singular points and no noise: exp(2j*theta) = 1 everywhere, so the line runs along +x
    # in 3 px steps until it is more than 8 px beyond the grid (x up to 8).
    y, x = np.mgrid[0:5, 0:5].astype(float) * 2.0  # x, y in 0..8
    line = streamline(
        x, y, 1 + 0j, np.zeros((0, 3)), np.zeros((5, 5)), (4.0, 4.0), 0.0, 10, 3.0, 0.0
    )
    np.testing.assert_array_equal(line, [[4, 4], [7, 4], [10, 4], [13, 4], [16, 4], [19, 4]])


def test_far_enough_keeps_exactly_spacing() -> None:
    xs, ys = np.array([0.0, 10.0]), np.array([0.0, 0.0])
    assert far_enough(3.0, 4.0, xs, ys, 5.0)  # exactly 5 from (0, 0): allowed
    assert not far_enough(3.0, 3.9, xs, ys, 5.0)
    assert far_enough(5.0, 5.0, xs[:0], ys[:0], 100.0)  # nothing placed yet


def test_spread_points_by_hand() -> None:
    # (0, 0) is placed; candidates in order: too close, fine, too close to the last, fine, extra.
    xs = np.array([0.0, 1.0, 5.0, 6.0, 0.0, 20.0])
    ys = np.array([0.0, 0.0, 0.0, 0.0, 9.0, 0.0])
    kept = spread_points(xs, ys, 1, 3, 4.0)
    assert kept == 3
    np.testing.assert_array_equal(xs[:3], [0.0, 5.0, 0.0])
    np.testing.assert_array_equal(ys[:3], [0.0, 0.0, 9.0])


@pytest.mark.parametrize("seed", range(5))
def test_spread_points_equal_the_python_greedy_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    placed, count, spacing = 4, 30, 7.5
    xs, ys = rng.uniform(0, 100, 400), rng.uniform(0, 100, 400)
    chosen = [(xs[i], ys[i]) for i in range(placed)]
    for px, py in zip(xs[placed:], ys[placed:], strict=True):
        if len(chosen) >= count:
            break
        if all((px - qx) ** 2 + (py - qy) ** 2 >= spacing**2 for qx, qy in chosen):
            chosen.append((px, py))
    kept = spread_points(xs, ys, placed, count, spacing)
    assert kept == len(chosen)
    np.testing.assert_array_equal(np.column_stack([xs[:kept], ys[:kept]]), chosen)


def _reference_spiral_field(x, y, minutiae):
    """phase's former ``spiral_field``: numpy, 64 rows of the grid at a time."""
    z = (x + 1j * y).astype(np.complex64)
    factors = [
        (pol > 0, np.complex64(mx + 1j * my) if pol > 0 else np.complex64(mx - 1j * my))
        for mx, my, _, _, pol in minutiae
    ]
    result = np.empty(x.shape, np.complex64)
    for top in range(0, x.shape[0], 64):
        zs = z[top : top + 64]
        zc = np.conj(zs)
        field = np.ones(zs.shape, np.complex64)
        term = np.empty_like(field)
        for i, (positive, centre) in enumerate(factors):
            np.subtract(zs if positive else zc, centre, out=term)
            np.multiply(field, term, out=field)
            if i % _RENORMALISE_EVERY == _RENORMALISE_EVERY - 1:
                field /= np.maximum(np.abs(field), np.float32(1e-30))
        field /= np.maximum(np.abs(field), np.float32(1e-30))
        result[top : top + 64] = field
    return result


@pytest.mark.parametrize("count", [0, 1, 9, 25])
def test_spiral_field_equals_the_numpy_product(count: int) -> None:
    rng = np.random.default_rng(count)
    y, x = np.mgrid[0:70, 0:90].astype(float) * 2.0
    minutiae = np.column_stack(
        [
            rng.uniform(0, 180, count),
            rng.uniform(0, 140, count),
            np.zeros(count),
            np.zeros(count),
            np.where(rng.random(count) < 0.5, 1.0, -1.0),
        ]
    )
    got = spiral_field(x, y, minutiae)
    expected = _reference_spiral_field(x, y, minutiae)
    assert got.dtype == np.complex64
    # Same angle within float32 rounding, unit modulus.
    assert np.abs(np.angle(got * np.conj(expected))).max() < 2e-5
    np.testing.assert_allclose(np.abs(got), 1.0, atol=1e-6)


def test_unit_norm_is_the_library_hypotf_to_the_last_bit() -> None:
    # _unit writes float32 hypot out (float64 squares, sum, sqrt, rounded) so that it
    # vectorises; numpy's float32 hypot calls the C library's hypotf, the function the
    # kernel called before. Magnitudes from 1e-30 to 1e30, as the running product spans.
    from station.core.synth._kernels import _unit

    rng = np.random.default_rng(11)
    n = 200_000
    re = (rng.standard_normal(n) * 10.0 ** rng.uniform(-30, 30, n)).astype(np.float32)
    im = (rng.standard_normal(n) * 10.0 ** rng.uniform(-30, 30, n)).astype(np.float32)
    im[:1000] = 0.0
    re[1000:2000] = 0.0
    re[2000:2100] = im[2000:2100] = 0.0
    tiny = np.float32(1e-30)
    scale = np.float32(1.0) / np.maximum(np.hypot(re, im), tiny)
    got_re, got_im = re.copy(), im.copy()
    _unit(got_re, got_im, tiny)
    np.testing.assert_array_equal(got_re, re * scale)
    np.testing.assert_array_equal(got_im, im * scale)


def test_spiral_factor_by_hand() -> None:
    # One positive spiral at the origin: the field is (z - 0) / |z|.
    x = np.array([[3.0, 0.0]])
    y = np.array([[4.0, 2.0]])
    re, im = spiral_product(
        x.astype(np.float32),
        y.astype(np.float32),
        np.zeros(1, np.float32),
        np.zeros(1, np.float32),
        np.ones(1, bool),
        10,
    )
    np.testing.assert_allclose(re, [[0.6, 0.0]], atol=1e-7)
    np.testing.assert_allclose(im, [[0.8, 1.0]], atol=1e-7)


@pytest.mark.parametrize("shape", [(9, 13), (16, 16), (37, 21)])
def test_skin_samples_equal_upsample_then_ridge_sampling(shape: tuple[int, int]) -> None:
    master = master_print(1, "R2")
    rows, cols = shape
    n_r, n_c = -(-(rows - 1) // _COARSE) + 1, -(-(cols - 1) // _COARSE) + 1
    rng = np.random.default_rng(rows)
    coarse = np.empty((5, n_r, n_c), np.float32)
    coarse[0] = rng.uniform(-20, master.size[1] + 20, (n_r, n_c))  # master x, some off-grid
    coarse[1] = rng.uniform(-20, master.size[0] + 20, (n_r, n_c))
    coarse[2:] = rng.standard_normal((3, n_r, n_c))
    layers, ridge = skin_samples(
        coarse, rows, cols, _COARSE, *master._planes, master.psi.shape, np.float32(0.5)
    )
    fine = _upsample(coarse, shape)
    np.testing.assert_array_equal(layers, fine[2:])
    # The planes the reference samples, then its last step (cos, sin) on the kernel's output.
    from station.core.synth.master import ridge_signal

    np.testing.assert_array_equal(
        ridge_signal(*ridge.copy()), sample_ridge_signal(master, fine[0], fine[1])
    )


def _reference_expose(rng: np.random.Generator, image: np.ndarray, noise: float) -> np.ndarray:
    """impression's former ``_expose``: numpy, 64 rows at a time."""
    rows, cols = image.shape
    out = np.empty((rows, cols), np.uint8)
    buffer = np.empty((64, cols))
    for top in range(0, rows, 64):
        buf = buffer[: min(64, rows - top)]
        rng.standard_normal(out=buf)
        buf *= noise
        buf += image[top : top + len(buf)]
        np.rint(buf, out=buf)
        np.clip(buf, 0, 255, out=buf)
        out[top : top + len(buf)] = buf
    return out


@pytest.mark.parametrize(("shape", "noise"), [((750, 800), 7.3), ((130, 97), 0.4), ((5, 3), 40.0)])
def test_expose_equals_the_numpy_strips(shape: tuple[int, int], noise: float) -> None:
    from station.core.synth._kernels import expose

    image = (np.random.default_rng(3).random(shape) * 300 - 20).astype(np.float32)
    image.flat[:4] = [127.5, 128.5, 0.5, 254.5]  # ties round to even
    ours, theirs = np.random.default_rng(5), np.random.default_rng(5)
    out = np.empty(shape, np.uint8)
    expose(ours, image, noise, out)
    np.testing.assert_array_equal(out, _reference_expose(theirs, image, noise))
    # The stream is left where the numpy draws leave it.
    assert ours.bit_generator.state == theirs.bit_generator.state


def test_numbas_normal_draws_are_numpys_to_the_last_bit() -> None:
    # The premise of expose: numba's Generator.standard_normal, one draw at a time, gives
    # numpy's values. Enough draws that the ziggurat's rare branches (wedges, tail) occur.
    from numba import njit

    @njit
    def draws(rng: np.random.Generator, out: np.ndarray) -> None:
        for i in range(out.size):
            out[i] = rng.standard_normal()

    for seed in range(2):
        ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
        got = np.empty(3_000_000)
        draws(ours, got)
        expected = theirs.standard_normal(got.size)
        assert (np.abs(expected) > 3.6541528853610088).sum() > 100  # the tail was drawn
        np.testing.assert_array_equal(got, expected)
        assert ours.bit_generator.state == theirs.bit_generator.state


def test_blur_kernel_by_hand() -> None:
    # A unit impulse in the middle spreads as the outer product of the 1-D kernel.
    image = np.zeros((7, 7), np.float32)
    image[3, 3] = 1.0
    weights = np.array([0.25, 0.5, 0.25])
    out = gaussian_blur(image, weights)
    np.testing.assert_array_equal(out[2:5, 2:5], np.outer(weights, weights).astype(np.float32))
    assert out.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("shape", "sigma"), [((750, 800), 0.7), ((64, 90), 1.3), ((5, 6), 0.6), ((3, 40), 1.0)]
)
def test_blur_equals_scipy_gaussian_filter(shape: tuple[int, int], sigma: float) -> None:
    image = (np.random.default_rng(7).random(shape) * 255).astype(np.float32)
    expected = ndimage.gaussian_filter(image, sigma, truncate=3.0)
    got = _blur(image, sigma)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)


def _reference_half_turn(phi, lead, core):
    """orientation's former ``_arg_along`` tail and its caller's ``theta += ±half``."""
    turn = phi - lead
    turn -= 2 * np.pi * np.floor(turn * (1 / (2 * np.pi)))
    half = 0.5 * (lead + np.pi + (turn - np.pi))
    return half if core else -half


@pytest.mark.parametrize("core", [True, False])
def test_add_half_turn_equals_the_numpy_steps(core: bool) -> None:
    rng = np.random.default_rng(3)
    phi = rng.uniform(-np.pi, np.pi, (30, 40))
    lead = rng.uniform(-8.0, 8.0, (30, 40))
    lead[0, :4] = phi[0, :4]  # on the cut itself
    theta = rng.standard_normal((30, 40))
    expected = theta + _reference_half_turn(phi, lead, core)
    add_half_turn(theta, phi, lead, 1.0 if core else -1.0)
    np.testing.assert_array_equal(theta, expected)


def test_half_turn_by_hand() -> None:
    # phi = lead: the wrapped turn is 0, so a = lead + pi - pi = lead and theta gains lead / 2.
    theta = np.zeros((1, 3))
    phi = np.array([[0.5, 0.5, -3.0]])
    lead = np.array([[0.5, 0.5 - 2 * np.pi, 3.0]])
    add_half_turn(theta, phi, lead, 1.0)
    # second: phi - lead = 2 pi wraps to 0, a = lead; third: phi - lead = -6 wraps to 2 pi - 6.
    np.testing.assert_allclose(
        theta, [[0.25, 0.5 * (0.5 - 2 * np.pi), 0.5 * (3.0 + 2 * np.pi - 6.0)]], atol=1e-12
    )


def test_dilate_cross_by_hand() -> None:
    # One pixel grows into a diamond of city-block radius 2, cut by the image's edge.
    mask = np.zeros((5, 6), bool)
    mask[1, 1] = True
    expected = np.array(
        [
            [1, 1, 1, 0, 0, 0],
            [1, 1, 1, 1, 0, 0],
            [1, 1, 1, 0, 0, 0],
            [0, 1, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0],
        ],
        bool,
    )
    np.testing.assert_array_equal(dilate_cross(mask, 2), expected)
    assert not dilate_cross(np.zeros((3, 4), bool), 3).any()


@pytest.mark.parametrize("iterations", [1, 2, 5, 40])
@pytest.mark.parametrize(("shape", "share"), [((370, 390), 0.002), ((40, 33), 0.05), ((1, 9), 0.2)])
def test_dilate_cross_equals_ndimage(shape: tuple[int, int], share: float, iterations: int) -> None:
    rng = np.random.default_rng(iterations + shape[0])
    mask = rng.random(shape) < share
    mask[shape[0] // 2, :: max(1, shape[1] // 3)] = True  # lines and lone pixels
    expected = ndimage.binary_dilation(mask, iterations=iterations)
    np.testing.assert_array_equal(dilate_cross(mask, iterations), expected)
