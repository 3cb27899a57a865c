"""Countdown and GSM8K-style tasks: rewards by hand, the shipped samples, loading through `datasets`."""

import json

import pytest

from reference_impl.envs import text_tasks as T


def test_countdown_reward_by_hand():
    assert T.countdown_reward("<answer>(25 - 5) * 3</answer>", [3, 5, 25], 60) == (1.0, True)
    assert T.countdown_reward("think... <answer>(25-5)*3 = 60</answer>", [25, 5, 3], 60) == (1.0, True)
    assert T.countdown_reward("<answer>25 * 3 - 5</answer>", [3, 5, 25], 60) == (0.1, False)  # 70
    assert T.countdown_reward("<answer>(25 - 5) * 3</answer>", [3, 5, 25, 7], 60) == (0.1, False)  # 7 unused
    assert T.countdown_reward("<answer>25 * 3 - 5 - 5 - 5</answer>", [3, 5, 25], 60) == (0.1, False)  # 5 reused
    assert T.countdown_reward("(25 - 5) * 3", [3, 5, 25], 60) == (0.0, False)  # no tag


@pytest.mark.parametrize("expr", ["__import__('os').system('true')", "2**10", "x + 1", "1 / 0", "(1,2)", "1.5 + 1",
                                  "True + 1", "[1][0]", "1 if 1 else 2", "()" * 400])
def test_expression_evaluator_runs_nothing_but_arithmetic(expr):
    assert T.evaluate_expression(expr) is None


def test_generated_countdown_problems_are_solvable():
    for row in T.make_countdown(50, seed=3):
        assert 3 <= len(row["nums"]) <= 4 and 1 <= row["target"] <= 999


def test_gsm8k_gold_and_reward():
    assert T.gsm8k_gold("Half of 10 is 5.\n#### 1,234") == 1234 and T.gsm8k_gold("no marker") is None
    assert T.gsm8k_reward("... so <answer>$1,234</answer>", 1234) == (1.0, True)
    assert T.gsm8k_reward("<answer>12</answer>", 1234) == (0.1, False)
    for row in T.make_gsm8k_style(20):
        assert T.gsm8k_gold(row["answer"]) is not None and T.gsm8k_gold(row["answer"]) >= 0


def test_shipped_samples_are_what_the_generators_make():
    for name, make in (("countdown", T.make_countdown), ("gsm8k", T.make_gsm8k_style)):
        rows = [json.loads(line) for line in T.SAMPLES[name].read_text().splitlines()]
        assert rows == make(len(rows)), f"{T.SAMPLES[name]} is stale: run text_tasks.write_samples()"


def test_load_through_datasets_and_score():
    pytest.importorskip("datasets")
    train, test = T.load("countdown", "train", 8, source="sample"), T.load("countdown", "test", 8, source="sample")
    assert len(train) == len(test) == 8 and train[0] != test[0]
    assert "<answer>" in train[0]["prompt"] and str(train[0]["target"]) in train[0]["prompt"]
    gsm = T.load("gsm8k", "test", 4, source="sample")
    assert T.reward("gsm8k", f"<answer>{gsm[0]['gold']}</answer>", gsm[0]) == (1.0, True)
    with pytest.raises(ValueError):
        T.load("mmlu")
