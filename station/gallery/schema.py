"""The gallery's codes, its schema and the migrations that build it.

The schema version is SQLite's ``PRAGMA user_version``: migration ``k`` (1-based) turns a
version ``k - 1`` file into version ``k`` and runs in one transaction of its own, so a file is
always at exactly one version. The file is marked as a Booking Station gallery with
``PRAGMA application_id``.

The codes come from :mod:`station.core.vocabulary` and are written into ``CHECK`` constraints
when a migration runs (the enums' values, in definition order): changing one of those enums
needs a new migration, not an edit of an old one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from station.core.vocabulary import (
    ANNOTATIONS,
    BOOKING_STATUSES,
    CLASS_EVENTS,
    DECISIONS,
    DEMOGRAPHIC_FIELDS,
    DISPOSITIONS,
    FINGERS,
    IMAGE_FORMATS,
    IMPRESSIONS,
    OFFENCE_REPOSITORIES,
    RACES,
    REPOSITORIES,
    SLAPS,
    SYSTEM_STATUSES,
    SYSTEMS,
    TRAINEE_ACTIONS,
    TRANSACTION_TYPES,
    BookingStatus,
    Decision,
    ImageFormat,
    Impression,
    SystemStatus,
)

if TYPE_CHECKING:  # imported when a migration runs: it costs most of this package's import
    import sqlite_utils

__all__ = ["APPLICATION_ID", "DEMOGRAPHIC_FIELDS", "MIGRATIONS", "SCHEMA_VERSION"]

#: ``PRAGMA application_id`` of a gallery file: ASCII "BSTG".
APPLICATION_ID = 0x42535447


def _in(values: Iterable[str]) -> str:
    """SQL list literal of trusted constant codes: ``('a', 'b')``."""
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def _append_only(table: str) -> str:
    return f"""
CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END;
CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END;
"""


def _bumps_generation(table: str) -> str:
    return "".join(
        f"""
CREATE TRIGGER {table}_generation_{event.lower()} AFTER {event} ON {table}
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
"""
        for event in ("INSERT", "UPDATE", "DELETE")
    )


#: Decision codes of schema versions 1-2 (version 3 adds ``undo``): frozen here, so a new
#: code never edits an old migration.
_V1_DECISIONS: tuple[str, ...] = (Decision.CONFIRM, Decision.REJECT)


def _decisions(codes: Iterable[str], unnamed: str, *, name: str = "decisions") -> str:
    """The decisions table ``name``: ``codes`` allowed; a decision whose code is ``unnamed``
    (an SQL condition on ``decision``) may leave the subject out."""
    return f"""CREATE TABLE {name} (
    id INTEGER PRIMARY KEY,
    booking_id INTEGER NOT NULL REFERENCES bookings (id) ON DELETE RESTRICT,
    response_id INTEGER NOT NULL,
    examiner TEXT NOT NULL CHECK (length(examiner) > 0),
    subject_id INTEGER REFERENCES subjects (id) ON DELETE RESTRICT,
    decision TEXT NOT NULL CHECK (decision IN {_in(codes)}),
    note TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL,
    FOREIGN KEY (response_id, booking_id) REFERENCES responses (id, booking_id)
        ON DELETE RESTRICT,
    CHECK (decision {unnamed} OR subject_id IS NOT NULL)
);
CREATE INDEX decisions_booking ON {name} (booking_id);
CREATE INDEX decisions_response ON {name} (response_id, booking_id);
{_append_only("decisions").replace(" ON decisions", f" ON {name}")}
"""


_DEMOGRAPHIC_COLUMNS = """
    last_name TEXT,
    first_name TEXT,
    middle_initial TEXT,
    date_of_birth TEXT,
    sex TEXT,
    height TEXT,
    weight INTEGER CHECK (weight > 0),
    eye_colour TEXT,
    hair_colour TEXT,
    place_of_birth TEXT,"""

_V1 = f"""
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('generation', 0);

CREATE TABLE subjects (
    id INTEGER PRIMARY KEY,
    synthetic_id INTEGER CHECK (synthetic_id >= 0),
    population INTEGER CHECK (population >= 0),{_DEMOGRAPHIC_COLUMNS}
    created_at TEXT NOT NULL,
    CHECK ((synthetic_id IS NULL) = (population IS NULL)),
    UNIQUE (population, synthetic_id)
);

