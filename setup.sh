#!/usr/bin/env bash
# Set modelhub-jupyter up in ./.venv and run its main job on the embedded default store:
# build the example workspace (with real git history), index it, print a few searches.
#   ./setup.sh            set up + demo
#   ./setup.sh --no-demo  set up only
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# The JupyterLab extension (labextension/) is built by pip through hatch-jupyter-builder with npm
# (Node >= 18); without it the Python side still installs, and JupyterLab shows no ModelHub sidebar.
if ! command -v npm >/dev/null || ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)'; then
  echo "setup: Node >= 18 and npm are needed to build the JupyterLab extension (apt-get install nodejs npm)" >&2
fi
# torch is pinned (torch==2.14.1, torchvision==0.29.1) in pyproject.toml; pip takes those from
# the machine's local wheel files, so nothing pulls a CUDA torch from the index.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 \
  | grep -v "is ignored: it is neither a file nor a directory" || true
.venv/bin/python -c "import modelhub_jupyter, torch, chromadb, sentence_transformers" \
  || { echo "setup: the install did not complete" >&2; exit 1; }
if [ "${1:-}" != "--no-demo" ]; then
  .venv/bin/modelhub demo
fi
