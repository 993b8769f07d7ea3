const path = require("path");
const modules = path.resolve(__dirname, "../../labextension/node_modules");
module.exports = {
  mode: "production",
  entry: path.resolve(__dirname, "entry.js"),
  resolve: { modules: [modules] },
  resolveLoader: { modules: [modules] },
  output: {
    path: path.resolve(__dirname, "../../modelhub_jupyter/widgets/static"),
    filename: "codemirror.js",
    library: { name: "MHCodeMirror", type: "var" },
  },
  performance: { hints: false },
  optimization: { minimize: true },
};
