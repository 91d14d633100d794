"""Download SEN2 releases from explore-education-statistics (EES), with a local cache.

Not exercised against the network in the test suite (the CI machines have no
internet); the caching logic is tested with a local ``file://`` URL.

Typical use::

    from sendforecast.data.download import fetch_release
    path = fetch_release("2025")            # -> ~/.cache/sendforecast/sen2-2025.zip
    data = sendforecast.load_sen2(path)

``fetch_release`` resolves the release through the EES content API
(publication ``education-health-and-care-plans``) and downloads the
"all files" zip, which :func:`sendforecast.load_sen2` reads directly.  If the
API changes, pass the zip's address as ``url=``; ``$SENDFORECAST_EES_API`` points
the lookup at another copy of the content API (a mirror, or a local test server).
A network failure raises :class:`DownloadError` saying what to do instead.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from pathlib import Path

EES_CONTENT_API = "https://content.explore-education-statistics.service.gov.uk/api"
PUBLICATION = "education-health-and-care-plans"


class DownloadError(OSError):
    """The release could not be fetched; the message says how to get it by hand."""


def content_api() -> str:
    """``$SENDFORECAST_EES_API`` or the public EES content API."""
    return os.environ.get("SENDFORECAST_EES_API", EES_CONTENT_API).rstrip("/")


def cache_dir() -> Path:
    """``$SENDFORECAST_CACHE`` or ``~/.cache/sendforecast``."""
    return Path(os.environ.get("SENDFORECAST_CACHE", Path.home() / ".cache" / "sendforecast"))


def _manual_hint(release: str) -> str:
    return (f"download the release {release!r} zip of '{PUBLICATION}' from "
            "explore-education-statistics.service.gov.uk by hand and pass it to --data, or give "
            "its address with --url")


def release_zip_url(release: str, publication: str = PUBLICATION, api: str | None = None) -> str:
    """Address of the all-files zip of a release (looks the release id up on EES)."""
    api = (api or content_api()).rstrip("/")
    meta_url = f"{api}/publications/{publication}/releases/{release}"
    try:
        with urllib.request.urlopen(meta_url, timeout=60) as resp:  # noqa: S310 (fixed https host)
            meta = json.load(resp)
        return f"{api}/releases/{meta['id']}/files"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DownloadError(f"could not look up release {release!r} at {meta_url} ({exc}); "
                            + _manual_hint(release)) from exc


def fetch_release(release: str, *, url: str | None = None, refresh: bool = False,
                  directory: Path | None = None) -> Path:
    """Download (once) and return the path of a SEN2 release zip.

    ``release`` is the release slug on EES, e.g. ``"2025"``.  The file is cached
    as ``sen2-<release>.zip`` in :func:`cache_dir` (or ``directory``); pass
    ``refresh=True`` to download again.
    """
    directory = Path(directory) if directory else cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"sen2-{release}.zip"
    if target.exists() and not refresh:
        return target
    src = url or release_zip_url(release)
    tmp = target.with_suffix(".part")
    try:
        with urllib.request.urlopen(src, timeout=300) as resp, open(tmp, "wb") as out:  # noqa: S310
            shutil.copyfileobj(resp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DownloadError(f"could not download {src} ({exc}); " + _manual_hint(release)) from exc
    tmp.replace(target)
    return target
