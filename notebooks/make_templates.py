"""Writes notebooks/templates/*.ipynb (the papermill templates). Run: python notebooks/make_templates.py"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent / "templates"

INSTALL = """# On Colab: install what this notebook needs (does nothing elsewhere).
import sys
if "google.colab" in sys.modules:
    import subprocess
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "modelhub-jupyter", "plotly", "papermill"], check=True)"""

SETUP = """from IPython.display import HTML, Markdown, display
from modelhub_jupyter.notebooks import runtime
runtime.setup_plotly()"""


def notebook(title: str, intro: str, params: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [
        new_markdown_cell(f"# {title}\n\n{intro}"),
        new_code_cell(INSTALL),
        new_markdown_cell(
            "## Parameters\n\n`modelhub notebook` fills these in (papermill); "
            "`snapshot_json` carries the documents this notebook needs, so it runs without a local store."
        ),
        new_code_cell(params, metadata={"tags": ["parameters"]}),
        new_code_cell(SETUP),
    ]
    for kind, text in cells:
        nb.cells.append(new_markdown_cell(text) if kind == "md" else new_code_cell(text))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


TEMPLATES = {
    "model_analysis": notebook(
        "Model analysis",
        "What the hub knows about one model: its metadata, the classes that define it, its metrics, "
        "its lineage and, when it has a predecessor in the index, what changed since.",
        'model = ""  # required: model_id, family, id@version or file of the model\n'
        'home = ""  # a modelhub store to read when no snapshot travels with the notebook\n'
        'snapshot_json = ""  # filled in by modelhub: the documents this notebook needs',
        [
            (
                "code",
                "snapshot = runtime.load(snapshot_json, home, 'model_analysis', model=model)\n"
                "cmp = runtime.comparison(snapshot, minimum=1)\n"
                "subject = cmp.models[-1]\n"
                "display(Markdown(f'**{subject.label}** — `{subject.path}`'))",
            ),
            ("md", "## Metadata\n\nEvery field the indexer found, dotted (`model_dimensions.hidden_size`)."),
            ("code", "runtime.profile_frame(subject)"),
            (
                "md",
                "## Structure\n\nThe classes of the defining file, read from its syntax tree (nothing is imported): "
                "the layers each builds and its hyperparameters.",
            ),
            ("code", "runtime.structure_frame(cmp.structures[-1])"),
            ("md", "## Metrics\n\nPerformance and size, as bars."),
            (
                "code",
                "from modelhub_jupyter.compare.figures import lineage_figure, metrics_figure\n"
                "metrics_figure(cmp).show()",
            ),
            ("md", "## Lineage\n\nPredecessors and successors at their git dates."),
            ("code", "lineage_figure(cmp).show()"),
            (
                "md",
                "## Since the predecessor\n\nWhen the predecessor is indexed: the aligned table "
                "(% change; *better*/*worse* where the direction is known) and the structural changes.",
            ),
            (
                "code",
                "if len(cmp.models) > 1:\n    display(cmp.to_frame())\n"
                "    print('\\n'.join(cmp.structure_diffs[0]['lines']) or 'no structural change')\n"
                "else:\n    print('no indexed predecessor')",
            ),
        ],
    ),
    "compare_models": notebook(
        "Compare models",
        "Two to four models side by side: aligned metadata and metrics, structural and code diffs, "
        "lineage and generated images.",
        'models = ""  # required: comma-separated model_ids, families or files (2 to 4)\n'
        'home = ""  # a modelhub store to read when no snapshot travels with the notebook\n'
        'snapshot_json = ""  # filled in by modelhub: the documents this notebook needs',
        [
            (
                "code",
                "snapshot = runtime.load(snapshot_json, home, 'compare_models', models=models)\n"
                "cmp = runtime.comparison(snapshot)\nfor note in cmp.notes:\n    print(note)",
            ),
            (
                "md",
                "## Aligned table\n\nRows are fields, a column per model; `Δ%` is the change against the first model.",
            ),
            ("code", "cmp.to_frame()"),
            ("md", "## Metrics"),
            (
                "code",
                "from modelhub_jupyter.compare.figures import lineage_figure, metrics_figure\n"
                "metrics_figure(cmp).show()",
            ),
            (
                "md",
                "## Structural changes\n\nLayers added (`+`), removed (`-`) or changed (`~`), and hyperparameter changes.",
            ),
            (
                "code",
                "for i, d in enumerate(cmp.structure_diffs, start=1):\n"
                "    print(f'{cmp.labels[0]} -> {cmp.labels[i]}')\n"
                "    print('\\n'.join('  ' + line for line in d['lines']) or '  no structural change')",
            ),
            ("md", "## Code diff\n\nThe defining classes, side by side."),
            ("code", "for d in cmp.code_diffs:\n    display(HTML(d['html']))"),
            ("md", "## Lineage"),
            ("code", "lineage_figure(cmp).show()"),
            ("md", "## Generated images"),
            (
                "code",
                "for label, imgs in cmp.images.items():\n    print(label)\n    display(runtime.images_frame(imgs))\n"
                "if not cmp.images:\n    print('no generated images of these models')",
            ),
        ],
    ),
    "image_set_report": notebook(
        "Image set report",
        "A set of generated images (a search or a filter): their generation settings, which models "
        "made them and how the settings spread.",
        'query = ""  # words to search images by (empty: every image that matches `where`)\n'
        'where = ""  # comma-separated --where filters (as on the command line)\n'
        "limit = 200  # most images to report\n"
        'home = ""  # a modelhub store to read when no snapshot travels with the notebook\n'
        'snapshot_json = ""  # filled in by modelhub: the documents this notebook needs',
        [
            (
                "code",
                "import pandas as pd\nimport plotly.express as px\n"
                "snapshot = runtime.load(snapshot_json, home, 'image_set_report', query=query, where=where, limit=limit)\n"
                "images = runtime.images_frame(snapshot['images'])\nprint(f'{len(images)} images')",
            ),
            ("md", "## The images and their settings"),
            ("code", "images"),
            ("md", "## Which models made them"),
            (
                "code",
                "counts = images['source_model_id'].fillna('unknown').value_counts().rename_axis('model').reset_index(name='images')\n"
                "px.bar(counts, x='model', y='images', title='Images per model').show()",
            ),
            ("md", "## Steps against guidance\n\nEach point is an image; colour is its sampler."),
            (
                "code",
                "px.scatter(images, x='num_inference_steps', y='guidance_scale', color=images['sampler'].fillna('unknown'),\n"
                "           hover_name='path', title='Steps vs guidance').show()",
            ),
        ],
    ),
    "benchmark_versions": notebook(
        "Benchmark versions",
        "The versions of a model family (or listed models, or a registered model's versions) in order: "
        "a metric across versions and the change from each version to the next.",
        'family = ""  # a model family (its indexed models are compared, up to 4)\n'
        'models = ""  # or comma-separated models, oldest first (with registry: its versions)\n'
        'registry = ""  # or a registered model id: its versions (newest 4) with their metrics and training config\n'
        'metric = "performance.perplexity"  # the field to chart\n'
        'home = ""  # a modelhub store to read when no snapshot travels with the notebook\n'
        'snapshot_json = ""  # filled in by modelhub: the documents this notebook needs',
        [
            (
                "code",
                "import plotly.express as px\n"
                "snapshot = runtime.load(snapshot_json, home, 'benchmark_versions', family=family, models=models, registry=registry)\n"
                "if not snapshot['models']:\n    raise ValueError(f'no indexed models for family={family!r} models={models!r}')\n"
                "snapshot['models'].sort(key=lambda m: runtime.version_order(m['metadata']))\n"
                "cmp = runtime.comparison(snapshot, minimum=1)\ncmp.to_frame()",
            ),
            ("md", "## The metric across versions"),
            (
                "code",
                "row = next((r for r in cmp.rows if r['key'] == metric), None)\n"
                "if row is None:\n    print(f'no model has {metric}')\nelse:\n"
                "    px.line(x=cmp.labels, y=row['values'], markers=True, labels={'x': 'version', 'y': metric},\n"
                "            title=f'{metric} by version').show()",
            ),
            (
                "md",
                "## Change from version to version\n\nPositive improvement is better (lower loss, higher accuracy).",
            ),
            (
                "code",
                "import pandas as pd\nsteps = []\nfor r in cmp.rows:\n"
                "    if r['direction'] and r['key'].startswith('performance.'):\n"
                "        steps.append({'field': r['key'], **{lb: v for lb, v in zip(cmp.labels, r['display'])},\n"
                "                      **{f'improvement % {lb}': p for lb, p in zip(cmp.labels[1:], r['improvement_pct'][1:])}})\n"
                "pd.DataFrame(steps)",
            ),
        ],
    ),
    "train_model": notebook(
        "Train a model",
        "Trains a tiny classifier on data generated here (two interleaved spirals), on the CPU in seconds: "
        "loss and accuracy per epoch with a progress bar and a chart, then a safetensors checkpoint with "
        "its config and model card, registered as the next version of its model (parent: the newest one) when a store is given.",
        'model_id = "tiny-spiral-mlp"  # the model this run makes a version of\n'
        'config = ""  # optional YAML/JSON file with hidden, lr, epochs, samples\n'
        "epochs = 20  # passes over the data\n"
        "lr = 0.01  # Adam learning rate\n"
        "hidden = 32  # width of the two hidden layers\n"
        "samples = 2000  # generated training points\n"
        "seed = 0  # makes the run repeatable\n"
        'out_dir = "trained"  # where the checkpoint folder goes\n'
        'parent = ""  # the version this one was trained from (default: the newest registered one)\n'
        "register = True  # register the checkpoint as a new version\n"
        'home = ""  # the modelhub store to register into\n'
        'snapshot_json = ""  # filled in by modelhub (unused here)',
        [
            (
                "md",
                "## Configuration\n\nWith `modelhub notebook -p config=FILE`, the file's values are already in the "
                "parameters above (a parameter given on the command line wins over the file) and `config` is empty. "
                "Set `config` by hand to read a file here instead; its values then override the parameters above.",
            ),
            (
                "code",
                "import json, hashlib\nfrom pathlib import Path\nimport numpy as np\nimport torch\n"
                "if config:\n    import yaml\n    overrides = yaml.safe_load(Path(config).read_text()) or {}\n"
                "    epochs = int(overrides.get('epochs', epochs)); lr = float(overrides.get('lr', lr))\n"
                "    hidden = int(overrides.get('hidden', hidden)); samples = int(overrides.get('samples', samples))\n"
                "torch.manual_seed(seed); np.random.seed(seed); torch.set_num_threads(1)\n"
                "settings = {'epochs': epochs, 'lr': lr, 'hidden': hidden, 'samples': samples, 'seed': seed}\nprint(settings)",
            ),
            (
                "md",
                "## Data\n\nTwo spirals, generated from the seed; 80% to train, 20% to evaluate. "
                "The data hash goes into the model card and the registry.",
            ),
            (
                "code",
                "rng = np.random.default_rng(seed)\nn = samples // 2\nt = np.sqrt(rng.random(n)) * 3 * np.pi\n"
                "a = np.stack([t * np.cos(t), t * np.sin(t)], 1); b = -a\n"
                "X = np.concatenate([a, b]) / 10 + rng.normal(0, 0.05, (2 * n, 2))\ny = np.concatenate([np.zeros(n), np.ones(n)])\n"
                "order = rng.permutation(len(X)); X, y = X[order].astype('float32'), y[order].astype('int64')\n"
                "split = int(0.8 * len(X))\nXtr, ytr, Xte, yte = map(torch.from_numpy, (X[:split], y[:split], X[split:], y[split:]))\n"
                "data_hash = hashlib.sha256(X.tobytes() + y.tobytes()).hexdigest()\nprint(len(Xtr), 'train,', len(Xte), 'test; data', data_hash[:12])",
            ),
            (
                "md",
                "## Training\n\nLoss and accuracy on the held-out fifth after every epoch; the chart updates as it trains.",
            ),
            (
                "code",
                "import plotly.graph_objects as go\nfrom tqdm.auto import tqdm\n"
                "model = torch.nn.Sequential(torch.nn.Linear(2, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, hidden),\n"
                "                            torch.nn.ReLU(), torch.nn.Linear(hidden, 2))\n"
                "opt = torch.optim.Adam(model.parameters(), lr=lr)\nloss_fn = torch.nn.CrossEntropyLoss()\nhistory = []\n"
                "fig = go.Figure(layout={'title': 'Training', 'xaxis_title': 'epoch'})\nchart = display(fig, display_id=True)\n"
                "for epoch in tqdm(range(1, epochs + 1), desc='epochs'):\n"
                "    model.train()\n    for idx in torch.randperm(len(Xtr), generator=torch.Generator().manual_seed(seed + epoch)).split(64):\n"
                "        opt.zero_grad(); loss = loss_fn(model(Xtr[idx]), ytr[idx]); loss.backward(); opt.step()\n"
                "    model.eval()\n    with torch.no_grad():\n        logits = model(Xte)\n"
                "        row = {'epoch': epoch, 'loss': round(loss_fn(logits, yte).item(), 4),\n"
                "               'accuracy': round((logits.argmax(1) == yte).float().mean().item(), 4)}\n"
                "    history.append(row)\n"
                "    fig = go.Figure([go.Scatter(x=[h['epoch'] for h in history], y=[h[k] for h in history], name=k) for k in ('loss', 'accuracy')],\n"
                "                    layout={'title': 'Training', 'xaxis_title': 'epoch'})\n    chart.update(fig)\n"
                "for row in history:\n    print(f\"epoch {row['epoch']:3d}  loss {row['loss']:.4f}  accuracy {row['accuracy']:.4f}\")",
            ),
            ("md", "## Checkpoint, config and model card"),
            (
                "code",
                "from safetensors.torch import save_file\n"
                "known = runtime.registered_versions(home, model_id) if register else None  # None: nothing to register into\n"
                "version = f'v{len(known) + 1}' if known is not None else ''\nparent = parent or (known[-1] if known else '')\n"
                "folder = Path(out_dir) / model_id / (version or 'latest')  # a version's files are never overwritten\n"
                "folder.mkdir(parents=True, exist_ok=True)\n"
                "save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(folder / 'model.safetensors'))\n"
                "final = history[-1]\ncfg = {'model_id': model_id, 'architecture': 'mlp', 'framework': 'pytorch', 'input_size': 2,\n"
                "       'hidden_size': hidden, 'num_layers': 3, 'num_classes': 2, 'training': settings, 'data_sha256': data_hash,\n"
                "       'version': version or None, 'parent': parent or None, 'metrics': {'loss': final['loss'], 'accuracy': final['accuracy']}}\n"
                "(folder / 'config.json').write_text(json.dumps(cfg, indent=2))\n"
                "(folder / 'metrics.json').write_text(json.dumps(history, indent=2))\n"
                "card = f'''---\\nlicense: mit\\ntags: [modelhub, tiny, mlp]\\n---\\n# {model_id}\\n\\n"
                "A {hidden}-wide MLP that tells two spirals apart, trained for {epochs} epochs (Adam, lr {lr}, seed {seed}).\\n\\n"
                "## Evaluation\\n\\nHeld-out loss {final['loss']}, accuracy {final['accuracy']}.\\n\\n"
                "Data: {samples} generated points, sha256 {data_hash}.\\n'''\n"
                "(folder / 'README.md').write_text(card)\nprint(sorted(p.name for p in folder.iterdir()))",
            ),
            (
                "md",
                "## Register the new version\n\nThrough the model registry, with its metrics and lineage "
                "(parent version, config, data hash).",
            ),
            (
                "code",
                "if not register:\n    print('registration skipped (register=False)')\n"
                "elif known is None:\n    print('registry not available: the checkpoint is saved but not registered'\n"
                "          + ('' if home else ' (no home store given)'))\nelse:\n"
                "    row = runtime.register(home, model_id, str(folder.resolve()), version=version, parent=parent or None,\n"
                "                           metrics={'loss': final['loss'], 'accuracy': final['accuracy']}, config=cfg, data_sha256=data_hash)\n"
                "    print(f'registered {row.model} {row.version} (parent {row.parent or \"none\"}): '\n"
                '          f\'loss {row.metrics["loss"]}, accuracy {row.metrics["accuracy"]}, data {data_hash[:12]}\')',
            ),
        ],
    ),
}

if __name__ == "__main__":
    HERE.mkdir(parents=True, exist_ok=True)
    for name, nb in TEMPLATES.items():
        nbformat.validate(nb)
        nbformat.write(nb, str(HERE / f"{name}.ipynb"))
        print(HERE / f"{name}.ipynb")
