"""Where the browser tests find Chromium and write their screenshots. The fixtures (`browser`,
`page`, `screenshot`) live in tests/conftest.py: one Playwright for the whole run, whichever
folders' browser tests it holds."""

import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
