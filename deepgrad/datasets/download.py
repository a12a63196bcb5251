"""Fetching data files: checksummed, atomic, and with a useful message when offline."""

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request

__all__ = ["download_url", "sha256sum"]

# the opener is a module attribute so tests can replace it (never the network in tests)
urlopen = urllib.request.urlopen


def sha256sum(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def download_url(url, path, sha256=None, hint=None):
    """Fetch ``url`` to ``path``; check its SHA-256 (one digest or a collection of accepted
    ones). The bytes go to a temporary file in the target folder that is renamed only once
    complete and verified, so an interrupted download never leaves a half file at ``path``.

    Raises ``RuntimeError`` saying what to do when the network is unreachable (``hint`` adds
    where else the file can come from) or the checksum does not match.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".download-", suffix=".part")
    try:
        try:
            with os.fdopen(fd, "wb") as out, urlopen(url, timeout=30) as response:
                shutil.copyfileobj(response, out)
                out.flush()
                os.fsync(out.fileno())
        except (OSError, urllib.error.URLError, ValueError) as error:
            raise RuntimeError(
                f"could not download {url} ({error}); copy the file into {folder} yourself"
                + (f", {hint}" if hint else "") + ".") from None
        if sha256 is not None:
            accepted = {sha256} if isinstance(sha256, str) else set(sha256)
            digest = sha256sum(tmp)
            if digest not in accepted:
                raise RuntimeError(f"checksum mismatch for {url}: expected sha256 "
                                   f"{' or '.join(sorted(accepted))}, got {digest}; the download "
                                   f"is corrupt or the file changed upstream. Try again, or copy "
                                   f"a verified copy into {folder}.")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path
