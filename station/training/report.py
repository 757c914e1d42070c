"""The class report: one HTML file per class and one per trainee.

:func:`write_class_report` writes ``class-NAME.html`` (every trainee's score per scenario, a
plot of the scores and one of the time per booking) and ``class-NAME-TRAINEE.html`` per
trainee (each booking's expectations and verdicts, the named mistakes with a picture of the
moment, the time per step and its plot). The files stand alone: plots and pictures are PNG
``data:`` URIs, there is no script and no external address, so a browser opens them from the
disk without a server.

"Screenshots of the moment": a mistake about a finger shows that finger's capture as the
gallery stored it in the booking (the print the trainee left: a faint print not recaptured,
an amputated finger captured empty …); a mistake about the booking as a whole (not enrolled,
wrong decision) shows the booking's rolled prints as they were when it ended. They are stored
captures, not window grabs.

Every text read from the gallery (names, titles, mistakes, notes) is HTML-escaped by the
template engine (Jinja2 with autoescaping on).
"""

from __future__ import annotations

import base64
import io
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from station.core.vocabulary import FINGERS, SLAP_FINGERS, Verdict
from station.gallery import Gallery, GalleryError

from .classes import ClassProgress, class_progress
from .scenario import Scenario

__all__ = ["ClassReport", "report_name", "write_class_report"]

log = logging.getLogger(__name__)

_THUMB = 160  # pixels: the longer side of a mistake's picture


@dataclass(frozen=True)
class ClassReport:
    """The files a class report wrote.

    Attributes
    ----------
    class_file : Path
    trainee_files : mapping of str to Path
        Per trainee (the class's order).
    """

    class_file: Path
    trainee_files: Mapping[str, Path]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-").lower() or "x"


def report_name(class_name: str, trainee: str | None = None) -> str:
    """File name of a class's (or one trainee's) page.

    Examples
    --------
    >>> report_name("Monday A"), report_name("Monday A", "Tia O'Neil")
    ('class-monday-a.html', 'class-monday-a-tia-o-neil.html')
    """
    base = f"class-{_slug(class_name)}"
    return f"{base}.html" if trainee is None else f"{base}-{_slug(trainee)}.html"


def _png_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _figure_uri(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return _png_uri(buf.getvalue())


def _image_uri(image: np.ndarray) -> str:
    picture = Image.fromarray(np.asarray(image, dtype=np.uint8))
    picture.thumbnail((_THUMB * 4, _THUMB))
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    return _png_uri(buf.getvalue())


def _scores_plot(progress: ClassProgress, runs: Mapping[str, list[dict[str, Any]]]) -> str:
    tc = progress.training_class
    fig = Figure(figsize=(7, 3.2), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(tc.trainees))
    xs = np.arange(len(tc.scenarios))
    for k, trainee in enumerate(tc.trainees):
        by = {r["scenario_id"]: r for r in runs[trainee]}
        values = [
            100.0 * by[s]["points"] / by[s]["max_points"]
            if s in by and by[s]["max_points"]
            else 0.0
            for s in tc.scenarios
        ]
        ax.bar(xs + k * width, values, width, label=trainee)
    ax.set_xticks(xs + width * (len(tc.trainees) - 1) / 2, list(tc.scenarios), fontsize=8)
    ax.set_ylabel("score (% of points)")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=8)
    ax.set_title("Score per booking")
    return _figure_uri(fig)


def _times_plot(progress: ClassProgress, runs: Mapping[str, list[dict[str, Any]]]) -> str:
    tc = progress.training_class
    fig = Figure(figsize=(7, 3.2), layout="constrained")
    ax = fig.add_subplot()
    for trainee in tc.trainees:
        by = {r["scenario_id"]: r for r in runs[trainee]}
        ax.plot(
            list(tc.scenarios),
            [by[s]["score"].get("seconds", 0.0) if s in by else np.nan for s in tc.scenarios],
            marker="o",
            label=trainee,
        )
    ax.axhline(tc.time_limit, color="grey", linestyle="--", label="time limit")
    ax.set_ylabel("seconds")
    ax.tick_params(axis="x", labelsize=8)
    ax.legend(fontsize=8)
    ax.set_title("Time per booking")
    return _figure_uri(fig)


def _steps_plot(steps: Sequence[Mapping[str, Any]], title: str) -> str | None:
    if not steps:
        return None
    fig = Figure(figsize=(7, 0.6 + 0.22 * len(steps)), layout="constrained")
    ax = fig.add_subplot()
    labels = [f"{s['seq']}. {s['label']}" for s in steps]
    ax.barh(labels, [s["seconds"] for s in steps], color="#4a78a8")
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("seconds since the step before")
    ax.set_title(title, fontsize=9)
    return _figure_uri(fig)


