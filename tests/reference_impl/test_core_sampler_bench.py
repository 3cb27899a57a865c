"""Smoke run of benchmarks/sampler_speed.py on a tiny budget (the three samplers run and agree on shapes)."""

import importlib.util
import json
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_sampler_speed_smoke(tmp_path, capsys):
    pytest.importorskip("transformers", reason="transformers not installed: the side-by-side benchmark needs it")
    spec = importlib.util.spec_from_file_location("sampler_speed", ROOT / "benchmarks" / "sampler_speed.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    out = tmp_path / "speed.json"
    args = ["--device", "cpu", "--batch", "2", "--prompt-len", "4", "--new-tokens", "3", "--repeats", "1", "--out", str(out)]
    assert mod.main(args) == 0
    res = json.loads(out.read_text())
    assert len(res["results"]) == 3 and all(r["tokens_per_s"] > 0 for r in res["results"])
    assert res["params"]["core"] == res["params"]["hf_gpt2"]  # same size, so the comparison is fair
    assert "ratios:" in capsys.readouterr().out
