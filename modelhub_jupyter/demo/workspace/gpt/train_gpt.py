"""Train transformer_v1 or transformer_v2 on wikitext-103.

Tokenises wikitext-103 (raw) with the GPT-2 BPE tokenizer, packs it into one long
token stream and samples random ``block_size`` windows from it. Mixed precision
(bfloat16), gradient accumulation, gradient clipping at 1.0, cosine learning-rate
decay with linear warmup, evaluation every ``--eval_interval`` steps and a
checkpoint whenever the validation loss improves.

Usage:
    python train_gpt.py --model v2 --batch_size 32 --learning_rate 3e-4 --max_iters 20000
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
import torch
from datasets import load_dataset
from transformers import GPT2TokenizerFast

import transformer_v1
import transformer_v2

CHECKPOINT_DIR = "checkpoints"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["v1", "v2"], default="v2")
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--block_size", type=int, default=1024)
    parser.add_argument("--learning_rate", type=float, default=3e-4)
    parser.add_argument("--min_lr", type=float, default=3e-5)
    parser.add_argument("--weight_decay", type=float, default=0.1)
    parser.add_argument("--max_iters", type=int, default=20000)
    parser.add_argument("--warmup_iters", type=int, default=500)
    parser.add_argument("--grad_accum", type=int, default=4)
    parser.add_argument("--grad_clip", type=float, default=1.0)
    parser.add_argument("--eval_interval", type=int, default=500)
    parser.add_argument("--eval_iters", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1337)
    return parser.parse_args()


def load_tokens(split: str, tokenizer: GPT2TokenizerFast) -> np.ndarray:
    """Tokenise one split of wikitext-103 into a flat uint16 array."""
    ds = load_dataset("wikitext", "wikitext-103-raw-v1", split=split)
    ids: list[int] = []
    for row in ds:
        if row["text"].strip():
            ids.extend(tokenizer.encode(row["text"]))
            ids.append(tokenizer.eos_token_id)
    return np.array(ids, dtype=np.uint16)


def get_batch(data: np.ndarray, block_size: int, batch_size: int, device: str):
    ix = torch.randint(len(data) - block_size - 1, (batch_size,))
    x = torch.stack([torch.from_numpy(data[i : i + block_size].astype(np.int64)) for i in ix])
    y = torch.stack([torch.from_numpy(data[i + 1 : i + 1 + block_size].astype(np.int64)) for i in ix])
    return x.to(device, non_blocking=True), y.to(device, non_blocking=True)


def lr_at(it: int, args: argparse.Namespace) -> float:
    """Linear warmup, then cosine decay down to ``min_lr``."""
    if it < args.warmup_iters:
        return args.learning_rate * (it + 1) / args.warmup_iters
    progress = min(1.0, (it - args.warmup_iters) / max(1, args.max_iters - args.warmup_iters))
    return args.min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (args.learning_rate - args.min_lr)


@torch.no_grad()
def estimate_loss(model, splits: dict[str, np.ndarray], args, device: str) -> dict[str, float]:
    model.eval()
    out = {}
    for name, data in splits.items():
        losses = torch.zeros(args.eval_iters)
        for k in range(args.eval_iters):
            x, y = get_batch(data, args.block_size, args.batch_size, device)
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
                _, loss = model(x, y)
            losses[k] = loss.item()
        out[name] = losses.mean().item()
    model.train()
    return out


def train(args: argparse.Namespace) -> None:
    torch.manual_seed(args.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = GPT2TokenizerFast.from_pretrained("gpt2")
    train_data = load_tokens("train", tokenizer)
    val_data = load_tokens("validation", tokenizer)
    print(f"train tokens: {len(train_data):,}  val tokens: {len(val_data):,}")

    if args.model == "v1":
        config = transformer_v1.GPTConfig(block_size=min(args.block_size, 256))
        model = transformer_v1.GPT(config)
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=args.learning_rate, betas=(0.9, 0.95), weight_decay=args.weight_decay
        )
    else:
        config = transformer_v2.GPTConfig(block_size=args.block_size)
        model = transformer_v2.GPT(config)
        optimizer = model.configure_optimizers(args.weight_decay, args.learning_rate)
    model.to(device)
    args.block_size = config.block_size
    if device == "cuda":
        model = torch.compile(model)

    os.makedirs(CHECKPOINT_DIR, exist_ok=True)
    best_val = float("inf")
    t0 = time.time()
    for it in range(args.max_iters + 1):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(it, args)

        if it % args.eval_interval == 0:
            losses = estimate_loss(model, {"train": train_data, "val": val_data}, args, device)
            ppl = math.exp(losses["val"])
            print(f"step {it}: train {losses['train']:.4f}  val {losses['val']:.4f}  ppl {ppl:.1f}")
            if losses["val"] < best_val:
                best_val = losses["val"]
                torch.save(
                    {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "config": vars(config), "iter": it, "val_loss": best_val},
                    os.path.join(CHECKPOINT_DIR, f"gpt_{args.model}_best.pt"),
                )

        for _ in range(args.grad_accum):
            x, y = get_batch(train_data, args.block_size, args.batch_size, device)
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
                _, loss = model(x, y)
            (loss / args.grad_accum).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

        if it % 100 == 0:
            dt = time.time() - t0
            t0 = time.time()
            print(f"iter {it}: loss {loss.item():.4f}, lr {lr_at(it, args):.2e}, {dt * 10:.0f} ms/iter")

    print(f"best validation loss {best_val:.4f} (perplexity {math.exp(best_val):.1f})")


if __name__ == "__main__":
    train(parse_args())
