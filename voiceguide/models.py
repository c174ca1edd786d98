"""Vosk models: where they are looked for, and a verified download.

A download goes to a ``.part`` file that a later run resumes, is checked against its SHA-256,
is extracted refusing any entry that would land outside the target folder, and is moved into
place in one rename. On any failure nothing is installed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from platformdirs import user_data_dir

from voiceguide.errors import VoiceguideError
from voiceguide.recognizers import RecognizerError, check_model_dir


class ModelError(VoiceguideError):
    """A model that could not be fetched or installed, and why."""


@dataclass(frozen=True)
class KnownModel:
    name: str
    url: str
    size: int | None
    sha256: str


KNOWN_MODELS = {
    m.name: m for m in [
        KnownModel("vosk-model-small-en-us-0.15", "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
                   41_205_931, "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"),
    ]
}
DEFAULT_MODEL = "vosk-model-small-en-us-0.15"


def user_models_dir() -> Path:
    """The per-user folder models are downloaded to by default."""
    return Path(user_data_dir("voiceguide")) / "models"


def search_path(explicit: str | None = None) -> list[Path]:
    """Where the guide looks for a model, in order: --model, $VOICEGUIDE_MODEL, ./models/, the user data dir."""
    paths = [Path(explicit)] if explicit else []
    if os.environ.get("VOICEGUIDE_MODEL"):
        paths.append(Path(os.environ["VOICEGUIDE_MODEL"]))
    return [*paths, Path("models"), user_models_dir()]


def installed_models(folder: Path) -> list[Path]:
    """Complete model folders directly inside ``folder`` (or ``folder`` itself, if it is one)."""
    candidates = [folder] + (sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else [])
    found = []
    for path in candidates:
        try:
            check_model_dir(path)
        except RecognizerError:
            continue
        found.append(path)
    return found


def find_model(explicit: str | None = None) -> Path | None:
    """The first complete model on the search path; an explicit --model must be one (else RecognizerError)."""
    if explicit:
        check_model_dir(Path(explicit))
        return Path(explicit)
    for folder in search_path():
        models = installed_models(folder)
        if models:
            return models[0]
    return None


@dataclass(frozen=True)
class Limits:
    """How long a download may wait and how much an archive may unpack to."""

    connect_seconds: float = 15.0  # to connect, and for any single read to return
    stall_seconds: float = 30.0  # a download slower than min_bytes in this long is given up (resumable)
    min_bytes: int = 64 * 1024
    max_unpacked: int | None = None  # bytes; None: 4 times the known size, or 2 GiB when unknown


def check_source(url: str, sha256: str) -> None:
    """Refuse a URL or checksum that cannot be right, before any network use."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ModelError(f"{url!r} is not an http or https URL")
    if not re.fullmatch(r"[0-9a-fA-F]{64}", sha256):
        raise ModelError(f"{sha256!r} is not a SHA-256 checksum (64 hexadecimal digits)")


def download(url: str, sha256: str, dest_dir: Path, name: str, size: int | None = None,
             progress: bool = True, limits: Limits = Limits()) -> Path:
    """Fetch a zipped model from ``url`` into ``dest_dir/name``, verified; return the installed folder.

    A download cut short is kept (hidden) and resumed next time; one that is refused (wrong checksum, not a
    safe zip, not a model, too large unpacked) leaves nothing behind.
    """
    check_source(url, sha256)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise ModelError(f"{name!r} is not a usable model name (letters, digits, '.', '_' and '-')")
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ModelError(f"cannot create {dest_dir}: {e.strerror or e}") from None
    target = dest_dir / name
    if target.exists():
        raise ModelError(f"{target} already exists; remove it first to download it again")
    part = dest_dir / f".{name}.zip.part"
    _fetch(url, part, size, progress, limits)
    try:
        got = _sha256(part)
        if got != sha256.lower():
            raise ModelError(f"the download from {url} is not the expected file: SHA-256 expected {sha256.lower()}, "
                             f"got {got}. Nothing was installed.")
        cap = limits.max_unpacked or (4 * size if size else 2 << 30)
        _install(part, dest_dir, target, name, url, cap)
    finally:
        part.unlink(missing_ok=True)  # installed, or refused: either way the whole file is done with
    return target