CREATE TABLE records (
    id INTEGER PRIMARY KEY,
    subject_id INTEGER NOT NULL REFERENCES subjects (id) ON DELETE RESTRICT,
    repository TEXT NOT NULL CHECK (repository IN {_in(REPOSITORIES)}),
    record_number TEXT NOT NULL CHECK (length(record_number) > 0),
    offence_level INTEGER CHECK (offence_level BETWEEN 1 AND 3),
    charge TEXT,
    created_at TEXT NOT NULL,
    CHECK (offence_level IS NULL OR repository IN {_in(OFFENCE_REPOSITORIES)}),
    UNIQUE (repository, record_number)
);
CREATE INDEX records_subject ON records (subject_id);

CREATE TABLE images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    width INTEGER NOT NULL CHECK (width > 0),
    height INTEGER NOT NULL CHECK (height > 0),
    png BLOB NOT NULL
);

CREATE TABLE bookings (
    id INTEGER PRIMARY KEY,
    tcn TEXT NOT NULL UNIQUE,
    transaction_type TEXT NOT NULL CHECK (transaction_type IN {_in(TRANSACTION_TYPES)}),
    operator TEXT NOT NULL CHECK (length(operator) > 0),
    station_id TEXT NOT NULL CHECK (length(station_id) > 0),
    status TEXT NOT NULL DEFAULT '{BookingStatus.OPEN}' CHECK (status IN {_in(BOOKING_STATUSES)}),
    subject_id INTEGER REFERENCES subjects (id) ON DELETE RESTRICT,{_DEMOGRAPHIC_COLUMNS}
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX bookings_created ON bookings (created_at);
CREATE INDEX bookings_subject ON bookings (subject_id);

CREATE TABLE prints (
    id INTEGER PRIMARY KEY,
    subject_id INTEGER NOT NULL REFERENCES subjects (id) ON DELETE RESTRICT,
    finger TEXT NOT NULL CHECK (finger IN {_in(FINGERS)}),
    impression TEXT NOT NULL CHECK (impression IN {_in(IMPRESSIONS)}),
    quality INTEGER CHECK (quality BETWEEN 0 AND 100),
    level INTEGER CHECK (level BETWEEN 1 AND 5),
    device TEXT NOT NULL CHECK (length(device) > 0),
    captured_at TEXT NOT NULL,
    booking_id INTEGER REFERENCES bookings (id) ON DELETE RESTRICT,
    image_id INTEGER NOT NULL UNIQUE REFERENCES images (id) ON DELETE RESTRICT,
    created_at TEXT NOT NULL,
    template BLOB
);
CREATE INDEX prints_subject ON prints (subject_id, finger, impression);
CREATE INDEX prints_booking ON prints (booking_id);
{_bumps_generation("subjects")}
{_bumps_generation("prints")}

CREATE TABLE booking_prints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_id INTEGER NOT NULL REFERENCES bookings (id) ON DELETE RESTRICT,
    finger TEXT NOT NULL CHECK (finger IN {_in(FINGERS + SLAPS)}),
    impression TEXT NOT NULL CHECK (impression IN {_in(IMPRESSIONS)}),
    annotation TEXT CHECK (annotation IN {_in(ANNOTATIONS)}),
    attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    quality INTEGER CHECK (quality BETWEEN 0 AND 100),
    level INTEGER CHECK (level BETWEEN 1 AND 5),
    device TEXT NOT NULL CHECK (length(device) > 0),
    captured_at TEXT NOT NULL,
    image_id INTEGER UNIQUE REFERENCES images (id) ON DELETE RESTRICT,
    created_at TEXT NOT NULL,
    template BLOB,
    UNIQUE (booking_id, finger, impression),
    CHECK ((annotation IS NULL) = (image_id IS NOT NULL)),
    CHECK (annotation IS NULL OR template IS NULL),
    CHECK (finger NOT IN {_in(SLAPS)} OR impression = '{Impression.FLAT}')
);

CREATE TABLE responses (
    id INTEGER PRIMARY KEY,
    booking_id INTEGER NOT NULL REFERENCES bookings (id) ON DELETE RESTRICT,
    disposition TEXT NOT NULL CHECK (disposition IN {_in(DISPOSITIONS)}),
    payload TEXT NOT NULL CHECK (json_valid(payload)),
    received_at TEXT NOT NULL,
    UNIQUE (id, booking_id)
);
CREATE INDEX responses_booking ON responses (booking_id);
{_append_only("responses")}

