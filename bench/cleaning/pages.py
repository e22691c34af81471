"""Readers for the public extractor test pages used by `build_corpus.py`, one per source.

Every reader yields `SourcePage`s in a stable order. Raw pages are read from bare git mirrors
(`<mirrors>/<owner>+<name>/repo`, as the `fetch` tool lays them out) with `git show`; nothing is
copied into the repository. The pages of ../shared/corpora/html-sample are never read for
training: `sample_sites` names their sites so that build_corpus.py keeps those sites out of it.

Sources (see bench/cleaning/SOURCES.md):
  l3s-gn1      geodrome/page-signal    L3S-GN1 news pages with human block annotations (gold)
  newspaper4k  AndyTheFactory/newspaper4k  tests/data/html + expected tests/data/txt (gold)
  goose3       goose3/goose3           tests/data/content + expected beginning of the text (silver)
  trafilatura  adbar/trafilatura       tests/eval + tests/cache with evaldata.json snippets (silver)
"""

from __future__ import annotations

import codecs
import gzip
import json
import logging
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("cleaning.pages")

HTML_SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "html-sample"


@dataclass
class SourcePage:
    """One page and what is known of its main text."""

    source: str
    name: str
    repo: str
    commit: str
    licence: str
    html: str
    url: str = ""
    site_hint: str = ""  # a host or domain for pages without URL
    reference: str = ""  # gold main text ("" for silver pages)
    reference_kind: str = "silver"  # "gold" or "silver"
    title: str = ""
    with_: list[str] = field(default_factory=list)
    without: list[str] = field(default_factory=list)
    annotation: str = ""  # L3S-GN1: the annotated copy of `html` (x-nc-sel spans give labels)

    @property
    def id(self) -> str:
        return f"{self.source}/{self.name}"


class Mirror:
    """Read files of a bare git mirror at its HEAD."""

    def __init__(self, mirrors: Path, repo: str) -> None:
        self.repo = repo
        self.git_dir = mirrors / repo.replace("/", "+") / "repo"
        if not self.git_dir.is_dir():
            raise FileNotFoundError(f"no mirror of {repo} at {self.git_dir}")
        self.commit = self._git("rev-parse", "HEAD").decode().strip()

    def _git(self, *args: str) -> bytes:
        return subprocess.run(["git", f"--git-dir={self.git_dir}", *args], check=True,
                              capture_output=True).stdout

    def ls(self, folder: str) -> list[str]:
        out = self._git("-c", "core.quotepath=off", "ls-tree", "-r", "--name-only", "HEAD",
                        "--", folder)
        return sorted(x for x in out.decode("utf-8").split("\n") if x)

    def read(self, path: str) -> bytes:
        return self._git("show", f"HEAD:{path}")


