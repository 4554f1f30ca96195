"""Unit tests for mockllm.core.vision: image/audio part validation, measurement and token cost.

Every image and audio file is generated in the test (Pillow, ``wave``, hand-written MPEG frames);
nothing is fetched.
"""

from __future__ import annotations

import base64
import io
import math
import random
import struct
import wave
from typing import Any

import pytest
from PIL import Image

from mockllm.core import vision
from mockllm.core.catalog import TILE_4O, VisionPolicy
from mockllm.core.conversation import AudioInfo, ImageInfo
from mockllm.core.errors import ApiError
from mockllm.core.vision import (
    DEFAULT_URL_IMAGE_SIZE,
    MAX_IMAGE_BYTES,
    audio_tokens,
    check_image_limits,
    color_name,
    describe_image,
    image_tokens,
    inspect_audio_part,
    inspect_image_part,
)

P = "messages[0].content[1]"
URL_P = f"{P}.image_url.url"
UNSUPPORTED = (
    "You uploaded an unsupported image. Please make sure your image has of one the following formats: "
    "['png', 'jpeg', 'gif', 'webp']."
)
GPT5 = VisionPolicy("tile", 70, 140)


# ----- helpers --------------------------------------------------------------------------------------


def encode(img: Image.Image, fmt: str, **kw: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def solid(size: tuple[int, int], color: Any = (255, 0, 0), mode: str = "RGB") -> Image.Image:
    return Image.new(mode, size, color)


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def part(url: Any = None, detail: Any = None, **extra: Any) -> dict[str, Any]:
    image_url: dict[str, Any] = {} if url is None else {"url": url}
    if detail is not None:
        image_url["detail"] = detail
    image_url.update(extra)
    return {"type": "image_url", "image_url": image_url}


def err(excinfo: pytest.ExceptionInfo[ApiError]) -> tuple[int, str | None, str | None, str]:
    e = excinfo.value
    assert e.type == "invalid_request_error"
    return e.status, e.code, e.param, e.message


def info(w: int, h: int, detail: str = "auto") -> ImageInfo:
    return ImageInfo("data", "data:", detail, "png", w, h, 1, "0" * 64, None)  # type: ignore[arg-type]


def wav_bytes(seconds: float, rate: int = 16000, channels: int = 1, width: int = 2) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(b"\x00" * int(seconds * rate) * channels * width)
    return buf.getvalue()


def mp3_frame(mpeg1: bool = True, padding: int = 0) -> bytes:
    """One silent MPEG-1 Layer III 128 kbit/s 44.1 kHz frame (or MPEG-2 64 kbit/s 22.05 kHz)."""
    if mpeg1:  # sync + MPEG1 + Layer III + no CRC; bitrate index 9 (128k), 44100, padding; stereo
        header = bytes([0xFF, 0xFB, 0x90 | (padding << 1), 0x00])
        length = 144 * 128_000 // 44_100 + padding
    else:  # MPEG2 Layer III; bitrate index 8 (64k), 22050
        header = bytes([0xFF, 0xF3, 0x80 | (padding << 1), 0x00])
        length = 72 * 64_000 // 22_050 + padding
    return header + b"\x00" * (length - 4)


def id3v2(size: int) -> bytes:
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    return b"ID3\x04\x00\x00" + syncsafe + b"\x00" * size


def audio_part(data: Any, fmt: Any = "wav", raw: bool = False) -> dict[str, Any]:
    payload = data if raw else base64.b64encode(data).decode()
    return {"type": "input_audio", "input_audio": {"data": payload, "format": fmt}}


# ----- valid images ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mime", "size", "kw"),
    [
        ("PNG", "image/png", (1, 1), {}),
        ("PNG", "image/png", (512, 512), {}),
        ("JPEG", "image/jpeg", (1024, 1024), {}),
        ("JPEG", "image/jpg", (640, 480), {}),
        ("WEBP", "image/webp", (300, 200), {}),
        ("GIF", "image/gif", (120, 80), {}),
        ("JPEG", "image/JPEG", (2048, 4096), {"quality": 50}),
    ],
)
def test_data_url_images_are_measured(fmt: str, mime: str, size: tuple[int, int], kw: dict[str, Any]) -> None:
    raw = encode(solid(size, (30, 60, 200)), fmt, **kw)
    url = data_url(raw, mime)
    got = inspect_image_part(part(url), P)
    assert got.source == "data"
    assert got.url == url
    assert got.detail == "auto"
    assert got.format == fmt.lower()
    assert (got.width, got.height) == size
    assert got.byte_size == len(raw)
    assert got.sha256 is not None and len(got.sha256) == 64
    assert got.dominant_color is not None
    assert color_name(got.dominant_color) == "blue"


