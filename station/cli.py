"""The ``station`` command.

``station`` alone opens the booking window (``station --offscreen-shot DIR`` saves pictures
of its pages instead). Every subcommand calls the same core as the GUI and exits
non-zero with one readable line on bad input.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .core.template import Template
    from .gallery import Gallery
    from .interchange.iso import FingerView
    from .training import Scenario

__all__ = ["main"]

log = logging.getLogger("station")


#: Environment variable holding the signed-in user's password (``--user``).
PASSWORD_ENV = "STATION_PASSWORD"
#: Environment variable holding a new password (``station user add|passwd``).
NEW_PASSWORD_ENV = "STATION_NEW_PASSWORD"


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
    parser.add_argument(
        "--record",
        type=Path,
        metavar="FILE.py",
        help="open the window recording: the bookings are written to FILE.py as a test of "
        "the station's test kit (python -m pytest FILE.py replays them)",
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
    extract.add_argument(
        "--dpi",
        type=int,
        default=None,
        help="image resolution, 250-2000 (default: as the file records it, else 500)",
    )
    extract.add_argument("--json", action="store_true", help="print the template as JSON")
    extract.add_argument("--overlay", type=Path, help="write the minutiae drawn on the print")
    extract.add_argument("--template", type=Path, help="write the binary template")
    extract.add_argument(
        "--iso", type=Path, metavar="OUT", help="write an ISO/IEC 19794-2:2005 minutiae record"
    )
    extract.add_argument(
        "--incits", type=Path, metavar="OUT", help="write an ANSI INCITS 378-2004 minutiae record"
    )
    extract.add_argument(
        "--template-in",
        type=Path,
        metavar="FILE",
        help="read a template instead of an image: ISO 19794-2, INCITS 378 or the station's own",
    )
    extract.add_argument("--finger", help="finger code written in --iso/--incits (default unknown)")
    extract.add_argument(
        "--impression",
        choices=["flat", "rolled"],
        default="flat",
        help="impression written in --iso/--incits (live-scan; default flat)",
    )
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
        choices=(
            "verification",
            "identification",
            "fvc",
            "booking",
            "startup",
            "concurrency",
            "crash",
            "robustness",
            "wsq",
            "ebts",
            "seeding",
            "search",
            "sharded",
            "sensors",
        ),
        help="run one part only",
    )
    bench.add_argument(
        "--sensor-fingers",
        type=int,
        default=30,
        help="--only sensors: fingers per modelled sensor, each with --impressions touches "
        "(default 30)",
    )
    bench.add_argument(
        "--subjects",
        type=int,
        default=100_000,
        dest="search_subjects",
        help="--only search/sharded: gallery subjects; beyond --extracted they are labelled "
        "stand-ins made from real templates (default 100000)",
    )
    bench.add_argument(
        "--ivf",
        metavar="NLIST:NPROBE,...",
        default="",
        help="--only search: also measure an inverted-file first stage with these settings, "
        "e.g. 256:8,256:16 (cells trained by k-means, cells a probe visits)",
    )
    bench.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="--only sharded: a running Dask scheduler (tcp://host:8786) instead of a LocalCluster",
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
    bench.add_argument(
        "--wsq",
        action="store_true",
        help="verification: compress every print with WSQ (0.75 bpp) and decompress it "
        "before extraction",
    )
    bench.add_argument(
        "--all-pairs",
        action="store_true",
        help="verification: impostors are every pair of prints of different fingers, not "
        "the first impressions only",
    )
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
    bench.add_argument(
        "--kills", type=int, default=30, help="--only crash: kill -9 count (default 30)"
    )
    bench.add_argument(
        "--seed-subjects",
        type=int,
        default=10,
        help="seeding: subjects seeded into a temporary gallery to time (default 10)",
    )
    bench.add_argument(
        "--fuzz",
        type=int,
        default=100,
        help="--only robustness: random cases per importer besides the hand-made ones (100)",
    )

    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--gallery",
        type=Path,
        help="gallery file (default from settings: gallery.sqlite in the data folder)",
    )
    where.add_argument(
        "--user",
        metavar="NAME",
        help=f"sign in as NAME (once the gallery has accounts); password from ${PASSWORD_ENV} "
        "or a prompt",
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
    who.add_argument(
        "--ebts", type=Path, metavar="FILE", help="ANSI/NIST-ITL file (Type-4 or Type-14 fingers)"
    )
    book.add_argument(
        "--demographics", type=Path, help="JSON file (with --prints; with --ebts: its names)"
    )
    book.add_argument(
        "--jms",
        metavar="NUMBER",
        help="jail management system booking: its demographics and arrest data (charges, "
        "race, OCA, ORI, date of arrest) are booked",
    )
    book.add_argument("--eft", type=Path, metavar="OUT", help="write the booking's CAR/CNA file")
    book.add_argument(
        "--response-eft", type=Path, metavar="OUT", help="write the booking's SRE or ERRT file"
    )
    book.add_argument("--population", type=int, default=None, help="population seed")
    book.add_argument("--no-slaps", action="store_true", help="rolled prints only")
    book.add_argument(
        "--scenario",
        choices=("swapped", "poor-finger", "amputated"),
        help="book the subject with swapped R2/R3, a poor R2, or an amputated L4",
    )
    book.add_argument("--device-seed", type=int, default=0, help="mock scanner seed (0)")
    book.add_argument(
        "--no-wait",
        action="store_true",
        help="send to the agencies but do not wait: 'systems' shows what is pending",
    )
    _agency_options(book)
    gallery = sub.add_parser(
        "gallery",
        parents=[where],
        help="inspect the gallery: stats, check, verify, export, purge, migrate-images",
        description="stats: counts as JSON; check: integrity check, templates, images and "
        "the tamper-evident chain (exit 1 on damage); verify: the chain only, naming the "
        "first row changed, removed or inserted outside the station (exit 1); export DIR: "
        "JSON and PNG files (0600, confined to DIR); purge --older-than DAYS [--dry-run]: "
        "retention; migrate-images: convert PNG print images to WSQ in batches (one "
        "transaction each; resumable).",
    )
    gallery.add_argument(
        "action", choices=("stats", "check", "verify", "export", "purge", "migrate-images")
    )
    gallery.add_argument("out", nargs="?", type=Path, help="export folder (new or empty)")
    gallery.add_argument("--quick", action="store_true", help="check: skip decoding images")
    gallery.add_argument(
        "--batch", type=int, default=200, help="migrate-images: images per transaction (200)"
    )
    gallery.add_argument(
        "--stale-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="check: also list bookings left open or submitted and idle this long, as "
        "'stale:' lines that do not change the exit code (default 600)",
    )
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

    user = sub.add_parser(
        "user",
        help="operator accounts: add, list, passwd, unlock, disable, roles (administrator)",
        description="Manage operator accounts (an administrator signs in with --user). In a "
        "gallery with no accounts, 'user add NAME' creates the first administrator. New "
        f"passwords come from ${NEW_PASSWORD_ENV} or a prompt.",
    )
    actions = user.add_subparsers(dest="user_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", parents=[where], help="add an account")
    add.add_argument("name", help="user name (letters, digits, . _ @ -)")
    add.add_argument(
        "--roles",
        default="",
        help="comma-separated: officer, examiner, instructor, trainee, administrator",
    )
    add.add_argument("--display-name", help="name shown in the station (default: NAME)")
    actions.add_parser("list", parents=[where], help="list the accounts")
    for action, text in (
        ("passwd", "set a new password (also unlocks)"),
        ("unlock", "clear failed sign-ins and the lock"),
        ("disable", "stop an account from signing in"),
    ):
        actions.add_parser(action, parents=[where], help=text).add_argument("name")
    roles = actions.add_parser("roles", parents=[where], help="replace an account's roles")
    roles.add_argument("name")
    roles.add_argument("roles", help="comma-separated roles")
    booking = sub.add_parser(
        "booking",
        parents=[where],
        help="bookings left unfinished: list, resume or close them",
        description="list: recent bookings (--stale: only those left open or submitted and "
        "idle --older-than SECONDS, default 600); resume TCN: submit a submitted booking "
        "again, or an open one whose fingers are all captured (--submit: even with fingers "
        "missing), and print the response as JSON; close TCN --reason TEXT: cancel it "
        "(audited).",
    )
    booking.add_argument("action", choices=("list", "resume", "close"))
    booking.add_argument("tcn", nargs="?", help="the booking's TCN (resume, close)")
    booking.add_argument("--stale", action="store_true", help="list: unfinished ones only")
    booking.add_argument(
        "--older-than", type=float, default=None, metavar="SECONDS", help="idle at least (600)"
    )
    booking.add_argument("--submit", action="store_true", help="resume: submit even if open")
    booking.add_argument("--reason", help="close: why (required, written to the audit trail)")
    agencies = sub.add_parser(
        "agencies",
        parents=[where],
        help="Secure Communities messages: show, pump, resubmit; the flow diagram",
        description="show TCN: the booking's messages to the state bureau, NGI, IDENT and "
        "LESC as JSON (every one, resubmitted ones too); pump: answer every message that is "
        "due (any station on the gallery may); resubmit TCN SYSTEM: send SYSTEM the booking "
        "again after an error or a time-out, wait for its answer (unless --no-wait) and print "
        "the booking's systems as JSON; diagram: draw the flow from the code's own states "
        "to --out (default assets/secure_communities_flow.png).",
    )
    agencies.add_argument("action", choices=("show", "pump", "resubmit", "diagram"))
    agencies.add_argument("tcn", nargs="?", help="the booking's TCN (show, resubmit)")
    agencies.add_argument("system", nargs="?", help="resubmit: STATE, NGI, IDENT or LESC")
    agencies.add_argument("--no-wait", action="store_true", help="resubmit: do not wait")
    agencies.add_argument("--out", type=Path, help="diagram: the PNG to write")
    _agency_options(agencies)
    ebts = sub.add_parser(
        "ebts",
        help="ANSI/NIST-ITL (EBTS) transaction files",
        description="show FILE: every record of an ANSI/NIST-ITL transaction with its fields; "
        "images summarised (compression, bytes, width x height, ppi), never dumped.",
    )
    ebts_sub = ebts.add_subparsers(dest="ebts_command", metavar="ACTION", required=True)
    ebts_show = ebts_sub.add_parser("show", help="list a transaction's records and fields")
    ebts_show.add_argument("file", type=Path, help="transaction file (.an2, .eft, .nist)")
    ebts_show.add_argument("--json", action="store_true", help="print JSON for scripts")
    ebts_export = ebts_sub.add_parser(
        "export",
        parents=[where],
        help="write a submitted booking's CAR/CNA transaction (or its SRE/ERRT)",
    )
    ebts_export.add_argument("booking", help="booking id or TCN")
    ebts_export.add_argument("-o", "--out", type=Path, required=True, help="file to write")
    ebts_export.add_argument(
        "--response", action="store_true", help="write the SRE or ERRT instead"
    )
    jms = sub.add_parser(
        "jms",
        help="the jail management system's bookings ([paths] jms, or the shipped synthetic one)",
        description="list: booking numbers with name, date of arrest, charges and level; "
        "show NUMBER: one booking's demographics and arrest data as JSON.",
    )
    jms.add_argument("action", choices=("list", "show"))
    jms.add_argument("number", nargs="?", help="show: the JMS booking number")

    train = sub.add_parser(
        "train",
        help="training: list the scenarios, or play a scripted trainee and print the score",
        description="scenarios: the training scenarios (library and --scenarios DIR): id and "
        "title; --briefs adds the instructor's brief (instructors only once the gallery has "
        "accounts: give --gallery and --user). run SCENARIO --actions FILE.json: book the "
        "scenario on the mock scanner playing the trainee's scripted actions, store the "
        "scored run in the gallery and print the score (trainee or instructor accounts). "
        "report CLASS -o DIR: write the class's HTML report, one page for the class and one "
        "per trainee (instructors).",
    )
    train.add_argument("action", choices=("scenarios", "run", "report"))
    train.add_argument("scenario", nargs="?", help="run: the scenario's id; report: the class")
    train.add_argument(
        "-o", "--output", type=Path, metavar="DIR", help="report: folder for the HTML pages"
    )
    train.add_argument("--actions", type=Path, metavar="FILE", help="run: the action file")
    train.add_argument(
        "--scenarios",
        type=Path,
        metavar="DIR",
        help="more scenario files (settings: [training] scenarios)",
    )
    train.add_argument("--gallery", type=Path, help="gallery file (default from settings)")
    train.add_argument("--user", metavar="NAME", help=f"sign in (password from ${PASSWORD_ENV})")
    train.add_argument("--trainee", help="run: score in this trainee's name (instructors)")
    train.add_argument("--briefs", action="store_true", help="scenarios: show the briefs")
    train.add_argument("--device-seed", type=int, default=0, help="run: mock scanner seed")
    train.add_argument("--json", action="store_true", help="print JSON for scripts")
    demo = sub.add_parser(
        "demo",
        help="demo mode: the window plays training scenarios by itself, with captions",
        description="Open the window on a throw-away gallery (4 seeded subjects, or a copy of "
        "--gallery) signed in as a 'demo' account, and play each scenario's right actions "
        "through the window at a watchable pace, a caption bar saying what happens and why. "
        "Any key or click hands the station back to a person. Prints the memory (RSS) at the "
        "start and end and the bookings played.",
    )
    demo.add_argument("scenario", nargs="*", help="scenario ids (default: a sample of the library)")
    demo.add_argument(
        "--pace", type=float, default=2.0, metavar="SECONDS", help="seconds per step (2)"
    )
    demo.add_argument("--loop", action="store_true", help="play the scenarios again and again")
    demo.add_argument(
        "--duration",
        type=float,
        metavar="SECONDS",
        help="stop starting bookings after this long, then close (implies --loop)",
    )
    demo.add_argument("--gallery", type=Path, help="copy this gallery (read only) for the demo")
    demo.add_argument("--scenarios", type=Path, metavar="DIR", help="more scenario files")
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
    if args.template_in is not None:
        return _extract_from_template(args)
    if args.image is None:
        raise CommandError("name an image file to extract (or use --bench or --template-in)")
    image = imageio.load(args.image, dpi=args.dpi)  # at 500 ppi, upright
    stages: dict[str, object] = {}
    template = extract(image, dpi=imageio.PPI, trace=stages.__setitem__)
    if args.overlay:  # draw on the extractor's own input (rescaled to 500 ppi)
        grey = stages["input"]
        imageio.save(args.overlay, draw_overlay(grey.round().astype("uint8"), template))
    if args.template:
        args.template.write_bytes(template.to_bytes())
    _write_standard_records(args, template)
    if args.json:
        print(template.to_json())
    else:
        print(_template_summary(str(args.image), template))
    return 0


def _template_summary(label: str, template: Template) -> str:
    endings = int((template.minutiae[:, 3] == 0).sum())
    cores = int((template.singular_points[:, 2] > 0).sum())
    deltas = len(template.singular_points) - cores
    return (
        f"{label}: {len(template)} minutiae ({endings} endings, "
        f"{len(template) - endings} bifurcations), {cores} core(s), {deltas} delta(s), "
        f"quality {template.quality} (level {template.level}, {template.reason})"
    )


def _write_standard_records(args: argparse.Namespace, views: Template | list[FingerView]) -> None:
    """``--iso`` / ``--incits``: one template (with --finger, --impression) or read views."""
    from .interchange.iso import to_incits378, to_iso19794_2

    for path, write in ((args.iso, to_iso19794_2), (args.incits, to_incits378)):
        if path is not None:
            path.write_bytes(write(views, finger=args.finger, impression=args.impression))


def _extract_from_template(args: argparse.Namespace) -> int:
    """``extract --template-in FILE``: read a template file and answer as for an image."""
    from .core.template import Template
    from .interchange.iso import read_minutiae_record

    if args.image is not None or args.overlay is not None:
        raise CommandError("--template-in reads a template: give no image and no --overlay")
    data = args.template_in.read_bytes()
    if data[:4] == b"BSTM":
        views: list[FingerView] = []
        templates = [Template.from_bytes(data)]
        labels = [str(args.template_in)]
    else:
        record = read_minutiae_record(data)
        views = list(record.views)
        templates = [v.template for v in views]
        labels = [
            f"{args.template_in} view {i} ({v.finger or 'unknown finger'}, "
            f"{v.impression}, {record.standard})"
            for i, v in enumerate(views, 1)
        ]
        if len(views) == 1:
            labels = [str(args.template_in)]
    if args.template:
        if len(templates) != 1:
            raise CommandError(f"--template writes one template; the file has {len(templates)}")
        args.template.write_bytes(templates[0].to_bytes())
    if args.iso or args.incits:
        if views and (args.finger is not None or args.impression != "flat"):
            raise CommandError("--finger and --impression are read from the record here")
        _write_standard_records(args, views or templates[0])
    if args.json:
        if len(templates) == 1:
            print(templates[0].to_json())
        else:
            print(
                json.dumps(
                    [
                        {
                            "finger": None if v.finger is None else str(v.finger),
                            "impression": str(v.impression),
                            "impression_code": v.impression_code,
                            "view_number": v.view_number,
                            "template": v.template.to_dict(),
                        }
                        for v in views
                    ],
                    indent=1,
                )
            )
    else:
        for label, template in zip(labels, templates, strict=True):
            print(_template_summary(label, template))
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
    if args.sensor_fingers < 2:
        raise CommandError("--sensor-fingers must be at least 2")
    if args.search_subjects < 2:
        raise CommandError("--subjects must be at least 2")
    ivf = _ivf_settings(args.ivf, args.search_subjects)
    if not 0 < args.seconds <= 86_400:
        raise CommandError("--seconds must be more than 0 and at most 86400")
    if args.fuzz < 0:
        raise CommandError("--fuzz must be 0 or more")
    if args.only == "fvc" and args.fvc is None:
        raise CommandError("--only fvc needs --fvc DIR")
    only = args.only or ("fvc" if args.fvc is not None else None)  # --fvc alone: that folder
    gallery = _gallery_path(args)
    if args.kills < 1:
        raise CommandError("--kills must be at least 1")
    if args.seed_subjects < 1:
        raise CommandError("--seed-subjects must be at least 1")
    if only in ("booking", "crash", "ebts") and not gallery.exists():
        raise CommandError(f"no gallery at {gallery}: seed one first (station seed --subjects N)")
    opts = BenchOptions(
        fingers=args.fingers,
        impressions=args.impressions,
        fvc=args.fvc if only in (None, "fvc", "wsq") else None,
        galleries=galleries,
        probes=args.probes,
        extracted=args.extracted,
        verification=only in (None, "verification"),
        identification=only in (None, "identification"),
        booking=only == "booking",
        startup=only == "startup",
        concurrency=only == "concurrency",
        seconds=args.seconds,
        crash=only == "crash",
        kills=args.kills,
        robustness=only == "robustness",
        fuzz=args.fuzz,
        codec=only == "wsq",
        ebts=only == "ebts",
        seeding=only in (None, "seeding"),
        seed_subjects=args.seed_subjects,
        search=only == "search",
        sharded=only == "sharded",
        sensors=only == "sensors",
        sensor_fingers=args.sensor_fingers,
        search_subjects=args.search_subjects,
        ivf=ivf,
        scheduler=args.scheduler,
        card=Path(os.environ.get("STATION_SHARED", "../shared"))
        / "interchange-samples"
        / "type-4-tpcard.an2",
        gallery=gallery,
        bookings=args.bookings,
        population=_population(args),
        calibrate=args.calibrate,
        json_out=args.json_out,
        plots=None if args.no_plots else args.plots,
        cache=None if args.no_cache else args.cache,
        wsq=args.wsq,
        all_pairs=args.all_pairs,
    )
    try:
        return run(opts)
    except PlotsUnavailableError as exc:
        raise CommandError(f"{exc} (or pass --no-plots)") from None


def _ivf_settings(text: str, subjects: int) -> tuple[tuple[int, int], ...]:
    """``--ivf 256:8,256:16`` as ((256, 8), (256, 16)); refused with a clear message."""
    settings = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            nlist, nprobe = (int(v) for v in part.split(":"))
        except ValueError:
            raise CommandError(f"--ivf takes NLIST:NPROBE pairs like 256:8, got {part!r}") from None
        if not 1 <= nlist <= subjects:
            raise CommandError(f"--ivf {part}: nlist must be 1..{subjects} (the subjects)")
        if not 1 <= nprobe <= nlist:
            raise CommandError(f"--ivf {part}: nprobe must be 1..{nlist} (nlist)")
        settings.append((nlist, nprobe))
    return tuple(settings)


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
    operator = None
    if path.exists() and path.stat().st_size > 0:
        from .gallery import open_gallery
        from .service.accounts import Permission

        with open_gallery(path, create=False) as gallery:
            operator = _sign_in(gallery, args, Permission.SEED)
    start = time.perf_counter()
    report = seed(
        path,
        args.subjects,
        population=population,
        workers=args.workers,
        progress=_Progress("seeding"),
        operator=operator,
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


def _password(prompt: str, variable: str = PASSWORD_ENV) -> str:
    """A password from the environment variable, else from a prompt on the terminal."""
    value = os.environ.get(variable)
    if value:
        return value
    if not sys.stdin.isatty():
        raise CommandError(f"no password: set {variable} (stdin is not a terminal to ask on)")
    return getpass.getpass(prompt)


def _new_password(name: str) -> str:
    """A new password for ``name``: from ``$STATION_NEW_PASSWORD``, else asked twice."""
    if os.environ.get(NEW_PASSWORD_ENV):
        return os.environ[NEW_PASSWORD_ENV]
    first = _password(f"New password for {name}: ", NEW_PASSWORD_ENV)
    if getpass.getpass("Repeat it: ") != first:
        raise CommandError("the two passwords differ")
    return first


def _sign_in(gallery, args: argparse.Namespace, permission):
    """The operator named by ``--user``, signed in and allowed ``permission``; ``None`` while
    the gallery has no accounts (set-up mode)."""
    from .service.accounts import AccountService, authorize

    accounts = AccountService(gallery)
    user = getattr(args, "user", None)
    if accounts.setup_mode():
        if user:
            log.warning("the gallery has no accounts yet (set-up mode): --user %s ignored", user)
        return None
    if not user:
        raise CommandError(
            f"the gallery has operator accounts: sign in with --user NAME (password from "
            f"${PASSWORD_ENV} or a prompt)"
        )
    operator = accounts.authenticate(user, _password(f"Password for {user}: "))
    authorize(gallery, operator, permission)
    return operator


def _service(path: Path, gallery, operator=None, *, index: bool = True):
    from .service import BookingService, load_index
    from .settings import get_settings

    settings = get_settings()
    return BookingService(
        gallery,
        index=load_index(gallery) if index else None,
        policy=settings.disposition,
        station_id=settings.station.station_id,
        operator=operator if operator is not None else settings.station.operator,
    )


def _agency_options(parser: argparse.ArgumentParser) -> None:
    """Fault injection and timing of the emulated agencies (over ``[agencies]``)."""
    parser.add_argument(
        "--agency-down",
        action="append",
        default=[],
        metavar="SYSTEM",
        help="this agency answers ERRT 'system unavailable' (repeat for more)",
    )
    parser.add_argument(
        "--agency-delay",
        action="append",
        default=[],
        metavar="SYSTEM=SECONDS",
        help="this agency answers after SECONDS (repeat for more)",
    )
    parser.add_argument(
        "--agency-timeout", type=float, default=None, metavar="SECONDS", help="give up after"
    )


def _agency_settings(args: argparse.Namespace):
    """The ``[agencies]`` settings with the command line's faults and delays applied."""
    import dataclasses

    from .core.vocabulary import System
    from .settings import get_settings

    current = get_settings().agencies
    changes: dict[str, object] = {}
    for item in args.agency_delay:
        system, sep, seconds = item.partition("=")
        if not sep:
            raise CommandError(f"--agency-delay takes SYSTEM=SECONDS, got {item!r}")
        try:
            value = float(seconds)
        except ValueError:
            raise CommandError(f"--agency-delay {item!r}: {seconds!r} is not seconds") from None
        changes[f"{System.parse(system, what='system').value.lower()}_delay"] = value
    if args.agency_timeout is not None:
        changes["timeout"] = args.agency_timeout
    if args.agency_down:
        changes["down"] = ",".join([current.down, *args.agency_down])
    return dataclasses.replace(current, **changes)


