"""Perception: GRPO with a verifiable visual reward (box IoU), in the style of Visual-RFT.

Task: `RLAtlas/Perception-v0`. A 16x16 picture holds a square and a disc (a cross too with
`--n-shapes 3`); the query names one, and the policy writes its box as four hex digits. A small
CNN turns the picture into 8x8 = 64 feature vectors that enter the tiny transformer as prefix
tokens, ahead of `<bos>`, the query token and the answer.

Held out: a picture is named by its content (query and every shape's box); a hash of that name puts a
`held_out` share of all possible pictures aside (`splits.is_held_out`). Training draws only pictures of
the other side; every IoU reported is on held-out pictures, none of which any learner has seen.

Warm-up: supervised training on boxes from a sloppy annotator who leaves a random margin of 0 to 3
pixels on every side, so the demonstrations are loose (mean IoU with the truth about 0.45). Then, with the same
number of further updates and pictures:

* baseline (the ablation): more supervised training on the same annotator (no verifiable reward; at
  best it reproduces the annotator's typical, loose box);
* rft: rejection-sampling fine-tuning on the policy's own samples, the same G boxes per picture as
  GRPO, keeping the group's best box (highest IoU, ties kept) and doing cross-entropy on it;
* after: GRPO (Shao et al. 2024) where each of G sampled boxes per picture is scored by the exact
  IoU with the true box, computed by the environment:
      A_i = (IoU_i - mean_group IoU) / (std_group IoU + eps)                                    (1)
  and the clipped surrogate of `objectives.grpo.grpo_loss` (eq. 2 there), `--ppo-epochs` x
  `--minibatches` optimiser steps per batch through `objectives.update.policy_update`;
* also reported, `binary_reward`: the same GRPO with a thresholded reward 1[IoU >= 0.5], to show
  what the graded IoU adds over a pass/fail check.

Departures from Visual-RFT (Liu et al. 2025): no pretrained vision-language model and no
reasoning text, and no KL term.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import types
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

if __package__ in (None, ""):  # run as a file: make `reference_impl` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from reference_impl.capabilities.pg_step import PGFlags, as_batch, grpo_step, lr_scheduler, rft_step
from reference_impl.capabilities.splits import pick_seeds
from reference_impl.core import CharTokenizer, PolicyConfig, TinyTransformer, autocast, pick_device, seed_everything
from reference_impl.core.config import parse_config as parse_flags
from reference_impl.hf import PolicyFlags, build_model, build_tokenizer, policy_record
from reference_impl.core import selective_log_softmax
from reference_impl.envs.perception import HEX, KINDS, PerceptionEnv
from reference_impl.objectives.grpo import group_advantages

QUERY = {"square": "S", "disc": "D", "cross": "X"}


@dataclass
class Config(PGFlags, PolicyFlags):
    quick: bool = False
    """Small CPU configuration used by the tests (about a minute on one core)."""
    seed: int = 1
    """Seed for torch, numpy and the pictures."""
    device: str = "auto"
    """auto | cpu | cuda."""
    threads: int = 1
    """torch CPU threads."""
    n_shapes: int = 2
    """Shapes per picture (square, disc, cross); the query names one."""
    noise: float = 0.0
    """Pixel noise added to the pictures."""
    warmup_steps: int = 600
    """Supervised steps on the sloppy annotator's boxes."""
    iterations: int = 400
    """Updates after the warm-up, for each learner."""
    batch: int = 16
    """Pictures per update."""
    group_size: int = 8
    """Sampled boxes per picture (GRPO group)."""
    lr: float = 1e-3
    """Adam learning rate after the warm-up (at 2e-3 the first update often wrecked the warm-up; docs page)."""
    margin: int = 3
    """The annotator leaves a random margin of 0..margin pixels on every side of the true box."""
    eval_images: int = 512
    """Held-out pictures for the greedy-decoding IoU."""
    held_out: float = 0.25
    """Share of all possible pictures held out for evaluation (by a hash of the picture's content)."""
    n_layer: int = 2
    """Transformer blocks."""
    n_embd: int = 64
    """Transformer width."""
    binary_baseline: bool = False
    """Also train GRPO with a pass/fail reward 1[IoU >= 0.5] (on by default without --quick)."""
    curve_every: int = 10
    """Record the training reward every this many iterations."""


QUICK = dict(n_shapes=1, warmup_steps=150, iterations=90, batch=16, group_size=8, eval_images=256)


