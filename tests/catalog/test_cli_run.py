"""`rl-atlas run`: lists the runs, refuses unknown ones, and explains the `rl` extra when torch is missing."""

from __future__ import annotations

import importlib.util

from rl_atlas import cli
from reference_impl.registry import RUNS


def test_run_lists_every_registered_script(capsys):
    assert cli.main(["run"]) == 0
    out = capsys.readouterr().out
    for name in RUNS:
        assert name in out


def test_every_registered_module_exists():
    for name, (module, _) in RUNS.items():
        assert importlib.util.find_spec(module) is not None, name


def test_unknown_run_is_refused(capsys):
    assert cli.main(["run", "no-such-method"]) == 2
    assert "unknown run" in capsys.readouterr().err


def test_missing_torch_says_how_to_install(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    assert cli.main(["run", "cartpole-ppo"]) == 2
    assert "pip install -e '.[rl]'" in capsys.readouterr().err


def test_run_passes_arguments_through(monkeypatch):
    seen = {}

    class Fake:
        @staticmethod
        def main(argv):
            seen["argv"] = argv
            return 0

    monkeypatch.setattr(cli.importlib, "import_module", lambda name: Fake)
    assert cli.main(["run", "reasoning", "--quick", "--seed", "3"]) == 0
    assert seen["argv"] == ["--quick", "--seed", "3"]