def _systems_json(answers) -> list[dict]:
    return [a.to_json() for a in answers]


def _cmd_agencies(args: argparse.Namespace) -> int:
    from .gallery import open_gallery
    from .service.accounts import Permission
    from .service.secure_communities import SecureCommunities

    if args.action == "diagram":
        from .service.flow import DEFAULT_DIAGRAM, draw_flow

        out = args.out or DEFAULT_DIAGRAM
        try:
            draw_flow(out)
        except OSError as exc:
            raise CommandError(str(exc)) from None
        print(f"wrote {out}")
        return 0
    path = _gallery_path(args)
    if not path.exists():
        raise CommandError(f"no gallery at {path}")
    settings = _agency_settings(args)
    if args.action in ("show", "resubmit") and not args.tcn:
        raise CommandError(f"name the booking: station agencies {args.action} TCN")
    if args.action == "resubmit" and not args.system:
        raise CommandError("name the system: station agencies resubmit TCN SYSTEM")
    if args.action == "show":
        with _open_for_reading(path) as gallery:
            booking_id = gallery.booking_by_tcn(args.tcn)["id"]
            service = _service(path, gallery, index=False)
            agencies = SecureCommunities(service, settings=settings)
            print(json.dumps(_systems_json(agencies.history(booking_id)), indent=2))
        return 0
    with open_gallery(path, create=False) as gallery:
        operator = _sign_in(gallery, args, Permission.BOOK)
        service = _service(path, gallery, operator, index=False)
        agencies = SecureCommunities(service, settings=settings)
        if args.action == "pump":
            print(f"settled {agencies.pump()} message(s)")
            return 0
        booking_id = gallery.booking_by_tcn(args.tcn)["id"]
        agencies.resubmit(booking_id, args.system)
        answers = (
            agencies.systems(booking_id)
            if args.no_wait
            else agencies.wait(booking_id, settings.timeout + 1.0)
        )
        print(json.dumps(_systems_json(answers), indent=2))
    return 0