def _prints(gallery: Gallery, booking_id: int | None) -> dict[str, dict[str, Any]]:
    """The booking's stored prints with images, by finger or slap code (rolled first)."""
    if booking_id is None:
        return {}
    try:
        rows = gallery.booking_prints(booking_id, with_images=True)
    except GalleryError:  # a purged booking: the score stays, the prints are gone
        return {}
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        found.setdefault(row["finger"], row)
    return found


def _moment(finger: str | None, prints: Mapping[str, Mapping[str, Any]]) -> tuple[str | None, str]:
    """A picture of a mistake (data URI or None) and its caption."""
    if not prints:
        return None, "no capture stored"
    if finger is not None:
        row = prints.get(finger)
        if row is None:  # a finger taken only in its slap
            for slap, fingers in SLAP_FINGERS.items():
                if finger in fingers and slap in prints:
                    row = prints[slap]
                    break
        if row is None:
            return None, f"{finger}: no capture stored"
        if row.get("image") is None:
            return None, f"{finger}: annotated {row.get('annotation')}"
        return (
            _image_uri(row["image"]),
            f"{row['finger']} {row['impression']}, attempt {row['attempt']}, level {row['level']}",
        )
    images = [
        prints[f]["image"] for f in FINGERS if f in prints and prints[f].get("image") is not None
    ]
    if not images:
        return None, "no print captured"
    rows = max(i.shape[0] for i in images)
    sheet = np.full((rows, sum(i.shape[1] for i in images) + 8 * (len(images) - 1)), 255, np.uint8)
    col = 0
    for image in images:
        sheet[: image.shape[0], col : col + image.shape[1]] = image
        col += image.shape[1] + 8
    return _image_uri(sheet), "the booking's rolled prints when it ended"


def _run_view(gallery: Gallery, run: dict[str, Any], scenario: Scenario | None) -> dict[str, Any]:
    score = run["score"]
    prints = _prints(gallery, run["booking_id"])
    mistakes = []
    for k, result in enumerate(score.get("results", [])):
        if not result.get("mistake"):
            continue
        finger = None
        if scenario is not None and k < len(scenario.expect):
            finger = scenario.expect[k].finger
        picture, caption = _moment(None if finger is None else str(finger), prints)
        mistakes.append(
            {
                "text": result["mistake"],
                "note": result.get("note", ""),
                "picture": picture,
                "caption": caption,
            }
        )
    return {
        "run": run,
        "score": score,
        "mistakes": mistakes,
        "verdict_class": {str(v): _slug(str(v)) for v in Verdict},
        "plot": _steps_plot(score.get("steps", []), f"{run['scenario_title']}: time per step"),
    }


_CSS = """
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 60em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }
th { background: #eee; }
.right { color: #176b2c; } .missed, .wrong { color: #a11; font-weight: bold; }
.mistake { border-left: 4px solid #a11; padding-left: 0.8em; margin: 0.8em 0; }
.mistake img { display: block; margin-top: 0.3em; border: 1px solid #888; }
img.plot { max-width: 100%; }
"""

