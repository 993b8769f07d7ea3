"""Hostile inputs for the image, generation-metadata, model-folder and weight-file parsers.

Every input is built here (PNGs with ``PngInfo``, JPEG/WebP segments patched in, safetensors and
GGUF headers with ``struct``, zips with ``zipfile`` and then patched, sparse files with
``os.truncate``): no binary file is checked in. Each case calls a parser entry point and asserts
the only outcomes the design allows: a normal result (with one-line warnings) or a one-line
``ParseError`` without the file's path, within a time and a memory bound.
"""

from __future__ import annotations

import copy
import gc
import io
import json
import os
import random
import re
import struct
import tempfile
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from modelhub_jupyter.errors import ParseError
from modelhub_jupyter.ingest import images, model_dir, sd_metadata, weights
from modelhub_jupyter.ingest.images import make_thumbnail, read_image
from modelhub_jupyter.ingest.model_dir import read_model_dir
from modelhub_jupyter.ingest.types import Extracted
from modelhub_jupyter.ingest.weights import companion_fingerprint, read_weight_file

from .guards import HANG_SECONDS, hang_guard

MB = 1024 * 1024
GB = 1024 * MB
TEMP = tempfile.gettempdir()  # where pytest's tmp_path lives: no message may name a path in it


# ----------------------------------------------------------------------------- the contract


def bounded(fn: Callable[..., Any], *args: Any, seconds: float = 10.0, megabytes: float = 50.0) -> Any:
    """Call ``fn(*args)``: a result or a ParseError, in bounded traced memory, and not still running
    minutes later (``seconds`` is what it takes on a quiet machine; the guard allows six times that).

    Returns the result, or the ParseError (any other exception fails the test). Messages and
    warnings must be one line, carry no temp path, and never be an "internal error" (that
    would mean the last-resort guard caught a bug instead of the parser handling the input).
    """
    tracemalloc.start()
    try:
        with hang_guard(getattr(fn, "__name__", "a parser"), max(HANG_SECONDS, 6 * seconds)):
            outcome: Any = fn(*args)
    except ParseError as err:
        outcome = err
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < megabytes * MB, f"peak traced memory {peak / MB:.1f} MB"
    lines = [str(outcome)] if isinstance(outcome, ParseError) else list(getattr(outcome, "warnings", []))
    for line in lines:
        assert line and "\n" not in line and len(line) <= 400, line
        assert TEMP not in line and "internal error" not in line and "Traceback" not in line, line
    return outcome


def is_error(outcome: Any, pattern: str = "") -> bool:
    return isinstance(outcome, ParseError) and re.search(pattern, str(outcome)) is not None


def warned(outcome: Any, pattern: str) -> bool:
    return isinstance(outcome, Extracted) and any(re.search(pattern, w) for w in outcome.warnings)


def sparse(path: Path, data: bytes, size: int) -> Path:
    """``data`` at the start of a file of ``size`` bytes that takes no disk space."""
    path.write_bytes(data)
    os.truncate(path, size)
    return path


# ----------------------------------------------------------------------------- image builders


def png(path: Path, texts: dict[str, str] | None = None, size=(8, 8), zipped: bool = False) -> Path:
    info = PngInfo()
    for key, value in (texts or {}).items():
        info.add_text(key, value, zip=zipped)
    Image.new("RGB", size, (10, 20, 30)).save(path, "PNG", pnginfo=info)
    return path


def png_chunk(kind: bytes, data: bytes, length: int | None = None) -> bytes:
    n = len(data) if length is None else length
    return struct.pack(">I", n) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_chunks(path: Path, extra: list[bytes]) -> Path:
    """A real 8x8 PNG with ``extra`` raw chunks inserted before the image data."""
    png(path)
    data = path.read_bytes()
    at = data.index(b"IDAT") - 4
    path.write_bytes(data[:at] + b"".join(extra) + data[at:])
    return path


def jpeg_with_segments(path: Path, segments: list[bytes], exif: bytes | None = None) -> Path:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(buf, "JPEG", **({"exif": exif} if exif else {}))
    data = buf.getvalue()
    path.write_bytes(data[:2] + b"".join(segments) + data[2:])
    return path


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    assert len(payload) <= 65533
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def exif_user_comment(value: Any, big_endian: bool = True) -> bytes:
    exif = Image.Exif()
    exif.endian = ">" if big_endian else "<"
    exif.get_ifd(0x8769)[0x9286] = value
    return exif.tobytes()


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + ']><x:xmpmeta xmlns:x="adobe:ns:meta/"><lolz>&lol9;</lolz></x:xmpmeta>'
)


def _webp_with_odd_chunks(path: Path, liar: bool = True) -> Path:
    buf = io.BytesIO()
    Image.new("RGBA", (8, 8), (1, 2, 3, 4)).save(
        buf, "WEBP", lossless=True, exif=b"Exif\0\0garbage", xmp=BILLION_LAUGHS.encode()
    )
    data = buf.getvalue()
    odd = b"ZZZZ" + struct.pack("<I", 9) + b"odd chunk" + b"\0"  # odd size, padded
    claims_2gb = b"EXIF" + struct.pack("<I", 0x7FFFFFF0) + b"II*\0"
    body = data[12:] + odd + (claims_2gb if liar else b"")
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body)
    return path


def _comfy_graph_huge(n: int) -> str:
    """n KSampler nodes linked in cycles (each links to another sampler), under 8 MB of JSON."""
    nodes = {
        str(i): {"class_type": "KSampler", "inputs": {"positive": [str((i + 7) % n), 0]}} for i in range(n)
    }
    return json.dumps(nodes, separators=(",", ":"))