class VisionPolicy(nn.Module):
    """A CNN encoder whose 64 feature vectors are prefix embeddings of the tiny transformer."""

    def __init__(self, lm: nn.Module):
        super().__init__()
        self.lm = lm
        c = lm.tok_emb.weight.shape[1]  # the LM's width
        # CoordConv (Liu et al. 2018): two extra input channels hold each pixel's x and y, so the
        # features can say *where* an edge is, which is what a box needs
        self.encoder = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.GELU(),
                                     nn.Conv2d(32, c, 3, stride=2, padding=1), nn.GELU(), nn.Conv2d(c, c, 1))

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """images (B, H, W) -> the 64 prefix embeddings (B, 64, C)."""
        B, H, W = images.shape
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, H, device=images.device),
                                torch.linspace(-1, 1, W, device=images.device), indexing="ij")
        planes = torch.stack([images, xs.expand(B, H, W), ys.expand(B, H, W)], 1)
        return self.encoder(planes).flatten(2).transpose(1, 2)

    def start(self, images: torch.Tensor, idx: torch.Tensor, picture: torch.Tensor | None = None):
        """The language model's output (logits and cache) over the image prefix followed by the text idx.
        Without `picture`, row i of idx follows images[i]. With `picture` (B,), row i follows
        images[picture[i]]: `images` then holds each distinct picture once, and its prefix (the CNN and
        the transformer over the 64 image positions) is computed once and its keys and values shared by
        every row that shows it. Under causal attention the prefix never sees the text after it, so
        this is the same computation as repeating the picture, G times cheaper for a GRPO group."""
        if picture is not None and isinstance(self.lm, TinyTransformer):
            past = self.lm(None, inputs_embeds=self.encode(images)).past_key_values
            return self.lm(idx, past_key_values=tuple((k[picture], v[picture]) for k, v in past))
        if picture is not None:  # a Hugging Face cache: repeat the pictures instead
            images = images[picture]
        x = torch.cat([self.encode(images), self.lm.tok_emb(idx)], 1)  # image features as prefix "tokens"
        return self.lm(None, inputs_embeds=x)

    def forward(self, images: torch.Tensor, idx: torch.Tensor, picture: torch.Tensor | None = None) -> torch.Tensor:
        """images (B, H, W), idx (B, T) -> next-token logits (B, T, V) for the text positions (see `start`)."""
        return self.start(images, idx, picture).logits[:, -idx.shape[1]:]


def make_tokenizer(cfg):
    return build_tokenizer(cfg, HEX + "".join(QUERY.values()))


def sloppy_box(box, margin: int, rng: np.random.Generator) -> str:
    """The cheap annotator: every edge pushed outwards by a random 0..margin pixels."""
    x0, y0, x1, y1 = box
    m = rng.integers(0, margin + 1, size=4)
    edges = (max(0, x0 - m[0]), max(0, y0 - m[1]), min(15, x1 + m[2]), min(15, y1 + m[3]))
    return "".join(HEX[v] for v in edges)


def scenes(env: PerceptionEnv, seeds) -> tuple[list, torch.Tensor, list]:
    """Reset the env at each seed; return the env states, images (B, 16, 16) and true boxes."""
    states, imgs, boxes = [], [], []
    for s in seeds:
        obs, info = env.reset(seed=int(s))
        states.append((env.image, dict(env.boxes), env.query))
        imgs.append(obs["image"])
        boxes.append(info["box"])
    return states, torch.tensor(np.stack(imgs)), boxes


def picture_key(env: PerceptionEnv) -> str:
    """The content of the current picture: the query and every shape's box."""
    return env.query + ":" + ",".join(f"{k}{v}" for k, v in sorted(env.boxes.items()))


def train_seeds(env, cfg, rng: np.random.Generator, n: int) -> list[int]:
    """n training pictures (seeds below 10**6 whose picture is not held out)."""
    candidates = (rng.integers(0, 10**6) for _ in range(100 * n))
    return pick_seeds(env, picture_key, candidates, n, False, cfg.seed, cfg.held_out)


def eval_seeds(env, cfg) -> list[int]:
    """Held-out pictures, the same for every model (seeds from 10**6 up)."""
    candidates = range(10**6, 10**6 + 100 * cfg.eval_images)
    return pick_seeds(env, picture_key, candidates, cfg.eval_images, True, cfg.seed, cfg.held_out)


def score(env: PerceptionEnv, state, answer: str) -> float:
    """The verifiable reward: the environment's IoU for this answer on this picture."""
    env.image, env.boxes, env.query = state
    return env.step(answer)[1]


def prompts(tok, states) -> torch.Tensor:
    return torch.tensor([[tok.bos_id, tok.token_id(QUERY[q])] for _, _, q in states])