def decode(raw: bytes) -> str:
    """Decode a saved page: UTF-8, else its declared charset, else a detected one."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    m = re.search(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", raw[:8192], re.I)
    if m:
        try:
            enc = codecs.lookup(m.group(1).decode("ascii")).name
            if enc != "utf-8":
                return raw.decode(enc, errors="replace")
        except LookupError:
            pass
    from charset_normalizer import from_bytes
    best = from_bytes(raw).best()
    return str(best) if best is not None else raw.decode("cp1252", errors="replace")


def _gz(path: Path) -> str:
    with gzip.open(path, "rb") as fh:
        return decode(fh.read())


# --- gold -------------------------------------------------------------------------------

L3S_DIR = "L3S-GN1-20100130203947-00001"


def l3s_gn1(mirrors: Path) -> Iterator[SourcePage]:
    """L3S-GN1 (Kohlschütter et al. 2010): the original page; labels from the annotated copy.

    The annotated copy lost some non-ASCII characters ('?' for curly quotes), so the scraped
    lines come from the original page and the annotated copy only provides the reference.
    """
    m = Mirror(mirrors, "geodrome/page-signal")
    for path in m.ls(f"{L3S_DIR}/annotated"):
        if not path.endswith(".html"):
            continue
        name = path.rsplit("/", 1)[1][:-5]
        try:
            annotated = decode(m.read(path))
            original = decode(m.read(path.replace("/annotated/", "/original/")))
        except subprocess.CalledProcessError as exc:
            log.warning("skip l3s-gn1/%s: cannot read (%s)", name, exc)
            continue
        yield SourcePage("l3s-gn1", name, m.repo, m.commit,
                         "L3S-GN1 research-use-only licence (dataset); repository EPL-1.0",
                         original, site_hint=_guess_host(annotated, original) or "unknown.l3s-gn1",
                         reference_kind="gold", annotation=annotated)


def sample_sites(root: Path = HTML_SAMPLE) -> set[str]:
    """The sites of html-sample's pages that bench/extraction.py measures on and no reader yields.

    Only the page's canonical address is read (its host), or, where a page has none, the site its
    folder is named after. The pages themselves never reach the corpus.
    """
    from sites import host_of, site_of
    out = set()
    base = root / "readability-testpages"
    for folder in sorted(p for p in base.iterdir() if (p / "source.html.gz").exists()):
        stem = folder.name.rsplit("-", 1)[0] if folder.name[-1].isdigit() else folder.name
        if stem in _SAMPLE_SITES:
            out.add(_SAMPLE_SITES[stem])
        url = _canonical(_gz(folder / "source.html.gz"))
        if url and host_of(url):
            out.add(site_of(host_of(url)))
    return out


_SAMPLE_SITES = {
    "aktualne": "aktualne.cz", "ars": "arstechnica.com", "breitbart": "breitbart.com",
    "buzzfeed": "buzzfeed.com", "citylab": "citylab.com", "cnet": "cnet.com",
    "engadget": "engadget.com", "folha": "folha.uol.com.br", "gmw": "gmw.cn",
    "herald-sun": "heraldsun.com.au", "heise": "heise.de", "la-nacion": "lanacion.com.ar",
    "lemonde": "lemonde.fr", "liberation": "liberation.fr", "lwn": "lwn.net",
    "medicalnewstoday": "medicalnewstoday.com", "qq": "qq.com", "salon": "salon.com",
    "seattletimes": "seattletimes.com", "tmz": "tmz.com", "wapo": "washingtonpost.com",
    "webmd": "webmd.com", "yahoo": "yahoo.com",
}


def newspaper4k(mirrors: Path) -> Iterator[SourcePage]:
    """newspaper4k regression pages: tests/data/html/X.html with expected tests/data/txt/X.txt."""
    m = Mirror(mirrors, "AndyTheFactory/newspaper4k")
    txts = {p.rsplit("/", 1)[1][:-4]: p for p in m.ls("tests/data/txt") if p.endswith(".txt")}
    metas = {p.rsplit("/", 1)[1][:-5]: p for p in m.ls("tests/data/metadata")}
    for path in m.ls("tests/data/html"):
        name = path.rsplit("/", 1)[1][:-5]
        if name not in txts:
            continue
        meta = json.loads(m.read(metas[name])) if name in metas else {}
        html = decode(m.read(path))
        yield SourcePage("newspaper4k", name, m.repo, m.commit, "MIT", html,
                         url=meta.get("url") or meta.get("canonical_link") or _canonical(html),
                         reference=decode(m.read(txts[name])), reference_kind="gold",
                         title=meta.get("title") or "")


# --- silver -----------------------------------------------------------------------------

def goose3(mirrors: Path) -> Iterator[SourcePage]:
    """goose3 content tests: the expected *beginning* of the text is a 'with' snippet."""
    m = Mirror(mirrors, "goose3/goose3")
    for path in m.ls("tests/data/content"):
        if not path.endswith(".html"):
            continue
        name = path.rsplit("/", 1)[1][:-5]
        try:
            data = json.loads(m.read(path[:-5] + ".json"))
        except (subprocess.CalledProcessError, ValueError):
            continue
        exp = data.get("expected", {})
        snippets = [s.strip() for s in (exp.get("cleaned_text") or "").split("\n")
                    if len(s.strip()) >= 15]
        html = decode(m.read(path))
        yield SourcePage("goose3", name, m.repo, m.commit, "Apache-2.0", html,
                         url=data.get("url") or exp.get("final_url") or "", title=exp.get("title") or "",
                         with_=snippets)


def trafilatura_eval(mirrors: Path) -> Iterator[SourcePage]:
    """trafilatura's evaluation pages with their with/without snippets (evaldata.json)."""
    m = Mirror(mirrors, "adbar/trafilatura")
    data = json.loads(m.read("tests/evaldata.json"))
    present = {p.rsplit("/", 1)[1]: p for p in m.ls("tests/eval") + m.ls("tests/cache")}
    for key in sorted(data, key=lambda k: data[k]["file"]):
        entry = data[key]
        path = present.get(entry["file"])
        if path is None:
            log.info("skip trafilatura/%s: file not in the mirror", entry["file"])
            continue
        url = key[1:] if key.startswith("xhttp") else key if key.startswith("http") else ""
        html = decode(m.read(path))
        name = entry["file"][:-5] if entry["file"].endswith(".html") else entry["file"]
        yield SourcePage("trafilatura", name, m.repo, m.commit, "Apache-2.0", html,
                         url=url or _canonical(html), site_hint=_host_from_filename(entry["file"]),
                         with_=list(entry.get("with", [])), without=list(entry.get("without", [])))