MALFORMED_GRAPH = {
    "1": 5,
    "2": [1, 2],
    "3": {"class_type": ["KSampler"], "inputs": {"positive": ["4", 0]}},
    "4": {"class_type": "KSampler", "inputs": 7},
    "5": {
        "class_type": "KSampler",
        "inputs": {
            "positive": ["6", 0],  # a cycle 6 -> 7 -> 6
            "negative": ["99", 0],  # a missing node
            "model": ["5"],  # too short
            "seed": [5, "x"],  # slot not an int
            "steps": [True, 0],  # id not an id
            "cfg": [{"a": 1}, 0],  # unhashable id
            "sampler_name": [[1], 0],
            "latent_image": ["9" * 5000, 0],  # an id of 5,000 digits
            "guider": ["²", 0],
        },
    },
    "6": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["7", 0]}},
    "7": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["6", 0], "text": ["7", 0]}},
    "9" * 5000: {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": "x"}},
    "²": {"class_type": "CLIPTextEncode", "inputs": {"text": "superscript"}},
}

IMAGE_CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    # name: (builder, expected) where expected is "ok", "error" or "either"
    "workflow_nodes_int": (lambda p: png(p, {"workflow": '{"nodes": 1}'}), "ok"),
    "workflow_wrong_types": (
        lambda p: png(
            p,
            {
                "workflow": json.dumps(
                    {
                        "nodes": [
                            1,
                            "x",
                            None,
                            {"id": [1]},
                            {"id": 2, "type": 5, "inputs": 7, "widgets_values": "x"},
                            {
                                "id": 3,
                                "type": "KSampler",
                                "inputs": [{"link": [1]}, {"link": 9, "name": 5}, 4],
                                "widgets_values": [[1], {}, None],
                            },
                        ],
                        "links": [
                            [[1], 2, 3, 4, 5],
                            {"id": {}},
                            7,
                            [1, [2], 0, 3, "MODEL"],
                            [9, 2, "x", 3, "M"],
                        ],
                    }
                )
            },
        ),
        "ok",
    ),  # fmt: skip
    "workflow_links_not_list": (
        lambda p: png(p, {"workflow": '{"nodes": [{"id": 1}], "links": {"a": 1}}'}),
        "ok",
    ),
    "prompt_malformed_graph": (lambda p: png(p, {"prompt": json.dumps(MALFORMED_GRAPH)}), "ok"),
    "prompt_100k_nodes_in_cycles": (lambda p: png(p, {"prompt": _comfy_graph_huge(100_000)}), "ok"),
    "prompt_deeply_nested_json": (lambda p: png(p, {"prompt": "[" * 100_000}), "ok"),
    "prompt_5000_digit_number": (lambda p: png(p, {"prompt": '{"1": ' + "7" * 5000 + "}"}), "ok"),
    "a1111_odd_lines": (
        lambda p: png(
            p, {"parameters": "\n\n\nNegative prompt:\n: : :\nSteps: \nx:y:z, a: b, c: d, Hashes: {"}
        ),
        "ok",
    ),
    "a1111_hashes_wrong_types": (
        lambda p: png(
            p, {"parameters": 'x\nSteps: 1, Seed: 2, Hashes: {"lora:a": [1], "b": ' + "9" * 5000 + "}"}
        ),
        "ok",
    ),
    "a1111_40k_line_without_colon": (lambda p: png(p, {"parameters": "a" + " a" * 20_000}), "ok"),
    "lora_tags_40k": (lambda p: png(p, {"parameters": "<lora:" * 7_000 + "<lora:x:" + "1" * 20_000}), "ok"),
    "lora_tags_40k_distinct": (
        lambda p: png(p, {"parameters": "".join(f"<lora:n{i}:1>" for i in range(40_000))}),
        "ok",
    ),
    "invokeai_wrong_types": (
        lambda p: png(
            p,
            {
                "invokeai_metadata": json.dumps(
                    {
                        "positive_prompt": {"a": [1]},
                        "model": [1],
                        "steps": "x",
                        "cfg_scale": [],
                        "seed": {"x": 1},
                        "scheduler": 5,
                        "loras": [{"model": [1]}, 5, {"lora": {"name": 7}}, None],
                        "width": "a",
                        "height": [],
                        "sui_image_params": {"sui_image_params": 5},
                    }
                ),
                "sd-metadata": json.dumps({"image": [1], "model_weights": {"a": 1}, "model_hash": [2]}),
            },
        ),
        "ok",
    ),  # fmt: skip
    "invokeai_not_objects": (lambda p: png(p, {"invokeai_metadata": "[1, 2]", "sd-metadata": '"x"'}), "ok"),
    "novelai_wrong_types": (
        lambda p: png(
            p,
            {
                "Software": "NovelAI",
                "Source": "x " * 5000,
                "Description": "",
                "Comment": json.dumps(
                    {
                        "v4_prompt": [1],
                        "v4_negative_prompt": {"caption": 5},
                        "uc": {"a": 1},
                        "steps": [1],
                        "sampler": {"x": 1},
                        "seed": "1e999",
                        "scale": "nan",
                    }
                ),
            },
        ),
        "ok",
    ),  # fmt: skip
    "novelai_comment_not_json": (lambda p: png(p, {"Software": "NovelAI", "Comment": "{not json"}), "ok"),
    "user_comment_odd_utf16": (
        lambda p: jpeg_with_segments(p, [], exif=exif_user_comment(b"UNICODE\0" + b"\xd8\x00\xdc" * 333)),
        "ok",
    ),
    "user_comment_bad_jis_and_ascii": (
        lambda p: jpeg_with_segments(p, [], exif=exif_user_comment(b"JIS\0\0\0\0\0\x81\xff\xfe" * 50)),
        "ok",
    ),
    "user_comment_not_text": (lambda p: jpeg_with_segments(p, [], exif=exif_user_comment(5)), "ok"),
    "user_comment_little_endian_json": (
        lambda p: jpeg_with_segments(
            p, [], exif=exif_user_comment(b"UNICODE\0" + '{"prompt": {"1": 5}}'.encode("utf-16-le"), False)
        ),
        "ok",
    ),
    "jpeg_billion_laughs_xmp_and_2000_comments": (
        lambda p: jpeg_with_segments(
            p,
            [jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + BILLION_LAUGHS.encode())]
            + [jpeg_segment(0xFE, b"c" * 100)] * 2000,
        ),
        "ok",
    ),
    "jpeg_exif_claims_65535_entries": (
        lambda p: jpeg_with_segments(
            p, [jpeg_segment(0xE1, b"Exif\0\0MM\0*\0\0\0\x08" + b"\xff\xff" + b"\x01" * 65000)]
        ),
        "ok",
    ),
    "webp_odd_chunks": (lambda p: _webp_with_odd_chunks(p, liar=False), "ok"),
    "webp_chunk_claims_2gb": (_webp_with_odd_chunks, "either"),
    "png_100k_text_chunks": (lambda p: png(p, {f"k{i}": "v" for i in range(100_000)}), "error"),
    "png_100mb_text_chunk": (
        lambda p: sparse(
            p,
            b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + struct.pack(">I", 100 * MB)
            + b"tEXtkey\0",
            100 * MB + 64,
        ),
        "error",
    ),  # fmt: skip
    "png_ztxt_decompression_bomb": (
        lambda p: png_with_chunks(
            p, [png_chunk(b"zTXt", b"prompt\0\0" + zlib.compress(b"\0" * (50 * MB), 9))]
        ),
        "either",
    ),
    "png_text_after_image_data_broken": (
        lambda p: (
            png(p),
            p.write_bytes(p.read_bytes()[:-12] + png_chunk(b"tEXt", b"k\0v", 400) + b"\0" * 8),
        )[0],
        "either",
    ),
    "png_truncated_in_idat": (
        lambda p: (png(p, size=(300, 300)), p.write_bytes(p.read_bytes()[:200]))[0],
        "error",
    ),
    "png_bad_crc_everywhere": (
        lambda p: (
            png(p, {"parameters": "a"}),
            p.write_bytes(p.read_bytes().replace(b"IDAT", b"IDAT\xff\xff", 1)),
        )[0],
        "error",
    ),
}


