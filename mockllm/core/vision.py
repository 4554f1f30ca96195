"""Image and audio content parts: validation, measurement and token cost, without fetching anything.

A mock must answer image requests the way OpenAI does — the same 400s for a broken data URL, the same
``prompt_tokens`` for a 1024×1024 picture — yet it must never touch the network. So:

* ``data:`` URLs are decoded in memory and checked like OpenAI checks them (format, size, animation),
  and measured (dimensions, sha256, a dominant colour the reply generator can talk about);
* ``http(s)`` URLs are accepted on trust and billed as a documented default size
  (:data:`DEFAULT_URL_IMAGE_SIZE`), because fetching them would make the mock slow and non-deterministic;
* ``input_audio`` parts are decoded and their duration read from the WAV header or the MP3 frame headers,
  which is all billing needs.

Everything here is a pure function of its arguments (no aiohttp, no I/O): the data-URL path sits on the
request hot path, so decoding is bounded — Pillow reads image headers lazily, the dominant colour comes
from a reduced draft, and the MP3 frame walk is capped and extrapolated.
"""

from __future__ import annotations

import binascii
import colorsys
import hashlib
import io
import math
import struct
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, cast
from urllib.parse import urlsplit

from .catalog import VisionPolicy
from .conversation import AudioInfo, ImageInfo
from .errors import ApiError
from .fetch import FetchFailure

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "AUDIO_TOKENS_PER_SECOND",
    "DEFAULT_URL_IMAGE_SIZE",
    "MAX_IMAGE_BYTES",
    "audio_tokens",
    "check_image_limits",
    "color_name",
    "describe_image",
    "image_tokens",
    "inspect_audio_part",
    "inspect_image_part",
]

#: Size assumed for an http(s) image we do not fetch: a common photo size that bills as "high" (765 tokens
#: on gpt-4o with detail auto/high, 85 with low), so URL images cost something realistic.
DEFAULT_URL_IMAGE_SIZE: Final[tuple[int, int]] = (1024, 1024)

#: OpenAI's per-image limit ("up to 20 MB per image", PROTOCOL.md §7), applied to the decoded bytes.
MAX_IMAGE_BYTES: Final[int] = 20 * 1024 * 1024

#: Audio input is billed at roughly 10 tokens per second of audio on OpenAI's audio models (OpenAI's
#: pricing pages quote $/minute figures that work out to ~600 tokens/minute); close enough for a mock.
AUDIO_TOKENS_PER_SECOND: Final[int] = 10

_MB: Final[int] = 1024 * 1024
_DETAILS: Final[tuple[str, ...]] = ("auto", "low", "high")
_SUPPORTED_FORMATS: Final[tuple[str, ...]] = ("png", "jpeg", "gif", "webp")
_PIL_FORMATS: Final[dict[str, str]] = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP"}
_UNSUPPORTED_IMAGE: Final[str] = (
    # OpenAI's text, typo included ("has of one") so clients matching on it keep working.
    "You uploaded an unsupported image. Please make sure your image has of one the following formats: "
    "['png', 'jpeg', 'gif', 'webp']."
)
_BAD_IMAGE_URL: Final[str] = (
    "Invalid image URL: the URL must be an http(s) URL or a base64 data URL (data:image/<format>;base64,...)."
)
#: Decoding budget for the dominant colour, in pixels after the JPEG draft reduction (JPEGs decode at 1/8
#: scale, so a 16k×16k JPEG fits). Larger PNG/GIF/WebP images are still accepted and measured, they just get
#: ``dominant_color=None`` and their pixel data is not checked: PNG decoding costs ~12 ms per megapixel
#: (measured), so 2048² is ~50 ms while 4096² would hold the event loop for ~200 ms.
_COLOR_PIXEL_BUDGET: Final[int] = 2048 * 2048
_COLOR_GRID: Final[int] = 16

_AUDIO_FORMATS: Final[tuple[str, ...]] = ("wav", "mp3")
#: MP3 frames walked one by one before the rest of the stream is extrapolated from the average frame.
_MP3_MAX_WALK_FRAMES: Final[int] = 20_000
#: How far past the ID3 tag we look for the first frame sync (encoders pad; garbage beyond this is not MP3).
_MP3_SYNC_SEARCH: Final[int] = 64 * 1024
_WAV_MAX_CHUNKS: Final[int] = 1_000


