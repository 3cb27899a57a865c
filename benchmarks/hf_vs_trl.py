"""Speed of one GRPO update: the handwritten loop on the HF policy against TRL's GRPOTrainer, side by side.

    python benchmarks/hf_vs_trl.py                       # tiny local Qwen2 on cpu, 3 rounds of 8 updates each
    python benchmarks/hf_vs_trl.py --device cuda --model Qwen/Qwen2.5-0.5B-Instruct

Both sides start from the same weights (one tiny Qwen2 built by `reference_impl.hf`, copied), see the same
arithmetic prompts of the reasoning task (`--quick` shapes: 16 prompts x 8 completions, at most 6 new tokens,
temperature 1), score them with the same environment, and take one clipped-GRPO optimiser step per batch with
AdamW at the same learning rate. Ours is `reasoning.rl_step` (core.generate + token_logprobs + grpo_loss); TRL's
is `GRPOTrainer.train` with `max_steps` updates (its sampler is `model.generate`). Rounds alternate between the
two, each round timing `--updates` updates after one untimed update; the median round is reported.

Measured: seconds per update (wall clock; process CPU time too on cpu) and tokens per second, where tokens are
prompt + completion tokens of the batch (TRL's `num_input_tokens_seen`; ours counted the same way). Printed as
ratios ours / TRL (> 1 on s/update means ours is slower). Writes benchmarks/results/hf_vs_trl_<device>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu", help="cpu | cuda")
    p.add_argument("--model", default="", help="hub id or folder (default: the tiny local Qwen2)")
    p.add_argument("--updates", type=int, default=8, help="timed updates per round")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds per side")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = p.parse_args(argv)

    import torch
    from datasets import Dataset

    from reference_impl.capabilities import reasoning as R
    from reference_impl.core import frozen_copy, pick_device, seed_everything
    from reference_impl.engines import trl_engine
    from reference_impl.envs.reasoning import ArithmeticEnv
    from reference_impl.hf import build_model, build_tokenizer

    torch.set_num_threads(args.threads)
    seed_everything(0)
    device = pick_device(args.device)
    argv_cfg = ["--quick", "--policy", "hf", "--device", str(device)] + (["--model", args.model] if args.model else [])
    cfg = R.parse_config(argv_cfg)
    tok = build_tokenizer(cfg, R.CHARSET)
    start = build_model(cfg, tok, n_layer=cfg.n_layer, n_embd=cfg.n_embd, block_size=64).to(device)
    env = ArithmeticEnv(n_operands=cfg.n_operands, max_operand=cfg.max_operand, max_response_len=cfg.max_new_tokens)
    gen = torch.Generator().manual_seed(0)
    n_seq = cfg.prompts_per_step * cfg.group_size

    def ours(updates: int) -> dict:
        model = copy.deepcopy(start)
        ref, opt = frozen_copy(model), torch.optim.AdamW(model.parameters(), lr=cfg.lr)
        batches = [R.all_questions(cfg, cfg.prompts_per_step, gen) for _ in range(updates + 1)]
        R.rl_step(model, ref, opt, tok, env, cfg, batches[0], device)  # untimed: first-call allocations
        tokens, t0, c0 = 0, time.perf_counter(), time.process_time()
        for qs in batches[1:]:
            stats = R.rl_step(model, ref, opt, tok, env, cfg, qs, device)
            prompt = sum(len(R.question_text(q)) + 1 for q in qs) * cfg.group_size  # <bos> + one token per char
            tokens += prompt + stats["response_length"] * n_seq
        return {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "tokens": tokens}

    def trl(updates: int) -> dict:
        model = copy.deepcopy(start)
        qs = R.all_questions(cfg, (updates + 1) * cfg.prompts_per_step, gen)
        data = Dataset.from_list([{"prompt": trl_engine.text_prompt(tok, [tok.bos_id] + tok.encode(R.question_text(q))),
                                   "operands": q} for q in qs])

        with tempfile.TemporaryDirectory() as out_dir, contextlib.redirect_stdout(io.StringIO()):
            one = trl_engine.grpo_args(cfg, device, out_dir, 1, cfg.prompts_per_step, cfg.group_size, cfg.max_new_tokens,
                                       shuffle_dataset=False)
            trainer = trl_engine.make_trainer(model, tok, [trl_engine.arithmetic_reward(env)], data, one)
            trainer.train()  # untimed: one update (first-call allocations)
            timed = trl_engine.grpo_args(cfg, device, out_dir, updates + 1, cfg.prompts_per_step, cfg.group_size,
                                         cfg.max_new_tokens, shuffle_dataset=False)
            trainer = trl_engine.make_trainer(model, tok, [trl_engine.arithmetic_reward(env)], data, timed)
            t0, c0 = time.perf_counter(), time.process_time()
            trainer.train()
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        # the timed trainer ran updates + 1 steps; scale to `updates` for a like-for-like figure
        scale = updates / (updates + 1)
        return {"wall": wall * scale, "cpu": cpu * scale, "tokens": trainer.state.num_input_tokens_seen * scale}

    rounds = {"ours": [], "trl": []}
    for r in range(args.rounds):
        for name, fn in (("ours", ours), ("trl", trl)) if r % 2 == 0 else (("trl", trl), ("ours", ours)):
            rounds[name].append(fn(args.updates))
            print(f"round {r + 1} {name}: {rounds[name][-1]['wall'] / args.updates:.3f} s/update", file=sys.stderr)

    def summary(rs):
        mid = sorted(rs, key=lambda x: x["wall"])[len(rs) // 2]
        return {"s_per_update": mid["wall"] / args.updates, "cpu_s_per_update": mid["cpu"] / args.updates,
                "tokens_per_second": mid["tokens"] / mid["wall"],
                "all_s_per_update": [round(x["wall"] / args.updates, 4) for x in rs]}

    s_ours, s_trl = summary(rounds["ours"]), summary(rounds["trl"])
    ratios = {"s_per_update": s_ours["s_per_update"] / s_trl["s_per_update"],
              "cpu_s_per_update": s_ours["cpu_s_per_update"] / s_trl["cpu_s_per_update"],
              "tokens_per_second": s_ours["tokens_per_second"] / s_trl["tokens_per_second"]}
    import transformers
    import trl as trl_pkg

    result = {"device": str(device) if device.type == "cuda" else f"cpu ({platform.machine()})", "torch": torch.__version__,
              "transformers": transformers.__version__, "trl_version": trl_pkg.__version__, "model": cfg.model or "tiny-qwen2",
              "prompts_per_update": cfg.prompts_per_step, "group_size": cfg.group_size,
              "max_new_tokens": cfg.max_new_tokens, "updates_per_round": args.updates, "rounds": args.rounds,
              "ours": s_ours, "trl": s_trl, "ratio_ours_over_trl": ratios,
              "date": time.strftime("%Y-%m-%d %H:%M"), "command": " ".join(["python benchmarks/hf_vs_trl.py", *(argv or sys.argv[1:])])}
    out = ROOT / "benchmarks" / "results" / f"hf_vs_trl_{device.type}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"{'':<22}{'ours':>10}{'TRL':>10}{'ours/TRL':>10}")
    for key, label in (("s_per_update", "s / update (wall)"), ("cpu_s_per_update", "s / update (cpu)"),
                       ("tokens_per_second", "tokens / s")):
        print(f"{label:<22}{s_ours[key]:>10.3f}{s_trl[key]:>10.3f}{ratios[key]:>10.2f}")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