def _cmd_book(args: argparse.Namespace) -> int:
    from .core.vocabulary import Disposition
    from .gallery import open_gallery
    from .scanner.scenarios import PlatenSubject
    from .service.drive import book_files, book_synthetic
    from .settings import get_settings

    transaction_type = get_settings().station.transaction_type  # a bad file stops us here
    agency_settings = _agency_settings(args)
    path = _gallery_path(args)
    if args.prints is not None and args.demographics is None and args.jms is None:
        raise CommandError("--prints needs --demographics FILE.json (or --jms NUMBER)")
    if args.jms is not None and args.demographics is not None:
        raise CommandError("give --demographics or --jms, not both")
    jms = None
    if args.jms is not None:
        from .service.jms import JailManagementSystem

        jms = JailManagementSystem().booking(args.jms)  # an unknown number stops us here
    for out in (args.eft, args.response_eft):
        if out is not None and (out.is_dir() or not out.parent.is_dir()):
            raise CommandError(f"cannot write {out}: name a file in an existing folder")
    if args.subject is not None and args.subject < 0:
        raise CommandError("--subject must be 0 or more")
    if not path.exists():
        raise CommandError(
            f"no gallery at {path}: build one with 'station seed --subjects 200' "
            "(or name one with --gallery)"
        )
    with open_gallery(path, create=False) as gallery:
        from .service.accounts import Permission

        service = _service(path, gallery, _sign_in(gallery, args, Permission.BOOK))
        if args.prints is not None:
            report = book_files(
                service,
                args.prints,
                args.demographics,
                transaction_type=transaction_type,
                jms=jms,
            )
        elif args.ebts is not None:
            from .service.drive import book_transaction_file

            report = book_transaction_file(
                service, args.ebts, args.demographics, transaction_type=transaction_type, jms=jms
            )
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
                transaction_type=transaction_type,
                jms=jms,
            )
        _write_eft(service, report.booking_id, args.eft, args.response_eft)
        systems, overall = _book_agencies(service, report, agency_settings, wait=not args.no_wait)
    out = {**report.to_json(), "systems": systems}
    if overall is not None and overall != report.disposition:
        # the agencies' answers are final: "disposition" is the overall one (HIT when any
        # agency identifies the subject); the station's own search result is kept beside it
        out = {**out, "disposition": str(overall), "station_disposition": str(report.disposition)}
    print(json.dumps(out, indent=2))
    return 1 if report.disposition is Disposition.ERROR else 0