# ----- images ---------------------------------------------------------------------------------------


def inspect_image_part(
    part: Mapping[str, Any], param: str, fetched: Mapping[str, bytes | FetchFailure] | None = None
) -> ImageInfo:
    """Validate one ``{"type": "image_url", "image_url": {...}}`` part and measure the image.

    ``param`` is the part's path (``messages[0].content[1]``); every error names the exact sub-path, as
    OpenAI does, so a client can tell which image of which message was wrong. http(s) URLs are not
    fetched here: they get :data:`DEFAULT_URL_IMAGE_SIZE` and no pixels, unless the HTTP layer fetched
    them (``--fetch-images``, see ``fetch.py``) and passes their bytes or failures in ``fetched``. Data
    URLs are checked in the order OpenAI's own failures suggest: URL shape, declared format, size (before
    decoding, so a 30 MB payload costs nothing), base64, magic bytes, declared vs real format, readable
    header, animation.
    """
    image_url_param = f"{param}.image_url"
    if "image_url" not in part:
        raise ApiError.missing(image_url_param)
    image_url = part["image_url"]
    if not isinstance(image_url, Mapping):
        raise ApiError.invalid_type(image_url_param, "an object", image_url)

    url_param = f"{image_url_param}.url"
    if "url" not in image_url:
        raise ApiError.missing(url_param)
    url = image_url["url"]
    if not isinstance(url, str):
        raise ApiError.invalid_type(url_param, "a string", url)

    detail_param = f"{image_url_param}.detail"
    detail = image_url.get("detail")
    if detail is None:
        detail = "auto"  # the documented default; an explicit null means "not set"
    elif not isinstance(detail, str):
        raise ApiError.invalid_type(detail_param, "a string", detail)
    elif detail not in _DETAILS:
        raise ApiError.invalid_value(detail_param, detail, _DETAILS)
    detail_lit = cast(Literal["auto", "low", "high"], detail)

    if url[:5].lower() == "data:":
        return _inspect_data_url(url, detail_lit, url_param)
    if _url_host(url) is None:
        raise ApiError.invalid_request(_BAD_IMAGE_URL, param=url_param, code="invalid_image_url")
    got = fetched.get(url) if fetched else None
    if isinstance(got, FetchFailure):
        raise _image_error(got.message, url_param, got.code)
    if got is not None:  # fetched (--fetch-images): the same checks as a data URL's bytes
        return _inspect_bytes(got, None, url, detail_lit, url_param, "url")
    width, height = DEFAULT_URL_IMAGE_SIZE
    return ImageInfo(
        source="url",
        url=url,
        detail=detail_lit,
        format=None,
        width=width,
        height=height,
        byte_size=0,
        sha256=None,
        dominant_color=None,
    )


