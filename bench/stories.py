"""Precision and recall of story clusters against known copy groups, on generated syndicated copies.

Each original story (Reuters-21578 bodies by default, or BBC with --corpus bbc) gets 0 to 4
syndicated copies, each with edits a news site makes: a few words changed, one paragraph's
sentences reordered, a paragraph added (a sentence of local colour or a paragraph of another
story), sometimes the last paragraph cut. Headlines are not shingled, so a changed headline does
not matter. Every text is then given its story in a shuffled order by `archive.stories.assign_stories`,
the rule ingest uses, and the stories are scored pairwise against the copy groups:
precision = share of same-story pairs that are copies of one original; recall = share of copy
pairs put in one story.

Real duplicates inside the corpus (the wire repeats some stories) count against precision: they
are reported separately as pairs of distinct originals clustered together.

    python bench/stories.py                       # Reuters, every story with a body
    python bench/stories.py --corpus bbc
    python bench/stories.py --limit 2000 --seed 2
    python bench/stories.py --manifest bench/corpora/reuters100k.manifest.tsv --limit 5000

With --manifest, the copies are those of the benchmark corpus (bench/corpora.py: files listed
with the original they derive from); --limit keeps the first N originals and all their copies.
"""

from __future__ import annotations

import argparse
import html
import random
import re
import sys
import tarfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from corpora import shared_dir  # noqa: E402

import archive.stories as stories_mod  # noqa: E402

_DOC = re.compile(r"<REUTERS\b[^>]*>(.*?)</REUTERS>", re.DOTALL)
_BODY = re.compile(r"<BODY>(.*?)</BODY>", re.DOTALL)
LOCAL = ["Our correspondent adds that local reaction was muted.",
         "This report was compiled with information from news agencies.",
         "Readers can find more coverage of the story in our business section."]


def _member_text(tar: tarfile.TarFile, member: tarfile.TarInfo) -> str:
    """Return a regular file of the archive as text (the corpora are Latin-1)."""
    f = tar.extractfile(member)
    assert f is not None, f"{member.name} is not a regular file"
    return f.read().decode("latin-1")


def read_reuters() -> list[list[str]]:
    """Return the paragraphs of every Reuters-21578 body (the wire's sign-off removed)."""
    out = []
    with tarfile.open(shared_dir() / "reuters21578" / "reuters21578.tar.gz") as tar:
        for m in sorted((m for m in tar.getmembers() if m.name.endswith(".sgm")), key=lambda m: m.name):
            raw = _member_text(tar, m)
            for doc in _DOC.finditer(raw):
                body = _BODY.search(doc.group(1))
                if body:
                    text = re.sub(r"\s*\bReuter\s*$", "", html.unescape(body.group(1)))
                    paras = [" ".join(p.split()) for p in re.split(r"\n(?=\s{2,})", text)]
                    if any(paras):
                        out.append([p for p in paras if p])
    return out


def read_bbc() -> list[list[str]]:
    """Return the paragraphs of every BBC article body (the headline line left out)."""
    out = []
    with tarfile.open(shared_dir() / "bbc-news" / "bbc-fulltext.tar.gz") as tar:
        for m in sorted((m for m in tar.getmembers() if m.name.endswith(".txt") and m.isfile()), key=lambda m: m.name):
            lines = _member_text(tar, m).split("\n", 1)
            if len(lines) == 2:
                out.append([p.strip() for p in lines[1].split("\n\n") if p.strip()])
    return out


def read_manifest(manifest: Path, limit: int) -> tuple[list[tuple[str, str]], dict[str, int], list[list[str]]]:
    """Return (path, body) and the copy group of the files a benchmark manifest lists, and the originals."""
    folder = manifest.with_name(manifest.name.removesuffix(".manifest.tsv"))
    rows = [line.split("\t") for line in manifest.read_text().splitlines()[1:]]
    originals = sorted({r[1] for r in rows})
    keep = {o: n for n, o in enumerate(originals[:limit] if limit else originals)}
    texts, group, bodies = [], {}, {}
    for path, original, _ in rows:
        if original in keep:
            body = (folder / path).read_text(encoding="utf-8").split("\n\n", 1)[-1]  # line 1 is the title
            texts.append((path, body))
            group[path] = keep[original]
            if path == original:
                bodies[keep[original]] = body.split("\n\n")
    return texts, group, [bodies[n] for n in range(len(keep))]


def vary(paras: list[str], other: list[str], rng: random.Random) -> list[str]:
    """Return a syndicated copy: words changed, sentences reordered, a paragraph added or cut."""
    paras = list(paras)
    words = [(i, j) for i, p in enumerate(paras) for j in range(len(p.split()))]
    for i, j in rng.sample(words, min(len(words), rng.randint(1, 5))):
        toks = paras[i].split()
        toks[j] = rng.choice(["reportedly", "the", "new", "local", "officials"])
        paras[i] = " ".join(toks)
    k = rng.randrange(len(paras))
    sentences = re.split(r"(?<=[a-z0-9][.!?])\s+(?=[A-Z])", paras[k])
    rng.shuffle(sentences)
    paras[k] = " ".join(sentences)
    edit = rng.random()
    if edit < 0.3:
        paras.insert(rng.randint(0, len(paras)), rng.choice(LOCAL))
    elif edit < 0.5 and other:
        paras.append(rng.choice(other))
    elif edit < 0.6 and len(paras) > 3:
        paras = paras[:-1]
    return paras


