"""The ``station`` command.

``station`` alone opens the booking window (``station --offscreen-shot DIR`` saves pictures
of its pages instead). Every subcommand calls the same core as the GUI and exits
non-zero with one readable line on bad input.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]

log = logging.getLogger("station")


class CommandError(Exception):
    """A failure to report to the user as one line, with exit code 2."""


def _size(text: str) -> tuple[int, int]:
    try:
        rows, cols = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size must be ROWSxCOLS, e.g. 300x300, got {text!r}"
        ) from None
    return rows, cols


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="station",
        description="Booking Station: a live-scan fingerprint booking station emulator.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    parser.add_argument(
        "--offscreen-shot",
        type=Path,
        metavar="DIR",
        help="book a subject in an offscreen 1366x768 window, on a temporary gallery of its "
        "own, and save a picture of every page to DIR",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    synth = sub.add_parser(
        "synth",
        help="render synthetic prints with ground truth",
        description="Render one synthetic impression (-o), a contact sheet (--sheet), "
        "or time the generator (--bench).",
    )
    synth.add_argument("--subject", type=int, default=0, help="subject number (default 0)")
    synth.add_argument("--finger", default="R2", help="finger code R1..R5, L1..L5 (default R2)")
    synth.add_argument("--impression", type=int, default=0, help="impression number (default 0)")
    synth.add_argument("--population", type=int, default=None, help="population seed")
    kind = synth.add_mutually_exclusive_group()
    kind.add_argument("--rolled", dest="kind", action="store_const", const="rolled")
    kind.add_argument("--flat", dest="kind", action="store_const", const="flat")
    synth.set_defaults(kind="rolled")
    synth.add_argument("--size", type=_size, help="output ROWSxCOLS, e.g. 300x300")
    synth.add_argument("--degradation", type=float, help="0 clean … 1 badly degraded")
    synth.add_argument("-o", "--output", type=Path, help="image file to write (PNG, TIFF, BMP)")
    synth.add_argument("--truth", type=Path, help="JSON file for the ground-truth minutiae")
    synth.add_argument("--sheet", type=Path, help="write a contact sheet PNG instead")
    synth.add_argument("--demographics", action="store_true", help="print the subject's data")
    synth.add_argument("--bench", action="store_true", help="time 512x512 impressions")
    synth.add_argument("--count", type=int, default=40, help="impressions to time (--bench)")
    extract = sub.add_parser(
        "extract",
        help="extract minutiae and quality from a print",
        description="Extract a template from an image file (PNG, TIFF, BMP, JPEG, PGM), "
        "or benchmark the extractor on synthetic prints (--bench).",
    )
    extract.add_argument("image", nargs="?", type=Path, help="fingerprint image file")
    extract.add_argument("--dpi", type=int, default=500, help="image resolution (default 500)")
    extract.add_argument("--json", action="store_true", help="print the template as JSON")
    extract.add_argument("--overlay", type=Path, help="write the minutiae drawn on the print")
    extract.add_argument("--template", type=Path, help="write the binary template")
    extract.add_argument(
        "--bench", action="store_true", help="accuracy and speed on synthetic prints"
    )
    extract.add_argument("--count", type=int, default=200, help="prints for --bench (default 200)")
    bench = sub.add_parser(
        "bench",
        help="benchmark the matcher: verification, identification, calibration",
        description="Verification (FVC protocol) on a synthetic set or an FVC-style folder, "
        "tenprint identification over synthetic galleries; prints a table, writes plots "
        "and optionally JSON.",
    )
    bench.add_argument("--fingers", type=int, default=100, help="synthetic fingers (100)")
    bench.add_argument("--impressions", type=int, default=8, help="impressions per finger (8)")
    bench.add_argument("--fvc", type=Path, help="folder of <finger>_<impression>.tif|bmp|png")
    bench.add_argument(
        "--galleries",
        default="1000,10000",
        help="identification gallery sizes, comma-separated (default 1000,10000)",
    )
    bench.add_argument("--probes", type=int, default=200, help="tenprint probes (200)")
    bench.add_argument(
        "--extracted",
        type=int,
        default=1000,
        help="gallery subjects made from extracted prints; larger galleries are filled with "
        "perturbed ground-truth templates (default 1000)",
    )
    bench.add_argument(
        "--only",
        choices=("verification", "identification", "fvc", "booking", "startup", "concurrency"),
        help="run one part only",
    )
    bench.add_argument(
        "--calibrate",
        action="store_true",
        help="re-measure the score-to-FMR table shipped with the matcher",
    )
    bench.add_argument("--json", type=Path, dest="json_out", help="write the figures as JSON")
    bench.add_argument("--plots", type=Path, default=Path("bench-out"), help="plot folder")
    bench.add_argument("--no-plots", action="store_true", help="draw no plots")
    bench.add_argument(
        "--cache", type=Path, default=Path("db/bench-cache"), help="template cache folder"
    )
    bench.add_argument("--no-cache", action="store_true", help="render and extract afresh")
    bench.add_argument("--gallery", type=Path, help="--only booking: the seeded gallery")
    bench.add_argument("--population", type=int, default=None, help="population seed")
    bench.add_argument(
        "--bookings",
        type=int,
        default=200,
        help="--only booking: mated bookings (default 200; 5x as many non-mated)",
    )
    bench.add_argument(
        "--seconds",
        type=float,
        default=60.0,
        help="--only concurrency: how long two stations book into one gallery (default 60)",
    )

    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--gallery",
        type=Path,
        help="gallery file (default from settings: gallery.sqlite in the data folder)",
    )
    seed = sub.add_parser(
        "seed",
        parents=[where],
        help="build the gallery from the synthetic population",
        description="Enrol synthetic subjects: ten rolled prints each, rendered and extracted "
        "in parallel on all cores. Interrupt it at any time; running it again resumes.",
    )
    seed.add_argument("--subjects", type=int, required=True, help="subjects to enrol")
    seed.add_argument("--population", type=int, default=None, help="population seed")
    seed.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    book = sub.add_parser(
        "book",
        parents=[where],
        help="run a whole booking headless and print the response as JSON",
        description="Book a synthetic subject on the mock scanner (--subject K; fresh "
        "impressions, not the enrolled ones) or from image files named by finger code "
        "(--prints DIR --demographics FILE.json). Prints the response as JSON.",
    )
    who = book.add_mutually_exclusive_group(required=True)
    who.add_argument("--subject", type=int, help="synthetic subject number")
    who.add_argument("--prints", type=Path, help="folder of R1.png … L5.png (and RS, LS, TS)")
    book.add_argument("--demographics", type=Path, help="JSON file (with --prints)")
    book.add_argument("--population", type=int, default=None, help="population seed")
    book.add_argument("--no-slaps", action="store_true", help="rolled prints only")
    book.add_argument(
        "--scenario",
        choices=("swapped", "poor-finger", "amputated"),
        help="book the subject with swapped R2/R3, a poor R2, or an amputated L4",
    )
    book.add_argument("--device-seed", type=int, default=0, help="mock scanner seed (0)")
    gallery = sub.add_parser(
        "gallery",
        parents=[where],
        help="inspect the gallery: stats, check, verify, export, purge",
        description="stats: counts as JSON; check: integrity check, templates, images and "
        "the tamper-evident chain (exit 1 on damage); verify: the chain only, naming the "
        "first row changed, removed or inserted outside the station (exit 1); export DIR: "
        "JSON and PNG files (0600, confined to DIR); purge --older-than DAYS [--dry-run]: "
        "retention.",
    )
    gallery.add_argument("action", choices=("stats", "check", "verify", "export", "purge"))
    gallery.add_argument("out", nargs="?", type=Path, help="export folder (new or empty)")
    gallery.add_argument("--quick", action="store_true", help="check: skip decoding images")
    gallery.add_argument(
        "--older-than",
        type=float,
        metavar="DAYS",
        help="purge: remove closed bookings (decided, enrolled, cancelled, error) last changed "
        "more than DAYS days ago, with their captures, responses, decisions and audit "
        "entries; enrolled subjects' gallery prints are kept",
    )
    gallery.add_argument(
        "--dry-run", action="store_true", help="purge: say what would be removed, write nothing"
    )
    return parser


def _population(args: argparse.Namespace) -> int:
    if args.population is not None:
        return args.population
    from .settings import get_settings

    return get_settings().synth.population


def _cmd_synth(args: argparse.Namespace) -> int:
    from .core import image as imageio
    from .core import synth
    from .core.synth.population import demographics

    population = _population(args)
    if args.bench:
        from .benchmark.synthesis import format_synthesis, synthesis_bench

        if args.count < 1:
            raise CommandError("--count must be at least 1")
        print(format_synthesis(synthesis_bench(args.count, population=population)))
        return 0
    if args.sheet:
        from .core.synth.sheet import contact_sheet

        imageio.save(args.sheet, contact_sheet(population=population))
        print(f"wrote {args.sheet}")
        return 0
    if args.demographics:
        data = demographics(args.subject, population=population).as_dict()
        print(json.dumps(data, indent=2))
        if not args.output:
            return 0
    if not args.output:
        raise CommandError("say where to write the print with -o FILE (or use --sheet FILE)")
    image, truth = synth.impression(
        args.subject,
        args.finger,
        args.impression,
        population=population,
        kind=args.kind,
        size=args.size,
        degradation=args.degradation,
    )
    imageio.save(args.output, image)
    if args.truth:
        record = {
            "population": population,
            "subject": args.subject,
            "finger": args.finger.upper(),
            "impression": args.impression,
            "kind": args.kind,
            "width": int(image.shape[1]),
            "height": int(image.shape[0]),
            "dpi": 500,
            "angle_convention": "radians from +x toward +y (y down); ending: along the ridge, "
            "bifurcation: along the valley between the branches",
            "minutiae": [
                {
                    "x": round(m.x, 2),
                    "y": round(m.y, 2),
                    "angle": round(m.angle, 4),
                    "type": "bifurcation" if m.type else "ending",
                }
                for m in truth
            ],
        }
        args.truth.parent.mkdir(parents=True, exist_ok=True)
        args.truth.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.output} ({image.shape[1]}x{image.shape[0]}, {len(truth)} minutiae)")
    return 0


def _cmd_extract(args: argparse.Namespace) -> int:
    from .core import image as imageio
    from .core.extract import extract
    from .core.overlay import draw_overlay

    if args.bench:
        from .benchmark.extraction import extraction_bench, format_extraction

        if args.count < 2:
            raise CommandError("--count must be at least 2")
        print(format_extraction(extraction_bench(args.count)))
        return 0
    if args.image is None:
        raise CommandError("name an image file to extract (or use --bench)")
    image = imageio.load(args.image)
    stages: dict[str, object] = {}
    template = extract(image, dpi=args.dpi, trace=stages.__setitem__)
    if args.overlay:  # draw on the extractor's own input (rescaled to 500 ppi)
        grey = stages["input"]
        imageio.save(args.overlay, draw_overlay(grey.round().astype("uint8"), template))
    if args.template:
        args.template.write_bytes(template.to_bytes())
    if args.json:
        print(template.to_json())
    else:
        endings = int((template.minutiae[:, 3] == 0).sum())
        cores = int((template.singular_points[:, 2] > 0).sum())
        deltas = len(template.singular_points) - cores
        print(
            f"{args.image}: {len(template)} minutiae ({endings} endings, "
            f"{len(template) - endings} bifurcations), {cores} core(s), {deltas} delta(s), "
            f"quality {template.quality} (level {template.level}, {template.reason})"
        )
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from .benchmark.plots import PlotsUnavailableError
    from .benchmark.run import BenchOptions, run

    try:
        galleries = tuple(sorted({int(v) for v in args.galleries.split(",") if v.strip()}))
    except ValueError:
        raise CommandError(
            f"--galleries must be numbers like 1000,10000, got {args.galleries!r}"
        ) from None
    if not galleries or min(galleries) < 2:
        raise CommandError("--galleries needs sizes of at least 2 subjects")
    if args.fingers < 2 or args.impressions < 2 or args.probes < 1 or args.extracted < 1:
        raise CommandError(
            "--fingers and --impressions must be >= 2, --probes and --extracted >= 1"
        )
    if args.bookings < 1:
        raise CommandError("--bookings must be at least 1")
    if not 0 < args.seconds <= 86_400:
        raise CommandError("--seconds must be more than 0 and at most 86400")
    if args.only == "fvc" and args.fvc is None:
        raise CommandError("--only fvc needs --fvc DIR")
    only = args.only or ("fvc" if args.fvc is not None else None)  # --fvc alone: that folder
    gallery = _gallery_path(args)
    if only == "booking" and not gallery.exists():
        raise CommandError(f"no gallery at {gallery}: seed one first (station seed --subjects N)")
    opts = BenchOptions(
        fingers=args.fingers,
        impressions=args.impressions,
        fvc=args.fvc if only in (None, "fvc") else None,
        galleries=galleries,
        probes=args.probes,
        extracted=args.extracted,
        verification=only in (None, "verification"),
        identification=only in (None, "identification"),
        booking=only == "booking",
        startup=only == "startup",
        concurrency=only == "concurrency",
        seconds=args.seconds,
        gallery=gallery,
        bookings=args.bookings,
        population=_population(args),
        calibrate=args.calibrate,
        json_out=args.json_out,
        plots=None if args.no_plots else args.plots,
        cache=None if args.no_cache else args.cache,
    )
    try:
        return run(opts)
    except PlotsUnavailableError as exc:
        raise CommandError(f"{exc} (or pass --no-plots)") from None


def _gallery_path(args: argparse.Namespace) -> Path:
    if getattr(args, "gallery", None) is not None:
        return args.gallery
    from .settings import get_settings

    return get_settings().paths.gallery_file


class _Progress:
    """A one-line progress bar on stderr (only when stderr is a terminal, else log lines)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.start = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.tenth = -1

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - self.last < 0.5 and done < total:
            return
        self.last = now
        elapsed = now - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        width = 30
        filled = int(width * done / total) if total else width
        line = f"{self.what} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        if 0 < done < total and rate > 0:
            line += (
                f"  ETA {int((total - done) / rate) // 60}m{int((total - done) / rate) % 60:02d}s"
            )
        if self.tty:
            print("\r" + line, end="\n" if done >= total else "", file=sys.stderr, flush=True)
        elif done >= total or done * 10 // max(total, 1) != self.tenth:
            self.tenth = done * 10 // max(total, 1)
            print(line, file=sys.stderr, flush=True)