def test_solid_red_is_red_and_described() -> None:
    got = inspect_image_part(part(data_url(encode(solid((512, 512)), "PNG")), "high"), P)
    assert got.detail == "high"
    assert got.dominant_color == "#ff0000"
    assert describe_image(got) == "a 512×512 PNG image, mostly #ff0000 (red)"


def test_dominant_colour_is_the_largest_region_and_deterministic() -> None:
    img = solid((100, 100), (0, 200, 0))
    img.paste((255, 255, 255), (0, 0, 100, 30))  # 30 % white, 70 % green
    url = data_url(encode(img, "PNG"))
    first = inspect_image_part(part(url), P)
    assert color_name(first.dominant_color or "") == "green"
    assert inspect_image_part(part(url), P) == first


def test_transparent_pixels_do_not_count() -> None:
    img = solid((64, 64), (0, 0, 0, 0), "RGBA")
    img.paste((255, 255, 0, 255), (0, 0, 16, 16))
    got = inspect_image_part(part(data_url(encode(img, "PNG"))), P)
    assert color_name(got.dominant_color or "") == "yellow"


def test_palette_and_greyscale_images() -> None:
    grey = inspect_image_part(part(data_url(encode(solid((50, 40), 128, "L"), "PNG"))), P)
    assert color_name(grey.dominant_color or "") == "gray"
    pal = solid((50, 40), (0, 0, 0)).convert("P")
    got = inspect_image_part(part(data_url(encode(pal, "PNG"))), P)
    assert color_name(got.dominant_color or "") == "black"


def test_jpeg_dominant_colour_survives_compression() -> None:
    got = inspect_image_part(part(data_url(encode(solid((800, 600)), "JPEG"), "image/jpeg")), P)
    assert color_name(got.dominant_color or "") == "red"
    assert describe_image(got).startswith("an 800×600 JPEG image, mostly #")


def test_large_png_skips_colour_but_large_jpeg_does_not() -> None:
    png = inspect_image_part(part(data_url(encode(solid((2100, 2100)), "PNG"))), P)
    assert (png.width, png.height, png.dominant_color) == (2100, 2100, None)
    assert describe_image(png) == "a 2100×2100 PNG image"
    jpeg = inspect_image_part(part(data_url(encode(solid((4096, 4096)), "JPEG"), "image/jpeg")), P)
    assert color_name(jpeg.dominant_color or "") == "red"


def test_sha256_is_of_decoded_bytes() -> None:
    import hashlib

    raw = encode(solid((4, 4)), "PNG")
    assert inspect_image_part(part(data_url(raw)), P).sha256 == hashlib.sha256(raw).hexdigest()


def test_detail_null_means_auto() -> None:
    assert inspect_image_part({"image_url": {"url": "https://a.example/x.png", "detail": None}}, P).detail == "auto"


@pytest.mark.parametrize(
    "url", ["https://example.com/cat.png", "http://example.com:8080/a?b=c", "HTTPS://Example.com/"]
)
def test_http_urls_are_not_fetched(url: str) -> None:
    got = inspect_image_part(part(url, "low"), P)
    assert got == ImageInfo("url", url, "low", None, *DEFAULT_URL_IMAGE_SIZE, 0, None, None)
    assert describe_image(got) == "an image at example.com (not fetched)"
    assert DEFAULT_URL_IMAGE_SIZE == (1024, 1024)
    assert image_tokens(inspect_image_part(part(url), P), TILE_4O) == 765


# ----- image errors ---------------------------------------------------------------------------------


def test_missing_image_url() -> None:
    with pytest.raises(ApiError) as e:
        inspect_image_part({"type": "image_url"}, P)
    assert err(e) == (
        400,
        "missing_required_parameter",
        f"{P}.image_url",
        f"Missing required parameter: '{P}.image_url'.",
    )


def test_image_url_not_object() -> None:
    with pytest.raises(ApiError) as e:
        inspect_image_part({"type": "image_url", "image_url": "https://example.com/a.png"}, P)
    assert err(e) == (
        400,
        "invalid_type",
        f"{P}.image_url",
        f"Invalid type for '{P}.image_url': expected an object, but got a string instead.",
    )


