"""Write the demo workspace's example generated images, with real generator metadata.

Run ``python -m modelhub_jupyter.demo.make_images [--out DIR]``. Output is deterministic: the
pictures are drawn with Pillow from fixed shapes and seeds, so re-running gives identical bytes.
Each image is drawn at 1/8 of its recorded generation size (at most 128 px a side).
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter
from PIL.PngImagePlugin import PngInfo

OUT = Path(__file__).resolve().parent / "workspace" / "outputs"
RGB = tuple[int, int, int]

# ----------------------------------------------------------------------------- drawing


def canvas(size: tuple[int, int], top: RGB, bottom: RGB, horizon: float = 1.0) -> Image.Image:
    """A vertical gradient from ``top`` to ``bottom`` over the top ``horizon`` fraction."""
    w, h = size
    img = Image.new("RGB", size, bottom)
    draw = ImageDraw.Draw(img)
    span = max(1, int(h * horizon))
    for y in range(span):
        t = y / max(1, span - 1)
        draw.line(
            [(0, y), (w, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    return img


def castle(draw: ImageDraw.ImageDraw, w: int, h: int, color: RGB) -> None:
    """A castle silhouette on a hill."""
    draw.ellipse([-w * 0.2, h * 0.72, w * 1.2, h * 1.4], fill=color)
    base = h * 0.78
    draw.rectangle([w * 0.3, h * 0.5, w * 0.7, base], fill=color)
    for x0 in (0.24, 0.44, 0.64):
        draw.rectangle([w * x0, h * 0.36, w * (x0 + 0.12), base], fill=color)
        draw.polygon(
            [(w * x0, h * 0.36), (w * (x0 + 0.06), h * 0.22), (w * (x0 + 0.12), h * 0.36)], fill=color
        )


def sunset_castle(w: int, h: int) -> Image.Image:
    img = canvas((w, h), (250, 120, 30), (120, 40, 90))
    draw = ImageDraw.Draw(img)
    draw.ellipse([w * 0.55, h * 0.3, w * 0.8, h * 0.3 + w * 0.25], fill=(255, 210, 90))
    castle(draw, w, h, (25, 12, 30))
    return img


def moonlit_castle(w: int, h: int) -> Image.Image:
    img = canvas((w, h), (8, 12, 40), (40, 60, 120))
    draw = ImageDraw.Draw(img)
    stars(draw, w, h, 40, seed=7)
    draw.ellipse([w * 0.68, h * 0.08, w * 0.88, h * 0.28], fill=(240, 240, 210))
    castle(draw, w, h, (10, 10, 20))
    return img


def stars(draw: ImageDraw.ImageDraw, w: int, h: int, count: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(count):
        x, y = rng.randrange(w), rng.randrange(int(h * 0.6))
        draw.point((x, y), fill=(255, 255, 230))


def cyberpunk_city(w: int, h: int) -> Image.Image:
    img = canvas((w, h), (10, 5, 35), (60, 10, 80))
    draw = ImageDraw.Draw(img)
    rng = random.Random(2077)
    x = 0
    while x < w:
        bw, bh = rng.randint(10, 22), rng.randint(h // 3, h - 10)
        draw.rectangle([x, h - bh, x + bw, h], fill=(15, 15, 30))
        for wy in range(h - bh + 4, h - 4, 6):
            for wx in range(x + 2, x + bw - 2, 5):
                if rng.random() < 0.45:
                    draw.rectangle([wx, wy, wx + 2, wy + 2], fill=rng.choice([(255, 40, 200), (0, 240, 255)]))
        x += bw + 2
    return img


def astronaut(w: int, h: int) -> Image.Image:
    img = canvas((w, h), (5, 5, 20), (20, 20, 50))
    draw = ImageDraw.Draw(img)
    stars(draw, w, h, 30, seed=42)
    draw.rectangle([w * 0.15, h * 0.62, w * 0.85, h], fill=(225, 225, 230))
    draw.ellipse([w * 0.18, h * 0.22, w * 0.82, h * 0.68], fill=(235, 235, 240))
    draw.ellipse([w * 0.28, h * 0.32, w * 0.72, h * 0.56], fill=(200, 150, 40))
    draw.ellipse([w * 0.34, h * 0.36, w * 0.46, h * 0.42], fill=(255, 235, 160))
    return img


def foggy_forest(w: int, h: int) -> Image.Image:
    img = canvas((w, h), (170, 180, 175), (70, 90, 75))
    draw = ImageDraw.Draw(img)
    rng = random.Random(31)
    for _ in range(14):
        x, top = rng.randint(-5, w), rng.randint(int(h * 0.15), int(h * 0.5))
        shade = rng.randint(20, 60)
        draw.polygon([(x, top), (x - 9, h), (x + 9, h)], fill=(shade // 2, shade, shade // 2))
    fog = Image.new("RGB", (w, h), (220, 225, 225))
    return Image.blend(img, fog, 0.35).filter(ImageFilter.GaussianBlur(1))


def red_car(w: int, h: int) -> Image.Image:
    img = canvas((w, h), (90, 170, 240), (190, 225, 250), horizon=0.6)
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, h * 0.6, w, h], fill=(80, 80, 85))
    draw.rectangle([0, h * 0.78, w, h * 0.8], fill=(240, 240, 240))
    draw.rounded_rectangle([w * 0.15, h * 0.5, w * 0.85, h * 0.7], radius=6, fill=(210, 20, 25))
    draw.polygon(
        [(w * 0.32, h * 0.5), (w * 0.42, h * 0.38), (w * 0.62, h * 0.38), (w * 0.72, h * 0.5)],
        fill=(180, 15, 20),
    )
    for cx in (0.3, 0.7):
        draw.ellipse([w * cx - 8, h * 0.62, w * cx + 8, h * 0.62 + 16], fill=(20, 20, 20))
    return img


def mountain_lake(w: int, h: int) -> Image.Image:
    img = canvas((w, h), (250, 190, 200), (150, 190, 230), horizon=0.55)
    draw = ImageDraw.Draw(img)
    peaks = [(0, h * 0.55), (w * 0.25, h * 0.15), (w * 0.5, h * 0.55), (w * 0.7, h * 0.22), (w, h * 0.55)]
    draw.polygon(peaks, fill=(90, 100, 130))
    draw.polygon([(w * 0.2, h * 0.22), (w * 0.25, h * 0.15), (w * 0.3, h * 0.22)], fill=(250, 250, 255))
    draw.rectangle([0, h * 0.55, w, h], fill=(60, 110, 170))
    draw.polygon([(x, h * 1.1 - y + h * 0.0) for x, y in peaks], fill=(75, 115, 160))
    return img


def watercolor_cat(w: int, h: int) -> Image.Image:
    img = Image.new("RGB", (w, h), (245, 235, 215))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, h * 0.75, w, h], fill=(170, 140, 110))
    draw.ellipse([w * 0.25, h * 0.45, w * 0.75, h * 0.8], fill=(235, 140, 60))
    draw.ellipse([w * 0.35, h * 0.22, w * 0.65, h * 0.5], fill=(240, 150, 70))
    for x0 in (0.36, 0.56):
        draw.polygon(
            [(w * x0, h * 0.3), (w * (x0 + 0.04), h * 0.14), (w * (x0 + 0.08), h * 0.3)], fill=(240, 150, 70)
        )
    return img.filter(ImageFilter.GaussianBlur(1.5))


def lighthouse(w: int, h: int) -> Image.Image:
    img = canvas((w, h), (50, 55, 70), (110, 115, 125), horizon=0.65)
    draw = ImageDraw.Draw(img)
    draw.polygon([(w * 0.55, h * 0.3), (w * 1.1, h * 0.15), (w * 1.1, h * 0.4)], fill=(235, 220, 120))
    draw.rectangle([0, h * 0.65, w, h], fill=(20, 40, 70))
    draw.polygon([(w * 0.3, h * 0.75), (w * 0.5, h * 0.6), (w * 0.75, h * 0.75)], fill=(40, 35, 30))
    draw.polygon(
        [(w * 0.46, h * 0.62), (w * 0.49, h * 0.28), (w * 0.55, h * 0.28), (w * 0.58, h * 0.62)],
        fill=(240, 240, 240),
    )
    for y in (0.36, 0.48):
        draw.rectangle([w * 0.47, h * y, w * 0.57, h * (y + 0.05)], fill=(200, 30, 30))
    draw.rectangle([w * 0.48, h * 0.22, w * 0.56, h * 0.28], fill=(255, 230, 120))
    return img


def desert_oasis(w: int, h: int) -> Image.Image:
    img = canvas((w, h), (120, 180, 235), (250, 200, 150), horizon=0.5)
    draw = ImageDraw.Draw(img)
    draw.ellipse([-w * 0.3, h * 0.45, w * 0.7, h * 1.2], fill=(230, 180, 100))
    draw.ellipse([w * 0.3, h * 0.5, w * 1.3, h * 1.2], fill=(215, 160, 85))
    draw.ellipse([w * 0.35, h * 0.7, w * 0.7, h * 0.85], fill=(40, 190, 190))
    for x in (0.38, 0.66):
        draw.line([(w * x, h * 0.72), (w * x + 3, h * 0.45)], fill=(110, 70, 30), width=2)
        draw.ellipse([w * x - 8, h * 0.38, w * x + 12, h * 0.5], fill=(40, 130, 50))
    return img


def coral_reef(w: int, h: int) -> Image.Image:
    img = canvas((w, h), (40, 170, 200), (10, 60, 110))
    draw = ImageDraw.Draw(img)
    rng = random.Random(2024)
    for _ in range(9):
        x = rng.randint(0, w)
        color = rng.choice([(250, 110, 120), (255, 170, 60), (200, 80, 200)])
        draw.ellipse([x - 8, h * 0.75, x + 8, h * 0.75 + 20], fill=color)
    for _ in range(6):
        x, y = rng.randint(5, w - 10), rng.randint(10, int(h * 0.6))
        draw.ellipse([x, y, x + 8, y + 4], fill=(255, 220, 0))
        draw.polygon([(x, y + 2), (x - 3, y), (x - 3, y + 4)], fill=(255, 220, 0))
    return img


def robot_garden(w: int, h: int) -> Image.Image:
    img = canvas((w, h), (160, 210, 250), (240, 240, 200), horizon=0.45)
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, h * 0.45, w, h], fill=(90, 150, 60))
    for row in range(5):
        y = h * (0.52 + row * 0.1)
        draw.line([(0, y), (w, y)], fill=(60, 110, 40), width=3)
    draw.rectangle([w * 0.42, h * 0.4, w * 0.62, h * 0.68], fill=(170, 175, 185))
    draw.rectangle([w * 0.44, h * 0.28, w * 0.6, h * 0.4], fill=(190, 195, 205))
    draw.rectangle([w * 0.47, h * 0.32, w * 0.5, h * 0.35], fill=(40, 200, 255))
    draw.rectangle([w * 0.54, h * 0.32, w * 0.57, h * 0.35], fill=(40, 200, 255))
    return img


def fox_spirit(w: int, h: int) -> Image.Image:
    img = canvas((w, h), (20, 50, 40), (40, 90, 60))
    draw = ImageDraw.Draw(img)
    for x in range(4, w, 11):
        draw.rectangle([x, 0, x + 3, h], fill=(70, 140, 70))
    draw.ellipse([w * 0.3, h * 0.5, w * 0.7, h * 0.8], fill=(240, 120, 30))
    draw.ellipse([w * 0.35, h * 0.35, w * 0.65, h * 0.55], fill=(245, 130, 35))
    draw.ellipse([w * 0.1, h * 0.3, w * 0.3, h * 0.45], fill=(90, 170, 255))
    draw.ellipse([w * 0.7, h * 0.25, w * 0.9, h * 0.4], fill=(90, 170, 255))
    return img


def snowy_village(w: int, h: int) -> Image.Image:
    img = canvas((w, h), (30, 40, 90), (110, 110, 170), horizon=0.6)
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, h * 0.6, w, h], fill=(235, 240, 250))
    for i, x in enumerate(range(6, w - 14, 22)):
        top = h * (0.45 + 0.05 * (i % 2))
        draw.rectangle([x, top, x + 16, h * 0.75], fill=(110, 70, 50))
        draw.polygon([(x - 3, top), (x + 8, top - 10), (x + 19, top)], fill=(250, 250, 255))
        draw.rectangle([x + 5, top + 6, x + 10, top + 11], fill=(255, 200, 80))
    return img


def hot_air_balloons(w: int, h: int) -> Image.Image:
    img = canvas((w, h), (250, 170, 110), (140, 180, 230))
    draw = ImageDraw.Draw(img)
    draw.polygon(
        [(0, h), (w * 0.3, h * 0.75), (w * 0.6, h * 0.85), (w, h * 0.7), (w, h)], fill=(170, 120, 90)
    )
    rng = random.Random(1987)
    for _ in range(5):
        x, y, r = rng.randint(10, w - 10), rng.randint(8, int(h * 0.55)), rng.randint(5, 10)
        draw.ellipse(
            [x - r, y - r, x + r, y + r], fill=rng.choice([(230, 50, 50), (250, 200, 40), (60, 120, 220)])
        )
        draw.rectangle([x - 2, y + r + 2, x + 2, y + r + 5], fill=(90, 60, 30))
    return img


def lavender_field(w: int, h: int) -> Image.Image:
    img = canvas((w, h), (100, 160, 240), (200, 220, 250), horizon=0.4)
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, h * 0.4, w, h], fill=(110, 140, 70))
    for i in range(12):
        x = w * 0.5 + (i - 6) * 14
        draw.polygon([(w * 0.5, h * 0.4), (x - 5, h * 1.2), (x + 5, h * 1.2)], fill=(150, 100, 200))
    return img


# ----------------------------------------------------------------------------- metadata writers


def a1111_png(
    name: str, picture: Callable[[int, int], Image.Image], size: tuple[int, int], infotext: str
) -> dict:
    info = PngInfo()
    info.add_text("parameters", infotext)
    return {"name": name, "image": draw_at(picture, size), "pnginfo": info}


def draw_at(picture: Callable[[int, int], Image.Image], size: tuple[int, int]) -> Image.Image:
    """Draw at 1/8 of the generation size, at most 128 px a side."""
    w, h = size[0] // 8, size[1] // 8
    scale = min(1.0, 128 / max(w, h))
    return picture(max(1, round(w * scale)), max(1, round(h * scale)))


def user_comment_exif(text: str, big_endian: bool = True, date: str | None = None) -> bytes:
    """EXIF with an A1111-style ``UNICODE\\0`` + UTF-16 UserComment (MM or II byte order)."""
    exif = Image.Exif()
    exif.endian = ">" if big_endian else "<"
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd[0x9286] = b"UNICODE\0" + text.encode("utf-16-be" if big_endian else "utf-16-le")
    if date:
        exif_ifd[0x9003] = date
    return exif.tobytes()


def comfy_graph(spec: dict[str, Any]) -> tuple[str, str]:
    """``(prompt, workflow)`` JSON from ``{id: (class_type, widgets, links)}``.

    ``widgets`` are in UI order; a key of ``None``/"control_after_generate" is UI-only.
    """
    api: dict[str, Any] = {}
    for nid, (ctype, widgets, links) in spec.items():
        inputs = {k: v for k, v in widgets.items() if k not in (None, "control_after_generate")}
        inputs.update({k: [src, slot] for k, (src, slot) in links.items()})
        api[nid] = {"inputs": inputs, "class_type": ctype, "_meta": {"title": ctype}}
    ids = {nid: i + 1 for i, nid in enumerate(spec)}
    nodes: list[dict[str, Any]] = []
    wf_links: list[list[Any]] = []
    outputs: dict[tuple[str, int], list[int]] = {}
    for nid, (_, _, links) in spec.items():
        for name, (src, slot) in links.items():
            wf_links.append(
                [len(wf_links) + 1, ids[src], slot, ids[nid], list(links).index(name), _slot_type(name)]
            )
            outputs.setdefault((src, slot), []).append(len(wf_links))
    for order, (nid, (ctype, widgets, links)) in enumerate(spec.items()):
        wf_inputs = [
            {"name": name, "type": _slot_type(name), "link": _link_id(wf_links, ids[src], slot, ids[nid], i)}
            for i, (name, (src, slot)) in enumerate(links.items())
        ]
        outs = [
            {"slot_index": slot, "links": ids_} for (src, slot), ids_ in sorted(outputs.items()) if src == nid
        ]
        nodes.append({
            "id": ids[nid], "type": ctype, "pos": [100 + 320 * (order % 4), 100 + 260 * (order // 4)],
            "size": [315, 160], "flags": {}, "order": order, "mode": 0, "inputs": wf_inputs, "outputs": outs,
            "properties": {"Node name for S&R": ctype}, "widgets_values": list(widgets.values()),
        })  # fmt: skip
    workflow = {
        "last_node_id": len(nodes), "last_link_id": len(wf_links), "nodes": nodes, "links": wf_links,
        "groups": [], "config": {}, "extra": {"ds": {"scale": 1, "offset": [0, 0]}}, "version": 0.4,
    }  # fmt: skip
    return json.dumps(api), json.dumps(workflow)


def _link_id(links: list[list[Any]], src: int, slot: int, dst: int, dst_slot: int) -> int:
    return next(link[0] for link in links if link[1:5] == [src, slot, dst, dst_slot])


def _slot_type(name: str) -> str:
    for prefix, kind in (("model", "MODEL"), ("clip", "CLIP"), ("vae", "VAE"), ("images", "IMAGE"),
                         ("samples", "LATENT"), ("latent", "LATENT"), ("sampler", "SAMPLER"), ("sigmas", "SIGMAS")):  # fmt: skip
        if name.startswith(prefix):
            return kind
    return "CONDITIONING"


def _save_cmd(images: str) -> tuple[str, dict[str, Any], dict[str, tuple[str, int]]]:
    return ("SaveImage", {"filename_prefix": "ComfyUI"}, {"images": (images, 0)})


def _decode(samples: str, vae: str) -> tuple[str, dict[str, Any], dict[str, tuple[str, int]]]:
    return ("VAEDecode", {}, {"samples": (samples, 0), "vae": (vae, 2)})


COMFY_CAT = {
    "4": ("CheckpointLoaderSimple", {"ckpt_name": "v1-5-pruned-emaonly.safetensors"}, {}),
    "6": ("CLIPTextEncode", {"text": "watercolor painting of a ginger cat sitting on a windowsill, soft pastel "
                                     "colors, paper texture, loose brush strokes"}, {"clip": ("4", 1)}),
    "7": ("CLIPTextEncode", {"text": "photo, 3d render, harsh lines, text, watermark"}, {"clip": ("4", 1)}),
    "5": ("EmptyLatentImage", {"width": 512, "height": 512, "batch_size": 1}, {}),
    "3": ("KSampler", {"seed": 156680208700286, "control_after_generate": "fixed", "steps": 20, "cfg": 8.0,
                       "sampler_name": "euler_ancestral", "scheduler": "normal", "denoise": 1.0},
          {"model": ("4", 0), "positive": ("6", 0), "negative": ("7", 0), "latent_image": ("5", 0)}),
    "8": _decode("3", "4"),
    "9": _save_cmd("8"),
}  # fmt: skip

COMFY_LIGHTHOUSE = {
    "4": ("CheckpointLoaderSimple", {"ckpt_name": "sd_xl_base_1.0.safetensors"}, {}),
    "6": ("CLIPTextEncodeSDXL", {"width": 4096, "height": 4096, "crop_w": 0, "crop_h": 0, "target_width": 4096,
                                 "target_height": 4096,
                                 "text_g": "a lighthouse on a rocky coast during a storm, crashing waves, dramatic sky",
                                 "text_l": "stormy seascape, oil painting, lightning"}, {"clip": ("4", 1)}),
    "7": ("CLIPTextEncodeSDXL", {"width": 4096, "height": 4096, "crop_w": 0, "crop_h": 0, "target_width": 4096,
                                 "target_height": 4096, "text_g": "calm sea, sunny day, blurry",
                                 "text_l": "calm sea, sunny day, blurry"}, {"clip": ("4", 1)}),
    "5": ("EmptyLatentImage", {"width": 1024, "height": 1024, "batch_size": 1}, {}),
    "10": ("KSamplerAdvanced", {"add_noise": "enable", "noise_seed": 8675309, "control_after_generate": "fixed",
                                "steps": 30, "cfg": 7.5, "sampler_name": "dpmpp_2m", "scheduler": "karras",
                                "start_at_step": 0, "end_at_step": 10000, "return_with_leftover_noise": "disable"},
           {"model": ("4", 0), "positive": ("6", 0), "negative": ("7", 0), "latent_image": ("5", 0)}),
    "17": _decode("10", "4"),
    "19": _save_cmd("17"),
}  # fmt: skip

COMFY_OASIS = {
    "1": ("CheckpointLoaderSimple", {"ckpt_name": "dreamshaper_8.safetensors"}, {}),
    "2": ("LoraLoader", {"lora_name": "add_detail.safetensors", "strength_model": 0.7, "strength_clip": 0.7},
          {"model": ("1", 0), "clip": ("1", 1)}),
    "3": ("CLIPTextEncode", {"text": "a desert oasis with palm trees and a turquoise pool"}, {"clip": ("2", 1)}),
    "4": ("CLIPTextEncode", {"text": "golden sand dunes, warm evening light, wide angle"}, {"clip": ("2", 1)}),
    "5": ("ConditioningCombine", {}, {"conditioning_1": ("3", 0), "conditioning_2": ("4", 0)}),
    "6": ("CLIPTextEncode", {"text": "snow, people, blurry"}, {"clip": ("2", 1)}),
    "7": ("EmptyLatentImage", {"width": 768, "height": 512, "batch_size": 1}, {}),
    "8": ("KSampler", {"seed": 777, "control_after_generate": "fixed", "steps": 32, "cfg": 6.5,
                       "sampler_name": "dpmpp_2m_sde", "scheduler": "exponential", "denoise": 1.0},
          {"model": ("2", 0), "positive": ("5", 0), "negative": ("6", 0), "latent_image": ("7", 0)}),
    "9": _decode("8", "1"),
    "10": _save_cmd("9"),
}  # fmt: skip

# String node IDs (group-node style "10:1"), SamplerCustom with helper nodes, and a hires second pass.
COMFY_REEF = {
    "CheckpointLoader_Base": ("CheckpointLoaderSimple", {"ckpt_name": "realisticVisionV51_v51VAE.safetensors"}, {}),
    "pos": ("CLIPTextEncode", {"text": "underwater coral reef with tropical fish, sunlight rays through clear "
                                       "water, vibrant colors"}, {"clip": ("CheckpointLoader_Base", 1)}),
    "neg": ("CLIPTextEncode", {"text": "murky water, blurry, deformed fish"}, {"clip": ("CheckpointLoader_Base", 1)}),
    "latent": ("EmptyLatentImage", {"width": 512, "height": 512, "batch_size": 1}, {}),
    "ksel": ("KSamplerSelect", {"sampler_name": "dpmpp_2m"}, {}),
    "sched": ("BasicScheduler", {"scheduler": "karras", "steps": 24, "denoise": 1.0},
              {"model": ("CheckpointLoader_Base", 0)}),
    "10:1": ("SamplerCustom", {"add_noise": True, "noise_seed": 20240601, "control_after_generate": "fixed",
                               "cfg": 5.5},
             {"model": ("CheckpointLoader_Base", 0), "positive": ("pos", 0), "negative": ("neg", 0),
              "sampler": ("ksel", 0), "sigmas": ("sched", 0), "latent_image": ("latent", 0)}),
    "10:2": ("LatentUpscaleBy", {"upscale_method": "nearest-exact", "scale_by": 1.5}, {"samples": ("10:1", 0)}),
    "10:3": ("KSampler", {"seed": 20240601, "control_after_generate": "fixed", "steps": 12, "cfg": 5.5,
                          "sampler_name": "euler", "scheduler": "normal", "denoise": 0.5},
             {"model": ("CheckpointLoader_Base", 0), "positive": ("pos", 0), "negative": ("neg", 0),
              "latent_image": ("10:2", 0)}),
    "decode": _decode("10:3", "CheckpointLoader_Base"),
    "save": _save_cmd("decode"),
}  # fmt: skip

A1111_IMAGES: list[tuple[str, Callable[[int, int], Image.Image], tuple[int, int], str]] = [
    ("castle_sunset.png", sunset_castle, (768, 512),
     "a majestic medieval castle on a hill at sunset, castle silhouette, orange sky, golden hour, dramatic clouds, "
     "highly detailed, matte painting\nNegative prompt: blurry, low quality, watermark, text\n"
     "Steps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234567890, Size: 768x512, "
     "Model hash: 3f9a1c2b7d, Model: sd15_castle_v1, Version: v1.10.1"),
    ("castle_moonlit.png", moonlit_castle, (512, 512),
     "a gothic castle under a starry night sky, full moon, moonlight, blue tones, fantasy art, <lora:add_detail:0.5>\n"
     "Negative prompt: lowres, bad anatomy, jpeg artifacts\n"
     'Steps: 40, Sampler: Euler a, CFG scale: 8.5, Seed: 2718281828, Size: 512x512, Model hash: 3f9a1c2b7d, '
     'Model: sd15_castle_v1, Lora hashes: "add_detail: 7c6bad76eb54", Version: v1.9.4'),
    ("cyberpunk_city_night.png", cyberpunk_city, (1024, 1024),
     "cyberpunk city at night, neon lights, rain-soaked streets, flying cars, blade runner style, cinematic, 8k\n"
     "Negative prompt: daylight, blurry, cartoon\n"
     "Steps: 25, Sampler: Euler a, Schedule type: Automatic, CFG scale: 6, Seed: 987654321, Size: 1024x1024, "
     "Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Clip skip: 2, Version: v1.10.1"),
    ("astronaut_portrait.png", astronaut, (512, 768),
     "portrait of an astronaut, detailed spacesuit, reflective gold visor,\nstars in the background, studio lighting, "
     "photorealistic, <lora:add_detail:0.6>\nNegative prompt: deformed, extra fingers, cartoon, painting\n"
     'Steps: 35, Sampler: DPM++ SDE Karras, CFG scale: 6.5, Seed: 42, Size: 512x768, Model hash: 879db523c3, '
     'Model: dreamshaper_8, Lora hashes: "add_detail: 7c6bad76eb54", Version: v1.6.0'),
    ("foggy_forest.png", foggy_forest, (768, 512),
     "a dense pine forest with fog, morning mist, volumetric light rays, moody atmosphere, nature photography\n\n"
     "Negative prompt: people, buildings, oversaturated\n\n"
     "Steps: 50, Sampler: DDIM, CFG scale: 9, Seed: 3141592653, Size: 768x512, Model hash: 15012c538f, "
     "Model: realisticVisionV51_v51VAE, Denoising strength: 0.45, Hires upscale: 2, Hires steps: 15, "
     "Hires upscaler: R-ESRGAN 4x+, Version: v1.7.0"),
    ("red_sports_car.png", red_car, (1024, 768),
     "a red sports car on a coastal road, sunny day, motion blur, automotive photography, sharp focus\n"
     "Negative prompt: damaged, rust, low quality\n"
     "Steps: 28, Sampler: UniPC, CFG scale: 5, Seed: 1618033988, Size: 1024x768, Model hash: d48c2391e0, "
     "Model: juggernautXL_v9Rundiffusionphoto2, Version: v1.8.0"),
    ("mountain_lake.png", mountain_lake, (768, 512),
     "mountain lake at dawn, snow-capped peaks, mirror reflections, pine trees, serene landscape\n"
     "Negative prompt: blurry, low quality, clouds\n"
     "Steps: 20, Sampler: DPM++ 2M SDE, Schedule type: Exponential, CFG scale: 7.5, Seed: 42456789, "
     "Size: 768x512, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.10.1"),
]  # fmt: skip

COMFY_IMAGES = [
    ("comfy_watercolor_cat.png", watercolor_cat, (512, 512), COMFY_CAT),
    ("comfy_sdxl_lighthouse.png", lighthouse, (1024, 1024), COMFY_LIGHTHOUSE),
    ("comfy_desert_oasis.png", desert_oasis, (768, 512), COMFY_OASIS),
    ("comfy_coral_reef.png", coral_reef, (768, 768), COMFY_REEF),
]

INVOKEAI_METADATA = {
    "generation_mode": "sdxl_txt2img",
    "positive_prompt": "a friendly robot tending a vegetable garden, morning sun, whimsical, storybook illustration",
    "negative_prompt": "scary, dark, broken",
    "width": 1024, "height": 1024, "seed": 3004127890, "rand_device": "cpu", "cfg_scale": 6.0,
    "cfg_rescale_multiplier": 0, "steps": 30, "scheduler": "dpmpp_2m_k",
    "model": {"key": "8f3c2d1e-5a6b-4c7d-9e0f-123456789abc", "hash": "blake3:9b1c4e7a2f", "name": "Juggernaut XL v9",
              "base": "sdxl", "type": "main"},
    "loras": [], "positive_style_prompt": "", "negative_style_prompt": "", "app_version": "4.2.9",
}  # fmt: skip

NOVELAI_COMMENT = {
    "prompt": "fox spirit in a bamboo forest, glowing blue flames, anime style, moonlight",
    "steps": 28, "height": 1216, "width": 832, "scale": 5.0, "uncond_scale": 1.0, "cfg_rescale": 0.0,
    "seed": 1876543210, "n_samples": 1, "hide_debug_overlay": False, "noise_schedule": "native",
    "sampler": "k_euler_ancestral", "controlnet_strength": 1.0, "dynamic_thresholding": False, "sm": False,
    "sm_dyn": False, "uc": "lowres, bad anatomy, bad hands, text, error", "request_type": "PromptGenerateRequest",
    "strength": 0.7, "noise": 0.0,
}  # fmt: skip

SNOWY_VILLAGE = (
    "snowy alpine village at dusk, warm glowing windows, wooden chalets, cozy winter evening\n"
    "Negative prompt: summer, green grass, blurry\n"
    "Steps: 32, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6, Seed: 1122334455, Size: 768x512, "
    "Model hash: 879db523c3, Model: dreamshaper_8, Version: v1.10.1"
)
BALLOONS = (
    "hot air balloons over cappadocia at sunrise, colorful balloons, rocky valley, travel photography\n"
    "Negative prompt: night, rain, low quality\n"
    "Steps: 24, Sampler: Euler a, CFG scale: 7, Seed: 2023061501, Size: 768x512, Model hash: 31e35c80fc, "
    "Model: sd_xl_base_1.0, Version: v1.10.1"
)
LAVENDER_SIDECAR = {
    "prompt": "endless lavender field in provence, purple rows, blue sky, summer afternoon, impressionist painting",
    "negative_prompt": "people, buildings, grey sky",
    "steps": 26, "cfg_scale": 7.0, "seed": 55555, "scheduler": "DPMSolverMultistepScheduler",
    "model": "stable-diffusion-v1-5/stable-diffusion-v1-5", "width": 768, "height": 512,
}  # fmt: skip


def build(out: Path = OUT) -> list[Path]:
    """Write every example image (and the one sidecar) into ``out``; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(name: str, img: Image.Image, **kwargs: Any) -> None:
        img.save(out / name, **kwargs)
        written.append(out / name)

    for name, picture, size, infotext in A1111_IMAGES:
        item = a1111_png(name, picture, size, infotext)
        save(name, item["image"], pnginfo=item["pnginfo"], optimize=True)
    for name, picture, size, spec in COMFY_IMAGES:
        prompt, workflow = comfy_graph(spec)
        info = PngInfo()
        info.add_text("prompt", prompt)
        info.add_text("workflow", workflow)
        save(name, draw_at(picture, size), pnginfo=info, optimize=True)

    info = PngInfo()
    info.add_text("invokeai_metadata", json.dumps(INVOKEAI_METADATA))
    info.add_text("invokeai_graph", json.dumps({"id": "sdxl_graph", "nodes": {}, "edges": []}))
    save("invokeai_robot_garden.png", draw_at(robot_garden, (1024, 1024)), pnginfo=info, optimize=True)

    info = PngInfo()
    for key, value in (("Title", "AI generated image"), ("Description", NOVELAI_COMMENT["prompt"]),
                       ("Software", "NovelAI"), ("Source", "Stable Diffusion XL C1E1DE52"),
                       ("Generation time", "4.21"), ("Comment", json.dumps(NOVELAI_COMMENT))):  # fmt: skip
        info.add_text(key, str(value))
    save("novelai_fox_spirit.png", draw_at(fox_spirit, (832, 1216)), pnginfo=info, optimize=True)

    exif = user_comment_exif(SNOWY_VILLAGE, big_endian=True, date="2024:05:18 19:42:07")
    save("snowy_village.jpg", draw_at(snowy_village, (768, 512)), exif=exif, quality=85)
    save(
        "hot_air_balloons.webp",
        draw_at(hot_air_balloons, (768, 512)),
        exif=user_comment_exif(BALLOONS),
        quality=80,
    )

    save("lavender_field.png", draw_at(lavender_field, (768, 512)), optimize=True)
    sidecar = out / "lavender_field.json"
    sidecar.write_text(json.dumps(LAVENDER_SIDECAR, indent=2) + "\n", encoding="utf-8")
    written.append(sidecar)
    return written


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default: {OUT})")
    args = parser.parse_args(argv)
    for path in build(args.out):
        print(f"{path.stat().st_size:>7,d}  {path}")


if __name__ == "__main__":
    main()