{_decisions(_V1_DECISIONS, f"= '{Decision.REJECT}'")}
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL CHECK (length(actor) > 0),
    action TEXT NOT NULL CHECK (length(action) > 0),
    booking_id INTEGER REFERENCES bookings (id) ON DELETE RESTRICT,
    subject_id INTEGER REFERENCES subjects (id) ON DELETE RESTRICT,
    detail TEXT CHECK (detail IS NULL OR json_valid(detail))
);
CREATE INDEX audit_booking ON audit (booking_id);
CREATE INDEX audit_subject ON audit (subject_id);
{_append_only("audit")}

PRAGMA application_id = {APPLICATION_ID};
"""


def _v1(db: sqlite_utils.Database) -> None:
    """Subjects, records, images, prints, bookings, booking prints, responses, decisions, audit."""
    db.executescript(_V1)


def _v2(db: sqlite_utils.Database) -> None:
    """Tamper evidence: the chain and its key; every existing row is chained once
    (:mod:`station.gallery.chain`)."""
    from .chain import start

    start(db.conn)


_V3 = """
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(username) BETWEEN 1 AND 64),
    display_name TEXT NOT NULL CHECK (length(display_name) > 0),
    roles TEXT NOT NULL CHECK (json_valid(roles) AND json_type(roles) = 'array'),
    password_hash TEXT NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
    failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    disabled_at TEXT
);
"""


_V5 = f"""
ALTER TABLE images RENAME COLUMN png TO data;
ALTER TABLE images ADD COLUMN format TEXT NOT NULL DEFAULT '{ImageFormat.PNG}'
    CHECK (format IN {_in(IMAGE_FORMATS)})
