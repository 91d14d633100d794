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
API changes, pass the zip's address as ``url=``.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from pathlib import Path

EES_CONTENT_API = "https://content.explore-education-statistics.service.gov.uk/api"
PUBLICATION = "education-health-and-care-plans"


def cache_dir() -> Path:
    """``$SENDFORECAST_CACHE`` or ``~/.cache/sendforecast``."""
    return Path(os.environ.get("SENDFORECAST_CACHE", Path.home() / ".cache" / "sendforecast"))


def release_zip_url(release: str, publication: str = PUBLICATION, api: str = EES_CONTENT_API) -> str:
    """Address of the all-files zip of a release (looks the release id up on EES)."""
    meta_url = f"{api}/publications/{publication}/releases/{release}"
    with urllib.request.urlopen(meta_url, timeout=60) as resp:  # noqa: S310 (fixed https host)
        meta = json.load(resp)
    return f"{api}/releases/{meta['id']}/files"


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
    with urllib.request.urlopen(src, timeout=300) as resp, open(tmp, "wb") as out:  # noqa: S310
        shutil.copyfileobj(resp, out)
    tmp.replace(target)
    return target