IMAGE_LIMITS = {"prompt_100k_nodes_in_cycles": (30.0, 250.0)}  # seconds, traced MB (7 MB of JSON)


@pytest.mark.parametrize("name", list(IMAGE_CASES))
def test_hostile_images(tmp_path, name):
    build, expected = IMAGE_CASES[name]
    suffix = ".webp" if "webp" in name else ".jpg" if "jpeg" in name or "user" in name else ".png"
    path = build(tmp_path / (name + suffix))
    seconds, megabytes = IMAGE_LIMITS.get(name, (10.0, 60.0))
    outcome = bounded(read_image, path, f"out/{path.name}", seconds=seconds, megabytes=megabytes)
    if expected == "ok":
        assert isinstance(outcome, Extracted), outcome
        assert outcome.metadata["format"] in ("png", "jpg", "webp")
    elif expected == "error":
        assert isinstance(outcome, ParseError)
    thumb = bounded(make_thumbnail, path, tmp_path / "thumb.webp", 32, seconds=seconds, megabytes=megabytes)
    assert isinstance(thumb, Path | ParseError)


def test_hostile_images_give_the_reasons(tmp_path):
    assert warned(
        bounded(read_image, png(tmp_path / "a.png", {"workflow": '{"nodes": 1}'}), "a.png"), "not a list"
    )
    big = IMAGE_CASES["png_100k_text_chunks"][0](tmp_path / "b.png")
    assert is_error(bounded(read_image, big, "b.png"), r"^PNG has more than 4,096 text chunks$")
    huge = IMAGE_CASES["png_100mb_text_chunk"][0](tmp_path / "c.png")
    assert is_error(
        bounded(read_image, huge, "c.png"), r"^PNG text chunk is 100\.0 MB, over the 8\.0 MB limit$"
    )
    deep = bounded(read_image, png(tmp_path / "d.png", {"prompt": "[" * 100_000}), "d.png")
    assert warned(deep, r"^PNG prompt chunk is not valid JSON \(too deeply nested\); ignored$")
    digits = bounded(read_image, png(tmp_path / "e.png", {"prompt": '{"1": ' + "7" * 5000 + "}"}), "e.png")
    assert warned(digits, r"a number has too many digits")
    graph_png = png(tmp_path / "f.png", {"prompt": _comfy_graph_huge(100_000)})
    graph = bounded(read_image, graph_png, "f.png", seconds=30, megabytes=250)
    assert warned(graph, r"ComfyUI graph has 100,000 nodes; only the first 10,000 were read")
    long_prompt = bounded(read_image, png(tmp_path / "g.png", {"parameters": "word, " * 10_000}), "g.png")
    assert len(long_prompt.metadata["prompt"]) == images.RAW_TEXT_LIMIT
    assert warned(
        long_prompt,
        r"^prompt is [\d,]+ characters; kept the first 20,000$",
    )


def test_malformed_comfy_graph_keeps_what_is_usable(tmp_path):
    ex = bounded(read_image, png(tmp_path / "m.png", {"prompt": json.dumps(MALFORMED_GRAPH)}), "m.png")
    assert ex.metadata["generator"] == "comfyui"
    assert ex.metadata["prompt"] == "superscript"  # the only text encoder, found by the fallback