"""


def _v3(db: sqlite_utils.Database) -> None:
    """Operator accounts (user name unique whatever its case, roles as a JSON array, a
    self-describing scrypt password hash, failed sign-ins and lock-out); the chain is rebuilt
    to track them (:func:`station.gallery.chain.track_tables`)."""
    from .chain import track_tables

    db.conn.execute(_V3)
    track_tables(db.conn)


def _v4(db: sqlite_utils.Database) -> None:
    """Decisions can be undone: the decisions table allows ``undo`` (a row that cancels the
    latest decision not undone yet, append-only like every decision).

    SQLite cannot change a ``CHECK`` in place, so the table is rebuilt with the same columns
    and rows (its indexes and append-only triggers too); the rows' digests do not change, so
    the chain stays valid without new entries.
    """
    conn = db.conn
    table, *extras = _decisions(
        DECISIONS, f"IN {_in((Decision.REJECT, Decision.UNDO))}", name="decisions_v4"
    ).split(";\n")
    conn.execute(table)
    conn.execute("INSERT INTO decisions_v4 SELECT * FROM decisions ORDER BY id")
    conn.execute("DROP TABLE decisions")  # its indexes and triggers go with it
    conn.execute("ALTER TABLE decisions_v4 RENAME TO decisions")
    for statement in extras:
        if statement.strip():
            conn.execute(statement.replace("decisions_v4", "decisions"))


def _v5(db: sqlite_utils.Database) -> None:
    """Prints kept as WSQ: ``images.png`` becomes ``images.data`` and ``images.format`` says
    how it is encoded (every existing image is PNG until ``station gallery migrate-images``
    converts it); the new columns change every image row, so each is chained as an update."""
    from .chain import rechain

    for statement in _V5.split(";\n"):
        db.conn.execute(statement)
    rechain(db.conn, "images", "schema 5: images.format (PNG or WSQ)", 5)


_V6 = f"""
ALTER TABLE records ADD COLUMN history TEXT CHECK (history IS NULL OR json_valid(history));
CREATE TABLE agency_messages (
    id INTEGER PRIMARY KEY,
    booking_id INTEGER NOT NULL REFERENCES bookings (id) ON DELETE RESTRICT,
    tcn TEXT NOT NULL UNIQUE CHECK (length(tcn) > 0),
    system TEXT NOT NULL CHECK (system IN {_in(SYSTEMS)}),
    tot TEXT NOT NULL CHECK (length(tot) > 0),
    status TEXT NOT NULL DEFAULT '{SystemStatus.PENDING}' CHECK (status IN {_in(SYSTEM_STATUSES)}),
    sent_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    deadline_at TEXT NOT NULL,
    answered_at TEXT,
    answered_by TEXT,
    response_tot TEXT,
    result TEXT,
    details TEXT NOT NULL DEFAULT '{{}}' CHECK (json_valid(details)),
    request_digest TEXT NOT NULL CHECK (length(request_digest) = 64),
    response BLOB,
    replaces INTEGER REFERENCES agency_messages (id) ON DELETE RESTRICT,
    CHECK ((status = '{SystemStatus.PENDING}') = (answered_at IS NULL))
);
CREATE INDEX agency_messages_booking ON agency_messages (booking_id, system);
CREATE INDEX agency_messages_status ON agency_messages (status, due_at)
"""


def _v6(db: sqlite_utils.Database) -> None:
    """Secure Communities: ``records.history`` (a JSON criminal or encounter history, NULL on
    records written before) and the ``agency_messages`` queue (one row per message sent to
    an agency, settled once by whichever station answers it). The new column changes every
    record row, so each is chained as an update; the chain then tracks the queue too."""
    from .chain import rechain, track_tables

    for statement in _V6.split(";\n"):
        db.conn.execute(statement)
    rechain(db.conn, "records", "schema 6: records.history", 6)
    track_tables(db.conn)


_ARRESTS = f"""
CREATE TABLE arrests (
    id INTEGER PRIMARY KEY,
    booking_id INTEGER NOT NULL UNIQUE REFERENCES bookings(id),
    oca TEXT NOT NULL CHECK (length(oca) BETWEEN 1 AND 20),
    ori TEXT NOT NULL CHECK (length(ori) = 9),
    date_of_arrest TEXT NOT NULL CHECK (length(date_of_arrest) = 10),
    charges TEXT NOT NULL
        CHECK (json_valid(charges) AND json_type(charges) = 'array'
               AND json_array_length(charges) > 0),
    race TEXT NOT NULL CHECK (race IN {_in(RACES)}),
    smt TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(smt) AND json_type(smt) = 'array'),
    jms_booking TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)"""


def _v7(db: sqlite_utils.Database) -> None:
    """Arrest data of a booking (schema 7, issue 14): one
    row per booking with the arrest number (OCA), the arresting agency's ORI, the date of
    arrest, the charges (a JSON array of ``{"code", "offence_date"}``: the level is computed
    from the offence table, not stored), race, scars/marks/tattoos and the jail management
    system's booking number it came from; the chain is rebuilt to track the new table."""
    from .chain import track_tables

    db.conn.execute(_ARRESTS)
    track_tables(db.conn)


_TRAINING = f"""
CREATE TABLE training_runs (
    id INTEGER PRIMARY KEY,
    scenario_id TEXT NOT NULL CHECK (length(scenario_id) > 0),
    scenario_title TEXT NOT NULL,
    trainee TEXT NOT NULL CHECK (length(trainee) > 0),
    booking_id INTEGER,
    tcn TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    points INTEGER NOT NULL CHECK (points >= 0),
    max_points INTEGER NOT NULL CHECK (max_points >= points),
    score TEXT NOT NULL CHECK (json_valid(score))
);
CREATE INDEX training_runs_trainee ON training_runs (trainee);
CREATE INDEX training_runs_scenario ON training_runs (scenario_id);
{_append_only("training_runs")}
CREATE TABLE training_events (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES training_runs (id) ON DELETE RESTRICT,
    seq INTEGER NOT NULL CHECK (seq >= 1),
    at REAL NOT NULL CHECK (at >= 0),
    action TEXT NOT NULL CHECK (action IN {_in(TRAINEE_ACTIONS)}),
    detail TEXT CHECK (detail IS NULL OR json_valid(detail)),
    UNIQUE (run_id, seq)
);
{_append_only("training_events")}
"""


