"""Which runnable script answers to which `rl-atlas run NAME`.

Kept free of torch imports so that the command line can list and check the
scripts without the `rl` extra installed. Every module named here exposes
`main(argv: list[str] | None = None) -> int`.
"""

RUNS: dict[str, tuple[str, str]] = {
    # name: (module, one-line description)
    "cartpole-ppo": ("reference_impl.cartpole_ppo", "PPO on gymnasium CartPole-v1 (CleanRL-style, one file)"),
    "dpo-synthetic": ("reference_impl.dpo_synthetic", "DPO on a synthetic preference task, margin and accuracy vs the reference"),
    "reasoning": ("reference_impl.capabilities.reasoning", "RLVR with GRPO (answer + format reward); --loss dr_grpo|dapo"),
    "tool-use": ("reference_impl.capabilities.tool_use", "tool-integrated RL: calculator calls mid-generation, result tokens masked"),
    "memory": ("reference_impl.capabilities.memory", "bounded memory rewritten each chunk (MEM1/MemAgent style) vs truncated context"),
    "planning": ("reference_impl.capabilities.planning", "planning: multi-turn RL (internal driver) and value-guided search (external guide)"),
    "self-improvement": ("reference_impl.capabilities.self_improvement", "test-time RL from majority-vote pseudo-labels (TTRL style)"),
    "perception": ("reference_impl.capabilities.perception", "GRPO with verifiable visual rewards (IoU / counts) on generated images"),
    "long-horizon": ("reference_impl.capabilities.long_horizon", "turn-level credit assignment vs trajectory-level outcome reward"),
    "collaboration": ("reference_impl.capabilities.collaboration", "two agents (speaker, listener) trained jointly on a team reward (MAGRPO-style GRPO)"),
}


def take_flag(argv: list[str], flag: str, default: str) -> tuple[str, list[str]]:
    """(value, the other arguments): `flag VALUE` or `flag=VALUE` taken out of argv, else `default`. Used for
    flags that choose how to run (`--engine`) or belong to an engine, not to the script."""
    rest, value, i = [], default, 0
    while i < len(argv):
        if argv[i] == flag and i + 1 < len(argv):
            value, i = argv[i + 1], i + 2
            continue
        if argv[i].startswith(flag + "="):
            value = argv[i].split("=", 1)[1]
        else:
            rest.append(argv[i])
        i += 1
    return value, rest
