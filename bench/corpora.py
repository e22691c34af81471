"""Build the benchmark corpora from ../shared/corpora/ into bench/corpora/ (git-ignored).

- `bbc`: the 2,225 BBC articles, as shipped (one folder per category, so the folder names the source).
- `reuters`: the Reuters-21578 documents that have a body, one `.txt` per document: the title on
  line 1, a blank line, then the body's paragraphs (hard-wrapped lines joined). The file sits in a
  folder named after its first topic (the source facet) and its name starts with the wire's date,
  so `archive ingest` finds the date from the file name.
- `reuters100k`: the Reuters documents and lightly varied copies of them (a few word substitutions
  and one paragraph's sentences shuffled per copy), about 100,000 files with distinct ids;
  `reuters100k.manifest.tsv` beside the folder says which original each copy derives from.

Every build is deterministic (fixed seeds) and skipped when a stamp file says it is already there.
"""

from __future__ import annotations

import html
import logging
import os
import random
import re
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

BENCH = Path(__file__).resolve().parent
GENERATOR_VERSION = "1"
STAMP = ".bench-corpus"
_DOC = re.compile(r"<REUTERS\b(?P<attrs>[^>]*)>(?P<inner>.*?)</REUTERS>", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Words swapped in copies: frequent in the wire, so the variants change real postings.
SWAPS = {
    "said": "stated", "company": "firm", "year": "period", "market": "exchange", "prices": "rates",
    "government": "administration", "shares": "stock", "sales": "turnover", "bank": "lender",
    "rise": "increase", "fell": "dropped", "expected": "forecast", "total": "overall",
    "oil": "crude", "trade": "commerce", "week": "session",
}


@dataclass
class Story:
    """One Reuters document with a body."""

    newid: int
    date: str  # YYYY-MM-DD
    topic: str
    title: str
    paragraphs: list[str]

    def relpath(self, copy: int = 0) -> str:
        """Return the file's path in its collection (copies get a suffix)."""
        suffix = f"-c{copy}" if copy else ""
        return f"{self.topic}/{self.date}-{self.newid:05d}{suffix}.txt"

    def text(self, paragraphs: list[str] | None = None) -> str:
        """Return the file's content: title line, blank line, paragraphs separated by blank lines."""
        return self.title + "\n\n" + "\n\n".join(paragraphs or self.paragraphs) + "\n"


def shared_dir() -> Path:
    """Return ../shared/corpora of the checkout (or of a folder above it); BENCH_CORPORA overrides."""
    if os.environ.get("BENCH_CORPORA"):
        return Path(os.environ["BENCH_CORPORA"])
    for parent in BENCH.parents:
        if (parent / "shared" / "corpora").is_dir():
            return parent / "shared" / "corpora"
    raise FileNotFoundError("no shared/corpora folder above the checkout; set BENCH_CORPORA")


def _stamped(folder: Path, what: str) -> bool:
    stamp = folder / STAMP
    return stamp.is_file() and stamp.read_text() == f"{GENERATOR_VERSION} {what}"


def _stamp(folder: Path, what: str) -> None:
    (folder / STAMP).write_text(f"{GENERATOR_VERSION} {what}")


def build_bbc(out: Path, limit: int | None = None) -> Path:
    """Unpack BBC (or its first `limit` files, spread over the categories) into out/bbc[-N]."""
    folder = out / (f"bbc-{limit}" if limit else "bbc")
    if _stamped(folder, "bbc"):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with tarfile.open(shared_dir() / "bbc-news" / "bbc-fulltext.tar.gz") as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile() and m.name.endswith(".txt")),
                         key=lambda m: m.name)
        if limit:
            # Round-robin over categories so a small corpus still has every source.
            by_cat: dict[str, list[tarfile.TarInfo]] = {}
            for m in members:
                by_cat.setdefault(m.name.split("/")[-2], []).append(m)
            members = [m for group in zip(*by_cat.values()) for m in group][:limit]
        for m in members:
            cat, name = m.name.split("/")[-2:]
            target = folder / cat / name
            target.parent.mkdir(exist_ok=True)
            src = tar.extractfile(m)
            assert src is not None
            target.write_bytes(src.read())
    _stamp(folder, "bbc")
    logger.info("built %s", folder)
    return folder


def read_reuters(limit: int | None = None) -> list[Story]:
    """Parse Reuters-21578's SGML and return the documents that have a body."""
    stories: list[Story] = []
    with tarfile.open(shared_dir() / "reuters21578" / "reuters21578.tar.gz") as tar:
        names = sorted(m.name for m in tar.getmembers() if m.name.endswith(".sgm"))
        for name in names:
            f = tar.extractfile(name)
            assert f is not None
            # reut2-017.sgm holds one raw 0xFC byte; latin-1 reads every file (the rest is ASCII).
            for m in _DOC.finditer(f.read().decode("latin-1")):
                story = parse_story(m.group("attrs"), m.group("inner"))
                if story is not None:
                    stories.append(story)
                    if limit and len(stories) >= limit:
                        return stories
    return stories