def _book_agencies(service, report, settings, *, wait: bool) -> tuple[list[dict], object]:
    """``station book``: send a searched booking to the agencies; their answers as JSON and
    the overall disposition once every answer is final (``None`` before, or not sent)."""
    from .core.vocabulary import Disposition
    from .service.secure_communities import SecureCommunities

    if report.disposition not in (Disposition.HIT, Disposition.NO_HIT, Disposition.REVIEW):
        return [], None  # not searched (RECAPTURE, ERROR): nothing goes out
    agencies = SecureCommunities(service, settings=settings)
    answers = agencies.send(report.booking_id)
    if not wait:
        return _systems_json(answers), None
    answers = agencies.wait(report.booking_id, settings.timeout + 1.0)
    final = agencies.done(report.booking_id)
    return _systems_json(answers), agencies.overall(report.booking_id) if final else None


def _write_eft(service, booking_id: int, eft: Path | None, response: Path | None) -> None:
    """``station book --eft / --response-eft``: the booking's transactions, noted on stderr."""
    from .service.transactions import write_booking_transaction

    for path, is_response in ((eft, False), (response, True)):
        if path is not None:
            written = write_booking_transaction(service, booking_id, path, response=is_response)
            print(
                f"wrote {written.tot} {written.tcn} to {path} ({written.size} bytes)",
                file=sys.stderr,
            )