def make_corpus(stories: list[list[str]], rng: random.Random) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """Return (id, text) of originals and copies, shuffled, and the original each id derives from."""
    texts, group = [], {}
    for n, paras in enumerate(stories):
        for c in range(1 + rng.choice([0, 0, 1, 2, 3, 4])):
            doc_id = f"{n}-{c}"
            body = paras if c == 0 else vary(paras, rng.choice(stories), rng)
            texts.append((doc_id, "\n\n".join(body)))
            group[doc_id] = n
    rng.shuffle(texts)
    return texts, group


def corpus_duplicates(stories: list[list[str]], threshold: float) -> dict[int, int]:
    """Return, for each original, the smallest original it is a real duplicate of (exact Jaccard).

    Candidates come from clustering the originals; each candidate pair is then checked with the
    exact Jaccard similarity of the shingle sets, and groups are joined (union-find).
    """
    ids = [(str(n), "\n\n".join(p)) for n, p in enumerate(stories)]
    found = stories_mod.assign_stories(ids)
    parent = list(range(len(stories)))

    def root(n: int) -> int:
        while parent[n] != n:
            n = parent[n]
        return n

    members: dict[str, list[int]] = {}
    for i, s in found.items():
        members.setdefault(s, []).append(int(i))
    for group in members.values():
        sets = {n: stories_mod.shingles(ids[n][1]) for n in group}
        for a in group:  # every pair: a story of many originals is rare and small
            for b in group:
                if a < b and len(sets[a] & sets[b]) >= threshold * len(sets[a] | sets[b]):
                    parent[max(root(a), root(b))] = min(root(a), root(b))
    return {n: root(n) for n in range(len(stories))}


def pairs(labels: dict[str, object]) -> int:
    """Return the number of pairs of ids that share a label."""
    return sum(n * (n - 1) // 2 for n in Counter(labels.values()).values())


def score(story: dict[str, str], group: dict[str, int]) -> dict[str, float]:
    """Return pairwise precision and recall of the stories against the copy groups."""
    predicted, truth = pairs(story), pairs(group)
    both = pairs({i: (story[i], group[i]) for i in story})
    return {"precision": both / predicted if predicted else 1.0, "recall": both / truth if truth else 1.0,
            "predicted_pairs": predicted, "true_pairs": truth, "stories": len(set(story.values())),
            "groups": len(set(group.values()))}


def main() -> None:
    """Generate the copies, cluster them, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", choices=["reuters", "bbc"], default="reuters")
    ap.add_argument("--limit", type=int, default=0, help="originals to use (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threshold", type=float, default=stories_mod.THRESHOLD)
    ap.add_argument("--shingle", type=int, default=stories_mod.SHINGLE)
    ap.add_argument("--manifest", type=Path, help="score the copies of a benchmark corpus (bench/corpora.py)")
    args = ap.parse_args()
    stories_mod.THRESHOLD, stories_mod.SHINGLE = args.threshold, args.shingle
    rng = random.Random(args.seed)
    if args.manifest:
        texts, group, stories = read_manifest(args.manifest, args.limit)
        args.corpus = str(args.manifest)
        rng.shuffle(texts)
    else:
        stories = read_reuters() if args.corpus == "reuters" else read_bbc()
        if args.limit:
            stories = stories[:args.limit]
        texts, group = make_corpus(stories, rng)
    started = time.perf_counter()
    story = stories_mod.assign_stories(texts)
    seconds = time.perf_counter() - started
    s = score(story, group)
    print(f"corpus: {args.corpus}, {len(stories)} originals, {len(texts)} texts (seed {args.seed}); "
          f"Jaccard threshold {args.threshold} on {args.shingle}-word shingles, MinHash 128, LSH")
    print(f"precision {s['precision']:.4f}  recall {s['recall']:.4f}  "
          f"({s['predicted_pairs']} pairs clustered, {s['true_pairs']} copy pairs; "
          f"{s['stories']} stories for {s['groups']} groups)")
    originals: dict[str, set[int]] = {}
    for i, k in story.items():
        originals.setdefault(k, set()).add(group[i])
    print(f"stories holding more than one original: {sum(1 for g in originals.values() if len(g) > 1)}")
    dup = corpus_duplicates(stories, args.threshold)
    s = score(story, {i: dup[g] for i, g in group.items()})
    print(f"with the corpus's own duplicates (originals with exact Jaccard >= {args.threshold}) as one group: "
          f"precision {s['precision']:.4f}  recall {s['recall']:.4f} ({s['groups']} groups)")
    print(f"clustering: {seconds:.1f} s, {1000 * seconds / len(texts):.2f} ms per text")


if __name__ == "__main__":
    main()
