"""Generated-image reader: real files written with Pillow, plus the shipped example images."""

from __future__ import annotations

import json
import struct
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from modelhub_jupyter.ingest import sd_metadata as sd
from modelhub_jupyter.ingest.images import make_thumbnail, read_image
from modelhub_jupyter.ingest.types import ParseError

EXAMPLES = Path(__file__).resolve().parents[1] / "modelhub_jupyter" / "demo" / "workspace" / "outputs"

A1111_TEXT = (
    "a majestic castle on a hill at sunset, golden hour,\n(dramatic lighting:1.2), <lora:add_detail:0.6>\n\n"
    "Negative prompt: blurry, low quality,\nwatermark\n\n"
    "Steps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 5.5, Seed: 3888671826, Size: 768x512, "
    'Model hash: 45a21ea00a, Model: sd_xl_base_1.0, Denoising strength: 0.3, Lora hashes: "add_detail: 1a2b, '
    'film_grain: 3c4d", Version: v1.10.1'
)


# ----------------------------------------------------------------------------- file helpers


def write_png(path: Path, texts: dict[str, str | bytes] | None = None, size=(64, 48), mode="RGB") -> Path:
    info = PngInfo()
    for key, value in (texts or {}).items():
        info.add_text(key, value)
    Image.new(mode, size, (200, 120, 40) if mode == "RGB" else None).save(path, "PNG", pnginfo=info)
    return path


def exif_bytes(user_comment: bytes | None = None, big_endian=True, orientation=None, ifd0=None, date=None):
    exif = Image.Exif()
    exif.endian = ">" if big_endian else "<"
    if orientation:
        exif[0x0112] = orientation
    for tag, value in (ifd0 or {}).items():
        exif[tag] = value
    if user_comment is not None:
        exif.get_ifd(0x8769)[0x9286] = user_comment
    if date:
        exif.get_ifd(0x8769)[0x9003] = date
    return exif.tobytes()


def unicode_comment(text: str, big_endian=True) -> bytes:
    return b"UNICODE\0" + text.encode("utf-16-be" if big_endian else "utf-16-le")


def link(node: str, slot: int = 0) -> list:
    return [node, slot]


def patch_png_size(path: Path, width: int, height: int) -> None:
    """Rewrite the IHDR width/height (with a valid CRC) of a real PNG."""
    data = bytearray(path.read_bytes())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    path.write_bytes(bytes(data))


def read(path: Path):
    return read_image(path, f"outputs/{path.name}")


# ----------------------------------------------------------------------------- A1111


def test_a1111_parameters_chunk(tmp_path):
    ex = read(write_png(tmp_path / "castle.png", {"parameters": A1111_TEXT}))
    m = ex.metadata
    assert m["prompt"].startswith(
        "a majestic castle on a hill at sunset, golden hour,\n(dramatic lighting:1.2)"
    )
    assert m["negative_prompt"] == "blurry, low quality,\nwatermark"
    assert (m["num_inference_steps"], m["guidance_scale"], m["seed"]) == (30, 5.5, 3888671826)
    assert (m["sampler"], m["scheduler"]) == ("DPM++ 2M Karras", "Karras")
    assert (m["model_checkpoint"], m["model_hash"], m["denoising_strength"]) == (
        "sd_xl_base_1.0",
        "45a21ea00a",
        0.3,
    )
    assert m["loras"] == ["add_detail", "film_grain"]
    assert m["generator"] == "a1111" and m["format"] == "png"
    assert m["resolution"] == {"width": 64, "height": 48}  # pixels as displayed, not the recorded Size
    assert m["style_tags"] == ["golden hour", "dramatic lighting"]
    assert m["raw_metadata"] == {"parameters": A1111_TEXT}
    assert ex.provenance["seed"] == "outputs/castle.png (PNG parameters chunk)"
    assert ex.provenance["resolution.width"] == "outputs/castle.png (image header)"
    [chunk] = ex.chunks
    assert (chunk.chunk_type, chunk.section_type, chunk.start_line, chunk.end_line) == (
        "image",
        "utility",
        1,
        1,
    )
    assert chunk.breadcrumb == "outputs/castle.png"
    assert "Negative: blurry" in chunk.content
    assert "Steps: 30, Sampler: DPM++ 2M Karras, CFG: 5.5, Seed: 3888671826, Size: 64x48" in chunk.content
    assert "Model: sd_xl_base_1.0" in chunk.content