def _cmd_gallery(args: argparse.Namespace) -> int:
    from .gallery import open_gallery

    path = _gallery_path(args)
    if not path.exists():
        raise CommandError(f"no gallery at {path}")
    if args.action == "export" and args.out is None:
        raise CommandError("say where to export: station gallery export DIR")
    if args.action == "purge":
        return _purge(path, args)
    if args.action == "export":
        from .service.accounts import Permission

        with open_gallery(path, create=False) as gallery:
            operator = _sign_in(gallery, args, Permission.EXPORT)
            if operator is not None:
                gallery.audit("export", actor=operator.username, detail={"to": str(args.out)})
    if args.action == "migrate-images":
        from .service.accounts import Permission

        if args.batch < 1:
            raise CommandError("--batch must be at least 1")
        with open_gallery(path, create=False) as gallery:
            _sign_in(gallery, args, Permission.EXPORT)  # an administrator's job
            return _migrate_images(gallery, path, args.batch)
    if args.stale_after is not None and (args.action != "check" or not args.stale_after >= 0):
        raise CommandError("--stale-after is a number of seconds >= 0, for check only")
    with _open_for_reading(path) as gallery:
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
        stale = _stale(gallery, args.stale_after)
    for line in problems:
        print(f"{path}: {line}")
    if not problems:
        print(
            f"{path}: ok (integrity, foreign keys, templates"
            f"{'' if args.quick else ', images'}, chain)"
        )
    # Unfinished bookings are not damage: listed apart, they leave the exit code alone.
    for item in stale:
        print(f"{path}: stale: {item.line()}")
    return 1 if problems else 0