@torch.no_grad()
def sample(model, images, prompt, n_new: int, temperature: float, gen, picture=None):
    """Append n_new sampled tokens (greedy at temperature 0). The picture and the prompt are encoded once;
    every further token reuses the cached keys and values. `picture`: as in `VisionPolicy.start`."""
    ids, out = prompt, model.start(images, prompt, picture)
    for t in range(n_new):
        logits = out.logits[:, -1].float()
        nxt = (torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=gen)
               if temperature > 0 else logits.argmax(-1, keepdim=True))
        ids = torch.cat([ids, nxt], 1)
        if t < n_new - 1:
            out = model.lm(nxt, past_key_values=out.past_key_values)
    return ids


def answer_logprobs(model, images, ids) -> torch.Tensor:
    """log pi of the 4 answer tokens (B, 4); the prompt is <bos> + query."""
    logits = model(images, ids[:, :-1])[:, 1:]
    return selective_log_softmax(logits.float(), ids[:, 2:])


def evaluate(model, tok, env, cfg, device, gen) -> float:
    model.eval()
    states, imgs, _ = scenes(env, eval_seeds(env, cfg))
    ids = sample(model, imgs.to(device), prompts(tok, states).to(device), 4, 0.0, gen)
    return float(np.mean([score(env, st, tok.decode(row[2:].tolist())) for st, row in zip(states, ids)]))


def supervised(model, tok, env, cfg, device, steps: int, lr: float, rng, curve=None, schedule: bool = False):
    """Cross-entropy on the sloppy annotator's boxes. `schedule`: follow --lr-schedule, as the learners after the
    warm-up do (the warm-up itself keeps a constant rate)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = lr_scheduler(opt, cfg, steps) if schedule else None
    for it in range(steps):
        states, imgs, boxes = scenes(env, train_seeds(env, cfg, rng, cfg.batch * cfg.group_size))
        ids = torch.tensor([[tok.bos_id, tok.token_id(QUERY[q])] + tok.encode(sloppy_box(b, cfg.margin, rng))
                            for (_, _, q), b in zip(states, boxes)], device=device)
        model.train()
        with autocast(device):
            loss = -answer_logprobs(model, imgs.to(device), ids).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        if curve is not None and (it % cfg.curve_every == 0 or it == steps - 1):
            model.eval()
            with torch.no_grad():
                greedy = sample(model, imgs.to(device), ids[:, :2], 4, 0.0, None)
            curve.append({"step": it + 1, "iou": float(np.mean([score(env, s, tok.decode(r[2:].tolist()))
                                                                for s, r in zip(states, greedy)]))})


class BoundImages(nn.Module):
    """The vision policy seen as a plain language model, so `policy_update` can slice its batch: column 0 of
    each sequence is the row of `images` (one per distinct picture) it belongs to, the rest is the text
    (<bos>, query, answer). Each picture of a minibatch is encoded once for all the rows that show it."""

    def __init__(self, policy: VisionPolicy, images: torch.Tensor):
        super().__init__()
        self.policy, self.images = policy, images

    def forward(self, idx: torch.Tensor, attention_mask=None):
        pictures, picture = torch.unique(idx[:, 0], return_inverse=True)
        logits = self.policy(self.images[pictures], idx[:, 1:], picture)
        # position 0 (the row index) predicts nothing real: a zero row keeps logits aligned with idx
        return types.SimpleNamespace(logits=torch.cat([torch.zeros_like(logits[:, :1]), logits], 1))


def grpo(model, tok, env, cfg, device, rng, gen, mode: str = "grpo"):
    """After the warm-up, on G sampled boxes per training picture: GRPO with the IoU reward (eq. 1),
    GRPO with its pass/fail version ('binary'), or RFT on each group's best box ('rft')."""
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = lr_scheduler(opt, cfg, cfg.iterations)
    mb_gen = torch.Generator().manual_seed(cfg.seed + 2)
    curve, tokens, clip = [], 0, []
    for it in range(cfg.iterations):
        states, imgs, _ = scenes(env, train_seeds(env, cfg, rng, cfg.batch))
        states = [s for s in states for _ in range(cfg.group_size)]  # G samples per picture
        imgs = imgs.to(device)
        picture = torch.arange(imgs.shape[0], device=device).repeat_interleave(cfg.group_size)
        model.eval()
        ids = sample(model, imgs, prompts(tok, states).to(device), 4, 1.0, gen, picture)
        iou = torch.tensor([score(env, s, tok.decode(r[2:].tolist())) for s, r in zip(states, ids)])
        batch = as_batch(torch.cat([picture[:, None], ids], 1), torch.tensor([[0, 0, 1, 1, 1, 1]] * ids.shape[0], device=device))
        bound = BoundImages(model, imgs)
        model.train()
        if mode == "rft":  # keep each group's best box
            best = iou.view(-1, cfg.group_size).max(1, keepdim=True).values
            keep = (iou.view(-1, cfg.group_size) >= best).float().view(-1)
            rft_step(bound, opt, batch, keep, cfg, mb_gen)
        else:
            reward = (iou >= 0.5).float() if mode == "binary" else iou
            stats = grpo_step(bound, opt, batch, group_advantages(reward, cfg.group_size), cfg, mb_gen, mode="grpo")
            clip.append(stats.get("clip_fraction", 0.0))
        sched.step()
        tokens += ids.numel() + 64 * ids.shape[0]
        if it % cfg.curve_every == 0 or it == cfg.iterations - 1:  # greedy IoU on this batch's pictures
            model.eval()
            with torch.no_grad():
                greedy = sample(model, imgs, ids[::cfg.group_size, :2], 4, 0.0, None)
            curve.append({"step": it + 1, "iou": float(np.mean([score(env, s, tok.decode(r[2:].tolist()))
                                                                for s, r in zip(states[::cfg.group_size], greedy)]))})
    return curve, tokens, (float(np.mean(clip)) if clip else None)


