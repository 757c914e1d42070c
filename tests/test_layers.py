"""The layers stay apart: the core, the gallery, the scanner and the services never load Qt."""

from __future__ import annotations

import subprocess
import sys


def test_core_and_gallery_do_not_import_qt() -> None:
    code = (
        "import sys\n"
        "import station.core, station.core.synth, station.core.extract, station.core.template\n"
        "import station.core.overlay, station.core.image, station.gallery, station.settings\n"
        "import station.service, station.scanner.mock, station.scanner.files\n"
        "from station.core.synth import impression\n"
        "from station.core.extract import extract\n"
        "extract(impression(1, 'R2', 0, kind='flat')[0])\n"
        "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt was imported'\n"
        "assert 'sqlite3' not in sys.modules or 'station.gallery' in sys.modules\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_core_sources_do_not_import_qt_or_sql() -> None:
    from pathlib import Path

    import station.core

    root = Path(station.core.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for banned in ("PySide6", "sqlite3", "sqlite_utils"):
            assert f"import {banned}" not in text and f"from {banned}" not in text, path
