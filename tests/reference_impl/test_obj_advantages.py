"""Objectives: advantages (GRPO, Dr. GRPO, RLOO, REINFORCE) and the DAPO data-side helpers."""

import pytest
import torch

from reference_impl.objectives.dapo import dynamic_sampling_filter, overlong_penalty
from reference_impl.objectives.grpo import group_advantages
from reference_impl.objectives.reinforce import reinforce_advantages, rloo_advantages

torch.set_num_threads(1)
# Two groups of G = 4: one informative, one where every response got the same reward.
REWARDS = torch.tensor([1.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 2.0])


def test_group_advantages_sample_std():
    # Group 1: mean 0.25, deviations (0.75, -0.25, -0.25, -0.25), squared sum 0.5625 + 3*0.0625 = 0.75,
    # sample variance 0.75 / 3 = 0.25 -> std 0.5 -> A = dev / (0.5 + 1e-4).
    # Group 2: all equal -> deviations 0 -> A = 0 (eps keeps 0/0 away).
    adv = group_advantages(REWARDS, group_size=4)
    expected = [0.75 / 0.5001, -0.25 / 0.5001, -0.25 / 0.5001, -0.25 / 0.5001, 0, 0, 0, 0]
    assert adv.tolist() == pytest.approx(expected, abs=1e-6)


def test_group_advantages_population_std_and_dr_grpo():
    # Population variance 0.75 / 4 = 0.1875 -> std 0.4330127
    adv = group_advantages(REWARDS, 4, scale="population", eps=0.0)
    assert adv[:4].tolist() == pytest.approx([0.75 / 0.4330127, -0.25 / 0.4330127, -0.25 / 0.4330127, -0.25 / 0.4330127], rel=1e-6)
    # Dr. GRPO: no std scaling at all, just the centred rewards.
    assert group_advantages(REWARDS, 4, scale=None).tolist() == pytest.approx([0.75, -0.25, -0.25, -0.25, 0, 0, 0, 0])
    with pytest.raises(ValueError):
        group_advantages(REWARDS, 4, scale="median")


def test_rloo_and_reinforce_advantages():
    # RLOO, group 1: A_0 = 1 - (0+0+0)/3 = 1, A_1 = 0 - (1+0+0)/3 = -1/3; group 2: 2 - 2 = 0.
    assert rloo_advantages(REWARDS, 4).tolist() == pytest.approx([1, -1 / 3, -1 / 3, -1 / 3, 0, 0, 0, 0])
    # Batch-mean baseline: mean of all 8 rewards = 9/8.
    assert reinforce_advantages(REWARDS).tolist() == pytest.approx((REWARDS - 1.125).tolist())
    assert reinforce_advantages(REWARDS, baseline=1.0).tolist() == pytest.approx((REWARDS - 1.0).tolist())
    with pytest.raises(ValueError):
        rloo_advantages(REWARDS, 1)


def test_dynamic_sampling_filter_drops_uniform_groups():
    r = torch.tensor([1.0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1])
    assert dynamic_sampling_filter(r, 4).tolist() == [True] * 4 + [False] * 8


def test_overlong_penalty_band():
    # L_max = 10, L_cache = 4 -> soft band starts after 6 tokens; (6 - L) / 4 inside (6, 10]; -1 beyond 10.
    lengths = torch.tensor([5, 6, 7, 8, 10, 11])
    assert overlong_penalty(lengths, max_len=10, cache=4).tolist() == pytest.approx([0, 0, -0.25, -0.5, -1.0, -1.0])


def test_group_advantages_match_trl_nanstd():
    trl_utils = pytest.importorskip("trl.trainer.utils", reason="trl not installed: TRL parity skipped")
    torch.manual_seed(0)
    r = torch.rand(6 * 5)
    grouped = r.view(6, 5)
    ref = (grouped - grouped.mean(1, keepdim=True)) / (trl_utils.nanstd(grouped, dim=1).unsqueeze(1) + 1e-4)
    torch.testing.assert_close(group_advantages(r, 5), ref.reshape(-1))