def _open_for_reading(path: Path):
    """Open read-only (a damaged gallery, or one in a read-only folder, can still be read);
    an older schema is opened read-write once, to upgrade it, as before."""
    from .gallery import GalleryError, open_gallery

    try:
        return open_gallery(path, create=False, readonly=True)
    except GalleryError as exc:
        if "open it once read-write to upgrade it" not in str(exc):
            raise
    return open_gallery(path, create=False)


def _stale(gallery, older_than: float | None) -> list:
    from .service import BookingService
    from .service.booking import STALE_AFTER

    service = BookingService(gallery)
    return service.stale(older_than=STALE_AFTER if older_than is None else older_than)


def _cmd_jms(args: argparse.Namespace) -> int:
    """``station jms list`` / ``show NUMBER``: the jail management system's bookings."""
    from .core.arrest import Arrest
    from .service.jms import JailManagementSystem

    if args.action == "show" and not args.number:
        raise CommandError("name the booking: station jms show NUMBER")
    if args.action == "list" and args.number:
        raise CommandError("list takes no booking number")
    jms = JailManagementSystem()
    if args.action == "show":
        print(json.dumps(jms.booking(args.number).to_json(), indent=2, ensure_ascii=False))
        return 0
    for number in jms.numbers():
        booking = jms.booking(number)
        demo = booking.demographics
        try:
            arrest = Arrest.from_json(booking.arrest)
            what = (
                f"arrested {arrest.date_of_arrest}, "
                f"{', '.join(c.code for c in arrest.charges)} (level {arrest.level})"
            )
        except ValueError as exc:
            what = f"arrest data to correct: {exc}"
        print(f"{number}: {demo.get('last_name')}, {demo.get('first_name')}: {what}")
    return 0


