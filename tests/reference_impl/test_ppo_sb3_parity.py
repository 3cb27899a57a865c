"""Our GAE against Stable-Baselines3's RolloutBuffer.compute_returns_and_advantage on random data."""

import numpy as np
import pytest
import torch

from reference_impl.objectives import ppo

buffers = pytest.importorskip("stable_baselines3.common.buffers")
spaces = pytest.importorskip("gymnasium.spaces")


@pytest.mark.parametrize("seed,gamma,lam", [(0, 0.99, 0.95), (1, 0.98, 0.8), (2, 0.9, 1.0), (3, 1.0, 0.0)])
def test_gae_matches_sb3_rollout_buffer(seed, gamma, lam):
    rng = np.random.default_rng(seed)
    T, N = 24, 5
    rewards = rng.normal(size=(T, N)).astype(np.float32)
    values = rng.normal(size=(T, N)).astype(np.float32)
    dones = (rng.random((T, N)) < 0.15).astype(np.float32)  # dones[t]: the episode ended with step t
    last_values = rng.normal(size=N).astype(np.float32)

    buf = buffers.RolloutBuffer(T, spaces.Box(-1, 1, (3,)), spaces.Discrete(2), device="cpu",
                                gae_lambda=lam, gamma=gamma, n_envs=N)
    # SB3 stores episode_starts[t] = "step t begins a new episode" = our dones[t - 1]
    # (step 0 of this buffer may begin one too; that flag does not enter its GAE).
    starts = np.concatenate([rng.random((1, N)) < 0.5, dones[:-1]]).astype(np.float32)
    for t in range(T):
        buf.add(np.zeros((N, 3), np.float32), np.zeros((N, 1)), rewards[t], starts[t],
                torch.as_tensor(values[t]), torch.zeros(N))
    buf.compute_returns_and_advantage(torch.as_tensor(last_values), dones[-1].astype(bool))

    adv, ret = ppo.gae(torch.as_tensor(rewards), torch.as_tensor(values), torch.as_tensor(dones),
                       torch.as_tensor(last_values), gamma, lam)
    np.testing.assert_allclose(adv.numpy(), buf.advantages, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ret.numpy(), buf.returns, rtol=1e-5, atol=1e-5)
