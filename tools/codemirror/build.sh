#!/bin/sh
# Rebuild modelhub_jupyter/widgets/static/codemirror.js from the CodeMirror 6 packages the lab
# extension installs (cd labextension && npm ci first). The output is committed: nothing is built
# or fetched when the panel is shown.
set -e
here=$(cd "$(dirname "$0")" && pwd)
"$here/../../labextension/node_modules/.bin/webpack" --config "$here/webpack.config.cjs"
