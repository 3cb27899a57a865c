"""One runnable script per agentic capability (issue 5), each `main(argv) -> int` printing one JSON line.

    reasoning.py         RLVR with GRPO on verifiable arithmetic; --loss grpo | dr_grpo | dapo
    tool_use.py          tool-integrated RL: calculator calls mid-generation, result tokens masked
    memory.py            a fixed-size memory rewritten chunk by chunk, vs a truncated context
    self_improvement.py  test-time RL from majority-vote pseudo-labels (TTRL), no ground truth
    planning.py, perception.py, long_horizon.py   (see their own docstrings)

Run one with `python reference_impl/capabilities/<name>.py --quick` or `rl-atlas run <capability-id> --quick`.
"""
