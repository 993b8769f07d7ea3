"""Generated-image reader: Pillow decoding, embedded generation metadata, sidecars, thumbnails.

``read_image`` never trusts the file extension: Pillow identifies the format from the header,
and the generation settings are read from PNG text chunks (A1111, ComfyUI, InvokeAI incl. the
oldest ``Dream`` chunk, NovelAI), EXIF (UserComment, ComfyUI WebP tags) and a same-stem
``.json``/``.txt`` sidecar. The text parsers live in :mod:`.sd_metadata`.

The pixels are *not* decoded when the file is whole and every text sits before them (a PNG
walked to ``IEND`` with no text or eXIf chunk after the image data, a JPEG ending in its EOI
marker, a WebP as long as its RIFF header says): that is the metadata pass at thousands of
images a second. Otherwise (a cut-off file, texts after the image data) the pixels are decoded
as before, so truncated files are still one-line errors; damage inside complete pixel data
shows when the thumbnail or the CLIP vector is made (each a one-line warning).

Every file is treated as hostile: the size, the pixel count (checked by us after every open,
whatever ``Image.MAX_IMAGE_PIXELS`` is set to) and the PNG chunk table (how many text chunks,
how big) are checked before Pillow decodes anything; each metadata source is parsed on its
own, so one that cannot be read becomes a warning and the others still count; any failure of
the image itself is a one-line :class:`ParseError`. No XML is parsed (XMP is not read) and the
alpha-channel "stealth" metadata is not read.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
import struct
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from modelhub_jupyter.errors import one_line
from modelhub_jupyter.ingest import sd_metadata as sd
from modelhub_jupyter.ingest.confine import present
from modelhub_jupyter.ingest.types import Chunk, Extracted, ParseError

__all__ = ["PIXEL_LIMIT", "make_thumbnail", "read_image", "save_thumbnail"]

PIXEL_LIMIT = 89_478_485  # Pillow's default MAX_IMAGE_PIXELS
IMAGE_MAX_BYTES = 512 * 1024 * 1024  # larger files are refused before Pillow sees them
PNG_MAX_CHUNKS = 200_000  # chunks of any type (a 20 MB PNG has a few thousand IDATs)
PNG_MAX_TEXT_CHUNKS = 4_096  # tEXt/zTXt/iTXt chunks (generators write a handful)
PNG_TEXT_CHUNK_LIMIT = 8 * 1024 * 1024  # bytes in one text chunk (big ComfyUI workflows: ~1 MB)
PNG_TEXT_TOTAL_LIMIT = 32 * 1024 * 1024  # bytes in all text chunks (Pillow's own cap is 64 MB)
JSON_TEXT_LIMIT = 8 * 1024 * 1024  # characters of one JSON text that are parsed at all
RAW_TEXT_LIMIT = 20_000  # characters kept of each raw text and of each prompt
RAW_KEYS_LIMIT = 64  # raw text chunks / EXIF texts kept in ``raw_metadata``
SETTING_TEXT_LIMIT = 1_000  # characters kept of other text settings (sampler, model, ...)
SIDECAR_MAX_BYTES = 2_000_000
_FORMATS = {"PNG": "png", "JPEG": "jpg", "MPO": "jpg", "WEBP": "webp"}
_FORMAT_NAMES = {"png": "PNG", "jpg": "JPEG", "webp": "WebP"}
_THUMB_FORMATS = {".webp": "WEBP", ".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}
_THUMB_MODES = ("RGB", "RGBA", "L", "LA")  # modes thumbnail() resamples as they are (others: RGB first)
_EXIF_KEY_JSON = re.compile(r"^(\w[\w ]{0,30}):\s*([\[{].*)$", re.DOTALL)
_TAG_USER_COMMENT = 0x9286
_CORRUPT_EXIF = "EXIF data is corrupt; some EXIF fields were ignored"
_WARNINGS_LOCK = threading.RLock()  # see _caught


class _Source(NamedTuple):
    generator: str
    where: str
    params: dict[str, Any]


class _Embedded(NamedTuple):
    fmt: str
    width: int
    height: int
    texts: dict[str, str]  # PNG text chunks, mojibake fixed
    exif_texts: dict[str, str]  # UserComment, JPEG comment, ComfyUI WebP "prompt"/"workflow"
    created: tuple[str, str] | None  # (date, where it came from)
    problems: list[str]  # one-line warnings (corrupt EXIF)


# ----------------------------------------------------------------------------- public API


def read_image(path: Path, relpath: str) -> Extracted:
    """Read one generated image: format, displayed size, generation settings and one text chunk.

    Raises :class:`ParseError` for empty, truncated, corrupt, non-image or oversized files;
    never any other exception.
    """
    path = Path(path)
    try:
        return _read_image(path, relpath)
    except ParseError:
        raise
    except Exception as err:  # noqa: BLE001 - a bug must still end as this file's one-line error
        raise ParseError(f"cannot read image: {one_line(err, strip=(path,))}") from None


def _read_image(path: Path, relpath: str, *, decode: bool = False) -> Extracted:
    """``decode=True`` always decodes the pixels (the previous behaviour; kept for the benchmark)."""
    img, problems, walk = _open_image(path)
    with img:
        if decode or not _whole_without_decoding(img, path, walk):
            problems += _load_pixels(img, path)
        found = _embedded(img)
    ex = Extracted(warnings=_unique([*problems, *found.problems]))
    header = f"{relpath} (image header)"
    ex.set("format", found.fmt, header)
    ex.set("resolution.width", found.width, header)
    ex.set("resolution.height", found.height, header)

    if found.created:  # embedded date first, so a sidecar's date only fills a gap
        ex.set("creation_date", found.created[0], f"{relpath} ({found.created[1]})")
    sources = _embedded_sources(found, relpath, ex.warnings)
    sources += _sidecar_sources(path, relpath, ex.warnings)
    generation_size = None
    for source in sources:
        params = dict(source.params)
        generation_size = generation_size or params.pop("generation_size", None)
        for key, value in params.items():
            ex.set(key, _bounded(key, value, ex.warnings), source.where, overwrite=False)
    ex.set("generator", _generator(sources), sources[0].where if sources else header)
    if ex.get("prompt"):
        ex.set("style_tags", sd.style_tags(ex.get("prompt")) or None, ex.provenance["prompt"])
    raw = {
        k.replace(".", "_")[:80]: v[:RAW_TEXT_LIMIT] for k, v in {**found.texts, **found.exif_texts}.items()
    }
    if len(raw) > RAW_KEYS_LIMIT:
        ex.warnings.append(f"{len(raw):,} embedded texts; only the first {RAW_KEYS_LIMIT} were kept")
        raw = dict(list(raw.items())[:RAW_KEYS_LIMIT])
    ex.set("raw_metadata", raw or None, f"{relpath} (embedded text)")
    content = _chunk_text(ex, relpath, generation_size)
    ex.chunks.append(Chunk(content, 1, 1, relpath, section_type="utility", chunk_type="image"))
    return ex


def make_thumbnail(path: Path, dest: Path, size: int = 256) -> Path:
    """Write an EXIF-upright RGB thumbnail that fits ``size``×``size`` to ``dest`` (WebP/JPEG/PNG
    by suffix, JPEG otherwise) and return ``dest``. Raises :class:`ParseError` on any failure."""
    path, dest = Path(path), Path(dest)
    if size < 1:
        raise ParseError("thumbnail size must be at least 1 pixel")
    img, _, _ = _open_image(path)  # the same size, pixel and chunk checks as read_image
    with img:
        try:
            if img.format == "JPEG":
                img.draft("RGB", (size, size))  # decode at reduced scale: much faster for big JPEGs
        except Exception:  # noqa: BLE001 - no draft mode just means a full-size decode
            pass
        _load_pixels(img, path, record=False)  # its warnings are not kept: decode without the lock
        return _write_thumbnail(img, dest, size, path)


def save_thumbnail(picture: Image.Image, dest: Path, size: int = 256) -> Path:
    """Write the thumbnail of an image that is already decoded and upright (the background image
    pass decodes each file once for its CLIP input, its thumbnail and its perceptual hashes) to
    ``dest``, as :func:`make_thumbnail` does; ``picture`` is not changed. Raises :class:`ParseError`."""
    dest = Path(dest)
    if size < 1:
        raise ParseError("thumbnail size must be at least 1 pixel")
    return _write_thumbnail(picture, dest, size, None, upright=False)


def _write_thumbnail(
    img: Image.Image, dest: Path, size: int, path: Path | None, *, upright: bool = True
) -> Path:
    try:
        # shrink first (reduce() by the whole factor: a box filter, then at most one small
        # LANCZOS pass), then convert and turn the small picture: the full size is never copied
        picture = img if img.mode in _THUMB_MODES else _to_rgb(img)
        fit = _fit(picture.size, size)
        if fit is not None:  # Image.thumbnail's size and resampling, into a new image (img is kept)
            picture = picture.resize(fit, Image.Resampling.LANCZOS, reducing_gap=1.0)
        picture = _to_rgb(_upright(picture) if upright else picture)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fmt = _THUMB_FORMATS.get(dest.suffix.lower(), "JPEG")
        picture.save(dest, fmt, quality=85, **({"method": 0} if fmt == "WEBP" else {}))  # fastest WebP
    except Exception as err:  # noqa: BLE001 - any Pillow failure is this thumbnail's one-line error
        paths = (path, dest) if path is not None else (dest,)
        raise ParseError(f"cannot write thumbnail: {_one_line(err, *paths)}") from None
    return dest


def _fit(current: tuple[int, int], size: int) -> tuple[int, int] | None:
    """The size ``Image.thumbnail((size, size))`` shrinks ``current`` to (None: it fits already)."""
    width, height = current
    if width <= size and height <= size:
        return None
    aspect = width / height
    if aspect <= 1:  # as Pillow rounds: the side nearest the aspect ratio, at least 1 pixel
        candidates = [max(1, math.floor(size * aspect)), max(1, math.ceil(size * aspect))]
        return min(candidates, key=lambda n: abs(aspect - n / size)), size
    candidates = [max(1, math.floor(size / aspect)), max(1, math.ceil(size / aspect))]
    return size, min(candidates, key=lambda n: abs(aspect - size / n))


# ----------------------------------------------------------------------------- opening safely


def _open_image(path: Path) -> tuple[Image.Image, list[str], _PngWalk | None]:
    """Open (header only) with the size, chunk and pixel limits enforced; also return Pillow's
    warnings as lines and, for a PNG, what the chunk walk saw. Our own pixel check runs after
    every open, so a caller that set ``Image.MAX_IMAGE_PIXELS = None`` does not switch the limit off."""
    try:
        file_size = path.stat().st_size
    except OSError as err:
        raise ParseError(f"cannot read file: {err.strerror or type(err).__name__}") from None
    if file_size == 0:
        raise ParseError("empty file (0 bytes)")
    if file_size > IMAGE_MAX_BYTES:
        raise ParseError(
            f"file is {_size_text(file_size)}, over the {_size_text(IMAGE_MAX_BYTES)} limit for images"
        )
    walk = _check_png_chunks(path, file_size)
    try:
        with _caught() as caught:
            warnings.simplefilter("always")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ParseError(_too_large(_header_size(path))) from None
    except UnidentifiedImageError:
        raise ParseError(_unidentified(path)) from None
    except (FileNotFoundError, PermissionError, IsADirectoryError) as err:
        raise ParseError(f"cannot read file: {err.strerror or type(err).__name__}") from None
    except Exception as err:  # noqa: BLE001 - plugins raise many types on hostile headers (WebP decodes here)
        raise ParseError(_open_failure(path, err)) from None
    if img.format not in _FORMATS:
        name = img.format
        img.close()
        raise ParseError(f"unsupported image format: {name} (expected PNG, JPEG or WebP)")
    if img.width * img.height > PIXEL_LIMIT:
        img.close()
        raise ParseError(_too_large(img.size))
    return img, _problems(caught), walk


@contextmanager
def _caught(record: bool = True) -> Iterator[list[warnings.WarningMessage]]:
    """``warnings.catch_warnings`` one thread at a time: it swaps process-wide state, and two
    threads inside it at once (thumbnails are made on a thread pool) can leave another thread's
    filters and recorder installed for good."""
    with _WARNINGS_LOCK, warnings.catch_warnings(record=record) as caught:
        yield caught if caught is not None else []


def _load_pixels(img: Image.Image, path: Path, *, record: bool = True) -> list[str]:
    """Decode the pixels so truncated or corrupt image data is caught now; return warnings
    (``record=False``: none, and no lock is taken, so threads decode side by side)."""
    name = _FORMAT_NAMES[_FORMATS[img.format or ""]]
    try:
        if not record:
            img.load()
            return []
        with _caught() as caught:
            warnings.simplefilter("always")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ParseError(_too_large(img.size)) from None
    except Exception as err:  # noqa: BLE001 - decoders raise OSError, ValueError, IndexError, ...
        if isinstance(err, EOFError | struct.error) or "truncated" in str(err).lower():
            raise ParseError(f"truncated {name}: image data ends early") from None
        raise ParseError(f"corrupt {name}: {_one_line(err, path)}") from None
    return _problems(caught)


def _size_text(size: int) -> str:
    """``8.0 MB``-style size (binary units, as the scanner writes them)."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f} {unit}"


