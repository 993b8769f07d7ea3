"""Registry speed: discovery of 1,000 synthetic model folders (headers only; target <= 10 s) and
activation of a compatible text-embedding version (same vectors; target <= 1 s). Medians of --runs.

    .venv/bin/python benchmarks/bench_registry.py [--folders 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from modelhub_jupyter import Hub
from modelhub_jupyter.embed.text import default_text_model


def make_folders(root: Path, n: int) -> None:
    kinds = [("LlamaForCausalLM", "chat"), ("BertModel", "sentence-similarity"), ("CLIPModel", "vision")]
    for i in range(n):
        arch, tag = kinds[i % len(kinds)]
        folder = root / f"group{i % 20}" / f"model-{i}"
        folder.mkdir(parents=True)
        (folder / "config.json").write_text(
            json.dumps({"architectures": [arch], "model_type": "x", "hidden_size": 8})
        )
        (folder / "README.md").write_text(f"---\ntags: [{tag}]\n---\n# model {i}\n")
        save_file({"w": np.zeros((4, 8), dtype=np.float32)}, str(folder / "model.safetensors"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folders", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    make_folders(tmp / "models", args.folders)
    discovery = []
    for run in range(args.runs):
        with Hub(tmp / f"home{run}") as hub:
            started = time.perf_counter()
            found = hub.models.discover([tmp / "models"])
            discovery.append(time.perf_counter() - started)
            assert len(found.found) == args.folders, len(found.found)
    print(
        f"discovery of {args.folders} folders (headers, categories, recorded): median "
        f"{statistics.median(discovery):.2f} s (target <= 10 s; runs {', '.join(f'{d:.2f}' for d in discovery)})"
    )
    with Hub(tmp / "home-activate") as hub:
        reg = hub.models
        reg.register(default_text_model(), name="minilm", model_type="text_embedding", version="v1")
        reg.register(
            default_text_model(),
            name="minilm",
            model_type="text_embedding",
            version="v1-batch32",
            inference_config={"batch_size": 32},
        )
        reg.activate("text_embedding", "v1", wait=True)
        times = []
        for i in range(max(5, args.runs)):
            started = time.perf_counter()
            job = reg.activate("text_embedding", "v1-batch32" if i % 2 == 0 else "v1", wait=True)
            times.append(time.perf_counter() - started)
            assert not job.rebuilt
    print(
        f"compatible activation (incl. sha256 re-check of 91 MB): median {statistics.median(times):.3f} s "
        f"(target <= 1 s; runs {', '.join(f'{t:.3f}' for t in times)})"
    )


if __name__ == "__main__":
    main()
