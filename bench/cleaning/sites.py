"""Hosts and sites (registrable domains) of corpus pages, and the site-level train/test split."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

import tldextract

# the Public Suffix List snapshot bundled with tldextract: no network, deterministic
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
_WAYBACK = re.compile(r"^https?://web\.archive\.org/web/[0-9a-z_*]+/(.+)$", re.I)


def original_url(url: str) -> str:
    """The archived page's own URL for a Wayback Machine address, else the URL itself."""
    m = _WAYBACK.match(url.strip())
    if m:
        inner = m.group(1)
        return inner if inner.startswith("http") else "http://" + inner
    return url.strip()


def host_of(url: str) -> str:
    try:
        return (urlsplit(original_url(url)).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def site_of(host: str) -> str:
    """Registrable domain of a host ('www.bbc.co.uk' -> 'bbc.co.uk'); the host when unknown."""
    host = host.lower().strip(".")
    if not host:
        return ""
    ext = _EXTRACT(host)
    if ext.domain and ext.suffix:
        return f"{ext.domain}.{ext.suffix}"
    return host[4:] if host.startswith("www.") else host


def split_host(parts: list[str]) -> str:
    """The shortest leading run of dotted name parts that ends in a public suffix, or ''.

    ['chip', 'de', 'beef'] -> 'chip.de'; ['www', 'bbc', 'co', 'uk', 'x'] -> 'www.bbc.co.uk'.
    """
    for k in range(2, len(parts) + 1):
        ext = _EXTRACT(".".join(parts[:k]))
        if ext.domain and ext.suffix and ".".join(parts[:k]).endswith(ext.suffix):
            while k < len(parts):  # extend a suffix such as co -> co.uk
                longer = _EXTRACT(".".join(parts[:k + 1]))
                if longer.suffix and len(longer.suffix) > len(ext.suffix) and longer.domain:
                    k, ext = k + 1, longer
                else:
                    break
            return ".".join(parts[:k])
    return ""


def split_of(site: str) -> str:
    """'test' for a quarter of the sites (by hash), 'train' for the rest."""
    return "test" if int(hashlib.sha1(site.encode("utf-8")).hexdigest(), 16) % 4 == 0 else "train"