def test_a1111_quoted_values_and_old_sampler_names():
    settings = sd.a1111_settings(
        'Steps: 20, Lora hashes: "a: 1, b: 2", Sampler: Euler a, Note: "say \\"hi\\""'
    )
    assert settings == {"Steps": "20", "Lora hashes": "a: 1, b: 2", "Sampler": "Euler a", "Note": 'say "hi"'}
    only_prompt = sd.parse_a1111("just a prompt, with commas: and colons")
    assert only_prompt == {"prompt": "just a prompt, with commas: and colons"}


def test_itxt_non_latin_prompt(tmp_path):
    text = "富士山の風景, 桜\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x512"
    ex = read(write_png(tmp_path / "fuji.png", {"parameters": text}))  # Pillow writes iTXt for non-Latin-1
    assert ex.metadata["prompt"] == "富士山の風景, 桜"
    assert ex.metadata["style_tags"] == ["富士山の風景", "桜"]


def test_utf8_in_text_chunk_is_not_mojibake(tmp_path):
    text = "café au lait ✓, crème brûlée\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1"
    path = write_png(tmp_path / "cafe.png", {"parameters": text.encode("utf-8"), "Author": b"Ren\xe9"})
    ex = read(path)
    assert ex.metadata["prompt"] == "café au lait ✓, crème brûlée"
    assert ex.metadata["raw_metadata"]["Author"] == "René"  # genuine Latin-1 is left alone


def test_extension_is_not_trusted(tmp_path):
    path = write_png(
        tmp_path / "actually_png.jpg", {"parameters": "a red fox\nSteps: 5, Seed: 1, CFG scale: 3"}
    )
    assert read(path).metadata["format"] == "png"


# ----------------------------------------------------------------------------- ComfyUI


def comfy_basic() -> dict:
    return {
        "4": {
            "class_type": "CheckpointLoaderSimple",
            "inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"},
        },
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a watercolor cat", "clip": link("4", 1)}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "photo, blurry", "clip": link("4", 1)}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 768, "batch_size": 1}},
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": 156680208700286,
                "steps": 20,
                "cfg": 8,
                "sampler_name": "dpmpp_2m",
                "scheduler": "karras",
                "denoise": 1,
                "model": link("4"),
                "positive": link("6"),
                "negative": link("7"),
                "latent_image": link("5"),
            },  # fmt: skip
        },
        "8": {"class_type": "VAEDecode", "inputs": {"samples": link("3"), "vae": link("4", 2)}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": link("8")}},
    }


def test_comfyui_prompt_graph(tmp_path):
    path = write_png(tmp_path / "cat.png", {"prompt": json.dumps(comfy_basic()), "workflow": "{}"})
    ex = read(path)
    m = ex.metadata
    assert (m["prompt"], m["negative_prompt"]) == ("a watercolor cat", "photo, blurry")
    assert (m["num_inference_steps"], m["guidance_scale"], m["seed"]) == (20, 8.0, 156680208700286)
    assert (m["sampler"], m["scheduler"]) == ("DPM++ 2M Karras", "Karras")
    assert m["model_checkpoint"] == "v1-5-pruned-emaonly.safetensors"
    assert m["generator"] == "comfyui" and m["denoising_strength"] == 1.0
    assert set(m["raw_metadata"]) == {"prompt", "workflow"}
    assert ex.provenance["prompt"] == "outputs/cat.png (PNG prompt chunk)"
    assert "generated at 512x768" in ex.chunks[0].content