def test_missing_url() -> None:
    with pytest.raises(ApiError) as e:
        inspect_image_part(part(detail="low"), P)
    assert err(e) == (400, "missing_required_parameter", URL_P, f"Missing required parameter: '{URL_P}'.")


def test_url_not_string() -> None:
    with pytest.raises(ApiError) as e:
        inspect_image_part(part(42), P)
    assert err(e) == (
        400,
        "invalid_type",
        URL_P,
        f"Invalid type for '{URL_P}': expected a string, but got an integer instead.",
    )


def test_bad_detail_value() -> None:
    with pytest.raises(ApiError) as e:
        inspect_image_part(part("https://example.com/a.png", "ultra"), P)
    assert err(e) == (
        400,
        "invalid_value",
        f"{P}.image_url.detail",
        "Invalid value: 'ultra'. Supported values are: 'auto', 'low', and 'high'.",
    )


def test_bad_detail_type() -> None:
    with pytest.raises(ApiError) as e:
        inspect_image_part(part("https://example.com/a.png", 3), P)
    assert err(e)[:3] == (400, "invalid_type", f"{P}.image_url.detail")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "example.com/a.png",
        "ftp://example.com/a.png",
        "https://",
        "http:///path",
        "file:///etc/passwd",
        "http://[::1/a.png",
    ],
)
def test_invalid_image_url(url: str) -> None:
    with pytest.raises(ApiError) as e:
        inspect_image_part(part(url), P)
    assert err(e) == (
        400,
        "invalid_image_url",
        URL_P,
        "Invalid image URL: the URL must be an http(s) URL or a base64 data URL (data:image/<format>;base64,...).",
    )


@pytest.mark.parametrize(
    "url", ["data:text/plain;base64,aGVsbG8=", "data:image/png,rawbytes", "data:image/png;base64", "data:,x"]
)
def test_malformed_data_url(url: str) -> None:
    with pytest.raises(ApiError) as e:
        inspect_image_part(part(url), P)
    assert err(e) == (
        400,
        "invalid_image_url",
        URL_P,
        "Invalid image URL: a data URL must look like data:image/<format>;base64,<base64 data>.",
    )


@pytest.mark.parametrize(
    "url",
    [
        data_url(encode(solid((8, 8)), "BMP"), "image/bmp"),  # unsupported declared format
        data_url(encode(solid((8, 8)), "BMP"), "image/png"),  # unknown magic bytes
        data_url(b"hello, world", "image/png"),  # not an image at all
        "data:image/png;base64,not*base64!",
        "data:image/png;base64,aGVsbG8",  # missing padding
        "data:image/png;base64,aGVs\nbG8=",  # whitespace is not allowed
        "data:image/png;base64,aGVsbG8=é",  # non-ASCII
        "data:image/png;base64,",
    ],
)
def test_unsupported_image(url: str) -> None:
    with pytest.raises(ApiError) as e:
        inspect_image_part(part(url), P)
    assert err(e) == (400, "invalid_image_format", URL_P, UNSUPPORTED)


def test_mime_contradicting_bytes() -> None:
    with pytest.raises(ApiError) as e:
        inspect_image_part(part(data_url(encode(solid((8, 8)), "JPEG"), "image/png")), P)
    assert err(e) == (
        400,
        "invalid_image_format",
        URL_P,
        "Invalid image: the data URL says image/png but the bytes are a jpeg image.",
    )
    with pytest.raises(ApiError) as e:
        inspect_image_part(part(data_url(encode(solid((8, 8)), "GIF"), "image/webp")), P)
    assert e.value.message == "Invalid image: the data URL says image/webp but the bytes are a gif image."


def test_corrupt_header_is_invalid_image() -> None:
    with pytest.raises(ApiError) as e:
        inspect_image_part(part(data_url(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)), P)
    assert err(e) == (400, "invalid_image", URL_P, "Invalid image.")