def _v8(db: sqlite_utils.Database) -> None:
    """Schema 8, training runs: a trainee's scored booking of a scenario (its score as JSON) and the
    timed action events behind it, both append-only and chained (the chain is rebuilt to
    track them). ``booking_id`` is not a foreign key: a purge of old bookings keeps the
    scores."""
    from .chain import track_tables

    for statement in _TRAINING.split(";\n"):
        if statement.strip():
            db.conn.execute(statement)
    track_tables(db.conn)


_CLASSES = f"""
CREATE TABLE training_classes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) > 0),
    instructor TEXT NOT NULL CHECK (length(instructor) > 0),
    trainees TEXT NOT NULL CHECK (json_valid(trainees) AND json_type(trainees) = 'array'),
    scenarios TEXT NOT NULL CHECK (json_valid(scenarios) AND json_type(scenarios) = 'array'),
    time_limit INTEGER NOT NULL CHECK (time_limit > 0),
    created_at TEXT NOT NULL
);
{_append_only("training_classes")}
CREATE TABLE training_class_events (
    id INTEGER PRIMARY KEY,
    class_id INTEGER NOT NULL REFERENCES training_classes (id) ON DELETE RESTRICT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN {_in(CLASS_EVENTS)}),
    trainee TEXT,
    scenario_id TEXT,
    run_id INTEGER REFERENCES training_runs (id) ON DELETE RESTRICT,
    detail TEXT CHECK (detail IS NULL OR json_valid(detail))
);
CREATE INDEX training_class_events_class ON training_class_events (class_id);
{_append_only("training_class_events")}
"""


def _v9(db: sqlite_utils.Database) -> None:
    """Schema 9, training classes (issue 15): a class (its trainees and scenarios in order, a
    time limit per booking) and what happened in it (started, paused, resumed, a trainee's
    booking started and scored, a fault injected), both append-only and chained: a class's
    state is read from its events."""
    from .chain import track_tables

    for statement in _CLASSES.split(";\n"):
        if statement.strip():
            db.conn.execute(statement)
    track_tables(db.conn)


#: Schema 10's change log: one row per change the ``generation`` triggers count (an insert,
#: update or delete of a subject or a print), naming the subject (and, for a print moved to
#: another subject, that one too), so a search index current at one generation can be brought
#: up to date by re-reading only the subjects changed since (``Gallery.template_changes``).
#: Append-only, like the audit: a log that lost rows no longer accounts for every change and
#: is not used.
_CHANGES = f"""
CREATE TABLE template_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_id INTEGER NOT NULL,
    other_subject_id INTEGER
);
{_append_only("template_changes")}
CREATE TRIGGER subjects_changes_insert AFTER INSERT ON subjects
BEGIN INSERT INTO template_changes (subject_id) VALUES (NEW.id); END;
CREATE TRIGGER subjects_changes_update AFTER UPDATE ON subjects
BEGIN INSERT INTO template_changes (subject_id, other_subject_id) VALUES (OLD.id, NEW.id); END;
CREATE TRIGGER subjects_changes_delete AFTER DELETE ON subjects
BEGIN INSERT INTO template_changes (subject_id) VALUES (OLD.id); END;
CREATE TRIGGER prints_changes_insert AFTER INSERT ON prints
BEGIN INSERT INTO template_changes (subject_id) VALUES (NEW.subject_id); END;
CREATE TRIGGER prints_changes_update AFTER UPDATE ON prints BEGIN INSERT INTO
    template_changes (subject_id, other_subject_id) VALUES (OLD.subject_id, NEW.subject_id); END;
CREATE TRIGGER prints_changes_delete AFTER DELETE ON prints
BEGIN INSERT INTO template_changes (subject_id) VALUES (OLD.subject_id); END;
"""


def _v10(db: sqlite_utils.Database) -> None:
    """Schema 10, the change log of subjects and prints (issue 16): a search index cached at
    one generation re-reads only the subjects changed since, not every template."""
    for statement in _CHANGES.split(";\n"):
        if statement.strip():
            db.conn.execute(statement)


#: Migration ``k`` (index ``k - 1``) turns schema version ``k - 1`` into ``k``. Each runs inside
#: the transaction the caller opened and must not commit.
MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _v1,
    _v2,
    _v3,
    _v4,
    _v5,
    _v6,
    _v7,
    _v8,
    _v9,
    _v10,
)

#: Schema version this build writes and reads (``PRAGMA user_version``).
SCHEMA_VERSION: int = len(MIGRATIONS)