def test_comfyui_follows_intermediate_nodes_and_string_ids():
    graph = {
        "ckpt": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "SDXL/sd_xl_base_1.0.safetensors"}},
        "4:1": {"class_type": "LoraLoader", "inputs": {"lora_name": "styles/film_grain.safetensors",
                                                        "model": link("ckpt"), "clip": link("ckpt", 1)}},
        "a": {"class_type": "CLIPTextEncodeSDXL", "inputs": {"text_g": "a castle at sunset", "text_l": "a castle at sunset",
                                                             "width": 1024, "height": 1024, "clip": link("4:1", 1)}},
        "txt": {"class_type": "PrimitiveNode", "inputs": {"value": "orange sky, silhouette"}},
        "b": {"class_type": "CLIPTextEncode", "inputs": {"text": link("txt"), "clip": link("4:1", 1)}},
        "comb": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": link("a"), "conditioning_2": link("b")}},
        "neg": {"class_type": "CLIPTextEncode", "inputs": {"text": "ugly, text", "clip": link("4:1", 1)}},
        "cn": {"class_type": "ControlNetApplyAdvanced", "inputs": {"positive": link("comb"), "negative": link("neg"),
                                                                  "control_net": link("ckpt"), "strength": 0.8}},
        "seed": {"class_type": "Seed (rgthree)", "inputs": {"seed": 4242}},
        "lat": {"class_type": "EmptyLatentImage", "inputs": {"width": 832, "height": 1216, "batch_size": 1}},
        "s1": {"class_type": "KSampler", "inputs": {"seed": link("seed"), "steps": 30, "cfg": 6.5, "sampler_name": "euler_ancestral",
                                                    "scheduler": "normal", "denoise": 1.0, "model": link("4:1"),
                                                    "positive": link("cn", 0), "negative": link("cn", 1), "latent_image": link("lat")}},
        "up": {"class_type": "LatentUpscaleBy", "inputs": {"scale_by": 1.5, "samples": link("s1")}},
        "s2": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 12, "cfg": 6.5, "sampler_name": "euler",
                                                    "scheduler": "normal", "denoise": 0.45, "model": link("4:1"),
                                                    "positive": link("cn", 0), "negative": link("cn", 1), "latent_image": link("up")}},
        "weird": {"class_type": "Note", "inputs": {"x": [1, 2, 3], "y": None, "z": ["missing", 0], "w": {"a": 1}}},
        "junk": ["not", "a", "node"],
    }  # fmt: skip
    p = sd.parse_comfyui(graph)
    assert p["prompt"] == "a castle at sunset\norange sky, silhouette"
    assert p["negative_prompt"] == "ugly, text"  # ControlNetApplyAdvanced output 1 -> its negative input
    assert (p["num_inference_steps"], p["seed"], p["sampler"]) == (
        30,
        4242,
        "Euler a",
    )  # main pass, not hires
    assert p["model_checkpoint"] == "SDXL/sd_xl_base_1.0.safetensors"
    assert p["loras"] == ["film_grain"]
    assert p["generation_size"] == "832x1216"