def _cmd_seed(args: argparse.Namespace) -> int:
    from .service import load_index, seed

    path = _gallery_path(args)
    population = _population(args)
    if args.subjects < 1:
        raise CommandError("--subjects must be at least 1")
    start = time.perf_counter()
    report = seed(
        path,
        args.subjects,
        population=population,
        workers=args.workers,
        progress=_Progress("seeding"),
    )
    index = load_index(path)
    total = time.perf_counter() - start
    print(
        f"{path}: {report.enrolled} subjects enrolled now ({report.prints} rolled prints, "
        f"rendered and extracted), {report.already} already there; "
        f"{len(index)} subjects searchable"
    )
    if report.enrolled:
        print(
            f"seeding took {report.seconds:.1f} s ({report.prints_per_second:.1f} prints/s, "
            f"{report.seconds / report.enrolled:.2f} s per subject); with the search index "
            f"{total:.1f} s"
        )
    return 0


def _service(path: Path, gallery):
    from .service import BookingService, load_index
    from .settings import get_settings

    settings = get_settings()
    return BookingService(
        gallery,
        index=load_index(gallery),
        policy=settings.disposition,
        station_id=settings.station.station_id,
        operator=settings.station.operator,
    )


def _cmd_book(args: argparse.Namespace) -> int:
    from .core.vocabulary import Disposition
    from .gallery import open_gallery
    from .scanner.scenarios import PlatenSubject
    from .service.drive import book_files, book_synthetic

    path = _gallery_path(args)
    if args.prints is not None and args.demographics is None:
        raise CommandError("--prints needs --demographics FILE.json")
    if args.subject is not None and args.subject < 0:
        raise CommandError("--subject must be 0 or more")
    if not path.exists():
        raise CommandError(
            f"no gallery at {path}: build one with 'station seed --subjects 200' "
            "(or name one with --gallery)"
        )
    with open_gallery(path, create=False) as gallery:
        service = _service(path, gallery)
        if args.prints is not None:
            report = book_files(service, args.prints, args.demographics)
        else:
            population = _population(args)
            platen = None
            if args.scenario:
                platen = PlatenSubject.scenario(args.scenario, args.subject, population)
            report = book_synthetic(
                service,
                args.subject,
                population=population,
                slaps=not args.no_slaps,
                device_seed=args.device_seed,
                platen=platen,
            )
    print(json.dumps(report.to_json(), indent=2))
    return 1 if report.disposition is Disposition.ERROR else 0


