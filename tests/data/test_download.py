"""Downloader cache logic (no network: a local file:// address stands in for EES)."""

from __future__ import annotations

from sendforecast.data.download import fetch_release


def test_fetch_release_downloads_once_and_caches(tmp_path):
    src = tmp_path / "remote.zip"
    src.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip archive
    cache = tmp_path / "cache"
    p = fetch_release("2099", url=src.as_uri(), directory=cache)
    assert p == cache / "sen2-2099.zip" and p.read_bytes() == src.read_bytes()
    src.write_bytes(b"changed")
    assert fetch_release("2099", url=src.as_uri(), directory=cache).read_bytes() != b"changed"
    assert fetch_release("2099", url=src.as_uri(), directory=cache, refresh=True).read_bytes() == b"changed"
