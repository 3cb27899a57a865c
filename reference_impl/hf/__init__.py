"""Choosing the policy of a capability script: the tiny character transformer or a Hugging Face causal LM.

A script opts in with three small edits (see reasoning.py):

    @dataclass
    class Config(PolicyFlags): ...                                   # adds --policy, --model, --lora-rank, ...
    tok = build_tokenizer(cfg, CHARSET)                              # was CharTokenizer(CHARSET)
    model = build_model(cfg, tok, n_layer=..., n_embd=..., block_size=...)   # was TinyTransformer(PolicyConfig(...))

and reports `**policy_record(cfg)` in its JSON line. With `--policy tiny` (the default) nothing changes: the same
CharTokenizer and TinyTransformer, built in the same order, so results are identical to before. With
`--policy hf` the model comes from `from_pretrained`: `--model` names a hub id or a folder; left empty it is
Qwen/Qwen2.5-0.5B-Instruct, or under `--quick` a tiny randomly initialised Qwen2 with a locally trained
tokenizer (`reference_impl/hf/tiny.py`), saved and loaded back through the same `from_pretrained` call.

Importing this module does not import transformers; only building an hf policy does (the `llm` extra).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MODEL = "Qwen/Qwen2.5-0.5B-Instruct"
TINY = "tiny-qwen2"  # --model value (and the --quick default) meaning the locally built tiny Qwen2


@dataclass
class PolicyFlags:
    policy: str = field(default="tiny", metadata={"help": "tiny (character transformer) | hf (Hugging Face causal LM)"})
    model: str = field(default="", metadata={"help": f"hf: hub id or folder; empty = {DEFAULT_MODEL}, "
                                                     f"or {TINY} (built locally) with --quick"})
    lora_rank: int = field(default=0, metadata={"help": "hf: LoRA rank through peft (0 = train every weight)"})
    gradient_checkpointing: bool = field(default=True, metadata={"help": "hf on cuda: gradient checkpointing"})


def model_name(cfg) -> str:
    if cfg.policy == "tiny":
        return "char-transformer"
    return cfg.model or (TINY if getattr(cfg, "quick", False) else DEFAULT_MODEL)


def policy_record(cfg) -> dict:
    """What the JSON line says about the policy: {"policy": "tiny" | "hf", "model": ...}."""
    return {"policy": cfg.policy, "model": model_name(cfg)}


_tiny_folder: Path | None = None


def _tiny_dir() -> Path:
    """A per-process folder holding the tiny tokenizer (built once) and the tiny models (one per build)."""
    global _tiny_folder
    if _tiny_folder is None:
        from reference_impl.hf import tiny

        _tiny_folder = Path(tempfile.mkdtemp(prefix="rl-atlas-tiny-"))
        atexit.register(shutil.rmtree, _tiny_folder, True)
        tiny.build_tokenizer(_tiny_folder)
    return _tiny_folder


def _check(cfg) -> None:
    if cfg.policy not in ("tiny", "hf"):
        raise SystemExit(f"--policy must be tiny or hf, not {cfg.policy!r}")


def build_tokenizer(cfg, chars: str | None):
    """CharTokenizer(chars) for --policy tiny; for hf the model's tokenizer, one token per character of `chars`
    (its own BPE when `chars` is None, for free text)."""
    _check(cfg)
    if cfg.policy == "tiny":
        from reference_impl.core import CharTokenizer

        return CharTokenizer(chars)
    from transformers import AutoTokenizer
    from reference_impl.hf.policy import HFTokenizer

    name = model_name(cfg)
    return HFTokenizer(AutoTokenizer.from_pretrained(str(_tiny_dir()) if name == TINY else name), chars=chars)


def build_model(cfg, tok, n_layer: int = 2, n_embd: int = 64, block_size: int = 128):
    """A fresh policy: TinyTransformer for tiny; for hf the named model, or a new random tiny Qwen2 of
    `n_layer` x `n_embd` (saved, then loaded back with from_pretrained). Its weights are drawn from torch's
    global generator, as TinyTransformer's are, so two calls give two different initialisations."""
    _check(cfg)
    if cfg.policy == "tiny":
        from reference_impl.core import PolicyConfig, TinyTransformer

        return TinyTransformer(PolicyConfig(tok.vocab_size, n_layer=n_layer, n_embd=n_embd, block_size=block_size))
    from reference_impl.core import pick_device
    from reference_impl.hf import policy, tiny

    name = model_name(cfg)
    if name == TINY:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            raise RuntimeError("build the tiny local model before joining the process group: transformers' "
                               "save_pretrained writes only on rank 0 once one exists")
        folder = Path(tempfile.mkdtemp(prefix="model-", dir=_tiny_dir()))
        tiny.build_model(folder, tok.vocab_size, n_layer=n_layer, n_embd=n_embd, max_positions=block_size)
        name = str(folder)
    return policy.load_model(name, pick_device(cfg.device), cfg.lora_rank, cfg.gradient_checkpointing)