def _tag(inner: str, tag: str) -> str:
    m = re.search(rf"<{tag}>(.*?)</{tag}>", inner, re.DOTALL)
    return m.group(1) if m else ""


def _clean(text: str) -> str:
    return _CONTROL.sub("", html.unescape(text))


def parse_story(attrs: str, inner: str) -> Story | None:
    """Return one document of the SGML, or None when it has no body."""
    # The wire's sign-off ends nearly every body; it is not article text.
    body = re.sub(r"\s*\bReuter\s*$", "", _clean(_tag(inner, "BODY")))
    if not body.strip():
        return None
    found = re.search(r'NEWID="(\d+)"', attrs)
    assert found is not None, "every Reuters article has a NEWID"
    newid = int(found.group(1))
    day = _tag(inner, "DATE").strip().split()[0]  # 26-FEB-1987
    d, mon, y = day.split("-")
    months = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
    date = f"{int(y):04d}-{months.index(mon.upper()) + 1:02d}-{int(d):02d}"
    topics = re.findall(r"<D>(.*?)</D>", _tag(inner, "TOPICS"))
    title = " ".join(_clean(_tag(inner, "TITLE")).split()) or f"Reuters {newid}"
    # A new paragraph starts on an indented line; the others are the wire's hard wrap.
    paras = [" ".join(p.split()) for p in re.split(r"\n(?=\s{2,})", body)]
    paras = [p for p in paras if p]
    return Story(newid, date, topics[0] if topics else "none", title, paras)


def build_reuters(out: Path, limit: int | None = None) -> Path:
    """Write each Reuters document with a body as a .txt file under out/reuters[-N]."""
    folder = out / (f"reuters-{limit}" if limit else "reuters")
    if _stamped(folder, "reuters"):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for story in read_reuters(limit):
        target = folder / story.relpath()
        target.parent.mkdir(exist_ok=True)
        target.write_text(story.text(), encoding="utf-8")
    _stamp(folder, "reuters")
    logger.info("built %s", folder)
    return folder


def vary(story: Story, copy: int) -> list[str]:
    """Return the paragraphs of a light variant of a story: a few words swapped, one paragraph shuffled."""
    rng = random.Random(story.newid * 1000 + copy)
    paras = list(story.paragraphs)
    words = [(i, j) for i, p in enumerate(paras) for j, w in enumerate(p.split()) if w.lower() in SWAPS]
    for i, j in rng.sample(words, min(3, len(words))):
        toks = paras[i].split()
        toks[j] = SWAPS[toks[j].lower()]
        paras[i] = " ".join(toks)
    k = rng.randrange(len(paras))
    sentences = re.split(r"(?<=[a-z0-9][.!?])\s+(?=[A-Z])", paras[k])
    if len(sentences) > 1:
        rng.shuffle(sentences)
        paras[k] = " ".join(sentences)
    return paras


def _distinct(story: Story, copy: int, paras: list[str], seen: set[int]) -> list[str]:
    """Return the paragraphs, marked as a copy when a short story left nothing new to vary."""
    if hash(tuple(paras)) in seen:
        paras = paras[:-1] + [paras[-1] + f" (Copy {copy}.)"]
    seen.add(hash(tuple(paras)))
    return paras


def build_scaled(out: Path, target: int = 100_000, limit: int | None = None) -> Path:
    """Write the Reuters stories and varied copies up to `target` files under out/reuters100k[-N]."""
    folder = out / (f"reuters100k-{target}" if limit or target != 100_000 else "reuters100k")
    what = f"scaled {target}"
    if _stamped(folder, what):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    stories = read_reuters(limit)
    manifest = [("path", "original", "copy")]
    written = 0
    copy = 0
    seen: dict[int, set[int]] = {}  # per story: hashes of the texts written, so copies stay distinct
    while written < target:
        for story in stories:
            if written >= target:
                break
            rel = story.relpath(copy)
            target_path = folder / rel
            target_path.parent.mkdir(exist_ok=True)
            paras = story.paragraphs if copy == 0 else vary(story, copy)
            paras = _distinct(story, copy, paras, seen.setdefault(story.newid, set()))
            target_path.write_text(story.text(paras), encoding="utf-8")
            manifest.append((rel, story.relpath(), str(copy)))
            written += 1
        copy += 1
    (folder.parent / f"{folder.name}.manifest.tsv").write_text(
        "".join("\t".join(row) + "\n" for row in manifest), encoding="utf-8")
    _stamp(folder, what)
    logger.info("built %s (%d files)", folder, written)
    return folder


def count_files(folder: Path) -> int:
    """Return the number of .txt documents under a corpus folder."""
    return sum(1 for _ in folder.rglob("*.txt"))
