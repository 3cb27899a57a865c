"""Fixtures for the site tests: one build of the site from a copy of the catalog that holds a hostile record,
a static server on 127.0.0.1 and Debian's chromium driven by Playwright (no browser is ever downloaded)."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

HOSTILE_ID = "hostile-record"
# Every field a page prints, each trying a different way out of its context.
HOSTILE_TITLE = """Hostile <script>window.__pwned=1</script> "double" 'single' </title><img src=x onerror="window.__pwned=2"> & co"""
HOSTILE = {
    "id": HOSTILE_ID,
    "type": "paper",
    "title": HOSTILE_TITLE,
    "authors": ['Eve <b onmouseover="window.__pwned=3">Mallory</b>', "O'Brien \"Quote\""],
    "year": 2025,
    "venue": "<i>Venue</i>",
    "links": {"paper": 'https://example.org/"><script>window.__pwned=4</script>', "website": "javascript:window.__pwned=5"},
    "aliases": ['"><svg onload="window.__pwned=6">'],
    "summary": "</textarea></script><script>window.__pwned=7</script> *not emphasis* [x](javascript:window.__pwned=8)",
    "capabilities": ["tool-use"],
    "tasks": ["search"],
    "subcategories": ["search-external"],
}


# A record with every typed field, so the paper-page tests never depend on what the curators have filled in.
TYPED_ID = "typed-fixture-record"
TYPED = {
    "id": TYPED_ID,
    "title": "A Fixture Work with Every Typed Field",
    "authors": [f"Author Number{i}" for i in range(1, 41)],
    "year": 2025, "venue": "NeurIPS", "venue_year": 2025,
    "identifiers": {"arxiv": "2501.00001"},
    "links": {"paper": "https://arxiv.org/abs/2501.00001", "code": "https://github.com/example/fixture"},
    "survey_sections": ["4.1.1"], "survey_cites_as": [2],
    "capabilities": ["tool-use"], "tasks": ["search"],
    "role": "method", "training": ["rl", "sft"], "interaction": "multi-turn", "reward_type": "outcome",
    "algorithms": ["grpo", "dapo"], "environments": ["agentbench"], "frameworks": ["agent-lightning"],
    "base_models": [{"family": "Qwen2.5", "size": "7B", "variant": "Instruct"}],
    "placement": "survey", "added": "2031-01-15",
    "provenance": {"algorithms": ["arxiv-html:2501.00001v2"], "base_models": ["readme:https://github.com/example/fixture"],
                   "environments": ["arxiv:2501.00001"], "venue": ["openreview:abcDEF123"], "role": ["atlas"]},
    "summary": "A made-up record used by the site tests.",
}


EXPLORER_TYPED_ID = "typed-fixture-explorer"


def typed_record(dst: Path) -> dict:
    """A record with every typed field set, so each explorer facet has a value whatever the curators have filled
    in yet; it uses only a variant of GRPO (dapo), so `algorithm=grpo` must find it through the lineage."""
    first = lambda kind: sorted(p.stem for p in (dst / kind).glob("*.yaml"))[0]  # noqa: E731
    return {
        "id": EXPLORER_TYPED_ID, "type": "paper", "title": "Typed fixture for the explorer: a record with every typed field",
        "authors": ["Ada Fixture", "Bo Record"], "year": 2024, "venue": "Findings of EMNLP",
        "summary": "A test record whose typed fields are all set.", "capabilities": ["memory"], "tasks": ["search"],
        "role": "method", "training": ["rl", "sft"], "interaction": "multi-turn", "reward_type": "process",
        "base_models": [{"family": "FixtureLM", "size": "7B"}], "algorithms": ["dapo"],
        "environments": [first("environments")], "frameworks": [first("frameworks")], "placement": "atlas",
    }


def hostile_catalog(dst: Path) -> Path:
    """A copy of the repository catalog (frozen for the session) plus the hostile record and the typed record."""
    shutil.copytree(ROOT / "catalog", dst)
    import yaml

    (dst / "papers" / f"{HOSTILE_ID}.yaml").write_text(yaml.safe_dump(HOSTILE, allow_unicode=True), encoding="utf-8")
    (dst / "papers" / f"{TYPED_ID}.yaml").write_text(yaml.safe_dump(TYPED, allow_unicode=True), encoding="utf-8")
    (dst / "papers" / f"{EXPLORER_TYPED_ID}.yaml").write_text(yaml.safe_dump(typed_record(dst)), encoding="utf-8")
    return dst


# The test build is addressed under a subpath, as a deployment on a project page would be (the 404 page's links).
SITE_URL = "http://127.0.0.1/atlas/"


def build_site(catalog: Path, out: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, RL_ATLAS_CATALOG=str(catalog), NO_MKDOCS_2_WARNING="1", RL_ATLAS_SITE_URL=SITE_URL)
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(out)], cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.fixture(scope="session")
def hostile():
    """The hostile paper record added to the test catalog."""
    return dict(HOSTILE)


@pytest.fixture(scope="session")
def site_url():
    return SITE_URL


@pytest.fixture(scope="session")
def typed():
    """The fixture record with every typed field."""
    return dict(TYPED)


@pytest.fixture(scope="session")
def typed_id():
    """The id of the record with every typed field set (see `typed_record`)."""
    return EXPLORER_TYPED_ID


@pytest.fixture(scope="session")
def catalog_dir(tmp_path_factory) -> Path:
    return hostile_catalog(tmp_path_factory.mktemp("site-catalog") / "catalog")


@pytest.fixture(scope="session")
def catalog(catalog_dir):
    from rl_atlas import load_catalog

    return load_catalog(catalog_dir)


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory, catalog_dir) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    proc = build_site(catalog_dir, out)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A browser that closes a connection mid-response (a page closed while its requests ran) is routine,
        not a failure: drop it silently. Any other server error is still printed, as the standard library does."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def base_url(site_dir):
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `apt-get update && apt-get install -y chromium` (never a downloaded browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _failed(pg, request):
    """Record a failed request, except one the browser cancelled itself (net::ERR_ABORTED): a test that moves to
    the next page while the last one's favicon is still loading aborts that request, and a CI run failed on it
    (tests/site/test_site_browser.py::test_hostile_record_renders_as_text). A missing file still shows as its
    HTTP status, and a refused connection as its own error."""
    if request.failure != "net::ERR_ABORTED":
        pg.problems.append(f"request failed: {request.url} {request.failure}")


@pytest.fixture
def page(browser, base_url):
    """A fresh page that records console errors, uncaught exceptions and failed requests."""
    ctx = browser.new_context(accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(15000)
    pg.problems = []
    pg.on("console", lambda m: pg.problems.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.problems.append(f"uncaught: {e}"))
    pg.on("requestfailed", lambda r: _failed(pg, r))
    pg.on("response", lambda r: pg.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    yield pg
    ctx.close()