class _PngWalk(NamedTuple):
    whole: bool  # every chunk lies inside the file and IEND was reached
    late: bool  # a text or eXIf chunk comes after the image data (Pillow reads it only on decode)


def _check_png_chunks(path: Path, file_size: int) -> _PngWalk | None:
    """Walk a PNG's chunk table (8-byte headers, seeking over the data) before Pillow reads it:
    too many chunks, too many text chunks or too much text is a :class:`ParseError`, so a
    hostile file never makes Pillow hold 64 MB of text or parse 10^5 chunks. Returns what the
    walk saw (None for a file that is not a PNG)."""
    try:
        with path.open("rb") as fp:
            if fp.read(8) != b"\x89PNG\r\n\x1a\n":
                return None
            chunks = text_chunks = text_bytes = 0
            seen_data = late = False
            while True:
                head = fp.read(8)
                if len(head) < 8:
                    return _PngWalk(False, late)  # a truncated file: Pillow says so in its own words
                length, kind = struct.unpack(">I4s", head)
                if fp.tell() + length > file_size:
                    return _PngWalk(False, late)  # a damaged length or a cut-off file: Pillow says which
                chunks += 1
                if chunks > PNG_MAX_CHUNKS:
                    raise ParseError(f"corrupt PNG: more than {PNG_MAX_CHUNKS:,} chunks")
                if kind in (b"IDAT", b"fdAT"):
                    seen_data = True
                elif kind == b"eXIf" and seen_data:
                    late = True
                if kind in (b"tEXt", b"zTXt", b"iTXt"):
                    late = late or seen_data
                    text_chunks += 1
                    text_bytes += length
                    if length > PNG_TEXT_CHUNK_LIMIT:
                        raise ParseError(
                            f"PNG text chunk is {_size_text(length)}, over the {_size_text(PNG_TEXT_CHUNK_LIMIT)} limit"
                        )
                    if text_chunks > PNG_MAX_TEXT_CHUNKS:
                        raise ParseError(f"PNG has more than {PNG_MAX_TEXT_CHUNKS:,} text chunks")
                    if text_bytes > PNG_TEXT_TOTAL_LIMIT:
                        raise ParseError(
                            f"PNG text chunks hold more than {_size_text(PNG_TEXT_TOTAL_LIMIT)} in all"
                        )
                if kind == b"IEND":
                    return _PngWalk(seen_data, late)
                fp.seek(length + 4, 1)  # data and CRC
    except OSError:
        return None  # unreadable: _open_image reports it


