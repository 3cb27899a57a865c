"""Tokens per second of the core sampler: KV-cached vs uncached vs Hugging Face `generate`.

All three sample the same number of tokens (temperature 1, no top-k, no early stop) from a
left-padded batch of uneven prompts, with models of the same shape: our TinyTransformer, and a
randomly initialised GPT-2 (`GPT2Config` + `GPT2LMHeadModel`, nothing downloaded) with the same
layers, heads, width, vocabulary and context. Runs are interleaved and repeated; the median
time of each is reported. On cuda all three run under the same bf16 autocast.

Run:  python benchmarks/sampler_speed.py [--device cpu|cuda] [--batch 16] [--new-tokens 64] ...
Writes benchmarks/results/sampler_speed_<device>.json and prints a table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from reference_impl.core import PolicyConfig, TinyTransformer, autocast, generate, pick_device  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


@dataclass
class Config:
    device: str = field(default="", metadata={"help": "cpu or cuda; empty picks cuda when available"})
    threads: int = field(default=1, metadata={"help": "torch CPU threads"})
    batch: int = field(default=16, metadata={"help": "prompts per batch"})
    prompt_len: int = field(default=16, metadata={"help": "longest prompt; others are shorter and left-padded"})
    new_tokens: int = field(default=64, metadata={"help": "tokens sampled per row"})
    vocab: int = field(default=64, metadata={"help": "vocabulary size"})
    n_layer: int = field(default=2, metadata={"help": "transformer blocks"})
    n_head: int = field(default=4, metadata={"help": "attention heads"})
    n_embd: int = field(default=64, metadata={"help": "model width"})
    repeats: int = field(default=5, metadata={"help": "timed repeats of each sampler (median reported)"})
    skip_hf: bool = field(default=False, metadata={"help": "do not time transformers' generate"})
    out: str = field(default="", metadata={"help": "results JSON path (default results/sampler_speed_<device>.json)"})


def parse_config(argv=None) -> Config:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for f in dataclasses.fields(Config):
        flag = "--" + f.name.replace("_", "-")
        if f.type in (bool, "bool"):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default, help=f.metadata["help"])
        else:
            p.add_argument(flag, type={"int": int, "str": str}[str(f.type)], default=f.default, help=f.metadata["help"])
    return Config(**vars(p.parse_args(argv)))


def machine(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip() + f" ({os.cpu_count()} logical CPUs visible)"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def timed(fn, device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t


def run(cfg: Config) -> dict:
    torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device or None)
    torch.manual_seed(0)
    B, P, N = cfg.batch, cfg.prompt_len, cfg.new_tokens
    ours = TinyTransformer(
        PolicyConfig(cfg.vocab, n_layer=cfg.n_layer, n_head=cfg.n_head, n_embd=cfg.n_embd, block_size=P + N)
    ).to(device).eval()
    # Uneven prompts (lengths P/2..P), left-padded with id 0; ids 3.. are "text".
    lengths = torch.randint(P // 2, P + 1, (B,))
    lengths[0] = P
    ids = torch.randint(3, cfg.vocab, (B, P))
    mask = (torch.arange(P)[None, :] >= (P - lengths)[:, None]).long()
    ids, mask = (ids * mask).to(device), mask.to(device)

    def core(use_cache):
        r = generate(ours, ids, mask, N, use_cache=use_cache)
        assert r.sequences.shape == (B, P + N)
        return r

    samplers = {
        "core generate, KV cache": lambda: core(True),
        "core generate, no cache": lambda: core(False),
    }
    params = {"core": ours.num_params()}
    if not cfg.skip_hf:
        import transformers
        from transformers import GPT2Config, GPT2LMHeadModel

        hf_cfg = GPT2Config(
            vocab_size=cfg.vocab, n_positions=P + N, n_embd=cfg.n_embd, n_layer=cfg.n_layer, n_head=cfg.n_head,
            bos_token_id=1, eos_token_id=2, pad_token_id=0,
        )
        hf = GPT2LMHeadModel(hf_cfg).to(device).eval()
        params["hf_gpt2"] = sum(p.numel() for p in hf.parameters())

        def hf_generate():
            # min_new_tokens = max_new_tokens: exactly N tokens per row, like the core runs (no stop ids).
            with torch.no_grad():
                out = hf.generate(
                    input_ids=ids, attention_mask=mask, do_sample=True, top_k=0, temperature=1.0,
                    max_new_tokens=N, min_new_tokens=N, pad_token_id=0,
                )
            assert out.shape == (B, P + N), out.shape
            return out

        samplers["transformers generate (GPT-2, KV cache)"] = hf_generate

    times: dict[str, list[float]] = {k: [] for k in samplers}
    with autocast(device):
        for fn in samplers.values():  # warm-up
            fn()
        for _ in range(cfg.repeats):  # interleaved, so machine noise hits all of them alike
            for name, fn in samplers.items():
                times[name].append(timed(fn, device))
    rows = []
    for name, ts in times.items():
        med = statistics.median(ts)
        rows.append({"sampler": name, "median_s": round(med, 4), "tokens_per_s": round(B * N / med, 1), "times_s": [round(t, 4) for t in ts]})
    tps = {r["sampler"]: r["tokens_per_s"] for r in rows}
    ratios = {"cache_vs_no_cache": round(tps["core generate, KV cache"] / tps["core generate, no cache"], 2)}
    if not cfg.skip_hf:
        ratios["core_cache_vs_transformers"] = round(tps["core generate, KV cache"] / tps["transformers generate (GPT-2, KV cache)"], 2)
    return {
        "benchmark": "sampler_speed",
        "machine": machine(device),
        "device": str(device),
        "threads": cfg.threads,
        "torch": torch.__version__,
        "transformers": transformers.__version__ if not cfg.skip_hf else None,
        "settings": {k: v for k, v in dataclasses.asdict(cfg).items() if k not in ("out",)},
        "params": params,
        "results": rows,
        "ratios": ratios,
        "command": "python benchmarks/sampler_speed.py " + " ".join(sys.argv[1:]),
    }


def main(argv=None) -> int:
    cfg = parse_config(argv)
    res = run(cfg)
    print(f"machine: {res['machine']}  device: {res['device']}  threads: {res['threads']}  torch {res['torch']}")
    print(f"batch {cfg.batch}, prompt <= {cfg.prompt_len}, {cfg.new_tokens} new tokens, params {res['params']}")
    print(f"{'sampler':44s} {'median s':>9s} {'tokens/s':>10s}")
    for r in res["results"]:
        print(f"{r['sampler']:44s} {r['median_s']:9.3f} {r['tokens_per_s']:10.1f}")
    print("ratios:", res["ratios"])
    out = cfg.out or os.path.join(RESULTS, f"sampler_speed_{torch.device(res['device']).type}.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as fh:
        json.dump(res, fh, indent=1)
    print("wrote", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