def _cmd_gallery(args: argparse.Namespace) -> int:
    from .gallery import open_gallery

    path = _gallery_path(args)
    if not path.exists():
        raise CommandError(f"no gallery at {path}")
    if args.action == "export" and args.out is None:
        raise CommandError("say where to export: station gallery export DIR")
    if args.action == "purge":
        return _purge(path, args)
    readonly = args.action != "check"
    with open_gallery(path, create=False, readonly=readonly) as gallery:
        if args.action == "stats":
            print(json.dumps(gallery.stats(), indent=2))
            return 0
        if args.action == "export":
            out = gallery.export(args.out)
            print(f"exported {path} to {out}")
            return 0
        if args.action == "verify":
            report = gallery.verify()
            if report.problem is not None:
                print(f"{path}: {report.problem.message}")
                return 1
            print(f"{path}: ok: {report.rows} rows verified ({report.entries} chain entries)")
            return 0
        problems = gallery.check(images=not args.quick)
    if problems:
        for line in problems:
            print(f"{path}: {line}")
        return 1
    print(
        f"{path}: ok (integrity, foreign keys, templates{'' if args.quick else ', images'}, chain)"
    )
    return 0


def _purge(path: Path, args: argparse.Namespace) -> int:
    from .gallery import open_gallery
    from .settings import get_settings

    if args.older_than is None:
        raise CommandError("say how old: station gallery purge --older-than DAYS")
    if not 0 <= args.older_than < 1e6:
        raise CommandError(f"--older-than must be 0 or more days, got {args.older_than:g}")
    actor = get_settings().station.operator
    with open_gallery(path, create=False, readonly=args.dry_run) as gallery:
        report = gallery.purge(args.older_than, actor=actor, dry_run=args.dry_run)
    verb = "would purge" if report.dry_run else "purged"
    print(
        f"{path}: {verb} {report.bookings} closed booking(s) last changed before "
        f"{report.cutoff} ({report.booking_prints} captures, {report.images} images, "
        f"{report.responses} responses, {report.decisions} decisions, {report.audit} audit "
        f"entries); {report.prints_kept} enrolled gallery print(s) kept"
    )
    return 0


def _open_window(args: argparse.Namespace) -> int:
    """``station`` alone opens the booking window; ``--offscreen-shot DIR`` takes pictures."""
    if args.offscreen_shot is not None:
        import os

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from .gui.demo import offscreen_shots

        try:
            paths = offscreen_shots(args.offscreen_shot)
        except (OSError, TimeoutError) as exc:
            print(f"station: error: {exc}", file=sys.stderr)
            return 2
        for path in paths:
            print(f"wrote {path}")
        return 0
    from .gui import run

    return run(sys.argv[:1])


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``station`` command; returns the exit code."""
    from .gallery.errors import GalleryError
    from .scanner.base import ScannerError

    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if args.command is None:
        return _open_window(args)
    try:
        commands = {
            "synth": _cmd_synth,
            "extract": _cmd_extract,
            "bench": _cmd_bench,
            "seed": _cmd_seed,
            "book": _cmd_book,
            "gallery": _cmd_gallery,
        }
        return commands[args.command](args)
    except (CommandError, ValueError, OSError, GalleryError, ScannerError) as exc:
        print(f"station: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("station: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