def _whole_without_decoding(img: Image.Image, path: Path, walk: _PngWalk | None) -> bool:
    """Whether the file is complete and every text is readable from the header, so the pixels
    need not be decoded now: a PNG walked to IEND with no text/eXIf after the image data, a JPEG
    ending in its EOI marker, a WebP as long as its RIFF size. Anything else is decoded."""
    try:
        if img.format == "PNG":
            return (
                walk is not None and walk.whole and not walk.late and not getattr(img, "is_animated", False)
            )
        size = path.stat().st_size
        with path.open("rb") as fp:
            if img.format in ("JPEG", "MPO"):
                fp.seek(max(0, size - 32))
                return fp.read().rstrip(b"\0\r\n ").endswith(b"\xff\xd9")
            if img.format == "WEBP":
                head = fp.read(12)
                return len(head) == 12 and struct.unpack("<I", head[4:8])[0] + 8 <= size
    except OSError:
        return False
    return False


def _problems(caught: list[warnings.WarningMessage]) -> list[str]:
    """Pillow warnings as one-line ``Extracted.warnings`` entries."""
    lines = []
    for item in caught:
        text = " ".join(str(item.message).split())[:160]
        lines.append(
            _CORRUPT_EXIF
            if re.search(r"exif|tag|truncated file read", text, re.IGNORECASE)
            else f"Pillow warning: {text}"
        )
    return _unique(lines)