def test_truncated_pixels_are_invalid_image() -> None:
    noise = Image.frombytes("RGB", (128, 128), random.Random(0).randbytes(128 * 128 * 3))
    raw = encode(noise, "PNG")
    with pytest.raises(ApiError) as e:
        inspect_image_part(part(data_url(raw[: len(raw) // 2])), P)
    assert err(e) == (400, "invalid_image", URL_P, "Invalid image.")
    jpeg = encode(noise, "JPEG")
    with pytest.raises(ApiError) as e:
        inspect_image_part(part(data_url(jpeg[:300], "image/jpeg")), P)
    assert err(e)[:3] == (400, "invalid_image", URL_P)


def test_animated_gif_refused_single_frame_accepted() -> None:
    frames = [solid((32, 32), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    with pytest.raises(ApiError) as e:
        inspect_image_part(part(data_url(buf.getvalue(), "image/gif")), P)
    status, code, param, message = err(e)
    assert (status, code, param) == (400, "invalid_image_format", URL_P)
    assert "animated GIFs are not supported" in message and "non-animated GIF" in message
    single = inspect_image_part(part(data_url(encode(frames[0], "GIF"), "image/gif")), P)
    assert (single.format, single.width, color_name(single.dominant_color or "")) == ("gif", 32, "red")


def test_21_mb_payload_rejected_before_decoding() -> None:
    raw = b"\x89PNG\r\n\x1a\n" + b"\x00" * (21 * 1024 * 1024 - 8)
    with pytest.raises(ApiError) as e:
        inspect_image_part(part(data_url(raw)), P)
    assert err(e) == (400, "image_too_large", URL_P, "Image size exceeds the limit: 21.0 MB > 20 MB.")
    # Not even valid base64: still "too large", so the size check runs before any decoding.
    with pytest.raises(ApiError) as e:
        inspect_image_part(part("data:image/png;base64," + "!" * (28 * 1024 * 1024)), P)
    assert e.value.code == "image_too_large"


def test_just_over_the_limit_message_shows_the_excess() -> None:
    raw = b"\x89PNG\r\n\x1a\n" + b"\x00" * (MAX_IMAGE_BYTES - 8 + 3)
    with pytest.raises(ApiError) as e:
        inspect_image_part(part(data_url(raw)), P)
    assert e.value.message == "Image size exceeds the limit: 20.000003 MB > 20 MB."


# ----- tile tokens ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("w", "h", "detail", "tokens_4o", "tokens_gpt5"),
    [
        (1024, 1024, "high", 765, 630),
        (1024, 1024, "auto", 765, 630),
        (1024, 1024, "low", 85, 70),
        (2048, 4096, "high", 1105, 910),
        (2048, 4096, "auto", 1105, 910),
        (2048, 4096, "low", 85, 70),
        (512, 512, "high", 255, 210),
        (512, 512, "auto", 85, 70),
        (512, 512, "low", 85, 70),
        (1, 1, "high", 255, 210),
        (1, 1, "auto", 85, 70),
        (1, 1, "low", 85, 70),
        (513, 100, "auto", 425, 350),  # 2 tiles wide
        (4096, 8192, "high", 1105, 910),  # same shape as 2048×4096 after fitting
        (800, 600, "high", 765, 630),  # short side 600 < 768: 2×2 tiles
    ],
)
def test_tile_tokens(w: int, h: int, detail: str, tokens_4o: int, tokens_gpt5: int) -> None:
    assert image_tokens(info(w, h, detail), TILE_4O) == tokens_4o
    assert image_tokens(info(w, h, detail), GPT5) == tokens_gpt5


def test_tile_tokens_of_measured_images() -> None:
    big = inspect_image_part(part(data_url(encode(solid((2048, 4096)), "JPEG"), "image/jpeg"), "high"), P)
    assert image_tokens(big, TILE_4O) == 1105
    tiny = inspect_image_part(part(data_url(encode(solid((1, 1)), "PNG"))), P)
    assert image_tokens(tiny, TILE_4O) == 85


# ----- patch tokens ---------------------------------------------------------------------------------


def reference_patches(w: int, h: int, cap: int = 1536) -> int:
    """OpenAI's documented steps, literally, in floating point (independent of vision._patch_count)."""
    raw = math.ceil(w / 32) * math.ceil(h / 32)
    if raw <= cap:
        return raw
    r = math.sqrt(32 * 32 * cap / (w * h))
    rw, rh = w * r, h * r
    width_patches = rw / 32
    if width_patches >= 1:
        shrink = math.floor(width_patches) / width_patches
        rw, rh = rw * shrink, rh * shrink
    return min(math.ceil(rw / 32 - 1e-9) * math.ceil(rh / 32 - 1e-9), cap)


@pytest.mark.parametrize(
    ("w", "h"),
    [
        (1, 1),
        (500, 500),
        (1024, 1024),
        (1800, 2400),
        (2400, 1800),
        (4096, 4096),
        (3000, 200),
        (1920, 1080),
        (1280, 1281),
        (32, 100_000),
        (7000, 33),
        (1254, 1254),
    ],
)
@pytest.mark.parametrize("detail", ["low", "high", "auto"])
def test_patch_tokens_match_reference(w: int, h: int, detail: str) -> None:
    policy = VisionPolicy("patch", multiplier=1.62)
    expected = reference_patches(w, h)
    assert image_tokens(info(w, h, detail), policy) == math.ceil(round(expected * 1.62, 6))
    assert image_tokens(info(w, h, detail), VisionPolicy("patch", multiplier=1.0)) == expected


def test_patch_documented_examples() -> None:
    one = VisionPolicy("patch", multiplier=1.0)
    assert image_tokens(info(1024, 1024), one) == 1024
    assert image_tokens(info(1800, 2400), one) == 1452
    assert image_tokens(info(1024, 1024), VisionPolicy("patch", multiplier=1.62)) == 1659  # 1658.88 rounded up
    # 1000×1000 → 32×32 = 1024 patches; 1024 × 1.2 = 1228.8 → 1229
    assert image_tokens(info(1000, 1000), VisionPolicy("patch", multiplier=1.2)) == 1229
    assert image_tokens(info(800, 480), VisionPolicy("patch", multiplier=1.2)) == 450  # 375 × 1.2 exactly


# ----- limits ---------------------------------------------------------------------------------------


def test_check_image_limits() -> None:
    images = [info(10, 10) for _ in range(3)]
    check_image_limits(images, 3, 100)
    with pytest.raises(ApiError) as e:
        check_image_limits(images, 2, 100)
    assert err(e) == (400, "too_many_images", "messages", "Too many images in request. Max is 2.")
    big = [ImageInfo("data", "d", "auto", "png", 1, 1, 30 * 1024 * 1024, "x", None)] * 2
    with pytest.raises(ApiError) as e:
        check_image_limits(big, 500, 50 * 1024 * 1024)
    assert err(e) == (
        400,
        "image_bytes_exceeded",
        "messages",
        "Total image size in request exceeds the limit: 60.0 MB > 50 MB.",
    )
    check_image_limits([*big, info(1, 1)][:1], 500, 50 * 1024 * 1024)


# ----- descriptions and colour names ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("hex_color", "name"),
    [
        ("#ff0000", "red"),
        ("#ff8800", "orange"),
        ("#ffff00", "yellow"),
        ("#00c000", "green"),
        ("#00ffff", "cyan"),
        ("#3366cc", "blue"),
        ("#800080", "purple"),
        ("#ff69b4", "pink"),
        ("#8b4513", "brown"),
        ("#000000", "black"),
        ("#ffffff", "white"),
        ("#808080", "gray"),
        ("#ffc0cb", "pink"),
        ("#101010", "black"),
    ],
)
def test_color_names(hex_color: str, name: str) -> None:
    assert color_name(hex_color) == name


def test_describe_image_articles_and_no_colour() -> None:
    assert describe_image(ImageInfo("data", "d", "auto", "png", 8, 8, 1, "x", None)) == "an 8×8 PNG image"
    assert describe_image(ImageInfo("data", "d", "auto", "webp", 11, 2, 1, "x", "#3366cc")) == (
        "an 11×2 WEBP image, mostly #3366cc (blue)"
    )
    assert describe_image(ImageInfo("data", "d", "auto", "gif", 1100, 2, 1, "x", None)).startswith("a 1100×2")


# ----- audio ----------------------------------------------------------------------------------------


def test_wav_duration_and_tokens() -> None:
    raw = wav_bytes(1.5)
    got = inspect_audio_part(audio_part(raw), P)
    assert got.format == "wav"
    assert got.duration_s == pytest.approx(1.5)
    assert got.byte_size == len(raw)
    assert len(got.sha256) == 64
    assert audio_tokens(got) == 15


def test_wav_stereo_and_streaming_size() -> None:
    raw = bytearray(wav_bytes(0.25, rate=8000, channels=2))
    raw[40:44] = b"\xff\xff\xff\xff"  # data size unknown (streaming writer)
    assert inspect_audio_part(audio_part(bytes(raw)), P).duration_s == pytest.approx(0.25)


def test_mp3_duration_mpeg1() -> None:
    raw = b"".join(mp3_frame() for _ in range(100))
    got = inspect_audio_part(audio_part(raw, "mp3"), P)
    assert got.format == "mp3"
    assert got.duration_s == pytest.approx(100 * 1152 / 44100)
    assert audio_tokens(got) == 27  # 2.612 s


def test_mp3_with_id3_padding_and_mpeg2() -> None:
    raw = id3v2(300) + b"\x00" * 17 + b"".join(mp3_frame(False, padding=i % 2) for i in range(50))
    got = inspect_audio_part(audio_part(raw, "mp3"), P)
    assert got.duration_s == pytest.approx(50 * 576 / 22050)


def test_mp3_xing_frame_count() -> None:
    first = bytearray(mp3_frame())
    first[4 + 32 : 4 + 32 + 12] = b"Info" + struct.pack(">II", 1, 1000)
    raw = bytes(first) + mp3_frame()
    assert inspect_audio_part(audio_part(raw, "mp3"), P).duration_s == pytest.approx(1000 * 1152 / 44100)


def test_mp3_walk_is_capped_and_extrapolated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vision, "_MP3_MAX_WALK_FRAMES", 10)
    raw = b"".join(mp3_frame() for _ in range(100))
    assert inspect_audio_part(audio_part(raw, "mp3"), P).duration_s == pytest.approx(100 * 1152 / 44100)


def test_audio_tokens_minimum_one() -> None:
    assert audio_tokens(AudioInfo("wav", 0.0, 44, "x")) == 1
    assert audio_tokens(AudioInfo("wav", 0.3, 44, "x")) == 3


AUDIO_P = f"{P}.input_audio"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"type": "input_audio"}, ("missing_required_parameter", AUDIO_P)),
        ({"input_audio": "abc"}, ("invalid_type", AUDIO_P)),
        ({"input_audio": {"format": "wav"}}, ("missing_required_parameter", f"{AUDIO_P}.data")),
        ({"input_audio": {"data": 5, "format": "wav"}}, ("invalid_type", f"{AUDIO_P}.data")),
        ({"input_audio": {"data": "AAAA"}}, ("missing_required_parameter", f"{AUDIO_P}.format")),
        ({"input_audio": {"data": "AAAA", "format": None}}, ("invalid_type", f"{AUDIO_P}.format")),
        ({"input_audio": {"data": "AAAA", "format": "ogg"}}, ("invalid_value", f"{AUDIO_P}.format")),
    ],
)
def test_audio_field_errors(payload: dict[str, Any], expected: tuple[str, str]) -> None:
    with pytest.raises(ApiError) as e:
        inspect_audio_part(payload, P)
    assert (e.value.status, e.value.code, e.value.param) == (400, *expected)
    if expected[0] == "invalid_value":
        assert e.value.message == "Invalid value: 'ogg'. Supported values are: 'wav' and 'mp3'."


