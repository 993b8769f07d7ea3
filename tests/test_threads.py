"""One Hub shared by threads: searches from 8 threads while an index run writes, and the shared-hub cache."""

from __future__ import annotations

import threading
import time

from modelhub_jupyter import Hub
from modelhub_jupyter.hub import open_hub


def _scripts(folder, count: int) -> None:
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"model_{i:03d}.py").write_text(
            f'"""Model {i}: a small convolutional classifier."""\n'
            "import torch.nn as nn\n\n\n"
            f"class Net{i}(nn.Module):\n"
            f"    def __init__(self, channels={8 + i}):\n"
            "        super().__init__()\n"
            f"        self.conv = nn.Conv2d(3, channels, {3 + i % 4})\n"
            f"        self.head = nn.Linear(channels, {10 + i})\n\n"
            "    def forward(self, x):\n"
            "        return self.head(self.conv(x).mean((2, 3)))\n\n\n"
            f"def train_{i}(model, loader, lr={i + 1}e-4):\n"
            "    for batch in loader:\n"
            "        model(batch).sum().backward()\n"
        )


def test_searches_from_eight_threads_while_an_index_run_writes(tmp_path, shared_embedder):
    _scripts(tmp_path / "first", 10)
    _scripts(tmp_path / "second", 80)
    hub = Hub(tmp_path / "home", embedder=shared_embedder)
    hub.index(tmp_path / "first", progress=False)

    done = threading.Event()
    failures: list[BaseException] = []
    counts = [0] * 8
    seen_second = [False] * 8

    def reader(n: int) -> None:
        queries = ["convolutional classifier", "training loop backward", "linear head"]
        try:
            while not done.is_set() or counts[n] < 3:
                res = hub.search(queries[counts[n] % 3], kind="code", limit=5)
                assert res.hits, "a search during indexing came back empty"
                hub.browse("code", limit=5)
                hub.status()
                seen_second[n] |= any(h.path.startswith("model_0") and h.root.endswith("second") for h in res)
                counts[n] += 1
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            failures.append(err)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    report = hub.index(tmp_path / "second", progress=False)
    done.set()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures[0]
    assert report.indexed == 80 and not report.errors
    assert all(c >= 3 for c in counts), counts
    assert time.perf_counter() - started < 600
    # After the run every thread's searches see the new files.
    assert hub.search("", kind="code", where=["filepath~model_079"], limit=50).hits
    assert hub.status()["documents"]["code"] >= 90 * 3
    hub.close()


def test_open_hub_gives_one_hub_per_home(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELHUB_HOME", str(tmp_path / "env-home"))
    seen: list[Hub] = []
    threads = [threading.Thread(target=lambda: seen.append(open_hub(tmp_path / "home"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(h) for h in seen}) == 1
    assert open_hub(str(tmp_path / "home")) is seen[0]
    assert open_hub() is not seen[0] and open_hub().settings.home == (tmp_path / "env-home").resolve()
    seen[0].close()
    assert open_hub(tmp_path / "home") is not seen[0]  # a closed hub is reopened