def _unique(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def _too_large(size: tuple[int, int] | None) -> str:
    limit = f"the {PIXEL_LIMIT:,} pixel limit"
    return (
        f"image too large: {size[0]}x{size[1]} pixels exceeds {limit}"
        if size
        else f"image too large: exceeds {limit}"
    )


def _header_size(path: Path) -> tuple[int, int] | None:
    """Width and height from the header alone, bypassing Pillow's bomb check (for the message)."""
    Image.init()
    try:
        with path.open("rb") as fp:
            head = fp.read(32)
        if _magic_name(head) == "WebP":  # Pillow's WebP plugin checks the size while opening
            return _webp_size(head)
        with _caught(record=False), path.open("rb") as fp:
            warnings.simplefilter("ignore")
            prefix = fp.read(16)
            for fmt in Image.ID:
                factory, accept = Image.OPEN[fmt]
                if accept is not None and not accept(prefix):
                    continue
                fp.seek(0)
                try:
                    return factory(fp, str(path)).size
                except Exception:  # noqa: BLE001 - any plugin failure just means "try the next one"
                    continue
    except OSError:
        return None
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    """Canvas size from the first chunk of a WebP file (VP8X, VP8L or VP8)."""
    kind = head[12:16]
    if kind == b"VP8X" and len(head) >= 30:
        return 1 + int.from_bytes(head[24:27], "little"), 1 + int.from_bytes(head[27:30], "little")
    if kind == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8 " and head[23:26] == b"\x9d\x01\x2a" and len(head) >= 30:
        return int.from_bytes(head[26:28], "little") & 0x3FFF, int.from_bytes(head[28:30], "little") & 0x3FFF
    return None


def _open_failure(path: Path, err: BaseException) -> str:
    head = _head(path)
    name = _magic_name(head)
    riff_size = struct.unpack("<I", head[4:8])[0] + 8 if name == "WebP" else 0
    if isinstance(err, EOFError) or "truncated" in str(err).lower() or riff_size > path.stat().st_size:
        return f"truncated {name or 'image'}: image data ends early"
    return f"corrupt {name or 'image'}: {_one_line(err, path)}"


def _magic_name(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return None


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as fp:
            return fp.read(16)
    except OSError:
        return b""


def _unidentified(path: Path) -> str:
    name = _magic_name(_head(path))
    if name == "PNG":
        return "corrupt PNG: the header chunks are damaged or cut short"
    if name:
        return f"corrupt {name}: the header is damaged or cut short"
    return "not an image (unrecognised format)"


def _one_line(err: BaseException, *paths: Path) -> str:
    text = str(err) or type(err).__name__
    for p in paths:
        text = text.replace(str(p), "").replace(repr(str(p)), "")
    return " ".join(text.split())[:200]


def _upright(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; with corrupt EXIF keep the pixels as stored."""
    with _caught(record=False):
        warnings.simplefilter("ignore")
        try:
            return ImageOps.exif_transpose(img)
        except Exception:  # noqa: BLE001 - broken EXIF is not worth losing the thumbnail
            return img


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


# ----------------------------------------------------------------------------- embedded metadata


def _png_texts(img: Image.Image) -> Any:
    """A PNG's text chunks: from the header pass when the pixels were not decoded (the chunk walk
    found none after the image data), else Pillow's ``text`` (which decodes to reach late chunks)."""
    stream = getattr(img, "png", None)
    if img.format == "PNG" and getattr(img, "_text", None) is None and stream is not None:
        return dict(getattr(stream, "im_text", {}) or {})
    return getattr(img, "text", None) or {}


def _embedded(img: Image.Image) -> _Embedded:
    fmt = _FORMATS[img.format or ""]
    texts: dict[str, str] = {}
    problems: list[str] = []
    try:
        chunks = _png_texts(img)
    except Exception as err:  # noqa: BLE001 - text chunks after the image data that Pillow cannot read
        chunks = {}
        problems.append(f"PNG text chunks could not be read ({_one_line(err)})")
    for key, value in chunks.items() if isinstance(chunks, dict) else ():
        if isinstance(value, str):
            # tEXt/zTXt come back as Latin-1 str; iTXt (a str subclass) is real UTF-8
            texts[str(key)] = str(value) if type(value) is not str else sd.fix_mojibake(value)
    exif, exif_ifd, exif_problems = _read_exif(img)
    problems += exif_problems
    width, height = img.size
    try:  # Pillow reads some EXIF values lazily: a damaged IFD can still fail here
        if exif.get(ExifTags.Base.Orientation) in (5, 6, 7, 8):
            width, height = height, width
        exif_texts = _exif_texts(img, exif, exif_ifd)
        created = _created(exif, exif_ifd, texts)
    except Exception:  # noqa: BLE001 - broken EXIF must not hide the image or its PNG texts
        exif_texts, created = {}, _created(Image.Exif(), {}, texts)
        problems.append(_CORRUPT_EXIF)
    return _Embedded(fmt, width, height, texts, exif_texts, created, _unique(problems))


def _read_exif(img: Image.Image) -> tuple[Image.Exif, dict[int, Any], list[str]]:
    """IFD0 and the Exif sub-IFD; Pillow's corrupt-EXIF warnings become one ``Extracted`` warning."""
    if img.format == "PNG" and not {"exif", "Raw profile type exif"} & img.info.keys():
        return Image.Exif(), {}, []  # no EXIF (PngImageFile.getexif would decode the pixels to make sure)
    with _caught() as caught:
        warnings.simplefilter("always")
        try:
            exif = img.getexif()
            exif_ifd = dict(exif.get_ifd(ExifTags.IFD.Exif))
        except Exception:  # noqa: BLE001 - broken EXIF must not hide the image
            return Image.Exif(), {}, [_CORRUPT_EXIF]
    return exif, exif_ifd, _problems(caught)


def _exif_texts(img: Image.Image, exif: Image.Exif, sub: dict[int, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    comment = sub.get(_TAG_USER_COMMENT) or exif.get(_TAG_USER_COMMENT)
    if isinstance(comment, bytes | str) and (text := sd.decode_user_comment(comment, exif.endian or ">")):
        out["UserComment"] = text
    for tag, value in exif.items():  # ComfyUI WebP: 0x0110 "prompt:{...}", 0x010F "workflow:{...}"
        if isinstance(value, str) and (match := _EXIF_KEY_JSON.match(value.strip("\0 "))):
            out.setdefault(match.group(1), match.group(2))
        elif tag == ExifTags.Base.ImageDescription and isinstance(value, str) and value.strip("\0 "):
            out["ImageDescription"] = value.strip("\0 ")
    jpeg_comment = img.info.get("comment")
    if isinstance(jpeg_comment, bytes) and jpeg_comment.strip(b"\0 "):
        out["comment"] = sd.decode_bytes(jpeg_comment).strip("\0 ")
    return out


def _created(exif: Image.Exif, sub: dict[int, Any], texts: dict[str, str]) -> tuple[str, str] | None:
    for value, where in (
        (sub.get(ExifTags.Base.DateTimeOriginal), "EXIF DateTimeOriginal"),
        (exif.get(ExifTags.Base.DateTime), "EXIF DateTime"),
        (texts.get("Creation Time"), "PNG Creation Time chunk"),
        (texts.get("date:create"), "PNG date:create chunk"),
    ):
        if isinstance(value, str) and value.strip("\0 ") and len(value) <= 64:
            text = value.strip("\0 ")
            match = re.match(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}:\d{2}:\d{2})", text)
            return (f"{match[1]}-{match[2]}-{match[3]}T{match[4]}" if match else text), where
    return None


def _embedded_sources(found: _Embedded, relpath: str, warns: list[str]) -> list[_Source]:
    """Parsed settings from every embedded source, most trusted first."""
    texts, exif = found.texts, found.exif_texts
    where = {key: f"{relpath} (PNG {key} chunk)" for key in texts}
    label = {key: f"PNG {key} chunk" for key in texts}
    sources: list[_Source] = []
    if "parameters" in texts:
        params = _guarded(
            label["parameters"], warns, _parse_text, texts["parameters"], label["parameters"], warns
        )
        sources.append(_Source("a1111", where["parameters"], params))
    if (meta := _json_object(texts, "invokeai_metadata", label, warns)) is not None:
        params = _guarded(label["invokeai_metadata"], warns, sd.parse_invokeai, meta)
        sources.append(_Source("invokeai", where["invokeai_metadata"], params))
    if (meta := _json_object(texts, "sd-metadata", label, warns)) is not None:
        params = _guarded(label["sd-metadata"], warns, sd.parse_invokeai_legacy, meta)
        sources.append(_Source("invokeai", where["sd-metadata"], params))
    if "Dream" in texts:  # InvokeAI's oldest: '"prompt" -s 50 -S 1234 -W 512 -H 512 -C 7.5 -A k_lms'
        params = _guarded(label["Dream"], warns, sd.parse_dream, texts["Dream"])
        sources.append(_Source("invokeai", where["Dream"], params))
    if texts.get("Software", "").startswith("NovelAI"):
        comment = _json_object(texts, "Comment", label, warns)
        name = "Comment" if comment else "Description"
        params = _guarded(f"PNG {name} chunk", warns, sd.parse_novelai, texts, comment)
        sources.append(_Source("novelai", f"{relpath} (PNG {name} chunk)", params))
    sources += _guarded("ComfyUI graph", warns, _comfy_sources, texts, "PNG {} chunk", relpath, warns) or []
    for key, text in (("UserComment", "EXIF UserComment"), ("comment", "JPEG comment")):
        if key in exif:
            params = _guarded(text, warns, _parse_text, exif[key], text, warns)
            gen = "comfyui" if params.pop("_comfy", False) else "a1111"
            sources.append(_Source(gen, f"{relpath} ({text})", params))
    sources += (
        _guarded("ComfyUI graph", warns, _comfy_sources, exif, "EXIF {} tag", relpath, warns) or []
    )  # WebP
    return [s for s in sources if s.params]


def _guarded(label: str, warns: list[str], parse: Any, *args: Any) -> Any:
    """``parse(*args)``; an unexpected failure drops this one source with a one-line warning."""
    try:
        return parse(*args)
    except Exception as err:  # noqa: BLE001 - one unreadable source must not lose the others
        warns.append(f"{label} could not be read ({one_line(err)}); ignored")
        return {}


def _bounded(key: str, value: Any, warns: list[str]) -> Any:
    """Long texts from a file are cut: prompts at RAW_TEXT_LIMIT, other settings at SETTING_TEXT_LIMIT."""
    if not isinstance(value, str):
        return value
    limit = RAW_TEXT_LIMIT if key in ("prompt", "negative_prompt") else SETTING_TEXT_LIMIT
    if len(value) <= limit:
        return value
    line = f"{key} is {len(value):,} characters; kept the first {limit:,}"
    if line not in warns:
        warns.append(line)
    return value[:limit]


def _comfy_sources(texts: dict[str, str], pattern: str, relpath: str, warns: list[str]) -> list[_Source]:
    """ComfyUI ``prompt`` (API graph) or, failing that, ``workflow`` (UI graph)."""
    label = {key: pattern.format(key) for key in ("prompt", "workflow")}
    graph = _json(texts, "prompt", label, warns)
    if sd.looks_like_comfy_graph(graph):
        return [_Source("comfyui", f"{relpath} ({label['prompt']})", sd.parse_comfyui(graph, warns))]
    workflow = _json(texts, "workflow", label, warns)
    if isinstance(workflow, dict) and isinstance(workflow.get("nodes"), list) and workflow["nodes"]:
        params = sd.parse_comfyui(sd.workflow_to_api(workflow, warns), warns)
        return [_Source("comfyui", f"{relpath} ({label['workflow']})", params)]
    if isinstance(workflow, dict) and workflow.get("nodes"):
        warns.append(f'{label["workflow"]}: "nodes" is not a list; ignored')
    return []


def _parse_text(text: str, label: str, warns: list[str]) -> dict[str, Any]:
    """Infotext, or JSON (ComfyUI graph wrapper, SwarmUI/Fooocus-style settings)."""
    if not text.lstrip().startswith("{"):
        return sd.parse_a1111(text)
    data = _json({"text": text}, "text", {"text": label}, warns)
    if not isinstance(data, dict):
        return {}
    graph = data.get("prompt")
    if isinstance(graph, str) and graph.lstrip().startswith("{"):  # SaveImage-Plus: JSON in a string
        graph = _json({"prompt": graph}, "prompt", {"prompt": f"{label} prompt"}, warns)
    if isinstance(graph, dict) and sd.looks_like_comfy_graph(graph):
        return {**sd.parse_comfyui(graph, warns), "_comfy": True}
    return sd.parse_generic_json(data)


def _json(texts: dict[str, str], key: str, labels: dict[str, str], warns: list[str]) -> Any:
    """``json.loads(texts[key])``, or None with a one-line warning when it is not valid JSON."""
    if key not in texts:
        return None
    text = texts[key]
    if len(text) > JSON_TEXT_LIMIT:
        warns.append(
            f"{labels.get(key, key)} is {len(text):,} characters of JSON, over the {JSON_TEXT_LIMIT:,} limit; ignored"
        )
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:  # also a 5,000-digit number (a ValueError)
        if isinstance(err, json.JSONDecodeError):
            reason = err.msg
        elif isinstance(err, RecursionError):
            reason = "too deeply nested"
        elif "integer string conversion" in str(err):
            reason = "a number has too many digits"
        else:
            reason = _one_line(err)[:80]
        warns.append(f"{labels.get(key, key)} is not valid JSON ({reason}); ignored")
        return None


def _json_object(texts: dict[str, str], key: str, labels: dict[str, str], warns: list[str]) -> Any:
    """Like :func:`_json`, but only a JSON object counts (anything else is a warning)."""
    data = _json(texts, key, labels, warns)
    if data is not None and not isinstance(data, dict):
        warns.append(f"{labels.get(key, key)} is JSON but not an object; ignored")
        return None
    return data


def _sidecar_sources(path: Path, relpath: str, warns: list[str]) -> list[_Source]:
    """Settings from ``<stem>.json``, ``<name>.json`` or ``<stem>.txt`` next to the image."""
    folder = posixpath.dirname(relpath)
    for sidecar in (path.with_suffix(".json"), path.with_name(path.name + ".json"), path.with_suffix(".txt")):
        try:
            if not present(sidecar) or sidecar.stat().st_size > SIDECAR_MAX_BYTES:
                continue
            with sidecar.open("rb") as fp:
                data = fp.read(SIDECAR_MAX_BYTES + 1)  # the file may have grown since stat()
            if len(data) > SIDECAR_MAX_BYTES:
                continue
            text = sd.decode_bytes(data)
        except (OSError, ValueError):
            continue
        where = f"{posixpath.join(folder, sidecar.name)} (sidecar)"
        label = f"sidecar {one_line(sidecar.name, limit=120)}"  # a hostile name may hold a newline
        if sidecar.suffix == ".txt":
            params = _guarded(label, warns, sd.parse_a1111, text)
            if not {"num_inference_steps", "seed", "sampler"} & params.keys():
                continue  # a note that merely shares the name, not infotext
        else:
            params = _guarded(label, warns, _parse_text, text, label, warns) if text.strip() else {}
            params.pop("_comfy", None)
        if params:
            return [_Source("sidecar", where, params)]
    return []


def _generator(sources: list[_Source]) -> str:
    if not sources:
        return "none"
    if any(s.generator == "comfyui" for s in sources):
        return "comfyui"  # image-saver nodes write A1111 text as well as the graph
    return sources[0].generator


# ----------------------------------------------------------------------------- text chunk


def _chunk_text(ex: Extracted, relpath: str, generation_size: str | None) -> str:
    """Prompt, negative prompt and a compact settings line, for text embedding."""
    width, height = ex.get("resolution.width"), ex.get("resolution.height")
    size = f"{width}x{height}"
    if generation_size and generation_size != size:
        size += f" (generated at {generation_size})"
    settings = [
        f"{label}: {value}"
        for label, value in (
            ("Steps", ex.get("num_inference_steps")),
            ("Sampler", ex.get("sampler")),
            ("CFG", ex.get("guidance_scale")),
            ("Seed", ex.get("seed")),
            ("Size", size),
            ("Model", ex.get("model_checkpoint")),
        )
        if value is not None
    ]
    lines = []
    if ex.get("prompt"):
        lines.append(_clip(ex.get("prompt"), 1500))
    else:
        lines.append(
            f"Image {posixpath.basename(relpath)} ({_FORMAT_NAMES[ex.get('format')]}, no prompt recorded)"
        )
    if ex.get("negative_prompt"):
        lines.append("Negative: " + _clip(ex.get("negative_prompt"), 500))
    lines.append(", ".join(settings))
    return "\n".join(lines)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
