"""`rl-atlas add --arxiv`: real client code, replayed against recorded API responses (no network)."""

from __future__ import annotations

import io
import socket
import urllib.error
from pathlib import Path

import pytest
import yaml

from rl_atlas import arxiv, cli, load_catalog

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "arxiv"


class Replay:
    """Stands in for urllib.request.urlopen; records the URLs asked for."""

    def __init__(self, *bodies):
        self.bodies = list(bodies)
        self.urls = []

    def __call__(self, req, timeout=None):
        self.urls.append(req.full_url)
        body = self.bodies.pop(0)
        if isinstance(body, Exception):
            raise body
        return io.BytesIO(body.encode("utf-8"))


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def guard(*a, **k):
        raise AssertionError("a test tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", guard)


def test_parse_recorded_response():
    e = arxiv.parse_feed((FIX / "2503.09516.xml").read_text(), "2503.09516")
    assert e.title == "Search-R1: Training LLMs to Reason and Leverage Search Engines with Reinforcement Learning"
    assert e.authors == ["Bowen Jin", "Hansi Zeng", "Zhenrui Yue"]
    assert e.published_year == 2025


@pytest.mark.parametrize("raw", ["2503.09516", "arXiv:2503.09516v5", "https://arxiv.org/abs/2503.09516v2", "https://arxiv.org/pdf/2503.09516.pdf"])
def test_normalise_id(raw):
    assert arxiv.normalise_id(raw) == "2503.09516"


def test_bad_id_is_refused():
    with pytest.raises(arxiv.ArxivError, match="not an arXiv id"):
        arxiv.normalise_id("search-r1")


def test_fetch_asks_the_export_api_and_retries_on_503(monkeypatch):
    monkeypatch.setattr(arxiv.time, "sleep", lambda s: None)
    busy = urllib.error.HTTPError("https://export.arxiv.org", 503, "busy", {}, None)
    replay = Replay(busy, (FIX / "2503.09516.xml").read_text())
    e = arxiv.fetch("2503.09516", opener=replay)
    assert e.arxiv_id == "2503.09516"
    assert len(replay.urls) == 2
    assert replay.urls[0].startswith("https://export.arxiv.org/api/query?id_list=2503.09516")


def test_unknown_id_gives_a_clear_error():
    with pytest.raises(arxiv.ArxivError, match="no paper"):
        arxiv.fetch("2599.99999", opener=Replay((FIX / "not-found.xml").read_text()))


def test_add_writes_a_stub_that_validates(mini, monkeypatch, capsys):
    replay = Replay((FIX / "2503.09516.xml").read_text())
    monkeypatch.setattr(arxiv, "fetch", lambda aid: arxiv.parse_feed(replay(type("R", (), {"full_url": aid})()).read().decode(), aid))
    assert cli.main(["add", "--arxiv", "2503.09516", "--catalog", str(mini)]) == 0
    path = mini / "papers" / "search-r1.yaml"
    rec = yaml.safe_load(path.read_text())
    assert rec["identifiers"]["arxiv"] == "2503.09516"
    assert rec["links"]["paper"] == "https://arxiv.org/abs/2503.09516"
    assert "summary" not in rec  # the abstract is never pasted in
    cat = load_catalog(mini)
    assert cat.errors == []
    assert "search-r1" in cat.papers
    # a second add of the same id is refused and changes nothing
    before = path.read_text()
    assert cli.main(["add", "--arxiv", "2503.09516", "--catalog", str(mini)]) == 1
    assert path.read_text() == before
    assert "already in the catalog" in capsys.readouterr().err


def test_add_network_failure_leaves_nothing_behind(mini, monkeypatch, capsys):
    def fail(aid):
        raise arxiv.ArxivError("could not reach the arXiv API for 2503.09516: timed out")

    monkeypatch.setattr(arxiv, "fetch", fail)
    before = sorted(p.name for p in (mini / "papers").iterdir())
    assert cli.main(["add", "--arxiv", "2503.09516", "--catalog", str(mini)]) == 1
    assert sorted(p.name for p in (mini / "papers").iterdir()) == before
    assert "could not reach" in capsys.readouterr().err
