"""The fallback PNG reader against matplotlib, every filter type; resizing and preprocessing."""

import struct
import zlib

import numpy as np
import pytest

from deepgrad.cli.image_io import read_png, resize, to_model_input


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def _write_png(path, pixels, color_type, filters):
    """A PNG written by hand so that each row uses the filter type we choose."""
    h, w = pixels.shape[:2]
    bpp = pixels.shape[2] if pixels.ndim == 3 else 1
    rows = pixels.reshape(h, w * bpp).astype(np.int32)
    raw = b""
    prev = np.zeros(w * bpp, dtype=np.int32)
    for y in range(h):
        kind = filters[y % len(filters)]
        cur = rows[y]
        left = np.concatenate([np.zeros(bpp, np.int32), cur[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int32), prev[:-bpp]])
        pred = {0: 0, 1: left, 2: prev, 3: (left + prev) >> 1,
                4: _paeth(left, prev, upleft)}[kind]
        raw += bytes([kind]) + ((cur - pred) & 0xFF).astype(np.uint8).tobytes()
        prev = cur

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
                + chunk(b"IEND", b""))


@pytest.mark.parametrize("color_type,channels", [(0, 1), (2, 3), (6, 4)])
def test_fallback_reader_matches_matplotlib(tmp_path, color_type, channels):
    rng = np.random.default_rng(0)
    shape = (9, 7) if channels == 1 else (9, 7, channels)
    pixels = rng.integers(0, 256, size=shape).astype(np.uint8)
    path = tmp_path / "x.png"
    _write_png(path, pixels, color_type, filters=[0, 1, 2, 3, 4])
    ours = read_png(path, use_matplotlib=False)
    theirs = read_png(path, use_matplotlib=True)
    expected = pixels.reshape(9, 7, channels).astype(np.float32) / 255
    np.testing.assert_allclose(ours, expected, atol=1e-6)
    np.testing.assert_allclose(theirs, expected, atol=1e-6)


def test_resize_block_average_and_bilinear():
    image = np.arange(16, dtype=np.float32).reshape(4, 4)
    np.testing.assert_allclose(resize(image, 2, 2), [[2.5, 4.5], [10.5, 12.5]])
    up = resize(np.array([[0.0, 1.0]], np.float32), 1, 4)
    np.testing.assert_allclose(up, [[0.0, 0.25, 0.75, 1.0]])
    assert resize(np.ones((100, 60), np.float32), 28, 28).shape == (28, 28)


def test_to_model_input_inverts_light_background_and_shapes():
    image = np.ones((16, 16, 3), np.float32)  # white page
    image[4:12, 6:8] = 0.0                    # a black stroke, 2 px wide
    flat = to_model_input(image, (64,))
    assert flat.shape == (64,) and flat.max() == pytest.approx(1.0) and flat.min() == 0.0
    chw = to_model_input(image, (1, 8, 8))
    assert chw.shape == (1, 8, 8)
    np.testing.assert_allclose(chw.reshape(64), flat)
    rgb = to_model_input(image, (3, 8, 8))
    assert rgb.shape == (3, 8, 8) and rgb.mean() > 0.5  # colour inputs are not inverted
