"""Workspace scanner: real directory trees in tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modelhub_jupyter.ingest.scanner import (
    WEIGHT_SUFFIXES,
    ScanOptions,
    ScanResult,
    human_size,
    scan,
)


def write(root: Path, rel: str, content: str | bytes = "x = 1\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def kinds(result: ScanResult) -> dict[str, str]:
    return {f.relpath: f.file_kind for f in result.files}


def errors(result: ScanResult) -> dict[str, str]:
    return dict(result.errors)


HF_CONFIG = json.dumps({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": 768})


# -- classification --------------------------------------------------------------------------


def test_classifies_each_kind(tmp_path: Path) -> None:
    write(tmp_path, "train.py")
    write(tmp_path, "explore.ipynb", "{}")
    write(tmp_path, "conf/base.yaml", "lr: 0.1\n")
    write(tmp_path, "conf/extra.yml", "a: 1\n")
    write(tmp_path, "pyproject.toml", "[tool]\n")
    write(tmp_path, "conf/run.json", "{}")
    write(tmp_path, "out/a.png", b"\x89PNG....")
    write(tmp_path, "out/b.JPG", b"\xff\xd8....")
    write(tmp_path, "out/c.jpeg", b"\xff\xd8....")
    write(tmp_path, "out/d.webp", b"RIFF....")
    write(tmp_path, "tiny.gguf", b"GGUF....")
    write(tmp_path, "ckpts/run.safetensors", b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    write(tmp_path, "ckpts/last.pt", b"PK\x03\x04")
    # not indexed
    write(tmp_path, "notes.txt", "hello")
    write(tmp_path, "README.md", "# readme")
    write(tmp_path, "web/package.json", "{}")
    write(tmp_path, "web/package-lock.json", "{}")
    write(tmp_path, "web/tsconfig.json", "{}")
    write(tmp_path, "web/pnpm-lock.yaml", "a: 1")
    write(tmp_path, "poetry.lock", "x")

    result = scan(tmp_path)

    assert kinds(result) == {
        "ckpts/last.pt": "weights",
        "ckpts/run.safetensors": "weights",
        "conf/base.yaml": "config",
        "conf/extra.yml": "config",
        "conf/run.json": "config",
        "explore.ipynb": "notebook",
        "out/a.png": "image",
        "out/b.JPG": "image",
        "out/c.jpeg": "image",
        "out/d.webp": "image",
        "pyproject.toml": "config",
        "tiny.gguf": "weights",
        "train.py": "python",
    }
    assert result.skipped == 7
    assert result.errors == []
    assert result.root == tmp_path
    first = result.files[0]
    assert first.path == tmp_path / first.relpath and first.path.is_absolute()
    train = next(f for f in result.files if f.relpath == "train.py")
    st = (tmp_path / "train.py").stat()
    assert (train.size, train.mtime_ns, train.members) == (st.st_size, st.st_mtime_ns, ())


def test_weight_suffixes_constant() -> None:
    assert WEIGHT_SUFFIXES == {".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".gguf"}


def test_results_are_sorted_and_deterministic(tmp_path: Path) -> None:
    for rel in ["b.py", "a/z.py", "a.py", "a/b/c.py", "c/a.py"]:
        write(tmp_path, rel)
    first = scan(tmp_path)
    assert [f.relpath for f in first.files] == ["a/b/c.py", "a/z.py", "a.py", "b.py", "c/a.py"]
    assert scan(tmp_path).files == first.files


def test_always_skipped_directories(tmp_path: Path) -> None:
    for folder in [
        ".git",
        "__pycache__",
        ".ipynb_checkpoints",
        "node_modules",
        ".venv",
        "venv",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "sub/__pycache__",
    ]:
        write(tmp_path, f"{folder}/mod.py")
    write(tmp_path, "myenv/pyvenv.cfg", "home = /usr/bin\n")
    write(tmp_path, "myenv/lib/site.py")
    write(tmp_path, "sub/keep.py")
    assert list(kinds(scan(tmp_path))) == ["sub/keep.py"]


# -- ignore rules ---------------------------------------------------------------------------


def test_gitignore_root_nested_and_negation(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*.png\n!keep.png\nbuild/\n/top_only.py\n# comment\n")
    write(tmp_path, "a.png", b"png")
    write(tmp_path, "keep.png", b"png")
    write(tmp_path, "build/gen.py")
    write(tmp_path, "src/build/gen.py")  # "build/" matches at any depth
    write(tmp_path, "top_only.py")
    write(tmp_path, "src/top_only.py")  # anchored to the root: not ignored here
    # nested .gitignore: patterns are relative to its own folder
    write(tmp_path, "src/.gitignore", "/local.py\n!special.png\nscratch/\n")
    write(tmp_path, "src/local.py")
    write(tmp_path, "src/deeper/local.py")  # anchored to src/: not ignored
    write(tmp_path, "src/special.png", b"png")  # re-included by the deeper file
    write(tmp_path, "src/other.png", b"png")
    write(tmp_path, "src/scratch/x.py")
    write(tmp_path, "other/scratch/x.py")  # src/.gitignore does not reach here

    result = scan(tmp_path)
    assert sorted(kinds(result)) == [
        "keep.png",
        "other/scratch/x.py",
        "src/deeper/local.py",
        "src/special.png",
        "src/top_only.py",
    ]
    # ignored files: a.png, top_only.py, src/local.py, src/other.png + the two .gitignore files
    assert result.skipped == 6


def test_modelhubignore_and_excludes(tmp_path: Path) -> None:
    write(tmp_path, ".modelhubignore", "data/\n*.yaml\n")
    write(tmp_path, "data/load.py")
    write(tmp_path, "conf.yaml", "a: 1")
    write(tmp_path, "sub/.modelhubignore", "secret.py\n")
    write(tmp_path, "sub/secret.py")
    write(tmp_path, "sub/open.py")
    write(tmp_path, "exp/old/run.py")
    write(tmp_path, "exp/new/run.py")
    write(tmp_path, "exp/new/draft.py")
    write(tmp_path, "exp/new/keep.py")
    write(tmp_path, "train.py")

    result = scan(tmp_path, ScanOptions(exclude=("exp/old", "draft.py")))
    assert sorted(kinds(result)) == ["exp/new/keep.py", "exp/new/run.py", "sub/open.py", "train.py"]


def test_excludes_beat_gitignore_negation(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "!*.py\n")
    write(tmp_path, "a.py")
    write(tmp_path, "b.py")
    assert sorted(kinds(scan(tmp_path, ScanOptions(exclude=("b.py",))))) == ["a.py"]


def test_gitignore_of_enclosing_repo_applies_to_a_subfolder_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, ".gitignore", "outputs/\nproject/*.ckpt\nignored_project/\n")
    write(tmp_path, "project/train.py")
    write(tmp_path, "project/last.ckpt", b"ckpt")
    write(tmp_path, "project/outputs/plot.png", b"png")
    write(tmp_path, "ignored_project/a.py")

    assert sorted(kinds(scan(tmp_path / "project"))) == ["train.py"]
    # scanning an ignored folder on purpose still shows what is in it
    assert sorted(kinds(scan(tmp_path / "ignored_project"))) == ["a.py"]


def test_unreadable_ignore_file_does_not_stop_the_scan(tmp_path: Path) -> None:
    write(tmp_path, "a.py")
    (tmp_path / ".gitignore").mkdir()  # a folder where a file was expected
    assert sorted(kinds(scan(tmp_path))) == ["a.py"]


# -- depth and size ---------------------------------------------------------------------------


def test_max_depth(tmp_path: Path) -> None:
    for rel in ["a.py", "d1/b.py", "d1/d2/c.py", "d1/d2/d3/d.py"]:
        write(tmp_path, rel)
    assert sorted(kinds(scan(tmp_path, ScanOptions(max_depth=0)))) == ["a.py"]
    assert sorted(kinds(scan(tmp_path, ScanOptions(max_depth=1)))) == ["a.py", "d1/b.py"]
    assert len(scan(tmp_path, ScanOptions(max_depth=None)).files) == 4


def test_oversized_files_are_reported_weights_exempt(tmp_path: Path) -> None:
    with open(tmp_path / "huge.json", "wb") as fh:
        fh.truncate(210 * 1024 * 1024)  # sparse: costs no disk
    with open(tmp_path / "big.safetensors", "wb") as fh:
        fh.truncate(300 * 1024 * 1024)
    result = scan(tmp_path)
    assert errors(result) == {"huge.json": "file is 210.0 MB, over the 20.0 MB limit"}
    assert kinds(result) == {"big.safetensors": "weights"}

    write(tmp_path, "small.py", "x" * 200)
    small = scan(tmp_path, ScanOptions(max_file_size=100))
    assert errors(small)["small.py"] == "file is 200 bytes, over the 100 bytes limit"


def test_human_size() -> None:
    assert human_size(0) == "0 bytes"
    assert human_size(1536) == "1.5 KB"
    assert human_size(20 * 1024 * 1024) == "20.0 MB"
    assert human_size(3 * 1024**3) == "3.0 GB"


def test_empty_files_are_errors_but_empty_init_is_not(tmp_path: Path) -> None:
    write(tmp_path, "empty.py", "")
    write(tmp_path, "pkg/__init__.py", "")
    write(tmp_path, "pkg/mod.py")
    write(tmp_path, "empty.txt", "")  # unknown type: just skipped
    result = scan(tmp_path)
    assert errors(result) == {"empty.py": "empty file (0 bytes)"}
    assert sorted(kinds(result)) == ["pkg/mod.py"]
    assert result.skipped == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this OS")
def test_named_pipe_is_skipped_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.json")
    write(tmp_path, "a.py")
    result = scan(tmp_path)
    assert sorted(kinds(result)) == ["a.py"]
    assert result.skipped == 1


# -- symlinks and permissions ------------------------------------------------------------------


def test_symlink_loop_is_reported_once_and_not_followed(tmp_path: Path) -> None:
    write(tmp_path, "a.py")
    write(tmp_path, "sub/b.py")
    os.symlink("..", tmp_path / "sub" / "up")  # points at the root
    os.symlink(".", tmp_path / "sub" / "self")
    os.symlink("self_file.py", tmp_path / "self_file.py")  # a link to itself

    result = scan(tmp_path)  # terminates
    assert sorted(kinds(result)) == ["a.py", "sub/b.py"]
    assert errors(result) == {
        "self_file.py": "symlink loop: self_file.py -> self_file.py",
        "sub/self": "symlink loop: self -> .",
        "sub/up": "symlink loop: up -> ..",
    }
    assert len(result.errors) == 3


def test_link_to_an_ancestor_of_the_root_is_a_loop(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "a.py")
    write(tmp_path, "sibling.py")
    os.symlink(tmp_path, root / "parent")
    result = scan(root)
    assert sorted(kinds(result)) == ["a.py"]
    assert errors(result) == {"parent": f"symlink loop: parent -> {tmp_path}"}


def test_symlinked_folders_are_followed_real_paths_win(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "z_real/model.py")
    os.symlink("z_real", root / "a_link")  # sorts before its target
    write(tmp_path, "outside/data.py")
    os.symlink(tmp_path / "outside", root / "ext")
    write(tmp_path, "outside_file.py")
    os.symlink(tmp_path / "outside_file.py", root / "linked.py")

    # Links out of the root are not followed by default: warnings, not files.
    result = scan(root)
    assert sorted(kinds(result)) == ["z_real/model.py"]
    assert errors(result) == {"a_link": "symlink to a directory already scanned: a_link -> z_real"}
    assert dict(result.warnings) == {
        "ext": f"symlink leaves the indexed folder: ext -> {tmp_path / 'outside'} (not followed)",
        "linked.py": f"symlink leaves the indexed folder: linked.py -> {tmp_path / 'outside_file.py'} (not followed)",
    }

    result = scan(root, ScanOptions(follow_external_links=True))  # asked for: followed
    assert sorted(kinds(result)) == ["ext/data.py", "linked.py", "z_real/model.py"]
    assert errors(result) == {"a_link": "symlink to a directory already scanned: a_link -> z_real"}
    assert result.warnings == []
    ext = next(f for f in result.files if f.relpath == "ext/data.py")
    assert ext.path == root / "ext" / "data.py"

    no_follow = scan(root, ScanOptions(follow_symlinks=False))
    assert sorted(kinds(no_follow)) == ["z_real/model.py"]
    assert no_follow.errors == []
    assert no_follow.skipped == 3


def test_broken_symlink(tmp_path: Path) -> None:
    write(tmp_path, "a.py")
    os.symlink("missing.py", tmp_path / "gone.py")
    os.symlink("nowhere", tmp_path / "gone_dir")
    write(tmp_path, ".gitignore", "ignored_link\n")
    os.symlink("nowhere", tmp_path / "ignored_link")
    result = scan(tmp_path)
    assert errors(result) == {
        "gone.py": "broken symlink: gone.py -> missing.py",
        "gone_dir": "broken symlink: gone_dir -> nowhere",
    }
    assert sorted(kinds(result)) == ["a.py"]


_SCAN_AND_REPORT = """
import json, sys
from modelhub_jupyter.ingest.scanner import scan
try:
    r = scan(sys.argv[1])
    print(json.dumps({"errors": dict(r.errors), "files": sorted(f.relpath for f in r.files)}))
