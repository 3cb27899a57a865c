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
    # a second add of the same id is skipped (not an error in a batch) and changes nothing
    before = path.read_text()
    assert cli.main(["add", "--arxiv", "2503.09516", "--catalog", str(mini)]) == 0
    assert path.read_text() == before
    assert "already in the catalog" in capsys.readouterr().err


def _replay_fetch(monkeypatch, bodies: dict[str, str]):
    """arxiv.fetch answered from recorded feeds, keyed by id; counts the ids looked up."""
    asked = []

    def fake(aid):
        asked.append(aid)
        return arxiv.parse_feed(bodies[aid], aid)

    monkeypatch.setattr(arxiv, "fetch", fake)
    monkeypatch.setattr(cli.time, "sleep", lambda s: None)
    return asked


def _feed(arxiv_id: str, title: str | None = None, doi: str | None = None) -> str:
    """The recorded Search-R1 response, re-labelled as another id (and title/DOI) to stand for another paper."""
    text = (FIX / "2503.09516.xml").read_text().replace("2503.09516", arxiv_id)
    if title:
        text = text.replace("Search-R1: Training LLMs to Reason and Leverage Search Engines with\n  Reinforcement Learning", title)
    if doi:
        text = text.replace("</entry>", f'<arxiv:doi xmlns:arxiv="http://arxiv.org/schemas/atom">{doi}</arxiv:doi></entry>')
    return text


def test_add_two_ids_one_present_adds_one_and_skips_the_other(mini, monkeypatch, capsys):
    asked = _replay_fetch(monkeypatch, {"2503.09516": (FIX / "2503.09516.xml").read_text()})
    assert cli.main(["add", "--arxiv", "2501.00001", "https://arxiv.org/abs/2503.09516v2", "--catalog", str(mini)]) == 0
    err = capsys.readouterr().err
    assert "skipped 2501.00001: already in the catalog as" in err and "alpha-agent.yaml (same arXiv id)" in err
    assert "1 added, 1 skipped" in err
    assert asked == ["2503.09516"]  # a known id costs no API call
    rec = yaml.safe_load((mini / "papers" / "search-r1.yaml").read_text())
    assert rec["placement"] == "atlas" and rec["added"] and rec["provenance"]["title"] == ["arxiv:2503.09516"]
    assert load_catalog(mini).errors == []


def test_add_dedupes_by_title_and_doi_and_within_the_batch(mini, monkeypatch, capsys):
    (mini / "papers" / "beta-search.yaml").write_text(
        (mini / "papers" / "beta-search.yaml").read_text().replace("identifiers:\n", "identifiers:\n  doi: 10.1234/beta\n"))
    _replay_fetch(monkeypatch, {
        "2601.00001": _feed("2601.00001", title="Beta-Search: tool use for SEARCH"),
        "2601.00002": _feed("2601.00002", title="A New Title", doi="10.1234/BETA"),
        "2601.00003": _feed("2601.00003", title="Gamma-Zero: A Genuinely New Work"),
        "2601.00004": _feed("2601.00004", title="Gamma-Zero: A Genuinely New Work"),
    })
    ids = mini / "ids.txt"
    ids.write_text("# post-survey works\n2601.00001\n2601.00002  # same DOI as beta-search\n2601.00003\n2601.00004\n")
    assert cli.main(["add", "--from-file", str(ids), "--catalog", str(mini)]) == 0
    err = capsys.readouterr().err
    assert "skipped 2601.00001" in err and "(same title)" in err
    assert "skipped 2601.00002" in err and "(same DOI)" in err
    assert "skipped 2601.00004" in err and "1 added, 3 skipped" in err
    assert (mini / "papers" / "gamma-zero.yaml").exists()


def test_add_needs_ids(mini, capsys):
    assert cli.main(["add", "--catalog", str(mini)]) == 2
    assert "--arxiv" in capsys.readouterr().err


def test_add_network_failure_leaves_nothing_behind(mini, monkeypatch, capsys):
    def fail(aid):
        raise arxiv.ArxivError("could not reach the arXiv API for 2503.09516: timed out")

    monkeypatch.setattr(arxiv, "fetch", fail)
    before = sorted(p.name for p in (mini / "papers").iterdir())
    assert cli.main(["add", "--arxiv", "2503.09516", "--catalog", str(mini)]) == 1
    assert sorted(p.name for p in (mini / "papers").iterdir()) == before
    assert "could not reach" in capsys.readouterr().err
