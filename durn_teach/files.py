"""Files fetched and checked: SHA-256 digests, and downloads that resume and verify.

The lowest room of the package, used by the dataset scripts (``durn_teach.data.download``), the
registry of shipped weights (``durn_teach.pretrained``), training and the comparisons: a
download goes to ``<name>.part`` until it is complete and its SHA-256 holds, so a partial or
damaged file never has the final name.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

with warnings.catch_warnings():  # pooch imports tqdm.auto, which warns in notebooks without ipywidgets
    warnings.filterwarnings("ignore", message="IProgress not found")
    import pooch
    from tqdm.auto import tqdm

CHUNK = 1 << 16  # bytes read at a time: at most this much is lost when a transfer breaks


class DownloadError(RuntimeError):
    """A transfer that could not be completed; its partial file is kept for the next attempt."""


class ChecksumError(RuntimeError):
    """An archive whose SHA-256 differs from the expected one."""



def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, computed by pooch."""
    return pooch.file_hash(str(path), alg="sha256")


def verify(path: Path, expected: str | None, *, keep_aside: bool = False, quiet: bool = False) -> str:
    """Check ``path`` against ``expected`` (hex SHA-256); return the computed digest.

    With ``expected`` None the digest is only reported. On a mismatch the file is renamed to
    ``<name>.rejected`` when ``keep_aside`` (a file this package downloaded) and left where it is
    otherwise (the user's own file); it is never used either way. ``quiet``: no line for a match.
    """
    digest = sha256_of(path)
    if expected is None:
        print(f"  {path.name}: no published checksum recorded; computed SHA-256 is {digest}")
        print("  pass --sha256 to pin it (see the dataset's page for an official value)")
        return digest
    if digest.lower() != expected.lower():
        where = path
        if keep_aside:
            where = path.with_name(path.name.removesuffix(".part") + ".rejected")
            os.replace(path, where)
        raise ChecksumError(
            f"{path.name}: SHA-256 mismatch: expected {expected.lower()}, got {digest}; "
            f"the file is not used (kept aside as {where})"
        )
    if not quiet:
        print(f"  {path.name}: SHA-256 verified ({digest})")
    return digest


def download(
    url: str,
    dest: Path,
    *,
    sha256: str | None = None,
    retries: int = 3,
    timeout: float = 60.0,
    progress: bool = True,
    quiet: bool = False,
) -> Path:
    """Download ``url`` to ``dest``, resuming an interrupted transfer, then verify it (``quiet``:
    no line when the checksum holds).

    The bytes go to ``dest`` + ``.part`` until the transfer is complete and the checksum holds, so
    a partial file never has the final name. A ``.part`` left by an earlier attempt is resumed with
    an HTTP ``Range`` request (from zero if the server ignores it). Up to ``retries`` interruptions
    are resumed in this call; after that :class:`DownloadError` keeps the partial file for the next.
    """
    import requests

    dest = Path(dest)
    if dest.exists():
        verify(dest, sha256, keep_aside=True, quiet=quiet)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    for attempt in range(retries + 1):
        have = part.stat().st_size if part.exists() else 0
        headers = {"Accept-Encoding": "identity"}
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            with requests.get(url, headers=headers, stream=True, timeout=timeout) as response:
                if response.status_code == 416:  # nothing left to send: the part may be whole
                    total = response.headers.get("Content-Range", "").rpartition("/")[2]
                    if total.isdigit() and int(total) == have:
                        break
                    part.unlink()
                    continue
                response.raise_for_status()
                resumed = response.status_code == 206 and response.headers.get(
                    "Content-Range", ""
                ).startswith(f"bytes {have}-")
                start = have if resumed else 0
                length = response.headers.get("Content-Length")
                total = start + int(length) if length is not None else None
                if have:
                    print(f"  resuming {dest.name} at {start:,} bytes" if resumed else
                          f"  {dest.name}: the server does not resume; starting again")
                with (
                    open(part, "ab" if resumed else "wb") as out,
                    tqdm(total=total, initial=start, unit="B", unit_scale=True, desc=dest.name,
                         disable=not progress) as bar,
                ):
                    for block in response.iter_content(chunk_size=CHUNK):
                        out.write(block)
                        bar.update(len(block))
            size = part.stat().st_size
            if total is not None and size < total:
                raise DownloadError(f"connection closed at {size:,} of {total:,} bytes")
            break
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                DownloadError) as error:
            size = part.stat().st_size if part.exists() else 0
            if attempt == retries:
                raise DownloadError(
                    f"download of {url} interrupted at {size:,} bytes ({error}); the partial file "
                    f"{part} is kept: run the same command again to resume"
                ) from error
            print(f"  interrupted at {size:,} bytes ({error}); resuming")
    verify(part, sha256, keep_aside=True, quiet=quiet)
    os.replace(part, dest)
    return dest
