"""DPO on a synthetic preference task, in one file: config, data, model, SFT warm-up, DPO loop, evaluation.

Catalog record: `algorithms/dpo`. Paper: Rafailov et al. 2023, arXiv 2305.18290 (eq. 7).
The loss lives in reference_impl/objectives/preference.py.

Task: the prompt is a few distinct letters, e.g. "dbf=". Two responses are well formed: the
letters copied ("dbf") or reversed ("fbd"), each followed by <eos>. The labeller's rule is
"reverse the prompt": the chosen response is the reversal, the rejected one the copy.
1. SFT warm-up on an even mix of copies and reversals, so the reference model knows both
   behaviours and prefers neither.
2. DPO from that reference on (reversal, copy) pairs.
Evaluation uses held-out prompts: the mean log-ratio margin h_w - h_l (h = log pi - log ref),
the share of pairs where it is positive (preference accuracy against the reference; exactly 0
at step 0, since pi = ref there), the policy's own preference log pi(y_w) > log pi(y_l), and
the share of sampled responses that reverse (rule_rate) or copy (copy_rate) the prompt.

Run:   python reference_impl/dpo_synthetic.py [--seed 0] [--device cpu|cuda] [--quick]
   or: rl-atlas run dpo-synthetic [--seed N]
Progress goes to stderr; stdout gets one JSON line.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field

import torch

if __package__ in (None, ""):  # run as a file: make `reference_impl` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from reference_impl.core import (  # noqa: E402
    POLICY,
    PROMPT,
    CharTokenizer,
    PolicyConfig,
    TinyTransformer,
    TokenBuffer,
    autocast,
    collate,
    frozen_copy,
    generate,
    pad_sequences,
    pick_device,
    seed_everything,
    token_logprobs,
)
from reference_impl.core.config import parse_config as parse_flags  # noqa: E402
from reference_impl.objectives.preference import dpo_loss, sequence_logps  # noqa: E402


@dataclass
class Config:
    seed: int = field(default=0, metadata={"help": "seed of torch, random and the data"})
    device: str = field(default="", metadata={"help": "cpu or cuda; empty picks cuda when available"})
    quick: bool = field(default=False, metadata={"help": "tiny budget for tests (fewer steps, smaller eval)"})
    threads: int = field(default=1, metadata={"help": "torch CPU threads"})
    alphabet: str = field(default="abcdef", metadata={"help": "letters the prompts draw from"})
    min_len: int = field(default=2, metadata={"help": "fewest letters in a prompt"})
    max_len: int = field(default=4, metadata={"help": "most letters in a prompt"})
    n_layer: int = field(default=2, metadata={"help": "transformer blocks"})
    n_embd: int = field(default=64, metadata={"help": "transformer width"})
    sft_steps: int = field(default=1200, metadata={"help": "SFT warm-up steps on copies and reversals"})
    sft_lr: float = field(default=3e-3, metadata={"help": "Adam learning rate of the warm-up"})
    dpo_steps: int = field(default=300, metadata={"help": "DPO steps"})
    lr: float = field(default=3e-4, metadata={"help": "Adam learning rate of DPO"})
    beta: float = field(default=0.1, metadata={"help": "DPO temperature beta (eq. 7)"})
    batch_size: int = field(default=64, metadata={"help": "pairs per DPO step (and sequences per SFT step)"})
    eval_pairs: int = field(default=256, metadata={"help": "held-out pairs (and prompts sampled) per evaluation"})
    eval_every: int = field(default=25, metadata={"help": "DPO steps between evaluations"})
    history: str = field(default="", metadata={"help": "if set, write the evaluation curve to this JSON file"})


QUICK = dict(sft_steps=200, sft_lr=1e-3, dpo_steps=120, lr=1e-3, eval_pairs=96, eval_every=40, batch_size=48)


def parse_config(argv: list[str] | None = None) -> Config:
    """One --flag per dataclass field; --quick shrinks the budget, explicit flags still win."""
    return parse_flags(Config, argv, __doc__.split("\n")[0], quick=QUICK)


# ---------------------------------------------------------------- data
class Task:
    def __init__(self, cfg: Config, seed: int) -> None:
        self.cfg, self.rng = cfg, random.Random(seed)
        self.tok = CharTokenizer(cfg.alphabet + "=")

    def prompt(self) -> list[str]:
        return self.rng.sample(self.cfg.alphabet, self.rng.randint(self.cfg.min_len, self.cfg.max_len))

    def buffer(self, letters: list[str], response: str) -> TokenBuffer:
        """<bos> prompt '=' are context (PROMPT); the response and <eos> are what the policy is scored on."""
        tok = self.tok
        return TokenBuffer().add([tok.bos_id] + tok.encode("".join(letters) + "="), PROMPT).add(
            tok.encode(response) + [tok.eos_id], POLICY
        )

    def sft_batch(self, n: int):
        items = []
        for _ in range(n):
            letters = self.prompt()
            forward = "".join(letters)
            items.append(self.buffer(letters, forward[::-1] if self.rng.random() < 0.5 else forward))
        return collate(items, self.tok.pad_id)

    def pair_batch(self, n: int):
        """Chosen rows first, then their rejected partners: one forward pass scores both."""
        chosen, rejected = [], []
        for _ in range(n):
            letters = self.prompt()
            forward = "".join(letters)
            chosen.append(self.buffer(letters, forward[::-1]))
            rejected.append(self.buffer(letters, forward))
        return collate(chosen + rejected, self.tok.pad_id)


def seq_logps(model, batch, device) -> torch.Tensor:
    ids, att, mask = (t.to(device) for t in (batch.input_ids, batch.attention_mask, batch.loss_mask))
    with autocast(device):
        return sequence_logps(token_logprobs(model, ids, att), mask)


# ---------------------------------------------------------------- evaluation
@torch.no_grad()
def evaluate(policy, ref, pairs, prompts, task: Task, device, seed: int) -> dict[str, float]:
    n = pairs.input_ids.shape[0] // 2
    pol, rf = seq_logps(policy, pairs, device), seq_logps(ref, pairs, device)
    h = pol - rf  # implicit reward / beta of every response
    margin = h[:n] - h[n:]
    ids, mask = pad_sequences([[task.tok.bos_id] + task.tok.encode("".join(p) + "=") for p in prompts], task.tok.pad_id, "left", device)
    g = torch.Generator(device=device).manual_seed(seed)
    with autocast(device):
        roll = generate(policy, ids, mask, task.cfg.max_len + 1, stop_ids=[task.tok.eos_id], generator=g, pad_id=task.tok.pad_id)
    texts = [task.tok.decode(r[: int(m.sum())].tolist()) for r, m in zip(roll.responses, roll.response_mask)]
    reversed_ = [t == "".join(p)[::-1] + "<eos>" for t, p in zip(texts, prompts)]  # follows the rule
    copied = [t == "".join(p) + "<eos>" for t, p in zip(texts, prompts)]  # the rejected behaviour
    return {
        "margin": margin.mean().item(),
        "chosen_logratio": h[:n].mean().item(),
        "rejected_logratio": h[n:].mean().item(),
        "accuracy": (margin > 0).float().mean().item(),
        "policy_accuracy": (pol[:n] > pol[n:]).float().mean().item(),
        "rule_rate": sum(reversed_) / len(texts),
        "copy_rate": sum(copied) / len(texts),
    }


# ---------------------------------------------------------------- training
def run(cfg: Config) -> dict:
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    device = pick_device(cfg.device)
    task, held_out = Task(cfg, cfg.seed), Task(cfg, cfg.seed + 10_000)
    eval_pairs = held_out.pair_batch(cfg.eval_pairs)
    eval_prompts = [held_out.prompt() for _ in range(cfg.eval_pairs)]
    policy = TinyTransformer(
        PolicyConfig(task.tok.vocab_size, n_layer=cfg.n_layer, n_embd=cfg.n_embd, block_size=2 * cfg.max_len + 4)
    ).to(device)
    t0 = time.time()

    # 1. SFT warm-up: maximum likelihood of copies and reversals (response tokens only).
    opt = torch.optim.AdamW(policy.parameters(), lr=cfg.sft_lr, weight_decay=0.0)
    for step in range(cfg.sft_steps):
        b = task.sft_batch(cfg.batch_size)
        mask = b.loss_mask.to(device)
        loss = -(seq_logps(policy, b, device) / mask.sum(1)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    print(f"sft done: nll/token {loss.item():.3f} ({time.time() - t0:.1f}s)", file=sys.stderr)

    # 2. DPO against the frozen SFT model (eq. 7 of the paper; objectives/preference.py).
    ref = frozen_copy(policy)
    opt = torch.optim.AdamW(policy.parameters(), lr=cfg.lr, weight_decay=0.0)
    history = [{"step": 0, **evaluate(policy, ref, eval_pairs, eval_prompts, held_out, device, cfg.seed)}]
    print(f"step 0: {history[-1]}", file=sys.stderr)
    t_dpo = time.time()
    for step in range(1, cfg.dpo_steps + 1):
        b = task.pair_batch(cfg.batch_size)
        n = cfg.batch_size
        pol = seq_logps(policy, b, device)
        with torch.no_grad():
            rf = seq_logps(ref, b, device)
        loss, _, _ = dpo_loss(pol[:n], pol[n:], rf[:n], rf[n:], beta=cfg.beta)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % cfg.eval_every == 0 or step == cfg.dpo_steps:
            history.append({"step": step, "loss": loss.item(), **evaluate(policy, ref, eval_pairs, eval_prompts, held_out, device, cfg.seed)})
            print(f"step {step}: {history[-1]}", file=sys.stderr)

    before, after = history[0], history[-1]
    result = {
        "algorithm": "dpo",
        "metric": "held-out preference accuracy: share of pairs with implicit reward margin > 0 vs the reference",
        "before": before["accuracy"],
        "after": after["accuracy"],
        "margin_before": before["margin"],
        "margin_after": after["margin"],
        "policy_accuracy_before": before["policy_accuracy"],
        "policy_accuracy_after": after["policy_accuracy"],
        "rule_rate_before": before["rule_rate"],
        "rule_rate_after": after["rule_rate"],
        "copy_rate_before": before["copy_rate"],
        "copy_rate_after": after["copy_rate"],
        "steps": cfg.dpo_steps,
        "sft_steps": cfg.sft_steps,
        "seconds": round(time.time() - t0, 2),
        "dpo_seconds": round(time.time() - t_dpo, 2),
        "seed": cfg.seed,
        "device": str(device),
    }
    if cfg.history:
        with open(cfg.history, "w") as fh:
            json.dump({"config": dataclasses.asdict(cfg), "history": history, "result": result}, fh, indent=1)
    return result


def main(argv: list[str] | None = None) -> int:
    cfg = parse_config(argv)
    print(json.dumps(run(cfg)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