def _url_host(url: str) -> str | None:
    """The host of an http(s) URL, or None when ``url`` is not an http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return host


def _image_error(message: str, param: str, code: str) -> ApiError:
    return ApiError.invalid_request(message, param=param, code=code)


def _inspect_data_url(url: str, detail: Literal["auto", "low", "high"], param: str) -> ImageInfo:
    comma = url.find(",", 0, 256)  # media type + parameters are short; never scan a 27 MB payload for it
    header = url[5:comma].lower() if comma > 0 else ""
    mime, _, params = header.partition(";")
    if comma < 0 or not mime.startswith("image/") or params.rsplit(";", 1)[-1] != "base64":
        raise _image_error(
            "Invalid image URL: a data URL must look like data:image/<format>;base64,<base64 data>.",
            param,
            "invalid_image_url",
        )
    declared = mime[6:]
    declared = "jpeg" if declared == "jpg" else declared
    if declared not in _SUPPORTED_FORMATS:
        raise _image_error(_UNSUPPORTED_IMAGE, param, "invalid_image_format")

    payload_len = len(url) - comma - 1
    estimated = payload_len // 4 * 3 - (url.endswith("==") + url.endswith("="))
    if estimated > MAX_IMAGE_BYTES:
        raise _too_large(estimated, param)
    try:
        data = binascii.a2b_base64(url[comma + 1 :], strict_mode=True)
    except (binascii.Error, ValueError):  # ValueError: non-ASCII characters in the payload
        raise _image_error(_UNSUPPORTED_IMAGE, param, "invalid_image_format") from None
    return _inspect_bytes(data, declared, url, detail, param, "data")


def _inspect_bytes(
    data: bytes,
    declared: str | None,
    url: str,
    detail: Literal["auto", "low", "high"],
    param: str,
    source: Literal["data", "url"],
) -> ImageInfo:
    """Size, real format (and the declared one, for data URLs), header and animation of image bytes."""
    if len(data) > MAX_IMAGE_BYTES:  # defensive for data URLs: the estimate is exact for strict base64
        raise _too_large(len(data), param)

    actual = _sniff_image(data)
    if actual is None:
        raise _image_error(_UNSUPPORTED_IMAGE, param, "invalid_image_format")
    if declared is not None and actual != declared:
        raise _image_error(
            f"Invalid image: the data URL says image/{declared} but the bytes are a {actual} image.",
            param,
            "invalid_image_format",
        )

    width, height, color = _read_image(data, actual, param)
    return ImageInfo(
        source=source,
        url=url,
        detail=detail,
        format=actual,
        width=width,
        height=height,
        byte_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        dominant_color=color,
    )


def _too_large(size: int, param: str) -> ApiError:
    return _image_error(
        f"Image size exceeds the limit: {_format_mb(size, MAX_IMAGE_BYTES)} MB > {_format_mb(MAX_IMAGE_BYTES)} MB.",
        param,
        "image_too_large",
    )


def _format_mb(size: int, limit: int | None = None) -> str:
    """Megabytes (MiB) for a message: one decimal, more when one decimal would hide that ``size > limit``."""
    mb = size / _MB
    if limit is None and mb.is_integer():
        return str(int(mb))
    text = f"{mb:.1f}"
    if limit is not None and float(text) <= limit / _MB:
        text = f"{mb:.6f}".rstrip("0")
    return text


def _sniff_image(data: bytes) -> str | None:
    """The real format from the magic bytes: the declared MIME type is only a claim."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    return None


def _read_image(data: bytes, fmt: str, param: str) -> tuple[int, int, str | None]:
    """Dimensions from the header, refusal of animated GIFs, and a cheap dominant colour."""
    from PIL import Image  # here, not at import: Pillow costs cold start and most requests have no image

    invalid = _image_error("Invalid image.", param, "invalid_image")
    try:
        img = Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[fmt]])
        width, height = img.size
    except Image.DecompressionBombError:
        raise _image_error(
            "Invalid image: the image has too many pixels to be processed.", param, "invalid_image"
        ) from None
    except Exception:  # untrusted bytes: Pillow's plugins raise many exception types on corrupt headers
        raise invalid from None
    if width <= 0 or height <= 0:
        raise invalid
    if fmt == "gif":
        try:
            animated = bool(getattr(img, "is_animated", False))
        except Exception:
            raise invalid from None
        if animated:
            raise _image_error(
                "Invalid image: animated GIFs are not supported. Please upload a non-animated GIF "
                "(a single frame) or a png, jpeg or webp image.",
                param,
                "invalid_image_format",
            )
    return width, height, _dominant_color(img, fmt, invalid)


def _dominant_color(img: Image.Image, fmt: str, invalid: ApiError) -> str | None:
    """The most common colour of a 16×16 reduction, as ``#rrggbb``; None when over the decoding budget.

    Decoding the pixels also catches truncated images whose header was fine (raised as ``invalid``).
    Pixels are grouped in 64 coarse buckets (4 levels per channel) and the average of the largest bucket
    is returned, so a photo of a blue sky says "blue" rather than the muddy average of the whole frame.
    Ties go to the smallest bucket, which keeps the answer deterministic.
    """
    if fmt == "jpeg":
        img.draft("RGB", (_COLOR_GRID * 4, _COLOR_GRID * 4))  # DCT scaling: decode at 1/2..1/8 size
    width, height = img.size
    if width * height > _COLOR_PIXEL_BUDGET:
        return None
    try:
        img.load()
    except Exception:  # truncated or corrupt pixel data
        raise invalid from None
    try:
        if img.mode not in ("RGB", "RGBA"):
            img = img.convert("RGBA")
        from PIL import Image

        small = img.resize((min(_COLOR_GRID, width), min(_COLOR_GRID, height)), Image.Resampling.BOX, reducing_gap=2.0)
        raw = small.tobytes()
    except Exception:  # exotic modes (I;16B, ...) Pillow cannot convert: no colour, image still valid
        return None
    step = 4 if small.mode == "RGBA" else 3
    pixels = [raw[i : i + 3] for i in range(0, len(raw), step) if step == 3 or raw[i + 3] >= 128]
    if not pixels:  # fully transparent: fall back to the colour channels of every pixel
        pixels = [raw[i : i + 3] for i in range(0, len(raw), step)]
    buckets: dict[int, list[int]] = {}
    for r, g, b in pixels:
        acc = buckets.setdefault((r >> 6) << 4 | (g >> 6) << 2 | (b >> 6), [0, 0, 0, 0])
        acc[0] += 1
        acc[1] += r
        acc[2] += g
        acc[3] += b
    _, best = max(buckets.items(), key=lambda kv: (kv[1][0], -kv[0]))
    n = best[0]
    return "#{:02x}{:02x}{:02x}".format(*(round(best[i] / n) for i in (1, 2, 3)))


