"""Data-parallel GRPO over several processes (torchrun + torch DDP), and the check that it changes nothing.

    torchrun --standalone --nproc_per_node 2 -m reference_impl.engines.distributed --policy hf --out two.pt
    python -m reference_impl.engines.distributed --policy hf --out one.pt      # one process, whole batch

Each of W processes holds a copy of the policy, takes a contiguous 1/W of the batch (whole GRPO groups, so
the group advantages computed before sharding are the ones a single process would compute), and runs the
usual loss and backward. DDP then averages the gradients over processes. The objective has to be written so
that this average is the single-process gradient:

    grad L = 1/B sum_{i<B} grad l_i = 1/W sum_w ( 1/(B/W) sum_{i in shard w} grad l_i )       (1)

which holds for GRPO's per-sequence mean (`mode="grpo"`, every sequence weighs 1/B) when shards are equal.
Token-level normalisations (DAPO, Dr. GRPO's constant excepted) divide by a count of tokens that differs
between shards; there the local sum must be divided by the global count times 1/W (all-reduce the count
first), which `token_level_loss` below does. The check runs one update with SGD, whose step is linear in
the gradient, so the two runs must agree to float precision (AdamW's first step, ~sign(g), would amplify
round-off on near-zero gradients).

Backends: gloo on CPU (what the test uses), nccl on cuda (one GPU per process, `LOCAL_RANK`). For real
training on 8 GPUs or several nodes, launch the TRL engine the same way (see docs/implementations/llm.md):
    accelerate launch --num_processes 8 -m reference_impl.engines.trl_engine reasoning --policy hf
    torchrun --nnodes 2 --nproc_per_node 8 --rdzv_backend c10d --rdzv_endpoint HOST:29500 \\
        -m reference_impl.engines.trl_engine reasoning --policy hf
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

import torch
import torch.distributed as dist

from reference_impl.core import POLICY, PROMPT, TokenBuffer, collate, masked_sum, pick_device, token_logprobs
from reference_impl.hf import PolicyFlags, build_model, build_tokenizer
from reference_impl.objectives import grpo


def local_device(name: str = "auto") -> torch.device:
    """This process's device: cuda:LOCAL_RANK when cuda is chosen under torchrun, else `pick_device(name)`."""
    device = pick_device(name)
    if device.type == "cuda" and "LOCAL_RANK" in os.environ:
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
    return device


def setup(device: torch.device) -> tuple[int, int]:
    """(rank, world size) from torchrun's environment, joining the process group (gloo on cpu, nccl on cuda);
    (0, 1) for a plain single process. Build tiny local models before this: transformers' save_pretrained
    writes only on rank 0 once a process group exists."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return (dist.get_rank() if world > 1 else 0), world


def shard(n: int, rank: int, world: int, group_size: int = 1) -> slice:
    """The contiguous rows of process `rank` out of n, whole groups only, equal sizes (eq. 1 needs them)."""
    if n % (world * group_size):
        raise ValueError(f"{n} rows do not split into {world} equal shards of whole groups of {group_size}")
    per = n // world
    return slice(rank * per, (rank + 1) * per)


def token_level_loss(per_token: torch.Tensor, mask: torch.Tensor, world: int) -> torch.Tensor:
    """sum of per-token losses over the GLOBAL token count, scaled by W so that DDP's mean gives eq. (1)."""
    count = mask.sum().float()
    if world > 1:
        count = count.clone()
        dist.all_reduce(count)
    return masked_sum(per_token, mask) * world / count.clamp(min=1)


@dataclass
class Check(PolicyFlags):
    quick: bool = True
    device: str = "cpu"
    seed: int = 0


def synthetic_batch(tok, n: int, gen: torch.Generator) -> list[TokenBuffer]:
    """n episodes: a digit prompt and a digit response of uneven lengths (enough to exercise the masks)."""
    out = []
    for _ in range(n):
        lp, lr = (int(x) for x in torch.randint(2, 7, (2,), generator=gen))
        digits = lambda k: "".join(str(int(d)) for d in torch.randint(0, 10, (k,), generator=gen))  # noqa: E731
        out.append(TokenBuffer().add([tok.bos_id] + tok.encode(digits(lp) + "="), PROMPT)
                   .add(tok.encode(digits(lr)) + [tok.eos_id], POLICY))
    return out


def one_update(model, tok, rank: int, world: int, device, mode: str = "grpo", batch: int = 8, group: int = 4,
               lr: float = 0.5) -> dict:
    """One plain gradient step (p -= lr * grad) on this process's shard of a fixed batch; the updated weights."""
    gen = torch.Generator().manual_seed(1)
    bufs = synthetic_batch(tok, batch, gen)
    adv = grpo.group_advantages(torch.rand(batch, generator=gen), group)  # over whole groups, before sharding
    rows = shard(batch, rank, world, group)
    local = collate(bufs[rows], tok.pad_id, device=device)
    with torch.no_grad():
        old = token_logprobs(model, local.input_ids, local.attention_mask) - 0.1  # an older policy, off by a bit
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    logp = token_logprobs(net, local.input_ids, local.attention_mask)
    mask, a = local.loss_mask.float(), adv[rows].to(device)
    if mode == "grpo":  # per-sequence mean, then mean over sequences: DDP's gradient mean is eq. (1) as is
        loss, _ = grpo.grpo_loss(logp, old, a, mask, 0.2, mode="grpo")
    else:  # token-level clipped surrogate, divided by the global token count
        ratio = torch.exp(logp - old)
        loss = token_level_loss(-torch.min(ratio * a[:, None], ratio.clamp(0.8, 1.2) * a[:, None]), mask, world)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p -= lr * p.grad
                p.grad = None
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--policy", default="hf", help="tiny | hf")
    p.add_argument("--out", required=True, help="file for rank 0's results (torch.save)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    cfg = Check(policy=args.policy)
    device = local_device(cfg.device)
    torch.manual_seed(cfg.seed)
    tok = build_tokenizer(cfg, "0123456789=")
    model = build_model(cfg, tok, n_layer=2, n_embd=32, block_size=32).to(device)
    rank, world = setup(device)
    start = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    out = {"world": world, "start": start}
    for mode in ("grpo", "token"):
        model.load_state_dict(start)
        out[mode] = one_update(model, tok, rank, world, device, mode)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    if rank == 0:
        torch.save(out, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