def test_pixel_limit_holds_even_when_pillow_limit_is_switched_off(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # some libraries do this process-wide
    path = png(tmp_path / "bomb.png")
    data = bytearray(path.read_bytes())
    ihdr = struct.pack(">II", 100_000, 100_000) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    path.write_bytes(bytes(data))
    for call in (lambda: read_image(path, "bomb.png"), lambda: make_thumbnail(path, tmp_path / "t.jpg")):
        assert is_error(bounded(call), r"^image too large: 100000x100000 pixels exceeds")


def test_sidecars_with_wrong_types(tmp_path):
    image = png(tmp_path / "s.png")
    bodies = [
        "[1, 2]",
        '"text"',
        json.dumps({"prompt": 5, "steps": {"a": 1}, "sampler": [1], "loras": 5, "model": [[]], "size": 5,
                    "seed": 10**30, "parameters": ["x"], "sui_image_params": [1], "width": True}),
        '{"prompt": ' + "1" * 5000 + "}",
        "{" * 50_000,
        json.dumps({"prompt": {"1": {"class_type": "KSampler", "inputs": {"positive": ["1", 0]}}}}),
    ]  # fmt: skip
    for body in bodies:
        (tmp_path / "s.json").write_text(body)
        assert isinstance(bounded(read_image, image, "s.png"), Extracted)
    (tmp_path / "s.json").unlink()
    (tmp_path / "s.txt").write_bytes(b"\xff\xfe\0odd\n\nSteps: x, Seed: y, Sampler: \0, : :\n" * 1000)
    assert isinstance(bounded(read_image, image, "s.png"), Extracted)
    sparse(tmp_path / "s.txt", b"Steps: 1, Seed: 2, Sampler: a", 3 * GB)  # over the sidecar limit: not read
    assert isinstance(bounded(read_image, image, "s.png"), Extracted)


# ----------------------------------------------------------------------------- wrong types at every level


WRONG_VALUES: list[Any] = [
    None, True, -1, 1.5, float("nan"), float("inf"), 10**30, 10**400, "", "x" * 300, [], [1, [2]], {}, {"a": {"b": 1}},
]  # fmt: skip


def mutations(template: Any, limit: int = 400) -> Iterator[Any]:
    """Copies of ``template`` with one value (at any depth) replaced by each of WRONG_VALUES."""
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
        for key, child in items:
            walk(child, (*path, key))

    walk(template, ())
    count = 0
    for path in paths:
        for wrong in WRONG_VALUES:
            variant = copy.deepcopy(template)
            if not path:
                yield wrong
                continue
            node = variant
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = wrong
            count += 1
            if count > limit:
                return
            yield variant


COMFY_TEMPLATE = {
    "3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20, "cfg": 7.0, "sampler_name": "euler",
          "scheduler": "karras", "denoise": 1.0, "model": ["4", 0], "positive": ["6", 0],
          "negative": ["7", 0], "latent_image": ["5", 0]}},
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat", "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]}},
}  # fmt: skip
WORKFLOW_TEMPLATE = {
    "nodes": [
        {"id": 3, "type": "KSampler", "widgets_values": [1, "fixed", 20, 7, "euler", "normal", 1],
         "inputs": [{"name": "positive", "link": 1}]},
        {"id": 6, "type": "CLIPTextEncode", "widgets_values": ["a cat"], "inputs": []},
    ],
    "links": [[1, 6, 0, 3, 1, "CONDITIONING"], {"id": 2, "origin_id": 6, "origin_slot": 0}],
}  # fmt: skip
INVOKE_TEMPLATE = {
    "positive_prompt": "a cat", "negative_prompt": "dog", "steps": 30, "cfg_scale": 7.5, "seed": 1,
    "scheduler": "dpmpp_2m_k", "model": {"name": "sdxl", "hash": "abc", "base": "sdxl"}, "width": 512,
    "height": 512, "loras": [{"model": {"name": "l1"}, "weight": 0.5}, {"lora": {"model_name": "l2"}}],
    "sui_image_params": {"prompt": "p", "steps": 3},
}  # fmt: skip
LEGACY_TEMPLATE = {
    "model_weights": "sd14", "model_hash": "abc",
    "image": {"prompt": [{"prompt": "a [b] c", "weight": 1.0}], "steps": 50, "cfg_scale": 7.5, "seed": 1,
              "sampler": "k_lms", "width": 512, "height": 512},
}  # fmt: skip
NOVELAI_TEMPLATE = {
    "steps": 28, "sampler": "k_euler", "seed": 1, "scale": 5, "uc": "bad",
    "v4_prompt": {"caption": {"base_caption": "a cat"}}, "v4_negative_prompt": {"caption": {"base_caption": "n"}},
}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "parse", "template"),
    [
        ("comfyui", lambda d, w: sd_metadata.parse_comfyui(d, w), COMFY_TEMPLATE),
        (
            "workflow",
            lambda d, w: sd_metadata.parse_comfyui(sd_metadata.workflow_to_api(d, w), w),
            WORKFLOW_TEMPLATE,
        ),
        ("invokeai", lambda d, w: sd_metadata.parse_invokeai(d), INVOKE_TEMPLATE),
        ("invokeai_legacy", lambda d, w: sd_metadata.parse_invokeai_legacy(d), LEGACY_TEMPLATE),
        ("generic", lambda d, w: sd_metadata.parse_generic_json(d), INVOKE_TEMPLATE),
        (
            "novelai",
            lambda d, w: sd_metadata.parse_novelai({"Source": "NAI 4BDE2A90", "Description": "d"}, d),
            NOVELAI_TEMPLATE,
        ),
    ],  # fmt: skip
)
def test_generation_metadata_with_wrong_types_at_every_level(name, parse, template):
    assert parse(template, [])  # the template itself parses to something
    for variant in mutations(template):
        notes: list[str] = []
        params = parse(variant, notes)
        assert isinstance(params, dict)
        assert all(isinstance(k, str) for k in params) and all("\n" not in n for n in notes)


CONFIG_TEMPLATE = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
    "n_inner": None, "torch_dtype": "bfloat16", "_diffusers_version": "0.1",
    "text_config": {"model_type": "llama", "vocab_size": 100}, "vision_config": {"a": 1},
    "quantization_config": {"quant_method": "awq"},
}  # fmt: skip
METADATA_TEMPLATE = {
    "display_name": "m", "tags": ["a", "b"], "use_cases": ["x"], "performance_metrics": {"accuracy": 0.9},
    "resource_requirements": {"gpu": "yes", "list": [1, 2]}, "base_model": ["x"],
}  # fmt: skip
CARD_TEMPLATE = {
    "license": "other", "license_name": "x", "tags": ["a"], "datasets": ["d"], "base_model": "b",
    "pipeline_tag": "text-generation", "library_name": "transformers", "language": ["en"],
    "model-index": [{"name": "m", "results": [{"dataset": {"name": "d", "type": "t"},
                                               "metrics": [{"type": "accuracy", "value": 0.5}]}]}],
}  # fmt: skip