@pytest.mark.parametrize(
    ("data", "fmt", "fragment"),
    [
        ("not base64!", "wav", "not valid base64"),
        ("", "mp3", "empty"),
        (base64.b64encode(b"".join(mp3_frame() for _ in range(5))).decode(), "wav", "the data is an MP3 stream"),
        (base64.b64encode(id3v2(10) + mp3_frame()).decode(), "wav", "the data is an MP3 stream"),
        (base64.b64encode(wav_bytes(0.1)).decode(), "mp3", "format is 'mp3' but the data is a WAV file"),
        (base64.b64encode(b"OggS" + b"\x00" * 200).decode(), "wav", "not a WAV file; expected a RIFF/WAVE header"),
        (base64.b64encode(b"OggS" + b"\x00" * 200).decode(), "mp3", "no MPEG audio frame"),
        (base64.b64encode(b"RIFF\x04\x00\x00\x00WAVE").decode(), "wav", "no valid 'fmt ' chunk"),
        (base64.b64encode(wav_bytes(0.1)[:36]).decode(), "wav", "no 'data' chunk"),
    ],
)
def test_bad_audio_payloads(data: str, fmt: str, fragment: str) -> None:
    with pytest.raises(ApiError) as e:
        inspect_audio_part(audio_part(data, fmt, raw=True), P)
    assert (e.value.status, e.value.type, e.value.code, e.value.param) == (
        400,
        "invalid_request_error",
        "invalid_input_audio",
        f"{AUDIO_P}.data",
    )
    assert fragment in e.value.message