def _cmd_booking(args: argparse.Namespace) -> int:
    from .core.vocabulary import Disposition
    from .gallery import open_gallery

    path = _gallery_path(args)
    if not path.exists():
        raise CommandError(f"no gallery at {path}")
    if args.older_than is not None and not args.older_than >= 0:
        raise CommandError("--older-than is a number of seconds >= 0")
    if args.action == "list":
        if args.tcn is not None:
            raise CommandError("list takes no TCN")
        with _open_for_reading(path) as gallery:
            if args.stale or args.older_than is not None:
                for item in _stale(gallery, args.older_than):
                    print(item.line())
                return 0
            for b in gallery.bookings(limit=20):
                print(f"{b['tcn']}: {b['status']}, opened {b['created_at']} by {b['operator']}")
        return 0
    if not args.tcn:
        raise CommandError(f"name the booking: station booking {args.action} TCN")
    if args.action == "close" and not (args.reason or "").strip():
        raise CommandError("say why: station booking close TCN --reason TEXT")
    from .service.accounts import Permission

    with open_gallery(path, create=False) as gallery:
        booking_id = gallery.booking_by_tcn(args.tcn)["id"]
        operator = _sign_in(gallery, args, Permission.BOOK)
        if args.action == "close":
            _service(path, gallery, operator, index=False).close(booking_id, args.reason)
            print(f"{args.tcn}: cancelled ({args.reason.strip()})")
            return 0
        result = _service(path, gallery, operator).resume(booking_id, submit=args.submit)
    if result.response is None:
        print(
            json.dumps(
                {
                    "tcn": result.tcn,
                    "booking_id": result.booking_id,
                    "status": "open",
                    "pending": list(result.pending),
                },
                indent=2,
            )
        )
        return 0
    print(json.dumps({**result.response.to_json(), "booking_id": result.booking_id}, indent=2))
    return 1 if result.response.disposition is Disposition.ERROR else 0


def _purge(path: Path, args: argparse.Namespace) -> int:
    from .gallery import open_gallery
    from .settings import get_settings

    if args.older_than is None:
        raise CommandError("say how old: station gallery purge --older-than DAYS")
    if not 0 <= args.older_than < 1e6:
        raise CommandError(f"--older-than must be 0 or more days, got {args.older_than:g}")
    from .service.accounts import Permission

    with open_gallery(path, create=False) as gallery:
        # Retention is an administrator's job once the gallery has accounts (set-up mode: the
        # settings' operator name).
        operator = _sign_in(gallery, args, Permission.EXPORT)
    actor = operator.username if operator is not None else get_settings().station.operator
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


def _cmd_user(args: argparse.Namespace) -> int:
    from .gallery import open_gallery
    from .service.accounts import AccountService, Permission, parse_roles

    path = _gallery_path(args)
    if not path.exists():
        raise CommandError(f"no gallery at {path}")
    action = args.user_action
    with open_gallery(path, create=False) as gallery:
        accounts = AccountService(gallery)
        if accounts.setup_mode():
            if action != "add":
                raise CommandError(
                    f"the gallery has no accounts yet: create the administrator first with "
                    f"'station user add NAME --roles administrator' (not 'user {action}')"
                )
            roles = parse_roles(args.roles or "administrator")
            if roles != {"administrator"}:
                raise CommandError(
                    "the first account is the administrator: use --roles administrator"
                )
            op = accounts.create_first_administrator(
                args.name, _new_password(args.name), display_name=args.display_name
            )
            print(f"{path}: administrator {op.username} created; the gallery now needs sign-in")
            return 0
        admin = _sign_in(gallery, args, Permission.MANAGE_USERS)
        if action == "list":
            users = accounts.users(admin)
            width = max(len(a.username) for a in users)
            now = accounts.clock()
            for a in users:
                state = (
                    "disabled"
                    if a.disabled_at
                    else f"locked until {a.locked_until:%Y-%m-%d %H:%M} UTC"
                    if a.locked(now)
                    else "active"
                )
                print(f"{a.username:<{width}}  {a.role_text:<40}  {state:<8}  {a.display_name}")
            return 0
        if action == "add":
            if not args.roles:
                raise CommandError("name the new account's roles with --roles, e.g. officer")
            account = accounts.add_user(
                admin,
                args.name,
                _new_password(args.name),
                args.roles,
                display_name=args.display_name,
            )
        elif action == "passwd":
            account = accounts.reset_password(admin, args.name, _new_password(args.name))
        elif action == "unlock":
            account = accounts.unlock(admin, args.name)
        elif action == "disable":
            account = accounts.disable(admin, args.name)
        else:
            account = accounts.set_roles(admin, args.name, args.roles)
    state = "disabled" if account.disabled_at else "active"
    print(f"{path}: {account.username} ({account.role_text}; {state}): {action} done")
    return 0


def _cmd_ebts(args: argparse.Namespace) -> int:
    if args.ebts_command == "export":
        return _ebts_export(args)
    from .interchange import read_file
    from .interchange.describe import describe, format_description

    transaction = read_file(args.file)
    records = describe(transaction)
    size = args.file.stat().st_size
    if args.json:
        data = {
            "file": str(args.file),
            "bytes": size,
            "records": [r.to_json() for r in records],
            "notes": list(transaction.notes),
        }
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print(f"{args.file}: {len(records)} records, {size} bytes")
    print(format_description(records))
    for note in transaction.notes:
        print(f"note: {note}")
    return 0


def _ebts_export(args: argparse.Namespace) -> int:
    """``station ebts export BOOKING_ID|TCN -o OUT [--response]``."""
    from .gallery import open_gallery
    from .service.accounts import Permission
    from .service.transactions import write_booking_transaction

    path = _gallery_path(args)
    if not path.exists():
        raise CommandError(f"no gallery at {path}")
    with open_gallery(path, create=False) as gallery:
        operator = _sign_in(gallery, args, Permission.EXPORT)
        key = args.booking.strip()
        booking = gallery.booking(int(key)) if key.isdigit() else gallery.booking_by_tcn(key)
        if not gallery.responses(booking["id"]):
            raise CommandError(
                f"booking {booking['id']} ({booking['tcn']}) was not submitted: only a submitted "
                "booking is exported"
            )
        service = _service(path, gallery, operator, index=False)
        written = write_booking_transaction(
            service, booking["id"], args.out, response=args.response
        )
        if operator is not None:
            gallery.audit(
                "export transaction",
                actor=operator.username,
                booking_id=booking["id"],
                detail={"to": str(args.out), "tot": written.tot},
            )
    print(json.dumps(written.to_json(), indent=2))
    return 0