@pytest.mark.parametrize(
    ("file", "template"),
    [("config.json", CONFIG_TEMPLATE), ("metadata.json", METADATA_TEMPLATE), ("README.md", CARD_TEMPLATE),
     ("tokenizer_config.json", {"tokenizer_class": "T", "model_max_length": 10, "chat_template": "{{x}}"}),
     ("model.safetensors.index.json", {"weight_map": {"a": "model.safetensors"}})],
)  # fmt: skip
def test_model_dir_files_with_wrong_types_at_every_level(tmp_path, file, template):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(st_bytes({"t": tensor()}) + b"\0" * 24)  # so the index is read
    for variant in mutations(template, limit=100):
        if file == "README.md":
            text = (
                "---\n"
                + json.dumps(variant)
                + "\n---\n# Title\n\nSome prose that describes the model well.\n"
            )
        else:
            text = json.dumps(variant)
        (folder / file).write_text(text)
        outcome = bounded(read_model_dir, folder, "m")
        assert isinstance(outcome, Extracted)


def test_config_architectures_not_a_list(tmp_path):
    (tmp_path / "config.json").write_text('{"architectures": 1, "model_type": "bert"}')
    ex = bounded(read_model_dir, tmp_path, "m")
    assert ex.get("model_family") == "bert" and ex.get("architecture") is None
    (tmp_path / "config.json").write_text('{"architectures": "LlamaForCausalLM"}')
    assert bounded(read_model_dir, tmp_path, "m").get("architecture") == "LlamaForCausalLM"


# ----------------------------------------------------------------------------- model cards

ALIAS_BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)  # 9**9 = 387 million strings once expanded, from 73 aliases
WIDE_ALIASES = "m: &m {type: accuracy, value: 1}\nmodel-index: [" + ", ".join(["*m"] * 5000) + "]\n"


@pytest.mark.parametrize(
    ("front", "warning"),
    [
        (ALIAS_BOMB, r"front matter not read \(more than 100,000 nodes once aliases are expanded\)"),
        (WIDE_ALIASES, r"front matter not read \(more than 1,000 aliases\)"),
        ("a: " + "[" * 10_000, r"front matter is not valid YAML"),
        ("a: " + "[" * 60 + "]" * 60 + "\nb: " + "[" * 70 + "]" * 70, r"nested more than 64 levels deep"),
        ("a: " + "1" * 5000, r"front matter is not valid YAML \(a number has too many digits\)"),
        ("a: 2020-13-45", r"front matter is not valid YAML"),
        ("? [a, b]\n: 1", r"front matter is not valid YAML"),
        ("a: !!python/object:os.system x", r"front matter is not valid YAML"),
        ("license: mit\n\ttags: [a", r"front matter is not valid YAML"),
        ("- a\n- b", r"front matter is a list, not a mapping"),
        ("a: " + "x" * (600 * 1024), r"front matter not read \(600\.0 KB, over the 512\.0 KB limit\)"),
    ],
)
def test_hostile_card_front_matter(tmp_path, front, warning):
    (tmp_path / "README.md").write_text(
        f"---\n{front}\n---\n# Model\n\nA model card body with some prose in it.\n"
    )
    ex = bounded(read_model_dir, tmp_path, "m")
    assert warned(ex, warning), ex.warnings
    assert ex.get("display_name") == "Model"  # the body is still read


def test_card_regexes_on_pathological_lines(tmp_path):
    body = "# a" + " " * 40_000 + "b\n\n" + "x ![" * 10_000 + "\n\n" + "[" * 40_000 + "\n"
    (tmp_path / "README.md").write_text("---\n" + " " * 40_000 + "\n" + "---\n" * 3 + body)
    ex = bounded(read_model_dir, tmp_path, "m", seconds=5)
    assert isinstance(ex, Extracted) and ex.chunks


def test_big_card_is_read_up_to_its_limit(tmp_path):
    sparse(tmp_path / "README.md", b"# Huge\n\nA card that goes on and on and on.\n", 30 * GB)
    ex = bounded(read_model_dir, tmp_path, "m")
    assert warned(ex, r"^README\.md is 30\.0 GB; only the first 1\.0 MB were read$")
    assert warned(ex, r"^README\.md: binary data after character 43; ignored$")
    assert ex.get("display_name") == "Huge"


# ----------------------------------------------------------------------------- big companion files


