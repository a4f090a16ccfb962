"""The dashboard knows only the published warehouse and the chart builders.

It never imports Dagster, the sources or the definitions (so it starts fast and cannot reach a
credential), and it never renders repository text as HTML.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.dashboards.conftest import APP, PAGES

DASHBOARDS = APP.parent
FORBIDDEN = ("dagster", "github", "kubernetes", "pipelines.definitions", "pipelines.sources",
             "pipelines.resources", "pipelines.config", "assets")

PROBE = """
import json, os, sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=60).run()
errors = [e.value for e in at.exception]
for page in {pages!r}[1:]:
    at.switch_page(f"views/{{page}}.py").run()
    errors += [e.value for e in at.exception]
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {roots!r} or m in {names!r})
print(json.dumps({{"errors": errors, "loaded": loaded}}))
"""


def test_pages_import_no_dagster_sources_or_credentials(warehouse: Path, tmp_path: Path):
    roots = sorted({name.split(".")[0] for name in FORBIDDEN if "." not in name})
    names = sorted(name for name in FORBIDDEN if "." in name)
    script = PROBE.format(app=str(APP), pages=list(PAGES), roots=roots, names=names)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=180, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["errors"] == []
    assert result["loaded"] == []


def test_no_source_renders_html():
    pattern = re.compile(r"unsafe_allow_html|st\.html\(|components\.v1|\.html\(")
    offenders = [
        f"{path.relative_to(DASHBOARDS)}:{n}"
        for path in DASHBOARDS.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert offenders == []
