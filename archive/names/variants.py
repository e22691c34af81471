"""Groups of spellings of one name found in the archive, with the evidence for each join.

Candidates are words that read as romanized Korean (`romanize.romanized`) or are written in
Hangul. Spellings that differ only in case, accents, breves, apostrophes or hyphens are one
spelling already (the aliases file folds them). Two spellings are joined when:

- **romanization**: a Latin spelling is exactly how RR or MR writes a Hangul word of the archive
  (혜산 -> Hyesan; 청진 -> Cheongjin, Ch'ŏngjin);
- **romanization + context**: it is the MR spelling without breves and apostrophes (DPRK usage,
  Chongjin), which several Hangul words can share (정주 and 청주 are both Chongju), so the words
  around it must also be like those around the group's other spellings;
- **rules + context**: two Latin spellings differ only where romanization rules differ (eo/ŏ/o,
  eu/ŭ/u, k/g, t/d, p/b, ch/j, r/l/y at the start) and their contexts are alike;
- **near spelling + context**: they differ by one letter beyond that, and their contexts are
  very alike.

Context is the meaning model's vector of the words around each occurrence. Two spellings that
occur apart in one document (not side by side, as in "Chongjin (Cheongjin)") are taken for two
places, whatever else says they are one. Looks alone never join two spellings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from archive.documents import Document
from archive.meaning.model import Model
from archive.names import romanize as rz

LATIN = re.compile(r"\b[A-Z][A-Za-zŎŬŏŭ'’]+(?:-[A-Za-zŏŭ'’]+)*")
HANGUL = re.compile(r"[\uac00-\ud7a3]{2,}")
# Particles and suffixes that follow a Hangul noun: the name is what comes before them.
PARTICLES = ("에서는", "에서", "으로", "에게", "까지", "부터", "에는", "과의", "와의", "에", "의", "은", "는",
             "이", "가", "을", "를", "과", "와", "도", "로", "서")
WINDOW = 8  # words each side of an occurrence that make its context
MAX_CONTEXTS = 40  # occurrences whose context is kept per spelling
MAX_DOCS = 500  # documents whose positions are kept per spelling (for the test of occurring apart)
CONTEXT_MIN = 0.5  # cosine of context vectors that counts as alike
NEAR_MIN = 0.75  # the same for spellings one letter further apart
SIDE_BY_SIDE = 40  # characters between two spellings that may name one place twice ("X (Y)", "X, or Y")


@dataclass
class Spelling:
    """One spelling (folded) as the archive writes it, with how often and where."""

    key: str
    forms: dict[str, int] = field(default_factory=dict)  # as written -> occurrences
    count: int = 0
    docs: set[str] = field(default_factory=set)  # the documents it occurs in
    example: str = ""
    contexts: list[str] = field(default_factory=list)
    hangul: bool = False
    at: dict[str, list[int]] = field(default_factory=dict)  # document id -> where it stands there

    @property
    def name(self) -> str:
        """Return the form written most often."""
        return max(self.forms.items(), key=lambda kv: (kv[1], kv[0]))[0]


def key_of(name: str) -> str:
    """Return the key a spelling is known by: a Hangul word as written, a Latin one folded."""
    return name.strip() if rz.is_hangul(name.strip()) else rz.plain(name)


def _stem(word: str) -> str:
    for p in PARTICLES:
        if word.endswith(p) and len(word) - len(p) >= 2:
            return word[: -len(p)]
    return word


def collect(docs: Iterable[Document], min_count: int = 1) -> dict[str, Spelling]:
    """Return the candidate spellings of the documents, by folded key."""
    found: dict[str, Spelling] = {}
    for doc in docs:
        text = doc.title + "\n" + doc.text
        seen_here: dict[str, list[int]] = {}
        for m in list(LATIN.finditer(text)) + list(HANGUL.finditer(text)):
            word = m.group()
            hangul = rz.is_hangul(word)
            if hangul:
                word = _stem(word)
            elif not rz.romanized(word) or len(rz.plain(word)) < 4:
                continue
            key = key_of(word)
            s = found.setdefault(key, Spelling(key, hangul=hangul))
            s.forms[word] = s.forms.get(word, 0) + 1
            s.count += 1
            seen_here.setdefault(key, []).append(m.start())
            s.docs.add(doc.id)
            if not s.example:
                s.example = _line(text, m.start(), m.end())
            if len(s.contexts) < MAX_CONTEXTS:
                s.contexts.append(_window(text, m.start(), m.end()))
        for key, starts in seen_here.items():
            if len(found[key].at) < MAX_DOCS:
                found[key].at[doc.id] = starts
    return {k: s for k, s in found.items() if s.count >= min_count}


def _line(text: str, start: int, end: int) -> str:
    left = max(text.rfind("\n", 0, start), text.rfind(". ", 0, start) + 1, start - 120)
    right = min(i for i in (text.find("\n", end), text.find(". ", end), end + 120) if i >= 0)
    return " ".join(text[left:right + 1].split())


def _window(text: str, start: int, end: int) -> str:
    before = text[max(0, start - 200):start].split()[-WINDOW:]
    after = text[end:end + 200].split()[:WINDOW]
    return " ".join(before + after)


@dataclass
class Group:
    """Spellings taken for one name, and why."""

    variants: list[dict]
    evidence: list[dict]

    def to_dict(self) -> dict:
        return {"variants": self.variants, "evidence": self.evidence}

    def line(self) -> str:
        """Return the group as a line of the aliases file."""
        return " = ".join(v["name"] for v in self.variants)


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, k: str) -> str:
        while self.parent.setdefault(k, k) != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def join(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def suggest(spellings: dict[str, Spelling], model: Model | None,
            known: Iterable[frozenset[str]] = ()) -> list[Group]:
    """Return groups of spellings of one name, largest evidence first; pairs already in `known` are left out."""
    context = _contexts(spellings, model)
    union = _Union()
    evidence: list[tuple[str, str, dict]] = []

    def alike(a: str, b: str, floor: float) -> float | None:
        if _apart(spellings[a], spellings[b]):
            return None
        ca, cb = context.get(a), context.get(b)
        if ca is None or cb is None:
            return None
        cos = float(ca @ cb)
        return cos if cos >= floor else None

    latin = {k: s for k, s in spellings.items() if not s.hangul}
    # Hangul words and their exact romanizations, then the folded MR forms with context.
    by_fold: dict[str, list[str]] = {}
    for k, s in spellings.items():
        if s.hangul:
            for system in rz.SYSTEMS:
                by_fold.setdefault(rz.plain(rz.romanize(k, system)), []).append(k)
    pending: list[tuple[str, str]] = []
    for k, s in latin.items():
        for h in sorted(set(by_fold.get(k, []))):
            exact = [sys for sys in rz.SYSTEMS if any(_written(f) == _written(rz.romanize(h, sys)) for f in s.forms)]
            if exact and len(set(by_fold[k])) == 1 and not _apart(s, spellings[h]):
                union.join(k, h)
                evidence.append((k, h, {"kind": "romanization", "hangul": h, "system": "/".join(exact).upper()}))
            else:
                pending.append((k, h))
    # Latin spellings with one skeleton (romanization rules), or one letter apart (near spellings).
    buckets: dict[str, list[str]] = {}
    for k in latin:
        buckets.setdefault(rz.skeleton(k), []).append(k)
    for members in buckets.values():
        for i, a in enumerate(sorted(members)):
            for b in sorted(members)[i + 1:]:
                cos = alike(a, b, CONTEXT_MIN)
                if cos is not None:
                    union.join(a, b)
                    evidence.append((a, b, {"kind": "romanization rules", "context": round(cos, 3)}))
    for a, b in _near(buckets):
        cos = alike(a, b, NEAR_MIN)
        if cos is not None:
            union.join(a, b)
            evidence.append((a, b, {"kind": "near spelling", "context": round(cos, 3)}))
    for k, h in pending:  # a folded MR form joins when its context is like the group's other spellings
        others = [o for o in latin if o != k and union.find(o) == union.find(h)]
        best = max((alike(k, o, CONTEXT_MIN) or 0.0 for o in others), default=0.0)
        if best and len(set(by_fold[k])) == 1:
            union.join(k, h)
            evidence.append((k, h, {"kind": "romanization + context", "hangul": h, "system": "MR (DPRK usage)",
                                    "context": round(best, 3)}))
    return _groups(spellings, union, evidence, list(known))


def _written(form: str) -> str:
    """Return a spelling as written, apart from case, hyphens and spaces (breves and apostrophes kept)."""
    return re.sub(r"[\s\-]", "", form.lower().replace("’", "'"))


def _apart(a: Spelling, b: Spelling) -> bool:
    """Return True when two spellings occur in one document, never side by side: two places."""
    for doc in set(a.at) & set(b.at):
        if not any(abs(x - y) <= SIDE_BY_SIDE for x in a.at[doc] for y in b.at[doc]):
            return True
    return False


def _near(buckets: dict[str, list[str]]) -> Iterable[tuple[str, str]]:
    """Yield pairs of spellings whose skeletons (6 letters or more) are one deletion apart."""
    by_deletion: dict[str, set[str]] = {}
    for skel in buckets:
        if len(skel) >= 6:
            for i in range(len(skel)):
                by_deletion.setdefault(skel[:i] + skel[i + 1:], set()).add(skel)
            by_deletion.setdefault(skel, set()).add(skel)
    pairs: set[tuple[str, str]] = set()
    for skels in by_deletion.values():
        for x in skels:
            for y in skels:
                if x < y:
                    pairs.update((a, b) if a < b else (b, a) for a in buckets[x] for b in buckets[y])
    return sorted(pairs)


def _contexts(spellings: dict[str, Spelling], model: Model | None) -> dict[str, np.ndarray]:
    """Return each spelling's context vector (none without a model or known words around it)."""
    if model is None or not spellings:
        return {}
    keys = list(spellings)
    vectors = model.embed(" ".join(spellings[k].contexts) for k in keys)
    return {k: v for k, v in zip(keys, vectors) if v.any()}


def _groups(spellings: dict[str, Spelling], union: _Union, evidence: list[tuple[str, str, dict]],
            known: list[frozenset[str]]) -> list[Group]:
    members: dict[str, list[str]] = {}
    for k in {k for a, b, _ in evidence for k in (a, b)}:
        members.setdefault(union.find(k), []).append(k)
    out = []
    for root, keys in members.items():
        if any(set(keys) <= group for group in known):
            continue
        keys.sort(key=lambda k: (-spellings[k].count, k))
        variants = [{"name": spellings[k].name, "forms": sorted(spellings[k].forms), "count": spellings[k].count,
                     "documents": len(spellings[k].docs), "example": spellings[k].example} for k in keys]
        why = [{"between": [spellings[a].name, spellings[b].name], **e} for a, b, e in evidence
               if union.find(a) == root]
        out.append(Group(variants, why))
    out.sort(key=lambda g: (-sum(v["count"] for v in g.variants), g.variants[0]["name"]))
    return out
