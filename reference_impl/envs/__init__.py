"""Gymnasium environments of the reference implementations, registered under the `RLAtlas/` namespace.

Registration only names entry points, so importing this module does not import the environments' code.
Use: `import reference_impl.envs; gymnasium.make("RLAtlas/Reasoning-v0")`.
"""

import gymnasium as gym

ENVIRONMENTS: dict[str, str] = {
    # gymnasium id -> entry point ("module:Class")
    "RLAtlas/Reasoning-v0": "reference_impl.envs.reasoning:ArithmeticEnv",
    "RLAtlas/ToolUse-v0": "reference_impl.envs.tool_use:CalculatorToolEnv",
    "RLAtlas/Memory-v0": "reference_impl.envs.memory:ChunkedMemoryEnv",
    "RLAtlas/SelfImprovement-v0": "reference_impl.envs.self_improvement:UnlabeledArithmeticEnv",
    "RLAtlas/Planning-v0": "reference_impl.envs.planning:PlanningEnv",
    "RLAtlas/Perception-v0": "reference_impl.envs.perception:PerceptionEnv",
    "RLAtlas/LongHorizon-v0": "reference_impl.envs.long_horizon:LongHorizonEnv",
    "RLAtlas/Collaboration-v0": "reference_impl.envs.collaboration:CollaborationEnv",
    "RLAtlas/Search-v0": "reference_impl.envs.search:SearchEnv",
}

for _env_id, _entry_point in ENVIRONMENTS.items():
    if _env_id not in gym.registry:
        gym.register(id=_env_id, entry_point=_entry_point)