_CLASS = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Class {{ tc.name }}: report</title><style>{{ css|safe }}</style></head>
<body>
<h1>Class {{ tc.name }}</h1>
<p>Instructor {{ tc.instructor }} · created {{ tc.created_at }} · {{ progress.state }} ·
time limit {{ tc.time_limit }} s per booking</p>
<h2>Scores</h2>
<table id="scores">
<tr><th>Trainee</th>{% for s in scenarios %}<th>{{ s.title }}</th>{% endfor %}<th>Total</th></tr>
{% for row in rows %}
<tr><td><a href="{{ row.file }}">{{ row.trainee }}</a></td>
{% for cell in row.cells %}<td>{{ cell }}</td>{% endfor %}
<td>{{ row.points }}/{{ row.max_points }}</td></tr>
{% endfor %}
</table>
<h2>Mistakes</h2>
{% for row in rows %}<h3>{{ row.trainee }}</h3>
{% if row.mistakes %}<ul>{% for m in row.mistakes %}<li>{{ m }}</li>{% endfor %}</ul>
{% else %}<p>None.</p>{% endif %}{% endfor %}
<h2>Plots</h2>
<img class="plot" alt="Score per booking" src="{{ scores_plot }}">
<img class="plot" alt="Time per booking" src="{{ times_plot }}">
</body></html>
"""

_TRAINEE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ trainee }}: class {{ tc.name }}</title><style>{{ css|safe }}</style></head>
<body>
<p><a href="{{ class_file }}">Class {{ tc.name }}</a></p>
<h1>{{ trainee }}</h1>
<p>{{ points }}/{{ max_points }} points in {{ views|length }} of {{ tc.scenarios|length }}
bookings.</p>
{% for v in views %}
<h2>{{ v.run.scenario_title }}: {{ v.run.points }}/{{ v.run.max_points }}</h2>
<p>Booking {{ v.run.tcn or "none opened" }} · ended {{ v.score.disposition or "not submitted" }}
· {{ "%.1f"|format(v.score.seconds or 0) }} s</p>
<table>
<tr><th>Expected</th><th>Verdict</th><th>Points</th></tr>
{% for r in v.score.results %}
<tr><td>{{ r.label }}</td><td class="{{ v.verdict_class.get(r.verdict, '') }}">{{ r.verdict }}</td>
<td>{{ r.earned }}/{{ r.points }}</td></tr>
{% endfor %}
</table>
{% for m in v.mistakes %}
<div class="mistake"><b>Mistake: {{ m.text }}</b>{% if m.note %} ({{ m.note }}){% endif %}
{% if m.picture %}<img alt="{{ m.caption }}" src="{{ m.picture }}">{% endif %}
<small>{{ m.caption }}</small></div>
{% endfor %}
<h3>Time per step</h3>
<table>
<tr><th>#</th><th>Step</th><th>Seconds</th></tr>
{% for s in v.score.steps %}
<tr><td>{{ s.seq }}</td><td>{{ s.label }}</td><td>{{ "%.1f"|format(s.seconds) }}</td></tr>
{% endfor %}
</table>
{% if v.plot %}<img class="plot" alt="Time per step" src="{{ v.plot }}">{% endif %}
{% endfor %}
</body></html>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def write_class_report(
    gallery: Gallery,
    class_name: str | int,
    out_dir: str | Path,
    *,
    library: Mapping[str, Scenario] | None = None,
) -> ClassReport:
    """Write a class's report pages into ``out_dir`` (made if missing).

    Parameters
    ----------
    gallery : Gallery
    class_name : str or int
        The class's name or id.
    out_dir : str or Path
    library : mapping of str to Scenario, optional
        The scenarios (to find the finger a mistake is about); without it, or for a
        scenario missing from it, a mistake shows the booking's rolled prints.

    Returns
    -------
    ClassReport

    Examples
    --------
    ``station train report "Monday A" -o report/`` calls it.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file, not a folder")
    progress = class_progress(gallery, class_name)
    tc = progress.training_class
    library = library or {}
    out.mkdir(parents=True, exist_ok=True)
    runs = {
        p.trainee: [gallery.training_run(run_id) for run_id in p.runs] for p in progress.trainees
    }
    class_file = out / report_name(tc.name)
    files: dict[str, Path] = {}
    rows = []
    for p in progress.trainees:
        files[p.trainee] = out / report_name(tc.name, p.trainee)
        by = {r["scenario_id"]: r for r in runs[p.trainee]}
        rows.append(
            {
                "trainee": p.trainee,
                "file": files[p.trainee].name,
                "cells": [
                    f"{by[s]['points']}/{by[s]['max_points']}" if s in by else "—"
                    for s in tc.scenarios
                ],
                "points": p.points,
                "max_points": p.max_points,
                "mistakes": [m for r in runs[p.trainee] for m in r["score"].get("mistakes", [])],
            }
        )
    scenarios = [{"id": s, "title": library[s].title if s in library else s} for s in tc.scenarios]
    class_file.write_text(
        _ENV.from_string(_CLASS).render(
            tc=tc,
            css=_CSS,
            progress=progress,
            scenarios=scenarios,
            rows=rows,
            scores_plot=_scores_plot(progress, runs),
            times_plot=_times_plot(progress, runs),
        ),
        encoding="utf-8",
    )
    for p in progress.trainees:
        views = [_run_view(gallery, r, library.get(r["scenario_id"])) for r in runs[p.trainee]]
        files[p.trainee].write_text(
            _ENV.from_string(_TRAINEE).render(
                tc=tc,
                css=_CSS,
                trainee=p.trainee,
                class_file=class_file.name,
                points=p.points,
                max_points=p.max_points,
                views=views,
            ),
            encoding="utf-8",
        )
    log.info("class report of %s: %s and %d trainee pages", tc.name, class_file, len(files))
    return ClassReport(class_file, files)
