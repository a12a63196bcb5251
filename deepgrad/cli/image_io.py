"""PNG files for the command: reading one for ``deepgrad predict`` (matplotlib when installed,
else a small pure-Python decoder: 8/16-bit grayscale, gray+alpha, RGB, RGBA, palette;
non-interlaced), and writing one for ``deepgrad sample`` (8-bit gray or RGB, no extra needed)."""

import struct
import zlib

import numpy as np

__all__ = ["read_png", "write_png", "to_model_input", "resize"]

_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _unfilter(raw, height, stride, bpp):
    """Undo PNG's per-row filters (none, sub, up, average, Paeth) on the inflated bytes."""
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    width = stride // bpp
    for y in range(height):
        offset = y * (stride + 1)
        kind = raw[offset]
        line = np.frombuffer(raw, np.uint8, stride, offset + 1).astype(np.int32)
        if kind == 0:
            cur = line
        elif kind == 1:  # sub: a running sum of each channel along the row
            cur = (np.cumsum(line.reshape(width, bpp), axis=0) & 0xFF).reshape(stride)
        elif kind == 2:  # up
            cur = (line + prev) & 0xFF
        elif kind in (3, 4):  # average, Paeth: each pixel needs its left neighbour's result
            cur = np.zeros(stride, dtype=np.int32)
            left = np.zeros(bpp, dtype=np.int32)
            upleft = np.zeros(bpp, dtype=np.int32)
            for x in range(0, stride, bpp):
                up = prev[x:x + bpp]
                if kind == 3:
                    pred = (left + up) >> 1
                else:
                    p = left + up - upleft
                    pa, pb, pc = np.abs(p - left), np.abs(p - up), np.abs(p - upleft)
                    pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upleft))
                left = cur[x:x + bpp] = (line[x:x + bpp] + pred) & 0xFF
                upleft = up
        else:
            raise ValueError(f"read_png: unknown filter type {kind}")
        out[y] = cur
        prev = cur
    return out


def _decode_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG file")
    pos, idat, palette = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"PLTE":
            palette = np.frombuffer(chunk, dtype=np.uint8).reshape(-1, 3)
        elif kind == b"IDAT":
            idat.append(chunk)
        elif kind == b"IEND":
            break
    if interlace:
        raise ValueError(f"read_png: interlaced PNGs are not supported without matplotlib "
                         f"({path})")
    if depth not in (8, 16) or color not in _CHANNELS:
        raise ValueError(f"read_png: bit depth {depth} / color type {color} not supported "
                         f"without matplotlib ({path})")
    channels = _CHANNELS[color]
    bpp = channels * depth // 8
    rows = _unfilter(zlib.decompress(b"".join(idat)), height, width * bpp, bpp)
    if depth == 16:
        pixels = rows.reshape(height, width * channels, 2).astype(np.uint16)
        image = ((pixels[..., 0] << 8) | pixels[..., 1]).astype(np.float32) / 65535.0
    else:
        image = rows.astype(np.float32) / 255.0
    image = image.reshape(height, width, channels)
    if color == 3:
        image = palette[rows.reshape(height, width)].astype(np.float32) / 255.0
    return image


def _chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def write_png(path, image):
    """Write ``image`` -- (H, W) gray or (H, W, 3) RGB, floats in [0, 1] (clipped) -- as an
    8-bit PNG; the file is written to a temporary name and renamed, so it is never half there."""
    import os

    a = np.asarray(image, dtype=np.float64)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[-1] == 3)) or 0 in a.shape:
        raise ValueError(f"write_png: expected an (H, W) or (H, W, 3) image, got shape {a.shape}")
    pixels = np.round(np.clip(np.nan_to_num(a), 0.0, 1.0) * 255).astype(np.uint8)
    height, width = pixels.shape[:2]
    color_type = 0 if pixels.ndim == 2 else 2
    rows = pixels.reshape(height, -1)
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rows], axis=1).tobytes()  # filter 0
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    data = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 6))
            + _chunk(b"IEND", b""))
    path = os.fspath(path)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return path


def read_png(path, use_matplotlib=True):
    """An (H, W, C) float32 array in [0, 1] (C = 1, 2, 3 or 4)."""
    if use_matplotlib:
        try:
            import matplotlib.image as mpimg
        except ImportError:
            pass
        else:
            image = np.asarray(mpimg.imread(path), dtype=np.float32)
            if image.max() > 1.0:
                image = image / 255.0
            return image[..., None] if image.ndim == 2 else image
    return _decode_png(path)


def resize(image, height, width):
    """Resize an (H, W) array: block averaging while shrinking by 2x or more (so thin strokes
    survive), then bilinear interpolation to the exact size."""
    h, w = image.shape
    if (h, w) == (height, width):
        return image.astype(np.float32)
    step_y, step_x = max(1, h // height), max(1, w // width)
    if step_y > 1 or step_x > 1:
        cropped = image[: h - h % step_y, : w - w % step_x]
        image = cropped.reshape(h // step_y, step_y, w // step_x, step_x).mean(axis=(1, 3))
        h, w = image.shape
        if (h, w) == (height, width):
            return image.astype(np.float32)
    ys = np.clip((np.arange(height) + 0.5) * h / height - 0.5, 0, h - 1)
    xs = np.clip((np.arange(width) + 0.5) * w / width - 0.5, 0, w - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    wy, wx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = image[y0][:, x0] * (1 - wx) + image[y0][:, x1] * wx
    bottom = image[y1][:, x0] * (1 - wx) + image[y1][:, x1] * wx
    return (top * (1 - wy) + bottom * wy).astype(np.float32)


def to_model_input(image, shape, invert="auto"):
    """Turn an (H, W, C) image in [0, 1] into one sample of ``shape`` ((H, W), (C, H, W) or
    flat (D,) with a square side), with values in [0, 1], ink bright on a dark background as in
    MNIST-style data sets (``invert='auto'`` flips a light-background image)."""
    channels = image.shape[2]
    if channels in (2, 4):  # alpha: composite onto white
        alpha = image[..., -1:]
        image = image[..., :-1] * alpha + (1 - alpha)
    shape = tuple(shape)
    want_rgb = len(shape) == 3 and shape[0] == 3
    if len(shape) == 1:
        side = int(round(np.sqrt(shape[0])))
        hw = (side, side)
    else:
        hw = shape[-2:]
    if want_rgb:
        planes = [resize(image[..., min(c, image.shape[2] - 1)], *hw) for c in range(3)]
        out = np.stack(planes)
    else:
        gray = image.mean(axis=2) if image.shape[2] > 1 else image[..., 0]
        out = resize(gray, *hw)
        if invert is True or (invert == "auto" and out.mean() > 0.5):
            out = 1.0 - out
    return out.reshape(shape).astype(np.float32)