def _install(archive: Path, dest_dir: Path, target: Path, name: str, url: str, cap: int) -> None:
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=dest_dir))
    try:
        _extract(archive, staging, cap)
        model_dir = _model_root(staging)
        check_model_dir(model_dir)
        os.replace(model_dir, target)
    except RecognizerError as e:
        raise ModelError(f"the archive from {url} does not hold a Vosk model ({e}). Nothing was installed.") from None
    except OSError as e:
        raise ModelError(f"cannot install the model in {dest_dir}: {e.strerror or e}. Nothing was installed.") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _fetch(url: str, part: Path, size: int | None, progress: bool, limits: Limits) -> None:
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=limits.connect_seconds)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # our part is as long as the file, or longer: whole, or stale
            if size is not None and have == size:
                return
            part.unlink()
            return _fetch(url, part, size, progress, limits)
        raise ModelError(f"cannot download {url}: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise ModelError(f"cannot download {url}: {getattr(e, 'reason', e)}") from None
    with response:
        if response.status != 206:
            have = 0  # the server ignored the range: start again
        length = response.headers.get("Content-Length")
        total = have + int(length) if length and length.isdigit() else size
        done = _receive(response, part, have, total, progress, limits)
    expected = size if size is not None else total
    if expected is not None and done < expected:
        raise ModelError(f"the download stopped at {done} of {expected} bytes; run the same command again to "
                         "resume it")


def _receive(response, part: Path, have: int, total: int | None, progress: bool, limits: Limits) -> int:
    """Append the body to ``part``; give up (resumably) if it stalls below ``limits``' rate."""
    done = have
    window_start, window_bytes = time.monotonic(), 0
    try:
        with part.open("ab" if have else "wb") as out:
            while chunk := response.read1(1 << 16):
                out.write(chunk)
                done += len(chunk)
                window_bytes += len(chunk)
                if progress:
                    _show_progress(done, total)
                if time.monotonic() - window_start >= limits.stall_seconds:
                    if window_bytes < limits.min_bytes:
                        raise ModelError(f"the download has nearly stopped ({window_bytes} bytes in the last "
                                         f"{limits.stall_seconds:g} s, at {done} bytes); run the same command "
                                         "again to resume it")
                    window_start, window_bytes = time.monotonic(), 0
    except (OSError, urllib.error.URLError) as e:
        raise ModelError(f"the download stopped at {done} bytes ({e}); run the same command again "
                         "to resume it") from None
    finally:
        if progress:
            print(file=sys.stderr)
    return done


def _show_progress(done: int, total: int | None) -> None:
    if total:
        filled = int(30 * done / total)
        bar = "#" * filled + "-" * (30 - filled)
        print(f"\r[{bar}] {done / 1e6:6.1f} / {total / 1e6:.1f} MB", end="", file=sys.stderr, flush=True)
    else:
        print(f"\r{done / 1e6:6.1f} MB", end="", file=sys.stderr, flush=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _extract(archive: Path, into: Path, cap: int) -> None:
    """Unzip, refusing absolute paths, '..', symbolic links, and more than ``cap`` bytes unpacked (counted as
    written, not as the archive claims)."""
    written = 0
    try:
        with zipfile.ZipFile(archive) as z:
            entries = z.infolist()
            for entry in entries:
                name = PurePosixPath(entry.filename)
                is_link = (entry.external_attr >> 16) & 0o170000 == 0o120000
                if name.is_absolute() or ".." in name.parts or is_link or ":" in entry.filename:
                    raise ModelError(f"refusing to install: the archive entry {entry.filename!r} would be written "
                                     "outside the model folder. Nothing was installed.")
            for entry in entries:
                path = into / entry.filename
                if entry.is_dir():
                    path.mkdir(parents=True, exist_ok=True)
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                with z.open(entry) as source, path.open("wb") as out:
                    while chunk := source.read(1 << 20):
                        written += len(chunk)
                        if written > cap:
                            raise ModelError(f"refusing to install: the archive unpacks to more than "
                                             f"{cap / 1e6:.0f} MB. Nothing was installed.")
                        out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as e:
        raise ModelError(f"the download is not a valid zip archive ({e}). Nothing was installed.") from None


def _model_root(staging: Path) -> Path:
    entries = [p for p in staging.iterdir() if not p.name.startswith("__MACOSX")]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else staging