# --- where a page comes from --------------------------------------------------------------

_CANON = [re.compile(p, re.I) for p in (
    r"""<link[^>]+rel=["']?canonical["']?[^>]*href=["']([^"']+)""",
    r"""<link[^>]+href=["']([^"']+)["'][^>]*rel=["']?canonical""",
    r"""<meta[^>]+property=["']og:url["'][^>]*content=["']([^"']+)""",
    r"""<meta[^>]+content=["']([^"']+)["'][^>]*property=["']og:url""",
)]


def _canonical(html: str) -> str:
    head = html[:200000]
    for pat in _CANON:
        mt = pat.search(head)
        if mt and mt.group(1).startswith("http"):
            return mt.group(1).strip()
    return ""


def _host_from_filename(fname: str) -> str:
    """'jamaicaobserver.com-attacks.html' -> 'jamaicaobserver.com' (only if it looks like one)."""
    from sites import split_host
    stem = fname[:-5] if fname.endswith(".html") else fname
    stem = stem.split("::", 1)[-1]
    parts = [p for p in re.split(r"[-_ ]", stem, maxsplit=1)[0].lower().split(".") if p]
    return split_host(parts)


_NOT_SITE = ("doubleclick", "google", "facebook", "twitter", "digg.com", "del.icio.us",
             "stumbleupon", "reddit", "addthis", "w3.org", "adobe.com", "macromedia",
             "yimg.com", "akamai", "adserver", "2mdn", "atdmt", "quantserve", "feedburner",
             "technorati", "newsvine", "yahoo.com", "microsoft.com", "live.com", "mozilla")
_ANCHOR = re.compile(r"""<a\s[^>]*href\s*=\s*["']?https?://([a-z0-9.-]+)""", re.I)
_LINK = re.compile(r"""<link\s[^>]*href\s*=\s*["']?https?://([a-z0-9.-]+)""", re.I)
_SRC = re.compile(r"""(?:src|action)\s*=\s*["']?https?://([a-z0-9.-]+)""", re.I)
_CDN = re.compile(r"^(ads?|adserver|img|imgs|images?|static|cache|cdn|media|i|graphics|js|css|"
                  r"llnw|assets|pix|photos?|stats|metrics|feeds|rss)[0-9]*\.")


def _guess_host(annotated: str, original: str) -> str:
    """The page's own host, for L3S-GN1 pages that have no URL: <base href> or a canonical
    link; else the host most linked from the page's anchors; else from its stylesheets and
    sources (ad, CDN and social hosts left out)."""
    for html in (original, annotated):
        mt = re.search(r"""<base[^>]+href=["']?https?://([a-z0-9.-]+)""", html, re.I)
        if mt:
            return mt.group(1).lower()
        can = _canonical(html)
        if can:
            return re.sub(r"^https?://", "", can).split("/")[0].lower()
    for pattern, html in ((_ANCHOR, original), (_LINK, annotated), (_SRC, original)):
        counts: dict[str, int] = {}
        for host in pattern.findall(html):
            host = host.lower().rstrip(".")
            if any(x in host for x in _NOT_SITE) or _CDN.match(host):
                continue
            counts[host] = counts.get(host, 0) + 1
        if counts:
            return max(sorted(counts), key=counts.get)
    return _title_site(original)


def _title_site(html: str) -> str:
    """Last resort: the site name a <title> ends with ('... - Belfast Telegraph'), as a stable
    pseudo-domain 'belfast-telegraph.title' so the same site's pages share a name."""
    mt = re.search(r"<title[^>]*>(.*?)</title>", html, re.I | re.S)
    if not mt:
        return ""
    title = " ".join(mt.group(1).split())
    if re.match(r"(AFP|The Associated Press|The Canadian Press|The Press Association|AP)\s*:",
                title):
        return "news.google.com"  # Google News hosted agency copy (ap.google.com and so on)
    parts = [p.strip() for p in re.split(r"\s[-|:–]\s|\s::\s", " ".join(mt.group(1).split()))]
    if len(parts) < 2 or not parts[-1] or len(parts[-1]) > 40:
        return ""
    if re.fullmatch(r"(www\.)?[a-z0-9-]+(\.[a-z]{2,6})+", parts[-1].lower()):
        return parts[-1].lower()
    slug = re.sub(r"[^a-z0-9]+", "-", parts[-1].lower()).strip("-")
    return f"{slug}.title" if slug else ""