def color_name(hex_color: str) -> str:
    """Name ``#rrggbb`` with one of twelve basic English colour words.

    Works in HSV rather than by nearest RGB neighbour: "which basic colour is this" is about hue for
    saturated colours and about lightness for greys, and a nearest-neighbour match on twelve points
    gives odd answers (dark blue as "black", salmon as "gray").
    """
    r, g, b = (int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    hue = h * 360
    if v < 0.18:
        return "black"
    if s < 0.18:
        if v > 0.85:
            return "white"
        return "gray" if v > 0.25 else "black"
    if hue < 15 or hue >= 345:
        return "pink" if s < 0.5 and v > 0.8 else "red"
    if hue < 45:
        return "brown" if v < 0.6 else "orange"
    if hue < 70:
        return "brown" if v < 0.5 else "yellow"
    if hue < 165:
        return "green"
    if hue < 200:
        return "cyan"
    if hue < 260:
        return "blue"
    if hue < 290:
        return "purple"
    return "purple" if v < 0.6 else "pink"


def describe_image(info: ImageInfo) -> str:
    """A short deterministic phrase for the reply generator ("a 512×512 PNG image, mostly #ff0000 (red)").

    Unfetched URL images are described by their host only: we know nothing else about them and must not
    pretend to.
    """
    if info.source == "url":
        host = _url_host(info.url)
        return f"an image at {host} (not fetched)" if host else "an image at a URL (not fetched)"
    size = f"{info.width}×{info.height}"
    kind = f"{info.format.upper()} image" if info.format else "image"
    text = f"{_article(info.width)} {size} {kind}"
    if info.dominant_color:
        text += f", mostly {info.dominant_color} ({color_name(info.dominant_color)})"
    return text


def _article(number: int) -> str:
    """'an' before numbers read with a leading vowel sound (8, 11, 18, 80, 800, 11000, ...), else 'a'."""
    digits = str(number)
    lead = digits[: len(digits) % 3 or 3]  # the group read first: "eleven thousand", "eighteen thousand"
    if digits.startswith("8") or lead in ("11", "18"):
        return "an"
    return "a"


# ----- image tokens ---------------------------------------------------------------------------------


def image_tokens(info: ImageInfo, policy: VisionPolicy) -> int:
    """Prompt tokens charged for one image (PROTOCOL.md §7).

    ``tile`` models (gpt-4o, gpt-4.1, gpt-5, o1/o3 ...): ``low`` costs ``policy.base``; ``high`` fits the
    image within 2048×2048, then scales it so the shortest side is 768 px (both downscale only, integer
    pixels rounded down as LangChain's counter does), and costs ``base + tile × ceil(w/512)·ceil(h/512)``.
    ``auto`` lets OpenAI choose by size; we choose ``low`` when both sides are ≤ 512 px (the low-res
    size, where high detail would add nothing) and ``high`` otherwise.

    ``patch`` models (gpt-4.1-mini/nano, o4-mini, gpt-5-mini/nano) ignore ``detail``: see
    :func:`_patch_count`. Tokens are ``ceil(patches × multiplier)`` — rounding up, as billing does for
    fractional units — with the product rounded to 6 decimals first so ``1000 × 1.2`` is 1200, not 1201.
    """
    width, height = max(1, info.width), max(1, info.height)
    if policy.kind == "area":
        scale = min(1.0, 1568 / max(width, height))
        width, height = max(1, int(width * scale)), max(1, int(height * scale))
        return min(-(-width * height // 750), policy.patch_cap)
    if policy.kind == "patch":
        patches = _patch_count(width, height, policy.patch_cap)
        return math.ceil(round(patches * policy.multiplier, 6))
    detail = info.detail
    if detail == "auto":
        detail = "low" if width <= 512 and height <= 512 else "high"
    if detail == "low":
        return policy.base
    width, height = _fit_tiles(width, height)
    tiles = -(-width // 512) * -(-height // 512)
    return policy.base + policy.tile * tiles


def _fit_tiles(width: int, height: int) -> tuple[int, int]:
    """High-detail resize of the tile models: within 2048×2048, then shortest side 768 (downscale only)."""
    if width > 2048 or height > 2048:
        if width >= height:
            width, height = 2048, max(1, height * 2048 // width)
        else:
            width, height = max(1, width * 2048 // height), 2048
    if width > 768 and height > 768:
        if width >= height:
            width, height = width * 768 // height, 768
        else:
            width, height = 768, height * 768 // width
    return width, height


def _patch_count(width: int, height: int, cap: int) -> int:
    """32×32 patches covering the image, following OpenAI's documented algorithm for patch models.

    raw = ceil(w/32)·ceil(h/32); when it exceeds ``cap``, the image is scaled by
    r = sqrt(32²·cap/(w·h)), then shrunk a little more so its width is a whole number of patches, and
    the patches of that size are counted, capped at ``cap``. (OpenAI's example: 1800×2400 → r≈0.603 →
    33.94 patches wide → shrink to 33 → 33×44 = 1452.) The width in patches after both steps is
    ``floor(w·r/32) = floor(sqrt(cap·w/h)) = isqrt(cap·w // h)`` and the height ``ceil(that · h / w)``,
    so we compute it in exact integers and never hit a ``ceil(33.000000000000004)`` float artefact.
    """
    raw = -(-width // 32) * -(-height // 32)
    if raw <= cap:
        return raw
    columns = math.isqrt(cap * width // height)
    if columns == 0:  # thinner than one patch after scaling: the rows alone exceed the cap
        return cap
    rows = -(-columns * height // width)
    return min(columns * rows, cap)


def check_image_limits(
    images: Sequence[ImageInfo], max_images: int, max_total_bytes: int, param: str = "messages"
) -> None:
    """Refuse a request with too many images or too many image bytes (OpenAI: 500 images, 50 MB).

    Checked per request, after each part was validated on its own, because the limits are about the
    request as a whole. Only decoded data-URL bytes count: unfetched URLs weigh nothing here.
    """
    if len(images) > max_images:
        raise ApiError.invalid_request(
            f"Too many images in request. Max is {max_images}.", param=param, code="too_many_images"
        )
    total = sum(image.byte_size for image in images)
    if total > max_total_bytes:
        raise ApiError.invalid_request(
            f"Total image size in request exceeds the limit: {_format_mb(total, max_total_bytes)} MB > "
            f"{_format_mb(max_total_bytes)} MB.",
            param=param,
            code="image_bytes_exceeded",
        )


# ----- audio ----------------------------------------------------------------------------------------


def inspect_audio_part(part: Mapping[str, Any], param: str) -> AudioInfo:
    """Validate one ``{"type": "input_audio", "input_audio": {"data", "format"}}`` part and measure it.

    The duration is what audio billing depends on, so we read it from the container: the ``fmt `` and
    ``data`` chunks of a WAV, or the frame headers (or Xing/VBRI frame count) of an MP3. A payload whose
    bytes contradict its declared format is refused, as a real decoder would fail on it.
    """
    audio_param = f"{param}.input_audio"
    if "input_audio" not in part:
        raise ApiError.missing(audio_param)
    audio = part["input_audio"]
    if not isinstance(audio, Mapping):
        raise ApiError.invalid_type(audio_param, "an object", audio)
    data_param, format_param = f"{audio_param}.data", f"{audio_param}.format"
    if "data" not in audio:
        raise ApiError.missing(data_param)
    b64 = audio["data"]
    if not isinstance(b64, str):
        raise ApiError.invalid_type(data_param, "a string", b64)
    if "format" not in audio:
        raise ApiError.missing(format_param)
    fmt = audio["format"]
    if not isinstance(fmt, str):
        raise ApiError.invalid_type(format_param, "a string", fmt)
    if fmt not in _AUDIO_FORMATS:
        raise ApiError.invalid_value(format_param, fmt, _AUDIO_FORMATS)

    try:
        data = binascii.a2b_base64(b64, strict_mode=True)
    except (binascii.Error, ValueError):
        raise _audio_error("Invalid 'input_audio.data': the audio data is not valid base64.", data_param) from None
    if not data:
        raise _audio_error("Invalid 'input_audio.data': the audio data is empty.", data_param)

    if fmt == "wav":
        if not (data.startswith(b"RIFF") and data[8:12] == b"WAVE"):
            found = " (the data is an MP3 stream)" if _looks_like_mp3(data) else ""
            raise _audio_error(
                f"Invalid input audio: format is 'wav' but the data is not a WAV file{found}; "
                "expected a RIFF/WAVE header.",
                data_param,
            )
        duration = _wav_duration(data, data_param)
    else:
        if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
            raise _audio_error(
                "Invalid input audio: format is 'mp3' but the data is a WAV file; set format to 'wav'.",
                data_param,
            )
        duration = _mp3_duration(data)
        if duration is None:
            raise _audio_error(
                "Invalid input audio: format is 'mp3' but no MPEG audio frame was found in the data.",
                data_param,
            )
    return AudioInfo(
        format=cast(Literal["wav", "mp3"], fmt),
        duration_s=duration,
        byte_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def audio_tokens(info: AudioInfo) -> int:
    """Prompt tokens for one audio part: ``ceil(duration × AUDIO_TOKENS_PER_SECOND)``, at least 1.

    OpenAI bills audio input at about 10 tokens per second; even a silent blip costs a token.
    """
    return max(1, math.ceil(round(info.duration_s * AUDIO_TOKENS_PER_SECOND, 6)))


def _audio_error(message: str, param: str) -> ApiError:
    return ApiError.invalid_request(message, param=param, code="invalid_input_audio")


def _wav_duration(data: bytes, param: str) -> float:
    """Duration of a RIFF/WAVE file from its chunks (PCM, float, extensible and compressed formats).

    Parsed by hand rather than with ``wave`` because ``wave`` in 3.11 refuses float and extensible WAVs.
    Streaming writers leave the data size at 0 or 0xFFFFFFFF; the size is clamped to the bytes present.
    """
    pos, fmt_chunk, data_size = 12, None, None
    for _ in range(_WAV_MAX_CHUNKS):
        if pos + 8 > len(data):
            break
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body = pos + 8
        if chunk_id == b"fmt " and size >= 16 and body + 16 <= len(data):
            fmt_chunk = struct.unpack_from("<HHIIHH", data, body)
        elif chunk_id == b"data":
            data_size = min(size, len(data) - body) if size else len(data) - body
        if fmt_chunk is not None and data_size is not None:
            break
        pos = body + size + (size & 1)
    if fmt_chunk is None:
        raise _audio_error("Invalid input audio: the WAV file has no valid 'fmt ' chunk.", param)
    if data_size is None:
        raise _audio_error("Invalid input audio: the WAV file has no 'data' chunk.", param)
    audio_format, _channels, rate, byte_rate, block_align, _bits = fmt_chunk
    if audio_format in (1, 3, 0xFFFE) and rate and block_align:  # PCM, IEEE float, extensible
        return (data_size // block_align) / rate
    if byte_rate:
        return data_size / byte_rate
    raise _audio_error("Invalid input audio: the WAV header has a zero sample rate.", param)


# MPEG audio tables, kbit/s, indexed by the header's bitrate index (0 = free format, 15 = invalid).
_BITRATES: Final[dict[tuple[int, int], tuple[int, ...]]] = {
    # (MPEG version 1 or 2 (2 also for 2.5), layer)
    (1, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
# Sample rates by header version bits (0 = MPEG 2.5, 2 = MPEG 2, 3 = MPEG 1; 1 is reserved).
_SAMPLE_RATES: Final[dict[int, tuple[int, int, int]]] = {
    3: (44100, 48000, 32000),
    2: (22050, 24000, 16000),
    0: (11025, 12000, 8000),
}


def _mp3_frame(data: bytes, pos: int) -> tuple[int, int, int] | None:
    """Parse the 4-byte MPEG audio header at ``pos``: (frame length, samples, sample rate) or None."""
    if pos + 4 > len(data) or data[pos] != 0xFF or data[pos + 1] & 0xE0 != 0xE0:
        return None
    b1, b2 = data[pos + 1], data[pos + 2]
    version_bits, layer_bits = (b1 >> 3) & 3, (b1 >> 1) & 3
    bitrate_index, rate_index, padding = b2 >> 4, (b2 >> 2) & 3, (b2 >> 1) & 1
    if version_bits == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # reserved values, or free-format bitrate we cannot walk
    layer = 4 - layer_bits
    mpeg1 = version_bits == 3
    bitrate = _BITRATES[(1 if mpeg1 else 2, layer)][bitrate_index] * 1000
    rate = _SAMPLE_RATES[version_bits][rate_index]
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4, 384, rate
    if layer == 2 or mpeg1:
        return 144 * bitrate // rate + padding, 1152, rate
    return 72 * bitrate // rate + padding, 576, rate  # Layer III, MPEG 2 / 2.5


def _looks_like_mp3(data: bytes) -> bool:
    return data.startswith(b"ID3") or _mp3_frame(data, 0) is not None


def _skip_id3v2(data: bytes) -> int:
    """Offset just past any ID3v2 tags (their size is a 4×7-bit "syncsafe" integer; footer adds 10)."""
    pos = 0
    while data.startswith(b"ID3", pos) and pos + 10 <= len(data):
        size = 0
        for byte in data[pos + 6 : pos + 10]:
            size = (size << 7) | (byte & 0x7F)
        pos += 10 + size + (10 if data[pos + 5] & 0x10 else 0)
    return pos


def _mp3_duration(data: bytes) -> float | None:
    """Duration of an MP3 stream, or None when no valid frame is found.

    The first frame must be followed by another valid header (or end the data), which rules out a stray
    0xFFE in garbage. The Xing/Info or VBRI header, when present, gives the frame count directly (that is
    how encoders make VBR durations exact). Otherwise frames are walked up to a cap and the rest of the
    stream extrapolated from the average frame size, so a 20 MB file costs milliseconds.
    """
    start = _skip_id3v2(data)
    limit = min(len(data), start + _MP3_SYNC_SEARCH)
    pos, first = start, None
    while pos < limit:
        pos = data.find(b"\xff", pos, limit)
        if pos < 0:
            return None
        first = _mp3_frame(data, pos)
        if first is not None and (pos + first[0] >= len(data) or _mp3_frame(data, pos + first[0]) is not None):
            break
        first = None
        pos += 1
    if first is None:
        return None

    frames = _xing_frames(data, pos)
    if frames is not None:
        return frames * first[1] / first[2]

    duration, walked, frame_start = 0.0, 0, pos
    while walked < _MP3_MAX_WALK_FRAMES:
        frame = _mp3_frame(data, pos)
        if frame is None:
            break
        duration += frame[1] / frame[2]
        walked += 1
        pos += frame[0]
    if walked == _MP3_MAX_WALK_FRAMES and pos < len(data):
        duration += duration * (len(data) - pos) / (pos - frame_start)
    return duration


def _xing_frames(data: bytes, pos: int) -> int | None:
    """Frame count from a Xing/Info tag (after the side info) or a VBRI tag (32 bytes in) of the first frame."""
    b1, b3 = data[pos + 1], data[pos + 3]
    mpeg1, mono = (b1 >> 3) & 3 == 3, (b3 >> 6) == 3
    side_info = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    tag = pos + 4 + side_info
    if data[tag : tag + 4] in (b"Xing", b"Info") and len(data) >= tag + 12:
        (flags,) = struct.unpack_from(">I", data, tag + 4)
        if flags & 1:
            (frames,) = struct.unpack_from(">I", data, tag + 8)
            return frames or None
    vbri = pos + 36
    if data[vbri : vbri + 4] == b"VBRI" and len(data) >= vbri + 18:
        (frames,) = struct.unpack_from(">I", data, vbri + 14)
        return frames or None
    return None
