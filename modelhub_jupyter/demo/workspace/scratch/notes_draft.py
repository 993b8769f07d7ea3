"""Scratch: half-finished ideas, not part of any experiment (excluded via .modelhubignore)."""

# try: swap GELU for SwiGLU in transformer_v2's MLP; needs 2/3 * 4 * n_embd hidden to keep params equal
# try: cosine schedule with restarts for the DDPM UNet?

import torch


def swiglu(x: torch.Tensor) -> torch.Tensor:
    a, b = x.chunk(2, dim=-1)
    return torch.nn.functional.silu(a) * b


if __name__ == "__main__":
    print(swiglu(torch.randn(2, 8)).shape)