def _migrate_images(gallery: Gallery, path: Path, batch: int) -> int:
    """``station gallery migrate-images``: progress on stderr, the outcome on stdout."""

    def progress(done: int, total: int) -> None:
        print(f"{path}: {done} of {total} images converted to WSQ", file=sys.stderr, flush=True)

    result = gallery.migrate_images(
        batch=batch, actor="station gallery migrate-images", progress=progress
    )
    saved = result.png_bytes - result.wsq_bytes
    print(
        f"{path}: {result.converted} images converted to WSQ in {result.batches} "
        f"transaction(s), {saved / 1e6:.1f} MB smaller; {result.remaining} PNG image(s) left "
        f"to convert; file {path.stat().st_size / 1e6:.1f} MB"
    )
    return 0 if result.remaining == 0 else 1


def _cmd_train(args: argparse.Namespace) -> int:
    """``station train scenarios`` / ``station train run SCENARIO --actions FILE``."""
    from .gallery import open_gallery
    from .service.accounts import Permission
    from .settings import get_settings
    from .training import load_library
    from .training.actions import load_actions
    from .training.runner import play

    folder = args.scenarios or get_settings().training.scenarios_dir
    library = load_library(folder)
    path = _gallery_path(args)
    if args.action == "scenarios":
        if args.briefs and path.exists():
            with open_gallery(path, create=False) as gallery:
                _sign_in(gallery, args, Permission.INSTRUCT)
        elif args.briefs and args.gallery is not None:
            raise CommandError(f"no gallery at {path}")
        rows = [
            {"id": s.id, "title": s.title} | ({"brief": s.brief} if args.briefs else {})
            for s in library.values()
        ]
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            for row in rows:
                print(f"{row['id']:<24} {row['title']}")
                if args.briefs:
                    print("    " + " ".join(row["brief"].split()))
        return 0
    if args.action == "report":
        return _train_report(args, path, library)
    if not args.scenario or args.actions is None:
        raise CommandError("train run needs SCENARIO and --actions FILE.json")
    if args.scenario not in library:
        raise CommandError(
            f"no scenario {args.scenario!r}: use one of {', '.join(library)} "
            "(station train scenarios)"
        )
    script = load_actions(args.actions)
    if not path.exists():
        raise CommandError(f"no gallery at {path}: build one with 'station seed --subjects 4'")
    with open_gallery(path, create=False) as gallery:
        operator = _sign_in(gallery, args, Permission.TRAIN)
        if args.trainee and operator is not None:
            from .service.accounts import authorize

            authorize(gallery, operator, Permission.INSTRUCT)
        service = _service(path, gallery, operator)
        result = play(
            service,
            library[args.scenario],
            script,
            trainee=args.trainee,
            device_seed=args.device_seed,
        )
    if args.json:
        print(json.dumps(result.score.as_dict() | {"run_id": result.run_id}, indent=2))
    else:
        print(result.score.summary())
    return 0


def _train_report(args: argparse.Namespace, path: Path, library: dict[str, Scenario]) -> int:
    """``station train report CLASS -o DIR``: the class's HTML pages."""
    from .gallery import open_gallery
    from .service.accounts import Permission
    from .training.report import write_class_report

    if not args.scenario or args.output is None:
        raise CommandError("train report needs CLASS and -o DIR")
    if not path.exists():
        raise CommandError(f"no gallery at {path}")
    with open_gallery(path, create=False) as gallery:
        _sign_in(gallery, args, Permission.INSTRUCT)
        report = write_class_report(gallery, args.scenario, args.output, library=library)
    if args.json:
        files = {"class": str(report.class_file)}
        files |= {t: str(p) for t, p in report.trainee_files.items()}
        print(json.dumps(files, indent=2))
    else:
        print(f"wrote {report.class_file}")
        for file in report.trainee_files.values():
            print(f"wrote {file}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    """``station demo [SCENARIO ...] [--pace S] [--loop] [--duration S]``."""
    from .gui.automation.demo import run_demo

    if args.gallery is not None and not args.gallery.is_file():
        raise CommandError(f"no gallery at {args.gallery}")
    run = run_demo(
        args.scenario,
        pace=args.pace,
        loop=args.loop,
        duration=args.duration,
        gallery=args.gallery,
        folder=args.scenarios,
    )
    return 0 if run.bookings or run.handed_back else 1


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
    if args.record is not None and args.record.suffix != ".py":
        print(
            f"station: error: --record writes a Python test file: {args.record} must end in .py",
            file=sys.stderr,
        )
        return 2
    from .gui import run

    return run(sys.argv[:1], record=args.record)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``station`` command; returns the exit code."""
    from .gallery.errors import GalleryError
    from .scanner.base import ScannerError
    from .service.accounts import AuthError, RoleError

    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    # Print after print, the window and the commands reuse freed arrays' memory rather than
    # fault fresh pages in (see station.service.memory: about 3 ms of each extraction).
    from .service.memory import INTERACTIVE_TRIM, keep_freed_memory

    keep_freed_memory(INTERACTIVE_TRIM)
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
            "user": _cmd_user,
            "booking": _cmd_booking,
            "ebts": _cmd_ebts,
            "agencies": _cmd_agencies,
            "jms": _cmd_jms,
            "train": _cmd_train,
            "demo": _cmd_demo,
        }
        return commands[args.command](args)
    except AuthError as exc:
        print(f"station: sign-in refused: {exc}", file=sys.stderr)
        return 2
    except (CommandError, ValueError, OSError, GalleryError, ScannerError, RoleError) as exc:
        print(f"station: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("station: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
