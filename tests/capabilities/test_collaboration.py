"""Collaboration capability: the speaker-listener environment and the joint (MAGRPO-style) GRPO script."""

import json

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import reference_impl.envs  # noqa: F401  (registers the environments)
from reference_impl.envs.collaboration import CollaborationEnv
from tests.capabilities._learning import consecutive_runs, mean_lead


def test_check_env():
    check_env(gym.make("RLAtlas/Collaboration-v0").unwrapped)


def test_a_team_episode_by_hand():
    env = CollaborationEnv()
    obs, info = env.reset(seed=0, options={"pair": (3, 7)})
    assert obs == "A3>" and info["role"] == "speaker"
    obs, reward, terminated, _, _ = env.step("d")
    assert obs == "B07|d>" and reward == 0.0 and not terminated
    _, reward, terminated, _, info = env.step("307")
    assert terminated and info["correct"] and reward == 1.0
    env.reset(options={"pair": (3, 7)})
    env.step("d")
    assert env.step("407")[1] == 0.0  # wrong first digit: the listener misread the message


def test_single_agent_mode_hides_the_message():
    env = CollaborationEnv(mode="single")
    env.reset(options={"pair": (3, 42)})
    obs, *_ = env.step("d")
    assert obs == "B42|_>"


@pytest.mark.parametrize("message", ["", "dd", "3", "Z", "d\x00", "é" * 50])
def test_malformed_messages_are_penalised_not_raised(message):
    env = CollaborationEnv()
    env.reset(options={"pair": (1, 2)})
    obs, reward, terminated, _, info = env.step(message)
    assert reward == -env.bad_action_penalty and not terminated and info["verdict"] == "malformed message"
    assert obs == "B02|_>" and env.observation_space.contains(obs)


@pytest.mark.parametrize("answer", ["", "1", "1022", "abc", "1 2", "\x00\x00\x00", "١٠٢"])
def test_malformed_answers_end_the_episode_with_the_penalty(answer):
    env = CollaborationEnv()
    env.reset(options={"pair": (1, 2)})
    env.step("b")
    obs, reward, terminated, _, info = env.step(answer)
    assert terminated and reward == -env.bad_action_penalty and info["verdict"] == "malformed answer"
    assert env.observation_space.contains(obs)


def test_train_and_held_out_codes_are_disjoint():
    from reference_impl.capabilities import collaboration

    for seed in (1, 2):
        cfg = collaboration.parse_flags(collaboration.Config, ["--quick", "--seed", str(seed)], quick=collaboration.QUICK)
        train, held_out = collaboration.split_pairs(cfg)
        assert not set(train) & set(held_out) and len(train) + len(held_out) == 1000
        assert len(held_out) == 200 and {a for a, _ in train} == set(range(10))  # every speaker digit is trained


def _run(capsys, argv):
    from reference_impl.capabilities import collaboration

    assert collaboration.main(argv) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_smoke_json_line(capsys):
    out = _run(capsys, ["--quick", "--warmup-steps", "3", "--rl-steps", "2", "--eval-every", "1", "--eval-codes", "4",
                        "--eval-samples", "1", "--prompts-per-step", "2", "--group-size", "2"])
    assert {"capability", "metric", "before", "baseline", "after", "baselines", "curve", "curves", "clip_fraction"} <= out.keys()
    assert out["capability"] == "collaboration" and len(out["baselines"]) >= 2
    assert out["baseline"] == out["baselines"]["single-agent"]
    assert [p["step"] for p in out["curve"]] == [0, 1, 2]
    assert set(out["curves"]) == {"single-agent", "independent"}


@pytest.mark.slow
def test_joint_grpo_beats_before_and_the_single_agent():
    """Joint (MAGRPO-style) GRPO must beat, in the same runs, the warm-up team (`before`) and the single agent
    (`baseline`), on the mean of three fresh seeds (the first drawn at random, then the next two), and the single
    agent on each of them. Margins: half the worst single seeds of `benchmarks/capability_seeds.py --capability
    collaboration --seeds 101..110 --quick`, after - before 0.100, after - baseline 0.312 (both seed 110). The
    independently trained pair is not asserted: joint beat it on 9 of 10 seeds (by 0.42 on average) but tied it on
    seed 110 (-0.015), where the joint team had not yet settled on one code.
    Seed 913450 (drawn by a CI run) once failed here because its warm-up ended before the listener learnt to read
    its input; the warm-up now runs until it has, and 913450 and 30 fresh seeds (9201..9230) all held, worst
    margins +0.10 and +0.31 (docs/implementations/collaboration.md). Why three: a later CI run drew 590051, on which
    the joint team never settled on a code (0.255 before, 0.265 after; single agent 0.0, independent pair 0.21). Over
    the 51 runs measured before it (41 seeds, and 101..110 again on the Xeon), the lead over the warm-up is
    +0.36 +- 0.12 per run, so a mean of three stays far above 0.05 even with one such seed in it (about +0.24)."""
    from reference_impl.capabilities.collaboration import main

    outs, replay = consecutive_runs(main, ["--quick"])
    msg = (replay, [{k: o[k] for k in ("seed", "before", "baseline", "after", "baselines")} for o in outs])
    assert mean_lead(outs, "after", "before") >= 0.05, msg
    assert mean_lead(outs, "after", "baseline") >= 0.15, msg
    assert all(o["after"] > o["baseline"] for o in outs), msg