def parse(argv) -> Config:
    """One --flag per dataclass field; each field's docstring is its --help text."""
    return parse_flags(Config, argv, __doc__.splitlines()[0], quick=QUICK, full={"binary_baseline": True})


def main(argv: list[str] | None = None) -> int:
    cfg = parse(argv)
    device = pick_device(cfg.device)
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    t0 = time.time()
    tok = make_tokenizer(cfg)
    env = PerceptionEnv(n_shapes=cfg.n_shapes, noise=cfg.noise)
    pcfg = dict(n_layer=cfg.n_layer, n_embd=cfg.n_embd, block_size=72)
    base = VisionPolicy(build_model(cfg, tok, **pcfg)).to(device)
    gen = torch.Generator(device=device).manual_seed(cfg.seed)
    supervised(base, tok, env, cfg, device, cfg.warmup_steps, 3e-3, np.random.default_rng(cfg.seed))
    before = evaluate(base, tok, env, cfg, device, gen)
    runs = {"sft": None, "rft": None, "grpo": None} | ({"binary": None} if cfg.binary_baseline else {})
    tokens = 0
    for name in runs:
        model = copy.deepcopy(base)
        rng = np.random.default_rng(cfg.seed + 1)  # the same pictures for every learner
        gen.manual_seed(cfg.seed + 1)
        if name == "sft":
            curve, clip = [], None
            supervised(model, tok, env, cfg, device, cfg.iterations, cfg.lr, rng, curve, schedule=True)
        else:
            curve, n_tok, clip = grpo(model, tok, env, cfg, device, rng, gen, mode=name)
            tokens += n_tok
        runs[name] = (evaluate(model, tok, env, cfg, device, gen), curve, clip)
    seconds = time.time() - t0
    label = {"sft": "sft-annotator", "rft": "rft"} | ({"binary": "grpo-binary-reward"} if "binary" in runs else {})
    line = {"capability": "perception", **policy_record(cfg), "metric": "mean_iou", "before": before,
            "baseline": runs["sft"][0], "after": runs["grpo"][0], "steps": cfg.iterations, "seed": cfg.seed,
            "baselines": {label[k]: runs[k][0] for k in label},
            "baseline_method": "more supervised training on the sloppy annotator (same pictures and updates)",
            "held_out": f"a hash-chosen {cfg.held_out:.0%} of all possible pictures (query and boxes), never trained on",
            "clip_fraction": runs["grpo"][2],
            "seconds": round(seconds, 2), "curve": runs["grpo"][1], "baseline_curve": runs["sft"][1],
            "curves": {label[k]: [{"step": p["step"], "value": p["iou"]} for p in runs[k][1]] for k in label},
            "annotator_iou": annotator_iou(env, cfg), "tokens_per_second": round(tokens / seconds, 1),
            "device": str(device), "config": dataclasses.asdict(cfg)}
    if "binary" in runs:
        line.update(binary_reward=runs["binary"][0], binary_reward_curve=runs["binary"][1])
    if device.type == "cuda":
        line["peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    print(json.dumps(line))
    return 0


def annotator_iou(env, cfg) -> float:
    """Mean IoU of the sloppy annotator itself on the held-out pictures (the imitation ceiling)."""
    states, _, boxes = scenes(env, eval_seeds(env, cfg))
    rng = np.random.default_rng(0)
    return float(np.mean([score(env, s, sloppy_box(b, cfg.margin, rng)) for s, b in zip(states, boxes)]))


if __name__ == "__main__":
    raise SystemExit(main())
