"""Minimal, readable PyTorch + gymnasium implementations of the RL methods behind agentic capabilities.

Needs the `rl` extra: pip install -e '.[rl]'.
"""