def test_sparse_30gb_vocab_is_not_read(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    sparse(tmp_path / "vocab.txt", b"[PAD]\n[UNK]\n", 30 * GB)
    ex = bounded(read_model_dir, tmp_path, "m", seconds=5, megabytes=50)
    assert warned(ex, r"^vocab\.txt is 30\.0 GB, over the 16\.0 MB limit; not counted$")
    digest = bounded(companion_fingerprint, tmp_path / "vocab.txt", seconds=5, megabytes=50)
    assert isinstance(digest, str) and len(digest) == 64


def test_small_vocab_gives_the_vocab_size(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    (tmp_path / "vocab.txt").write_text("[PAD]\n[UNK]\nhello\n")
    assert bounded(read_model_dir, tmp_path, "m").get("model_dimensions.vocab_size") == 3


@pytest.mark.parametrize("name", ["config.json", "tokenizer_config.json", "model.safetensors.index.json"])
def test_sparse_300mb_json_is_a_warning(tmp_path, name):
    (tmp_path / "model.safetensors").write_bytes(
        st_bytes({"t": tensor()}) + b"\0" * 24
    )  # so the index is read
    sparse(tmp_path / name, b'{"model_type": "', 300 * MB)
    ex = bounded(read_model_dir, tmp_path, "m", seconds=5, megabytes=5)  # not read, not even 20 MB of it
    assert warned(ex, rf"^{re.escape(name)} is 300\.0 MB, over the 20\.0 MB limit; not read$")


# ----------------------------------------------------------------------------- safetensors


def st_bytes(header: Any, raw: bytes | None = None) -> bytes:
    body = raw if raw is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(body)) + body


def tensor(shape: Any = (2, 3), dtype: Any = "F32", offsets: Any = (0, 24)) -> dict[str, Any]:
    return {
        "dtype": dtype,
        "shape": list(shape) if isinstance(shape, tuple) else shape,
        "data_offsets": list(offsets),
    }


SAFETENSORS_CASES: dict[str, tuple[bytes, str]] = {
    # name: (file bytes, expected error pattern or "" for a normal result)
    "17_dims": (st_bytes({"t": tensor((1,) * 17)}), r"has an invalid shape"),
    "negative_dim": (st_bytes({"t": tensor((2, -3))}), r"has an invalid shape"),
    "bool_dim": (st_bytes({"t": tensor([True, 2])}), r"has an invalid shape"),
    "float_dim": (st_bytes({"t": tensor([2.0, 3])}), r"has an invalid shape"),
    "string_shape": (st_bytes({"t": tensor("2x3")}), r"has an invalid shape"),
    "product_over_1e15": (
        st_bytes({"t": tensor((10**8, 10**8))}),
        r"claims more than 1,000,000,000,000,000 elements",
    ),
    "dim_with_4000_digits": (st_bytes({"t": tensor((10**4000, 0))}), r""),
    "sum_over_1e15": (
        st_bytes({f"t{i}": tensor((10**14,)) for i in range(20)}),
        r"more than 1,000,000,000,000,000 parameters",
    ),
    "dtype_not_string": (st_bytes({"t": tensor(dtype=["F32"])}), r"has no dtype"),
    "dtype_megabyte": (st_bytes({"t": tensor(dtype="F" * MB)}), r"has an invalid dtype"),
    "tensor_not_object": (st_bytes({"t": [1, 2]}), r"has no dtype"),
    "name_megabyte": (st_bytes({"n" * MB: tensor(dtype=5)}), r"^safetensors tensor 'nnn"),
    "metadata_not_strings": (
        st_bytes({"__metadata__": {"format": ["pt"], "a": {"b": 1}, "c": 5}, "t": tensor()}),
        r"",
    ),
    "metadata_not_object": (st_bytes({"__metadata__": [1], "t": tensor()}), r""),
    "offsets_huge": (st_bytes({"t": tensor(offsets=(0, 10**4000))}), r""),
    "offsets_wrong_types": (st_bytes({"t": tensor(offsets=("a", None))}), r""),
    "header_5000_digits": (st_bytes(None, b'{"t": ' + b"1" * 5000 + b"}"), r"a number has too many digits"),
    "header_deep": (st_bytes(None, b'{"t": ' + b"[" * 100_000 + b"}"), r"not valid JSON"),
    "header_not_utf8": (st_bytes(None, b'{"t\xff": 1}'), r"not UTF-8"),
    "header_array": (st_bytes(None, b"[1, 2, 3]"), r"not a JSON object"),
    "header_len_2_63": (struct.pack("<Q", 2**63) + b"{}", r"claims 9,223,372,036,854,775,808 bytes"),
}


@pytest.mark.parametrize("name", list(SAFETENSORS_CASES))
def test_hostile_safetensors(tmp_path, name):
    data, pattern = SAFETENSORS_CASES[name]
    path = tmp_path / "model.safetensors"
    path.write_bytes(data + b"\0" * 24)
    outcome = bounded(read_weight_file, path, "model.safetensors")
    if pattern:
        assert is_error(outcome, pattern), outcome
    else:
        assert isinstance(outcome, Extracted), outcome
        (entry,) = outcome.get("weights")
        assert isinstance(entry["parameters"], int) and all(isinstance(d, str) for d in entry["dtypes"])


def test_safetensors_metadata_keeps_only_strings(tmp_path):
    header = {
        "__metadata__": {"format": ["pt"], "modelspec.title": "T", "modelspec.author": 5},
        "t": tensor(),
    }
    (tmp_path / "m.safetensors").write_bytes(st_bytes(header) + b"\0" * 24)
    h = weights.read_safetensors_header(tmp_path / "m.safetensors")
    assert h.metadata == {"modelspec.title": "T"}


def test_safetensors_header_over_the_limit_is_not_read(tmp_path):
    path = sparse(tmp_path / "big.safetensors", struct.pack("<Q", 150_000_000) + b"{", 200 * MB)
    outcome = bounded(read_weight_file, path, "big.safetensors", seconds=2, megabytes=5)
    assert is_error(outcome, r"more than the 100,000,000-byte limit")


# ----------------------------------------------------------------------------- GGUF


def gguf_bytes(n_tensors: int, n_kv: int, body: bytes = b"") -> bytes:
    return b"GGUF" + struct.pack("<IQQ", 3, n_tensors, n_kv) + body


def gguf_key(name: str, vtype: int) -> bytes:
    return struct.pack("<Q", len(name)) + name.encode() + struct.pack("<I", vtype)


GGUF_CASES: dict[str, tuple[bytes, int, str]] = {
    # name: (file start, sparse size, expected error pattern or "" for a normal result)
    "n_tensors_2_60": (gguf_bytes(2**60, 0), 30 * GB, r"^truncated GGUF: the header claims 0 keys and 1,152,"),
    "n_kv_2_40": (gguf_bytes(0, 2**40), 30 * GB, r"^truncated GGUF"),
    "n_kv_1e9_fits_the_file": (gguf_bytes(0, 10**9), 30 * GB, r"^GGUF header claims 1,000,000,000 keys, more than"),
    "n_tensors_1e9_fits_the_file": (gguf_bytes(10**9, 0), 30 * GB, r"claims 1,000,000,000 tensors, more than"),
    "key_length_2_34": (gguf_bytes(0, 1, struct.pack("<Q", 2**34)), 30 * GB, r"^GGUF key #0 is 17,179,869,184 bytes"),
    "string_value_2_33": (gguf_bytes(0, 1, gguf_key("general.name", 8) + struct.pack("<Q", 2**33)), 30 * GB, r""),
    "string_array_2_32": (
        gguf_bytes(0, 1, gguf_key("tokenizer.ggml.tokens", 9) + struct.pack("<IQ", 8, 2**32)), 40 * GB,
        r"^GGUF header too large to read: key 'tokenizer.ggml.tokens' holds 4,294,967,296 strings",
    ),
    "string_array_9e6": (
        gguf_bytes(0, 1, gguf_key("tokenizer.ggml.merges", 9) + struct.pack("<IQ", 8, 9_000_000)), 1 * GB,
        r"holds 9,000,000 strings \(more than 8,000,000 entries in all\)",
    ),
    "u8_array_1e10_is_skipped": (gguf_bytes(0, 1, gguf_key("x", 9) + struct.pack("<IQ", 0, 10**10)), 30 * GB, r""),
    "nested_arrays_2_31": (gguf_bytes(0, 1, gguf_key("x", 9) + struct.pack("<IQ", 9, 2**31)), 30 * GB, r"holds 2,147,483,648 arrays"),
    "unknown_value_type": (gguf_bytes(0, 1, gguf_key("x", 77)), 1 * MB, r"^GGUF key 'x' has an unknown value type 77$"),
    "nine_dims": (gguf_bytes(1, 0, struct.pack("<Q", 1) + b"t" + struct.pack("<I", 9)), 1 * MB, r"claims 9 dimensions"),
    "dims_product_2_128": (
        gguf_bytes(1, 0, struct.pack("<Q", 1) + b"t" + struct.pack("<IQQ", 2, 2**64 - 1, 2**64 - 1)), 1 * MB,
        r"^GGUF tensor 't' claims more than 1,000,000,000,000,000 elements$",
    ),
    "tensor_name_2_33": (gguf_bytes(1, 0, struct.pack("<Q", 2**33)), 30 * GB, r"^GGUF tensor #0 name is 8,589,934,592 bytes long"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(GGUF_CASES))
def test_hostile_gguf(tmp_path, name):
    data, size, pattern = GGUF_CASES[name]
    path = sparse(tmp_path / "m.gguf", data, size)
    outcome = bounded(read_weight_file, path, "m.gguf", seconds=8, megabytes=50)
    if pattern:
        assert is_error(outcome, pattern), outcome
    else:
        assert isinstance(outcome, Extracted), outcome


def test_gguf_long_string_value_keeps_a_prefix(tmp_path):
    name = b"n" * (200 * 1024)
    body = gguf_key("general.name", 8) + struct.pack("<Q", len(name)) + name
    path = sparse(tmp_path / "m.gguf", gguf_bytes(0, 1, body), 10 * MB)
    header = weights.read_gguf_header(path)
    assert header.kv["general.name"] == "n" * weights.GGUF_STRING_KEEP
    assert bounded(read_weight_file, path, "m.gguf").get("model_id") == "n" * 256


# ----------------------------------------------------------------------------- PyTorch zips


def torch_zip(path: Path) -> bytes:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        zf.writestr("archive/data/0", b"\0" * 16)
        zf.writestr("archive/version", b"3\n")
    return path.read_bytes()


def patched(data: bytes, marker: bytes, offset: int, value: bytes, which: int = -1) -> bytes:
    out = bytearray(data)
    at = out.rfind(marker) if which == -1 else out.find(marker)
    out[at + offset : at + offset + len(value)] = value
    return bytes(out)


ZIP_CASES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "version_needed_9_9": (lambda d: patched(d, b"PK\x01\x02", 6, struct.pack("<H", 99)), r""),
    "version_needed_everywhere": (lambda d: d.replace(b"PK\x01\x02\x14\x03\x14\x00", b"PK\x01\x02\xff\xff\xff\xff"), r""),
    "central_directory_damaged": (lambda d: patched(d, b"PK\x01\x02", 0, b"XX\x01\x02", which=0), r"^broken zip archive: bad central directory entry #1$"),
    "central_directory_2gb": (lambda d: patched(d, b"PK\x05\x06", 12, struct.pack("<I", 2**31)), r"^zip central directory is 2\.0 GB, over the 64\.0 MB limit$"),
    "entries_1e9_zip64": (
        lambda d: patched(d, b"PK\x05\x06", 8, struct.pack("<HH", 0xFFFF, 0xFFFF))[:-22]
        + b"PK\x06\x06" + struct.pack("<QHHIIQQQQ", 44, 45, 45, 0, 0, 10**9, 10**9, 100, 0)
        + b"PK\x06\x07" + struct.pack("<IQI", 0, len(d) - 22, 1)
        + patched(d, b"PK\x05\x06", 8, struct.pack("<HH", 0xFFFF, 0xFFFF))[-22:],
        r"^zip archive lists 1,000,000,000 members, more than the 100,000 limit$",
    ),
    "multi_disk": (lambda d: patched(d, b"PK\x05\x06", 4, struct.pack("<H", 3)), r"spans several disks"),
    "no_end_record": (lambda d: d[:-22], r"^broken zip archive: no end of central directory record$"),
    "cut_in_central_directory": (lambda d: d[: d.rfind(b"PK\x01\x02") + 20] + d[-22:], r"^broken zip archive"),
    "directory_larger_than_file": (lambda d: patched(d, b"PK\x05\x06", 12, struct.pack("<I", len(d))), r"outside the file"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(ZIP_CASES))
def test_hostile_torch_zip(tmp_path, name):
    patch, pattern = ZIP_CASES[name]
    path = tmp_path / "pytorch_model.bin"
    path.write_bytes(patch(torch_zip(tmp_path / "good.zip")))
    outcome = bounded(read_weight_file, path, "pytorch_model.bin")
    if pattern:
        assert is_error(outcome, pattern), outcome
    else:
        assert isinstance(outcome, Extracted), outcome
        assert outcome.get("weights")[0]["container"] == "zip"
        assert outcome.get("weights")[0]["storages"] == 1


def test_hostile_weights_inside_a_model_dir_are_warnings(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "llama"}')
    sparse(tmp_path / "a.gguf", gguf_bytes(2**60, 0), 30 * GB)
    (tmp_path / "b.safetensors").write_bytes(st_bytes({"t": tensor((10**8, 10**8))}))
    (tmp_path / "c.bin").write_bytes(
        patched(torch_zip(tmp_path / "z.zip"), b"PK\x05\x06", 12, struct.pack("<I", 2**31))
    )
    (tmp_path / "z.zip").unlink()
    ex = bounded(read_model_dir, tmp_path, "m", megabytes=50)
    assert ex.get("model_family") == "llama"
    assert len(ex.get("weights")) == 3 and all(w.get("error") for w in ex.get("weights"))
    assert len(ex.warnings) == 3


# ----------------------------------------------------------------------------- regexes are linear


def _timings(
    fn: Callable[[str], Any], make: Callable[[int], str], sizes: tuple[int, ...]
) -> dict[int, float]:
    """Best-of-7 CPU seconds per call for each input size.

    CPU time (not wall time) so that other processes taking the CPU do not count; the sizes
    take turns in every round; calls are repeated so that the smallest input runs for at least
    ~20 ms a round; the garbage collector is off while timing (its passes are not the regex's).
    """
    texts = {n: make(n) for n in sizes}
    start = time.process_time()
    fn(texts[sizes[0]])
    once = time.process_time() - start
    calls = max(1, min(200, int(0.02 / max(once, 1e-6))))
    best = dict.fromkeys(sizes, float("inf"))
    gc.collect()
    gc.disable()
    try:
        for _ in range(7):
            for n in sizes:
                start = time.process_time()
                for _ in range(calls):
                    fn(texts[n])
                best[n] = min(best[n], (time.process_time() - start) / calls)
    finally:
        gc.enable()
    return best


def _card(text: str) -> Any:
    card = model_dir._Card(text)
    return model_dir._sections(card)


def _description(text: str) -> Any:
    ex = Extracted()
    model_dir._description_from(ex, [text], 1, "README.md")
    return ex


REGEX_INPUTS: dict[str, tuple[Callable[[str], Any], Callable[[int], str]]] = {
    # name: (function that applies the regexes, input of about n characters)
    "a1111_key_run_no_colon": (sd_metadata.parse_a1111, lambda n: "a" + " a" * (n // 2)),
    "a1111_key_run_then_colon": (sd_metadata.parse_a1111, lambda n: "a" + " a" * (n // 2) + ": 1, b: 2, c: 3"),
    "a1111_dashes_and_slashes": (sd_metadata.a1111_settings, lambda n: "-a/" * (n // 3)),
    "a1111_unclosed_quotes": (sd_metadata.a1111_settings, lambda n: 'k: "' + "\\x" * (n // 2)),
    "a1111_quotes_per_key": (sd_metadata.a1111_settings, lambda n: 'k: "a" b, ' * (n // 10)),
    "a1111_whitespace": (sd_metadata.a1111_settings, lambda n: " \t" * (n // 2) + "x"),
    "lora_open_tags": (sd_metadata.loras_in_prompt, lambda n: "<lora:" * (n // 6)),
    "lora_open_tags_closed": (sd_metadata.loras_in_prompt, lambda n: "<lora:" * (n // 6) + ">"),
    "lora_long_weight": (sd_metadata.loras_in_prompt, lambda n: "<lora:a:" + "1" * n),
    "style_weights": (sd_metadata.style_tags, lambda n: ":" + " " * n + "1"),
    "style_weight_runs": (sd_metadata.style_tags, lambda n: ": 1" * (n // 3)),
    "style_brackets": (sd_metadata.style_tags, lambda n: "(" * n + "<lora:x>"),
    "invokeai_negative_brackets": (
        lambda t: sd_metadata.parse_invokeai_legacy({"image": {"prompt": t}}), lambda n: "[" * n + "]",
    ),
    "size_digits": (sd_metadata.parse_size, lambda n: "1" * n),
    "exif_key_json": (images._EXIF_KEY_JSON.match, lambda n: "prompt:" + " " * n + "{" + "x" * n),
    "card_heading_spaces": (_card, lambda n: "# a" + " " * n + "b"),
    "card_heading_hashes": (_card, lambda n: "# a" + " #" * (n // 2) + "x"),
    "card_front_matter_fence": (_card, lambda n: "---\n" + "\n---" * (n // 4) + " " * 10),
    "card_front_matter_spaces": (_card, lambda n: " " * n + "---x"),
    "card_description_links": (_description, lambda n: "start " + "x ![" * (n // 4)),
    "card_description_brackets": (_description, lambda n: "start " + "[a](" * (n // 4)),
    "tensor_names": (lambda t: weights._guess_type_from_tensor_names([t] * 50), lambda n: "_conv" * (n // 5)),
    "file_stem": (sd_metadata._file_stem, lambda n: ".pt" * (n // 3) + "x"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(REGEX_INPUTS))
def test_regexes_run_in_linear_time(name):
    fn, make = REGEX_INPUTS[name]
    times = _timings(fn, make, (10_000, 160_000))
    # CPU time of the same call on 16x the input: a quadratic regex takes 256x as long, linear
    # code ~16x; 64x leaves 4x to spare both ways on a loaded machine. Below 0.2 ms a call the
    # work is too small to be worth a ratio (those inputs are cut short by a length cap).
    assert times[160_000] / max(times[10_000], 0.0002) < 64, times


def test_settings_scanner_matches_the_a1111_regex():
    rng = random.Random(7)
    alphabet = list('ab _-/:,"\\\n\t1é²') + ["Steps", ": ", ", ", '"x"']
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert sd_metadata._settings_pairs(text) == sd_metadata.A1111_PARAM_RE.findall(text), text


def test_heading_parser_matches_the_markdown_regex():
    heading = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
    rng = random.Random(11)
    alphabet = ["#", "##", " ", "\t", "a", "b c", "#a", "é"]
    for _ in range(20_000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        m = heading.match(line)
        expected = (len(m.group(1)), m.group(2)) if m else None
        assert model_dir._heading(line) == expected, line


def test_the_timing_sees_a_quadratic_regex():
    """The measurement above is not blind: A1111's own settings regex, run by findall on a line
    without a colon, is quadratic, and the same timing shows it (at a quarter of the size)."""
    times = _timings(
        sd_metadata.A1111_PARAM_RE.findall, lambda n: "a" + " a" * (n // 2), (1_000, 2_000, 4_000)
    )
    assert times[4_000] / times[1_000] > 8, times
    linear = _timings(sd_metadata._settings_pairs, lambda n: "a" + " a" * (n // 2), (1_000, 2_000, 4_000))
    assert linear[4_000] < times[4_000] / 20, (linear, times)