except OSError as err:
    print(json.dumps({"raised": type(err).__name__, "message": str(err)}))
"""


def scan_unprivileged(root: Path) -> dict:
    """Scan as a user whom permission bits stop.

    Root reads everything, so under root the scan runs in a child process without the
    capabilities that override file permissions (util-linux ``setpriv``, on every Debian).
    """
    command = [sys.executable, "-c", _SCAN_AND_REPORT, str(root)]
    if os.geteuid() == 0:
        command = ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", *command]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_unreadable_file(tmp_path: Path) -> None:
    secret = write(tmp_path, "secret.py")
    write(tmp_path, "open.py")
    secret.chmod(0)
    try:
        result = scan_unprivileged(tmp_path)
        assert result["errors"] == {"secret.py": "permission denied"}
        assert result["files"] == ["open.py"]
    finally:
        secret.chmod(0o644)


def test_unreadable_directory(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    write(locked, "inner.py")
    write(tmp_path, "open.py")
    locked.chmod(0)
    try:
        result = scan_unprivileged(tmp_path)
        assert result["errors"] == {"locked": "permission denied"}
        assert result["files"] == ["open.py"]
    finally:
        locked.chmod(0o755)


# -- model directories ----------------------------------------------------------------------


def test_hf_model_dir_with_members_and_script(tmp_path: Path) -> None:
    gpt = "models/gpt2"
    write(tmp_path, f"{gpt}/config.json", HF_CONFIG)
    write(tmp_path, f"{gpt}/generation_config.json", "{}")
    write(tmp_path, f"{gpt}/model.safetensors", b"\x08" + b"\x00" * 15)
    write(tmp_path, f"{gpt}/tokenizer.json", "{}")
    write(tmp_path, f"{gpt}/tokenizer_config.json", "{}")
    write(tmp_path, f"{gpt}/special_tokens_map.json", "{}")
    write(tmp_path, f"{gpt}/vocab.json", "{}")
    write(tmp_path, f"{gpt}/merges.txt", "#version: 0.2\n")
    write(tmp_path, f"{gpt}/README.md", "---\nlicense: mit\n---\n")
    write(tmp_path, f"{gpt}/onnx/model.onnx", b"onnx")
    write(tmp_path, f"{gpt}/convert.py", "import torch\n")
    write(tmp_path, f"{gpt}/samples/out.png", b"png")
    write(tmp_path, f"{gpt}/notes.txt", "not a member")
    write(tmp_path, "train.py")

    result = scan(tmp_path)
    assert kinds(result) == {
        gpt: "model_dir",
        f"{gpt}/convert.py": "python",
        f"{gpt}/samples/out.png": "image",
        "train.py": "python",
    }
    model = next(f for f in result.files if f.file_kind == "model_dir")
    assert model.members == (
        "README.md",
        "config.json",
        "generation_config.json",
        "merges.txt",
        "model.safetensors",
        "onnx/model.onnx",
        "special_tokens_map.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "vocab.json",
    )
    member_paths = [tmp_path / gpt / m for m in model.members]
    assert model.path == tmp_path / gpt
    assert model.size == sum(p.stat().st_size for p in member_paths)
    assert model.mtime_ns == max(p.stat().st_mtime_ns for p in member_paths)
    assert result.errors == []


def test_diffusers_dir_is_one_model_dir(tmp_path: Path) -> None:
    sd = "sd-turbo"
    write(tmp_path, f"{sd}/model_index.json", json.dumps({"_class_name": "StableDiffusionPipeline"}))
    for part in ("unet", "vae", "text_encoder"):
        write(tmp_path, f"{sd}/{part}/config.json", json.dumps({"_class_name": part}))
        write(tmp_path, f"{sd}/{part}/diffusion_pytorch_model.safetensors", b"w" * 8)
    write(tmp_path, f"{sd}/scheduler/scheduler_config.json", "{}")
    write(tmp_path, f"{sd}/tokenizer/vocab.json", "{}")
    write(tmp_path, f"{sd}/tokenizer/merges.txt", "m")
    write(tmp_path, f"{sd}/unet/helpers/deep/deeper/x.safetensors", b"w")  # past member depth

    result = scan(tmp_path)
    assert kinds(result) == {sd: "model_dir", f"{sd}/unet/helpers/deep/deeper/x.safetensors": "weights"}
    (model,) = [f for f in result.files if f.file_kind == "model_dir"]
    assert model.members == (
        "model_index.json",
        "scheduler/scheduler_config.json",
        "text_encoder/config.json",
        "text_encoder/diffusion_pytorch_model.safetensors",
        "tokenizer/merges.txt",
        "tokenizer/vocab.json",
        "unet/config.json",
        "unet/diffusion_pytorch_model.safetensors",
        "vae/config.json",
        "vae/diffusion_pytorch_model.safetensors",
    )


def test_model_dir_members_complete_past_max_depth(tmp_path: Path) -> None:
    write(tmp_path, "sd/model_index.json", "{}")
    write(tmp_path, "sd/unet/config.json", "{}")
    write(tmp_path, "sd/unet/helper.py")
    result = scan(tmp_path, ScanOptions(max_depth=1))
    assert kinds(result) == {"sd": "model_dir"}
    assert result.files[0].members == ("model_index.json", "unet/config.json")


def test_sentence_transformers_layout_and_root_model_dir(tmp_path: Path) -> None:
    write(tmp_path, "config.json", json.dumps({"architectures": ["BertModel"]}))
    write(tmp_path, "model.safetensors", b"w" * 8)
    write(tmp_path, "modules.json", "[]")
    write(tmp_path, "1_Pooling/config.json", "{}")
    write(tmp_path, "train_script.py")
    result = scan(tmp_path)
    assert kinds(result) == {".": "model_dir", "train_script.py": "python"}
    model = result.files[0]
    assert model.path == tmp_path
    assert model.members == ("1_Pooling/config.json", "config.json", "model.safetensors", "modules.json")


def test_lone_weights_and_weight_folders(tmp_path: Path) -> None:
    write(tmp_path, "llm.gguf", b"GGUF")
    write(tmp_path, "README.md", "# my workspace")  # the root is not a model dir because of this
    write(tmp_path, "ggufs/a.Q4_K_M.gguf", b"GGUF")
    write(tmp_path, "ggufs/b.Q8_0.gguf", b"GGUF")
    write(tmp_path, "lmstudio/pub/tiny/tiny.gguf", b"GGUF")
    write(tmp_path, "lmstudio/pub/tiny/README.md", "card")
    write(tmp_path, "peft/adapter_model.safetensors", b"w")
    write(tmp_path, "peft/adapter_config.json", "{}")
    result = scan(tmp_path)
    assert kinds(result) == {
        "ggufs/a.Q4_K_M.gguf": "weights",
        "ggufs/b.Q8_0.gguf": "weights",
        "llm.gguf": "weights",
        "lmstudio/pub/tiny": "model_dir",
        "peft": "model_dir",
    }


def test_config_json_marker_rules(tmp_path: Path) -> None:
    # a config.json without model keys is an ordinary config file
    write(tmp_path, "app/config.json", json.dumps({"port": 8080}))
    # config-only HF folder (no weights) is still a model dir
    write(tmp_path, "bert-config/config.json", json.dumps({"model_type": "bert"}))
    # broken JSON without weights: just a config for the parser to complain about
    write(tmp_path, "broken/config.json", "{not json")
    # broken JSON next to weights: noted, and the weights still group as a model dir
    write(tmp_path, "broken_w/config.json", "{not json")
    write(tmp_path, "broken_w/model.bin", b"w")
    # big config: only the first MB is read
    big = {"model_type": "llama", "pad": "x" * (2 * 1024 * 1024)}
    write(tmp_path, "big/config.json", json.dumps(big))
    result = scan(tmp_path)
    assert kinds(result) == {
        "app/config.json": "config",
        "bert-config": "model_dir",
        "big": "model_dir",
        "broken/config.json": "config",
        "broken_w": "model_dir",
    }
    assert list(errors(result)) == ["broken_w/config.json"]
    assert errors(result)["broken_w/config.json"].startswith("invalid JSON: Expecting property name")


def test_hf_cache_snapshot_of_symlinks(tmp_path: Path) -> None:
    repo = tmp_path / "hub" / "models--gpt2"
    write(repo, "blobs/aaa", HF_CONFIG)
    write(repo, "blobs/bbb", b"w" * 100)
    write(repo, "refs/main", "abc123")
    snap = repo / "snapshots" / "abc123"
    snap.mkdir(parents=True)
    os.symlink("../../blobs/aaa", snap / "config.json")
    os.symlink("../../blobs/bbb", snap / "model.safetensors")
    result = scan(tmp_path)
    assert kinds(result) == {"hub/models--gpt2/snapshots/abc123": "model_dir"}
    assert result.files[0].members == ("config.json", "model.safetensors")
    assert result.files[0].size == len(HF_CONFIG) + 100  # sizes of the targets, not the links


def test_empty_and_unreadable_members(tmp_path: Path) -> None:
    write(tmp_path, "m/config.json", HF_CONFIG)
    write(tmp_path, "m/model.safetensors", b"")
    result = scan(tmp_path)
    assert errors(result) == {"m/model.safetensors": "empty file (0 bytes)"}
    assert result.files[0].members == ("config.json",)


# -- roots --------------------------------------------------------------------------------------


def test_bad_roots_raise_one_line_errors(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError) as err:
        scan(missing)
    assert str(missing) in str(err.value) and "\n" not in str(err.value)

    afile = write(tmp_path, "file.py")
    with pytest.raises(NotADirectoryError, match="not a directory"):
        scan(afile)

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        result = scan_unprivileged(locked)
        assert result["raised"] == "PermissionError" and "permission denied" in result["message"]
        assert str(locked) in result["message"] and "\n" not in result["message"]
    finally:
        locked.chmod(0o755)


def test_relative_root_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "ws/a.py")
    monkeypatch.chdir(tmp_path)
    result = scan(Path("ws"))
    assert result.root == tmp_path / "ws"
    assert result.files[0].path == tmp_path / "ws" / "a.py"


def test_scans_two_thousand_files_with_constant_work_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2,100 files in 51 folders: each folder listed once, each file opened once (never re-read
    per file), each ignore file read once, and an ignored folder never entered. Work counted,
    not timed: the time is a benchmark's business."""
    write(tmp_path, ".gitignore", "*.log\nbuild/\n")
    for d in range(50):
        folder = tmp_path / f"pkg{d:02d}"
        folder.mkdir()
        (folder / ".gitignore").write_text("tmp_*.py\n")
        for i in range(42):
            (folder / f"mod{i:02d}.py").write_text("x = 1\n")
        (folder / "tmp_x.py").write_text("x = 1\n")
        (folder / "run.log").write_text("log\n")
        write(folder, "build/deep/gen.py")  # ignored by the root's build/: never listed
    listed: list[str] = []
    opened: list[str] = []
    real_scandir, real_open = os.scandir, os.open

    def counted_scandir(path):
        listed.append(os.fspath(path))
        return real_scandir(path)

    def counted_open(path, flags, *args, **kwargs):
        opened.append(os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", counted_scandir)
    monkeypatch.setattr(os, "open", counted_open)
    result = scan(tmp_path)
    assert len(result.files) == 2100 and not result.errors
    folders = {str(tmp_path)} | {str(tmp_path / f"pkg{d:02d}") for d in range(50)}
    assert set(listed) == folders  # nothing under build/ (nor anything else) was listed
    assert len(listed) <= len(folders) + 1  # the root is also opened once to check it is readable
    inside = [p for p in opened if p.startswith(str(tmp_path))]
    assert len(inside) == len(set(inside)) == 2100 + 51  # each file and each .gitignore once
    assert sum(p.endswith(".gitignore") for p in inside) == 51


def test_open_failure_is_reported_even_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same path as test_unreadable_file, made to fail for root too by failing the open itself."""
    write(tmp_path, "secret.py")
    write(tmp_path, "open.py")
    real_open = os.open

    def fake_open(path, flags, *args, **kwargs):
        if str(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    result = scan(tmp_path)
    assert errors(result) == {"secret.py": "permission denied"}
    assert sorted(kinds(result)) == ["open.py"]
