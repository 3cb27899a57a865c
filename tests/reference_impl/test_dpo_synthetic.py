"""dpo_synthetic.py: DPO raises the chosen-over-rejected margin and the preference accuracy
on held-out pairs, measured against the step-0 policy of the same run (fixed seed)."""

import json

import pytest
import torch

from reference_impl import dpo_synthetic

torch.set_num_threads(1)


def test_dpo_learns_the_preference(tmp_path, capsys):
    curve = tmp_path / "curve.json"
    assert dpo_synthetic.main(["--quick", "--seed", "0", "--device", "cpu", "--history", str(curve)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("algorithm", "metric", "before", "after", "steps", "seconds"):
        assert key in result
    assert result["algorithm"] == "dpo"
    # At step 0 the policy IS the reference: the margin is exactly 0, so no pair is won yet.
    assert result["margin_before"] == 0.0 and result["before"] == 0.0
    # After training: the held-out implicit-reward margin is clearly positive and most pairs are won.
    assert result["margin_after"] > 0.5
    assert result["after"] >= 0.6
    # The policy alone (no reference) now prefers the chosen response more often than before.
    assert result["policy_accuracy_after"] > result["policy_accuracy_before"] + 0.05
    history = json.loads(curve.read_text())["history"]
    assert history[0]["step"] == 0 and history[-1]["step"] == result["steps"]


def test_quick_keeps_explicit_flags():
    cfg = dpo_synthetic.parse_config(["--quick", "--dpo-steps", "7"])
    assert cfg.dpo_steps == 7 and cfg.sft_steps == dpo_synthetic.QUICK["sft_steps"]
    with pytest.raises(SystemExit):
        dpo_synthetic.parse_config(["--no-such-flag"])