def test_comfyui_sampler_custom_advanced_and_unet_loader():
    graph = {
        "1": {"class_type": "UNETLoader", "inputs": {"unet_name": "flux1-dev.safetensors", "weight_dtype": "default"}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red sports car", "clip": link("9")}},
        "3": {"class_type": "BasicGuider", "inputs": {"model": link("1"), "conditioning": link("2")}},
        "4": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "5": {"class_type": "BasicScheduler", "inputs": {"scheduler": "simple", "steps": 28, "denoise": 1, "model": link("1")}},
        "6": {"class_type": "RandomNoise", "inputs": {"noise_seed": 99}},
        "7": {"class_type": "EmptySD3LatentImage", "inputs": {"width": 1024, "height": 768, "batch_size": 1}},
        "8": {"class_type": "SamplerCustomAdvanced", "inputs": {"noise": link("6"), "guider": link("3"), "sampler": link("4"),
                                                                "sigmas": link("5"), "latent_image": link("7")}},
        "9": {"class_type": "DualCLIPLoader", "inputs": {"clip_name1": "t5xxl.safetensors", "clip_name2": "clip_l.safetensors"}},
    }  # fmt: skip
    p = sd.parse_comfyui(graph)
    assert (p["prompt"], p["num_inference_steps"], p["seed"]) == ("a red sports car", 28, 99)
    assert (p["sampler"], p["scheduler"]) == ("Euler", "Simple")
    assert (p["model_checkpoint"], p["generation_size"]) == ("flux1-dev.safetensors", "1024x768")


def test_comfyui_workflow_only_is_parsed(tmp_path):
    workflow = {
        "nodes": [
            {"id": 4, "type": "CheckpointLoaderSimple", "widgets_values": ["dreamshaper_8.safetensors"]},
            {"id": 6, "type": "CLIPTextEncode", "inputs": [{"name": "clip", "link": 3}], "widgets_values": ["mountain lake"]},
            {"id": 7, "type": "CLIPTextEncode", "inputs": [{"name": "clip", "link": 5}], "widgets_values": ["fog"]},
            {"id": 3, "type": "KSampler", "widgets_values": [42, "fixed", 25, 7, "dpmpp_2m", "karras", 1],
             "inputs": [{"name": "model", "link": 1}, {"name": "positive", "link": 4}, {"name": "negative", "link": 6}]},
        ],
        "links": [[1, 4, 0, 3, 0, "MODEL"], [3, 4, 1, 6, 0, "CLIP"], [5, 4, 1, 7, 0, "CLIP"],
                  [4, 6, 0, 3, 1, "CONDITIONING"], [6, 7, 0, 3, 2, "CONDITIONING"]],
    }  # fmt: skip
    ex = read(write_png(tmp_path / "wf.png", {"workflow": json.dumps(workflow)}))
    m = ex.metadata
    assert (m["prompt"], m["negative_prompt"], m["seed"], m["num_inference_steps"]) == (
        "mountain lake",
        "fog",
        42,
        25,
    )
    assert (m["sampler"], m["model_checkpoint"], m["generator"]) == (
        "DPM++ 2M Karras",
        "dreamshaper_8.safetensors",
        "comfyui",
    )
    assert ex.provenance["prompt"] == "outputs/wf.png (PNG workflow chunk)"


def test_bad_metadata_json_is_a_warning_not_an_error(tmp_path):
    ex = read(write_png(tmp_path / "bad.png", {"prompt": "{not json", "invokeai_metadata": "[1, 2"}))
    assert ex.metadata["format"] == "png" and ex.metadata["generator"] == "none"
    assert ex.warnings == [
        "PNG invokeai_metadata chunk is not valid JSON (Expecting ',' delimiter); ignored",
        "PNG prompt chunk is not valid JSON (Expecting property name enclosed in double quotes); ignored",
    ]
    assert ex.metadata["raw_metadata"]["prompt"] == "{not json"  # unparsed text stays searchable
    assert ex.chunks[0].content.startswith("Image bad.png (PNG, no prompt recorded)")


def test_json_that_is_not_an_object_is_a_warning(tmp_path):
    texts = {"Software": "NovelAI", "Description": "a fox", "Comment": "[1, 2]", "invokeai_metadata": "42"}
    ex = read(write_png(tmp_path / "odd.png", texts))
    assert (ex.metadata["prompt"], ex.metadata["generator"]) == ("a fox", "novelai")
    assert ex.warnings == [
        "PNG invokeai_metadata chunk is JSON but not an object; ignored",
        "PNG Comment chunk is JSON but not an object; ignored",
    ]


def test_raw_metadata_is_truncated(tmp_path):
    workflow = json.dumps({"nodes": [], "note": "x" * 50_000})
    ex = read(write_png(tmp_path / "big.png", {"workflow": workflow}))
    assert len(ex.metadata["raw_metadata"]["workflow"]) == 20_000


# ----------------------------------------------------------------------------- InvokeAI / NovelAI


def test_invokeai_metadata(tmp_path):
    meta = {"positive_prompt": "a robot gardener", "negative_prompt": "scary", "width": 1024, "height": 1024,
            "seed": 3004127890, "cfg_scale": 6.0, "steps": 30, "scheduler": "dpmpp_2m_k", "strength": 0.75,
            "model": {"name": "Juggernaut XL v9", "base": "sdxl", "hash": "blake3:9b1c"},
            "loras": [{"model": {"name": "detail_tweaker"}, "weight": 0.5}]}  # fmt: skip
    m = read(write_png(tmp_path / "inv.png", {"invokeai_metadata": json.dumps(meta)})).metadata
    assert (m["prompt"], m["negative_prompt"], m["seed"], m["num_inference_steps"]) == (
        "a robot gardener",
        "scary",
        3004127890,
        30,
    )
    assert (m["sampler"], m["guidance_scale"], m["denoising_strength"]) == ("DPM++ 2M Karras", 6.0, 0.75)
    assert (m["model_checkpoint"], m["model_hash"], m["loras"]) == (
        "Juggernaut XL v9",
        "blake3:9b1c",
        ["detail_tweaker"],
    )
    assert m["generator"] == "invokeai"


def test_invokeai_legacy_sd_metadata(tmp_path):
    meta = {"model_weights": "stable-diffusion-1.5", "model_hash": "cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516",
            "image": {"prompt": [{"prompt": "a cozy cabin in the woods [blurry, dark]", "weight": 1.0}], "steps": 50,
                      "cfg_scale": 7.5, "seed": 1234, "sampler": "k_lms", "width": 512, "height": 512}}  # fmt: skip
    m = read(write_png(tmp_path / "old.png", {"sd-metadata": json.dumps(meta)})).metadata
    assert (m["prompt"], m["negative_prompt"]) == ("a cozy cabin in the woods", "blurry, dark")
    assert (m["sampler"], m["model_checkpoint"], m["generator"]) == (
        "LMS",
        "stable-diffusion-1.5",
        "invokeai",
    )


def test_novelai(tmp_path):
    comment = {"prompt": "fox spirit, bamboo forest", "steps": 28, "scale": 5.0, "seed": 187, "sampler": "k_euler_ancestral",
               "noise_schedule": "karras", "uc": "lowres, bad hands", "strength": 0.7, "width": 832, "height": 1216}  # fmt: skip
    texts = {"Title": "AI generated image", "Description": "fox spirit, bamboo forest", "Software": "NovelAI",
             "Source": "NovelAI Diffusion V4.5 4BDE2A90", "Comment": json.dumps(comment)}  # fmt: skip
    m = read(write_png(tmp_path / "nai.png", texts)).metadata
    assert (m["prompt"], m["negative_prompt"], m["seed"], m["guidance_scale"]) == (
        "fox spirit, bamboo forest",
        "lowres, bad hands",
        187,
        5.0,
    )
    assert (m["sampler"], m["model_checkpoint"], m["model_hash"]) == (
        "Euler a Karras",
        "NovelAI Diffusion V4.5",
        "4BDE2A90",
    )
    assert m["generator"] == "novelai" and "denoising_strength" not in m  # txt2img "strength" is noise


# ----------------------------------------------------------------------------- EXIF: JPEG / WebP


@pytest.mark.parametrize("big_endian", [True, False], ids=["MM-utf16be", "II-utf16le"])
def test_jpeg_user_comment_utf16_both_byte_orders(tmp_path, big_endian):
    text = "snowy village at dusk, warm windows ✓\nNegative prompt: summer\nSteps: 32, Sampler: Euler a, CFG scale: 6, Seed: 11, Size: 768x512, Model: dreamshaper_8"
    path = tmp_path / "village.jpg"
    exif = exif_bytes(unicode_comment(text, big_endian), big_endian=big_endian, date="2024:05:18 19:42:07")
    Image.new("RGB", (40, 30), "navy").save(path, exif=exif)
    ex = read(path)
    m = ex.metadata
    assert (m["format"], m["prompt"], m["negative_prompt"]) == (
        "jpg",
        "snowy village at dusk, warm windows ✓",
        "summer",
    )
    assert (m["num_inference_steps"], m["sampler"], m["model_checkpoint"], m["generator"]) == (
        32,
        "Euler a",
        "dreamshaper_8",
        "a1111",
    )
    assert m["creation_date"] == "2024-05-18T19:42:07"
    assert ex.provenance["prompt"] == "outputs/village.jpg (EXIF UserComment)"


def test_user_comment_byte_order_mismatch_and_prefixes():
    text = "a cat, Steps: 1"
    assert (
        sd.decode_user_comment(unicode_comment(text, big_endian=False), ">") == text
    )  # II text in an MM file
    assert sd.decode_user_comment(b"ASCII\0\0\0" + text.encode() + b"\0", "<") == text
    assert sd.decode_user_comment(b'{"prompt": 1}', ">") == '{"prompt": 1}'


def test_jpeg_raw_json_user_comment_with_comfy_graph(tmp_path):
    payload = json.dumps({"prompt": comfy_basic(), "workflow": {}}).encode()
    path = tmp_path / "saveplus.jpg"
    Image.new("RGB", (32, 32), "teal").save(path, exif=exif_bytes(payload))
    m = read(path).metadata
    assert (m["generator"], m["prompt"], m["num_inference_steps"]) == ("comfyui", "a watercolor cat", 20)


def test_webp_comfyui_exif_tags(tmp_path):
    path = tmp_path / "anim.webp"
    ifd0 = {0x0110: "prompt:" + json.dumps(comfy_basic()), 0x010F: "workflow:" + json.dumps({"nodes": []})}
    Image.new("RGB", (48, 32), "purple").save(path, exif=exif_bytes(ifd0=ifd0, big_endian=False))
    ex = read(path)
    assert (ex.metadata["format"], ex.metadata["generator"], ex.metadata["prompt"]) == (
        "webp",
        "comfyui",
        "a watercolor cat",
    )
    assert ex.provenance["prompt"] == "outputs/anim.webp (EXIF prompt tag)"
    assert set(ex.metadata["raw_metadata"]) == {"prompt", "workflow"}


def test_webp_user_comment(tmp_path):
    path = tmp_path / "balloons.webp"
    text = "hot air balloons\nSteps: 24, Sampler: Euler a, CFG scale: 7, Seed: 5"
    Image.new("RGB", (48, 32), "orange").save(path, exif=exif_bytes(unicode_comment(text)))
    m = read(path).metadata
    assert (m["format"], m["prompt"], m["seed"], m["generator"]) == ("webp", "hot air balloons", 5, "a1111")


@pytest.mark.parametrize("orientation", [6, 8])
def test_exif_orientation_swaps_width_and_height(tmp_path, orientation):
    path = tmp_path / "rotated.jpg"
    Image.new("RGB", (40, 20), "red").save(path, exif=exif_bytes(orientation=orientation))
    m = read(path).metadata
    assert (m["resolution"]["width"], m["resolution"]["height"]) == (20, 40)
    thumb = make_thumbnail(path, tmp_path / "thumbs" / "rotated.webp", size=16)
    with Image.open(thumb) as img:
        assert img.size == (8, 16)  # upright, like the reported size


# ----------------------------------------------------------------------------- sidecars


def test_sidecar_json_fills_gaps_but_embedded_wins(tmp_path):
    path = write_png(tmp_path / "lake.png", {"parameters": "mountain lake at dawn"})
    sidecar = {"prompt": "IGNORED", "negative_prompt": "clouds", "steps": 26, "cfg_scale": 7, "seed": 555,
               "scheduler": "DPMSolverMultistepScheduler", "model": "sd15_castle_v1"}  # fmt: skip
    (tmp_path / "lake.json").write_text(json.dumps(sidecar))
    ex = read(path)
    m = ex.metadata
    assert (m["prompt"], m["negative_prompt"], m["num_inference_steps"]) == (
        "mountain lake at dawn",
        "clouds",
        26,
    )
    assert (m["sampler"], m["seed"], m["model_checkpoint"], m["generator"]) == (
        "DPM++ 2M",
        555,
        "sd15_castle_v1",
        "a1111",
    )
    assert ex.provenance["prompt"] == "outputs/lake.png (PNG parameters chunk)"
    assert ex.provenance["seed"] == "outputs/lake.json (sidecar)"


def test_sidecar_txt_infotext_and_bad_sidecar_json(tmp_path):
    write_png(tmp_path / "a.png")
    (tmp_path / "a.txt").write_text("a lighthouse\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 3")
    m = read(tmp_path / "a.png").metadata
    assert (m["prompt"], m["seed"], m["generator"]) == ("a lighthouse", 3, "sidecar")

    write_png(tmp_path / "b.png")
    (tmp_path / "b.json").write_text("{oops")
    (tmp_path / "b.txt").write_text("my notes about this picture")  # not infotext: ignored
    ex = read(tmp_path / "b.png")
    assert ex.metadata["generator"] == "none" and "prompt" not in ex.metadata
    assert ex.warnings == [
        "sidecar b.json is not valid JSON (Expecting property name enclosed in double quotes); ignored"
    ]


def test_image_without_metadata_still_gets_a_chunk(tmp_path):
    ex = read(write_png(tmp_path / "plain.png", size=(30, 20)))
    assert ex.metadata["generator"] == "none"
    assert ex.chunks[0].content == "Image plain.png (PNG, no prompt recorded)\nSize: 30x20"


# ----------------------------------------------------------------------------- bad input


def _truncated(kind: str):
    def make(path: Path) -> None:
        Image.effect_noise((256, 256), 60).convert("RGB").save(path, kind)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    return make


def _bomb(size: int):
    def make(path: Path) -> None:
        Image.new("L", (1, 1)).save(path, "PNG")
        patch_png_size(path, size, size)

    return make


def _webp_bomb(path: Path) -> None:
    Image.new("RGBA", (4, 4)).save(path, "WEBP")  # alpha -> extended (VP8X) header
    data = bytearray(path.read_bytes())
    assert data[12:16] == b"VP8X"
    data[24:30] = (20_000 - 1).to_bytes(3, "little") + (15_000 - 1).to_bytes(3, "little")
    path.write_bytes(bytes(data))


BAD_FILES = {
    "empty.png": (lambda p: p.write_bytes(b""), "empty file (0 bytes)"),
    "half.png": (_truncated("PNG"), "truncated PNG: image data ends early"),
    "half.jpg": (_truncated("JPEG"), "truncated JPEG: image data ends early"),
    "half.webp": (_truncated("WEBP"), "truncated WebP: image data ends early"),
    "header.png": (lambda p: (write_png(p), p.write_bytes(p.read_bytes()[:40])), "corrupt PNG: the header chunks are damaged or cut short"),
    "notes.png": (lambda p: p.write_text("hello, I am text\n" * 20), "not an image (unrecognised format)"),
    "anim.png": (lambda p: Image.new("P", (8, 8)).save(p, "GIF"), "unsupported image format: GIF (expected PNG, JPEG or WebP)"),
    "bomb.png": (_bomb(100_000), "image too large: 100000x100000 pixels exceeds the 89,478,485 pixel limit"),
    "bomb.webp": (_webp_bomb, "image too large: 20000x15000 pixels exceeds the 89,478,485 pixel limit"),
    "big.png": (_bomb(10_000), "image too large: 10000x10000 pixels exceeds the 89,478,485 pixel limit"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_input_raises_one_line_parse_error(tmp_path, name):
    make, expected = BAD_FILES[name]
    path = tmp_path / name
    make(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a DecompressionBombWarning must not leak out
        with pytest.raises(ParseError) as err:
            read(path)
        with pytest.raises(ParseError):
            make_thumbnail(path, tmp_path / "t.webp")
    message = str(err.value)
    assert message == expected
    assert "\n" not in message and str(tmp_path) not in message and "Traceback" not in message


def test_corrupt_exif_is_a_warning_and_the_image_still_reads(tmp_path):
    good = exif_bytes(b"ASCII\0\0\0a cat", orientation=6)
    path = tmp_path / "broken_exif.jpg"
    Image.new("RGB", (20, 10), "green").save(path, exif=good[:40])  # EXIF cut off mid-IFD
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ex = read(path)
        thumb = make_thumbnail(path, tmp_path / "t.jpg", size=8)
    assert ex.warnings == ["EXIF data is corrupt; some EXIF fields were ignored"]
    assert ex.metadata["format"] == "jpg" and thumb.is_file()


# ----------------------------------------------------------------------------- thumbnails


@pytest.mark.parametrize("suffix", [".webp", ".jpg"])
def test_thumbnail_fits_size_and_is_rgb(tmp_path, suffix):
    src = write_png(tmp_path / "wide.png", size=(300, 120), mode="RGBA")
    dest = make_thumbnail(src, tmp_path / "cache" / "deep" / f"wide{suffix}", size=64)
    assert dest == tmp_path / "cache" / "deep" / f"wide{suffix}"
    with Image.open(dest) as img:
        assert img.size == (64, 26) and img.mode == "RGB"
        assert img.format == ("WEBP" if suffix == ".webp" else "JPEG")


def test_thumbnail_rejects_bad_size(tmp_path):
    with pytest.raises(ParseError, match="at least 1 pixel"):
        make_thumbnail(write_png(tmp_path / "x.png"), tmp_path / "t.jpg", size=0)


# ----------------------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("name", "scheduler", "expected"),
    [
        ("dpmpp_2m", "karras", ("DPM++ 2M Karras", "Karras")),
        ("euler_ancestral", "normal", ("Euler a", "Normal")),
        ("k_euler_ancestral", None, ("Euler a", None)),
        ("dpmpp_2m_sde_k", None, ("DPM++ 2M SDE Karras", "Karras")),
        ("DPM++ 2M Karras", None, ("DPM++ 2M Karras", "Karras")),
        ("DPM++ 2M", "Karras", ("DPM++ 2M Karras", "Karras")),
        ("EulerAncestralDiscreteScheduler", None, ("Euler a", None)),
        ("uni_pc_bh2", "sgm_uniform", ("UniPC SGM Uniform", "SGM Uniform")),
        ("my_custom_sampler", None, ("my_custom_sampler", None)),
    ],
)
def test_normalise_sampler(name, scheduler, expected):
    assert sd.normalise_sampler(name, scheduler) == expected


def test_style_tags():
    prompt = "a very long first phrase here, (masterpiece:1.2), [Film Grain], <lora:x:1>, 8K, 8k, BREAK Golden Hour"
    assert sd.style_tags(prompt) == ["masterpiece", "film grain", "8k", "golden hour"]
    assert len(sd.style_tags(", ".join(f"tag{i}" for i in range(20)))) == 8


# ----------------------------------------------------------------------------- shipped examples

EXPECTED_GENERATORS = {
    "castle_sunset.png": "a1111", "castle_moonlit.png": "a1111", "cyberpunk_city_night.png": "a1111",
    "astronaut_portrait.png": "a1111", "foggy_forest.png": "a1111", "red_sports_car.png": "a1111",
    "mountain_lake.png": "a1111", "comfy_watercolor_cat.png": "comfyui", "comfy_sdxl_lighthouse.png": "comfyui",
    "comfy_desert_oasis.png": "comfyui", "comfy_coral_reef.png": "comfyui", "invokeai_robot_garden.png": "invokeai",
    "novelai_fox_spirit.png": "novelai", "snowy_village.jpg": "a1111", "hot_air_balloons.webp": "a1111",
    "lavender_field.png": "sidecar",
}  # fmt: skip


def test_every_shipped_example_parses():
    shipped = sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".png", ".jpg", ".webp"))
    assert shipped == sorted(EXPECTED_GENERATORS)
    for name, generator in EXPECTED_GENERATORS.items():
        path = EXAMPLES / name
        assert path.stat().st_size < 30_000, name
        ex = read(path)
        m = ex.metadata
        assert m["prompt"] and m["generator"] == generator and not ex.warnings, name
        assert (
            m["num_inference_steps"] and m["sampler"] and m["seed"] is not None and m["model_checkpoint"]
        ), name
        assert max(m["resolution"].values()) <= 128, name


def test_shipped_examples_spot_checks():
    castle = read(EXAMPLES / "castle_sunset.png").metadata
    assert (castle["model_checkpoint"], castle["sampler"], castle["num_inference_steps"]) == (
        "sd15_castle_v1",
        "DPM++ 2M Karras",
        30,
    )
    oasis = read(EXAMPLES / "comfy_desert_oasis.png").metadata
    assert (
        oasis["prompt"]
        == "a desert oasis with palm trees and a turquoise pool\ngolden sand dunes, warm evening light, wide angle"
    )
    assert oasis["loras"] == ["add_detail"]
    reef = read(EXAMPLES / "comfy_coral_reef.png").metadata
    assert (reef["num_inference_steps"], reef["sampler"], reef["seed"]) == (24, "DPM++ 2M Karras", 20240601)
    assert read(EXAMPLES / "snowy_village.jpg").metadata["creation_date"] == "2024-05-18T19:42:07"


def test_make_images_reproduces_the_shipped_files(tmp_path):
    from modelhub_jupyter.demo.make_images import build

    written = build(tmp_path)
    assert len([p for p in written if p.suffix != ".json"]) >= 14
    for path in written:
        assert path.read_bytes() == (EXAMPLES / path.name).read_bytes(), f"{path.name}: re-run make_images"


# ----------------------------------------------------------------------------- one name per checkpoint

DREAMSHAPER = {
    "outputs/astronaut_portrait.png",
    "outputs/comfy_desert_oasis.png",
    "outputs/snowy_village.jpg",
}
SDXL_BASE = {
    "outputs/comfy_sdxl_lighthouse.png",
    "outputs/cyberpunk_city_night.png",
    "outputs/hot_air_balloons.webp",
}


def _images(hub, *where: str) -> set[str]:
    return {hit.path for hit in hub.search("", kind="image", where=list(where), limit=100, record=False)}


@pytest.mark.parametrize(
    ("spellings", "expected"),
    [
        (
            [
                "dreamshaper_8",
                "dreamshaper_8.safetensors",
                "DreamShaper_8",
                "models/dreamshaper_8.safetensors",
            ],
            DREAMSHAPER,
        ),
        (["sd_xl_base_1.0", "sd_xl_base_1.0.safetensors", "SDXL\\sd_xl_base_1.0.safetensors"], SDXL_BASE),
    ],
)
def test_every_spelling_of_a_checkpoint_selects_the_same_images(indexed, spellings, expected):
    hub, _ = indexed
    for spelling in spellings:
        assert _images(hub, f"model_checkpoint={spelling}") == expected, spelling
        assert _images(hub, f"model={spelling}") == expected, spelling  # the short key too
    assert _images(hub, f"model_checkpoint!={spellings[1]}").isdisjoint(expected)


def test_the_checkpoint_filter_lists_each_checkpoint_once_and_keeps_the_spelling_as_written(
    indexed, example_workspace
):
    hub, _ = indexed
    names = [name for name, _ in hub.vocabulary()["model_checkpoint"]]
    assert len(names) == len({n.lower() for n in names})
    assert not [n for n in names if n.lower().endswith((".safetensors", ".ckpt"))]
    counts = dict(hub.vocabulary()["model_checkpoint"])
    assert (counts["dreamshaper_8"], counts["sd_xl_base_1.0"]) == (3, 3)
    oasis = hub.show(example_workspace / "outputs/comfy_desert_oasis.png").metadata
    assert (oasis["model_checkpoint"], oasis["model_checkpoint_as_written"]) == (
        "dreamshaper_8",
        "dreamshaper_8.safetensors",
    )


def test_novelai_sdxl_is_not_the_sdxl_base_checkpoint(indexed, example_workspace):
    # NovelAI's Source reads "Stable Diffusion XL C1E1DE52": its own NAI Diffusion V3 weights, not
    # sd_xl_base_1.0 (hash 31e35c80fc), so the two are not joined
    hub, _ = indexed
    fox = hub.show(example_workspace / "outputs/novelai_fox_spirit.png").metadata
    assert (fox["model_checkpoint"], fox["model_hash"]) == ("nai-diffusion-3", "C1E1DE52")
    assert fox["model_checkpoint_as_written"] == "Stable Diffusion XL"
    assert "outputs/novelai_fox_spirit.png" not in _images(hub, "model_checkpoint=sd_xl_base_1.0")
    assert _images(hub, "model_checkpoint=nai-diffusion-3") == {"outputs/novelai_fox_spirit.png"}


def test_novelai_source_names():
    assert sd.novelai_model("Stable Diffusion XL", "C1E1DE52") == "nai-diffusion-3"
    assert sd.novelai_model("Stable Diffusion XL", "00000000") == "NovelAI Stable Diffusion XL"
    assert sd.novelai_model("NovelAI Diffusion V4.5", "4BDE2A90") == "NovelAI Diffusion V4.5"
