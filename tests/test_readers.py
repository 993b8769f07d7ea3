"""A long-lived reader (a kernel, a Voilà page) sees what another process indexed into the same home."""

from __future__ import annotations

import json
import subprocess
import sys

from modelhub_jupyter import Hub

VAE = '''"""A variational autoencoder: gaussian latent prior, reparameterisation trick, KL divergence."""
import torch.nn as nn


class VAE(nn.Module):
    def reparameterize(self, mu, logvar):
        return mu + (0.5 * logvar).exp() * torch.randn_like(mu)

    def kl_divergence(self, mu, logvar):
        return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum()
'''


def test_dense_search_sees_vectors_another_process_added(tmp_path, shared_embedder):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "cnn.py").write_text(
        "import torch.nn as nn\n\n\nclass CNN(nn.Module):\n    conv = nn.Conv2d(3, 8, 3)\n"
    )
    (second / "vae.py").write_text(VAE)
    home = tmp_path / "home"
    reader = Hub(home, embedder=shared_embedder)
    reader.index(first, progress=False)
    query = "variational autoencoder reparameterization and KL divergence"
    assert reader.search(query, kind="code", channels=("dense",)).hits[0].path == "cnn.py"

    writer = subprocess.run(
        [sys.executable, "-m", "modelhub_jupyter.cli", "--home", str(home), "index", str(second), "--json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert writer.returncode == 0, writer.stderr
    assert json.loads(writer.stdout)["indexed"] == 1

    dense = reader.search(query, kind="code", channels=("dense",))
    assert dense.hits[0].path == "vae.py"
    assert reader.search(query, kind="code").hits[0].path == "vae.py"
    reader.close()
