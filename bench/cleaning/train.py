"""Train the line classifier on the cleaning corpus, holding out whole sites, and ship it.

Run: `python bench/cleaning/train.py CORPUS.jsonl` (needs the `train` extra: scikit-learn).

1. Only documents of the corpus's `train` split are used; the `test` split's sites are never seen
   (bench/cleaning/benchmark.py measures the cleaner on them).
2. Stage 1, a multinomial logistic regression over each line's named features
   (`archive.clean.features.line_tokens`); features seen on fewer than `MIN_SITES` sites are
   dropped, so nothing one site writes can become a rule.
3. Stage 2, a small neural network over the context vectors (`features.context_features`),
   trained on stage-1 probabilities that come from models not trained on the line's own site
   (5 folds by site), as they will be on a site the archive has never seen.
4. The cutoffs (archive.clean.classify.Cutoffs), in cross-validation by site: first where the
   classifier supports an uncertain rule, as the pair that removes the most boilerplate lines such
   rules match while the article words they take stay under `MAX_RULE_WORDS_LOST`; then the
   removal threshold, the lowest at which the article words the whole judgement would remove
   (certain rules, uncertain rules with the classifier's support, the classifier alone) stay
   under `MAX_WORDS_LOST`.
5. The model is written to archive/clean/line_model.npz and the cross-validated figures to
   bench/results/cleaning-train.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import UNSURE, Doc, read_corpus  # noqa: E402

from archive.clean.classify import MODEL_FILE, Cutoffs, LineModel, is_prose, network, softmax  # noqa: E402
from archive.clean.features import context_features, line_tokens  # noqa: E402
from archive.clean.kinds import CONTENT, KINDS  # noqa: E402
from archive.clean.rules import matching_rules  # noqa: E402
from archive.clean.text import removal  # noqa: E402

logger = logging.getLogger("train")

MIN_SITES = 3
MAX_WORDS_LOST = 0.006  # under the 1 % target, with a margin for sites unlike the corpus
MAX_WORDS_LOST_CLEAN = 0.006  # and the same for lightly boilerplated copies (the seeds' form)
MAX_RULE_WORDS_LOST = 0.001  # the share of that budget uncertain rules may spend
RULE_P_GRID = np.round(np.arange(0.15, 0.551, 0.05), 2)
RULE_OWN_P_GRID = np.round(np.arange(0.40, 0.851, 0.05), 2)
FOLDS = 5
HIDDEN = 48
C = 0.5


@dataclass
class Table:
    """Every piece of the training documents, with what training needs of it."""

    docs: list[list[int]] = field(default_factory=list)  # row numbers per document
    texts: list[str] = field(default_factory=list)
    tokens: list[list[str]] = field(default_factory=list)
    y: list[int] = field(default_factory=list)  # kind index, or -1 for unsure
    sites: list[str] = field(default_factory=list)
    words: list[int] = field(default_factory=list)
    certain: list[bool] = field(default_factory=list)
    ruled: list[bool] = field(default_factory=list)
    headline: list[bool] = field(default_factory=list)  # the first line no certain rule removes: kept
    clean_copy: list[bool] = field(default_factory=list)  # a row of a document's lightly boilerplated copy
    gold: list[bool] = field(default_factory=list)  # a row of a document with a gold reference


def build_table(docs: list[Doc], clean_copies: bool = True) -> Table:
    """Return the rows of every document's pieces, in document order.

    With `clean_copies`, every document is followed by a copy holding its article lines and at most
    three of its boilerplate lines (none for a quarter of the documents), each where it stood: the
    archive mostly cleans articles with little boilerplate left in (the seeds' form), and cleans
    its own output to the same text; there most lines are article text, short ones included, and
    a promo or a caption is still boilerplate.
    """
    t = Table()
    for doc in docs:
        versions = [doc.pieces]
        if clean_copies:
            rng = random.Random(doc.id)
            boiler = [i for i, p in enumerate(doc.pieces) if p.boilerplate]
            chosen = set(rng.sample(boiler, min(len(boiler), rng.choice((0, 1, 2, 3)))))
            versions.append([p for i, p in enumerate(doc.pieces) if p.kind == CONTENT or i in chosen])
        for copy, pieces in enumerate(versions):
            rows = []
            for piece in pieces:
                rules = matching_rules(piece.text)
                certain = any(r.certain for r in rules)
                rows.append(len(t.texts))
                t.texts.append(piece.text)
                t.tokens.append(line_tokens(piece.text, tuple(r.kind for r in rules)))
                t.y.append(-1 if piece.kind == UNSURE else KINDS.index(piece.kind))
                t.sites.append(doc.site)
                t.words.append(len(piece.text.split()))
                t.certain.append(certain)
                t.ruled.append(bool(rules))
                t.headline.append(not certain and not any(t.headline[r] for r in rows[:-1]) and
                                  all(t.certain[r] for r in rows[:-1]))
                t.clean_copy.append(bool(copy))
                t.gold.append(doc.reference == "gold")
            t.docs.append(rows)
    return t


def vocabulary(t: Table, rows: list[int]) -> dict[str, int]:
    """Return the features seen on at least MIN_SITES sites among the given rows."""
    sites: dict[str, set[str]] = {}
    for i in rows:
        for tok in t.tokens[i]:
            sites.setdefault(tok, set()).add(t.sites[i])
    kept = sorted(tok for tok, s in sites.items() if len(s) >= MIN_SITES)
    return {tok: i for i, tok in enumerate(kept)}


def matrix(t: Table, rows: list[int], vocab: dict[str, int]):
    """Return the binary feature matrix of the rows (scipy CSR)."""
    from scipy.sparse import csr_matrix

    indptr, indices = [0], []
    for i in rows:
        ids = sorted({vocab[tok] for tok in t.tokens[i] if tok in vocab})
        indices.extend(ids)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return csr_matrix((data, indices, indptr), shape=(len(rows), len(vocab)))


def fit_stage1(t: Table, rows: list[int]):
    """Return (vocab, weights (features x kinds), bias (kinds)) fitted on the labelled rows."""
    from sklearn.linear_model import LogisticRegression

    labelled = [i for i in rows if t.y[i] >= 0 and not is_prose(t.texts[i])]
    vocab = vocabulary(t, labelled)
    x = matrix(t, labelled, vocab)
    y = np.array([t.y[i] for i in labelled])
    clf = LogisticRegression(C=C, max_iter=400, tol=1e-3)
    clf.fit(x, y)
    w = np.zeros((len(vocab), len(KINDS)))
    b = np.full(len(KINDS), -30.0)
    for j, k in enumerate(clf.classes_):
        w[:, k] = clf.coef_[j] if len(clf.classes_) > 2 else (clf.coef_[0] if j == 1 else -clf.coef_[0])
        b[k] = clf.intercept_[j] if len(clf.classes_) > 2 else 0.0
    return vocab, w, b


def stage1_probs(t: Table, rows: list[int], vocab: dict[str, int], w: np.ndarray, b: np.ndarray,
                 prose: np.ndarray) -> np.ndarray:
    """Return stage-1 probabilities of the rows (long prose gets the fixed prose vector)."""
    p = softmax(np.asarray(matrix(t, rows, vocab) @ w + b))
    for r, i in enumerate(rows):
        if is_prose(t.texts[i]):
            p[r] = prose
    return p


def prose_vector() -> np.ndarray:
    """Return the stage-1 probabilities given to long prose lines: content, with certainty."""
    v = np.full(len(KINDS), 1e-4)
    v[KINDS.index(CONTENT)] = 1.0 - 1e-4 * (len(KINDS) - 1)
    return v


def fold_of(sites: list[str], folds: int = FOLDS) -> dict[str, int]:
    """Assign every site to a fold (stable: sorted sites dealt in turn)."""
    return {s: i % folds for i, s in enumerate(sorted(set(sites)))}


def out_of_fold_stage1(t: Table, folds: dict[str, int]) -> np.ndarray:
    """Return every row's stage-1 probabilities from a model not trained on its site."""
    probs = np.zeros((len(t.texts), len(KINDS)))
    prose = prose_vector()
    for f in sorted(set(folds.values())):
        train = [i for i in range(len(t.texts)) if folds[t.sites[i]] != f]
        held = [i for i in range(len(t.texts)) if folds[t.sites[i]] == f]
        vocab, w, b = fit_stage1(t, train)
        probs[held] = stage1_probs(t, held, vocab, w, b, prose)
        logger.info("stage 1, fold %d: %d features", f, len(vocab))
    return probs


def context_table(t: Table, probs: np.ndarray) -> np.ndarray:
    """Return the context vectors of every row, document by document.

    As in the cleaner, a document's lines that certain rules remove are gone before the classifier
    reads the rest: they are nobody's neighbours (their own rows stay zero, and are never used).
    """
    from archive.clean.features import context_width

    out = np.zeros((len(t.texts), context_width(len(KINDS))))
    for rows in t.docs:
        left = [i for i in rows if not t.certain[i]]
        if left:
            out[left] = context_features(probs[left], [t.texts[i] for i in left])
    return out


@dataclass
class Stage2:
    mean: np.ndarray
    scale: np.ndarray
    hidden_w: np.ndarray
    hidden_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Return the kind probabilities of context vectors, as the shipped model computes them."""
        return network(x, self.mean, self.scale, self.hidden_w, self.hidden_b, self.out_w, self.out_b)


def fit_stage2(x: np.ndarray, y: np.ndarray, seed: int = 0) -> Stage2:
    """Fit the context network on labelled rows."""
    from sklearn.neural_network import MLPClassifier

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    net = MLPClassifier(hidden_layer_sizes=(HIDDEN,), alpha=1e-3, max_iter=200, early_stopping=True,
                        random_state=seed, n_iter_no_change=10, batch_size=512)
    net.fit((x - mean) / scale, y)
    out_w = np.zeros((HIDDEN, len(KINDS)))
    out_b = np.full(len(KINDS), -30.0)
    for j, k in enumerate(net.classes_):
        out_w[:, k] = net.coefs_[1][:, j]
        out_b[k] = net.intercepts_[1][j]
    return Stage2(mean, scale, net.coefs_[0], net.intercepts_[0], out_w, out_b)


def decide(t: Table, rows: list[int], p: np.ndarray, cut: Cutoffs, own: np.ndarray | None = None) -> np.ndarray:
    """Return, per row, whether the cleaner's judgement removes it (as archive.clean.text does).

    :param own: the first stage's probabilities of the rows (for lines an uncertain rule matches).
    """
    content = KINDS.index(CONTENT)
    own = p if own is None else own
    out = np.zeros(len(rows), dtype=bool)
    for r, i in enumerate(rows):
        if t.certain[i]:
            out[r] = True
        elif not t.headline[i]:
            out[r] = removal(t.texts[i], 1.0 - p[r, content], 1.0 - own[r, content], t.ruled[i], cut) is not None
    return out


def figures(t: Table, rows: list[int], removed: np.ndarray, copies: bool = False) -> dict[str, float]:
    """Return the share of boilerplate pieces removed and of article words kept.

    :param copies: measure the article-only copies instead of the documents as scraped.
    """
    content = KINDS.index(CONTENT)
    keep = [r for r, i in enumerate(rows) if t.clean_copy[i] == copies]
    rows, removed = [rows[r] for r in keep], removed[keep]
    bp = [r for r, i in enumerate(rows) if t.y[i] > content]
    ct = [r for r, i in enumerate(rows) if t.y[i] == content]
    words = sum(t.words[rows[r]] for r in ct)
    lost = sum(t.words[rows[r]] for r in ct if removed[r])
    by_kind = {}
    for k, name in enumerate(KINDS):
        if k == content:
            continue
        idx = [r for r in bp if t.y[rows[r]] == k]
        if idx:
            by_kind[name] = {"lines": len(idx), "removed": round(float(np.mean(removed[idx])), 3)}
    return {
        "boilerplate_lines": len(bp),
        "boilerplate_removed": round(float(np.mean(removed[bp])) if bp else 0.0, 4),
        "article_words": words,
        "article_words_kept": round(1.0 - lost / max(1, words), 4),
        "by_kind": by_kind,
    }


def words_lost(t: Table, rows: list[int], removed: np.ndarray, keep: Callable[[int], bool]) -> float:
    """Return the share of article words removed among the rows that `keep` selects."""
    content = KINDS.index(CONTENT)
    ct = [r for r, i in enumerate(rows) if t.y[i] == content and keep(i)]
    words = sum(t.words[rows[r]] for r in ct)
    return sum(t.words[rows[r]] for r in ct if removed[r]) / max(1, words)


def choose_rule_cutoffs(t: Table, p: np.ndarray, own: np.ndarray) -> tuple[float, float]:
    """Return (rule_p, rule_own_p): where the classifier's support lets an uncertain rule remove a line.

    Over every row (`p` and `own` cross-validated by site), the pair that removes the most
    boilerplate lines uncertain rules match, among those whose removals of article lines cost
    under MAX_RULE_WORDS_LOST of the article words, both of gold documents as scraped and of the
    article-only copies. Ties go to the higher (more careful) pair.
    """
    content = KINDS.index(CONTENT)
    rows = np.array([i for i in range(len(t.texts))
                     if t.ruled[i] and not t.certain[i] and not t.headline[i] and not is_prose(t.texts[i])])
    floor = Cutoffs(1.0).rule_floor
    boiler, mine = 1.0 - p[rows, content], 1.0 - own[rows, content]
    y = np.array(t.y)[rows]
    words = np.array(t.words)[rows]
    gold = np.array([t.gold[i] and not t.clean_copy[i] for i in rows])
    copy = np.array([t.clean_copy[i] for i in rows])
    article = y == content
    totals = {}
    for name, keep in (("gold", lambda i: t.gold[i] and not t.clean_copy[i]), ("copy", lambda i: t.clean_copy[i])):
        totals[name] = max(1, sum(t.words[i] for i in range(len(t.texts)) if t.y[i] == content and keep(i)))
    best: tuple[int, float, float] | None = None
    for rp in RULE_P_GRID:
        for rop in RULE_OWN_P_GRID:
            go = (boiler >= rp) | ((mine >= rop) & (boiler >= floor))
            lost_gold = words[go & article & gold].sum() / totals["gold"]
            lost_copy = words[go & article & copy].sum() / totals["copy"]
            if lost_gold > MAX_RULE_WORDS_LOST or lost_copy > MAX_RULE_WORDS_LOST:
                continue
            caught = int((go & (y > content)).sum())
            if best is None or caught > best[0] or (caught == best[0] and rp + rop > best[1] + best[2]):
                best = (caught, float(rp), float(rop))
    if best is None:
        return 1.0, 1.0
    logger.info("uncertain rules: %d boilerplate lines removed at rule_p %.2f, rule_own_p %.2f", *best)
    return best[1], best[2]


def choose_threshold(t: Table, rows: list[int], p: np.ndarray, own: np.ndarray, rule_p: float,
                     rule_own_p: float) -> float:
    """Return the lowest threshold whose removals keep article words lost within bounds.

    Two bounds, both in cross-validation by site: under MAX_WORDS_LOST of the article words of
    documents with a gold reference as scraped, and under MAX_WORDS_LOST_CLEAN of the
    article-only copies. Silver documents (extractors' agreement) do not count here: some of their
    "article" lines are boilerplate both extractors kept, and holding the cleaner to keep those
    would hold it back everywhere.
    """
    for th in np.arange(0.30, 0.995, 0.01):
        removed = decide(t, rows, p, Cutoffs(float(th), rule_p, rule_own_p), own)
        gold = words_lost(t, rows, removed, lambda i: t.gold[i] and not t.clean_copy[i])
        clean = words_lost(t, rows, removed, lambda i: t.clean_copy[i])
        if gold <= MAX_WORDS_LOST and clean <= MAX_WORDS_LOST_CLEAN:
            return round(float(th), 2)
    return 0.99


def main(argv: list[str]) -> int:
    """Train, cross-validate by site, write the model and the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "archive" / "clean" / MODEL_FILE)
    parser.add_argument("--report", type=Path, default=ROOT / "bench" / "results" / "cleaning-train.json")
    parser.add_argument("--oof", type=Path, help="save the out-of-fold probabilities here (.npz)")
    parser.add_argument("--reuse-oof", action="store_true",
                        help="read the out-of-fold probabilities from --oof instead of computing them")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    started = time.time()
    docs = [d for d in read_corpus(args.corpus) if d.split == "train"]
    t = build_table(docs)
    folds = fold_of(t.sites)
    logger.info("%d documents, %d sites, %d pieces", len(docs), len(folds), len(t.texts))
    labelled = np.array([i for i in range(len(t.texts)) if t.y[i] >= 0 and not t.certain[i]])
    y = np.array(t.y)
    if args.reuse_oof:  # the folds' probabilities of an earlier run of the same code and corpus
        with np.load(args.oof) as saved:
            oof1, oof2 = saved["oof1"], saved["oof2"]
        ctx = context_table(t, oof1)
    else:
        oof1 = out_of_fold_stage1(t, folds)
        ctx = context_table(t, oof1)
        # Stage 2 out of fold, for the threshold and the cross-validated figures.
        oof2 = np.zeros_like(oof1)
        for f in sorted(set(folds.values())):
            train = np.array([i for i in labelled if folds[t.sites[i]] != f])
            held = np.array([i for i in range(len(t.texts)) if folds[t.sites[i]] == f])
            oof2[held] = fit_stage2(ctx[train], y[train]).predict(ctx[held])
        if args.oof:
            np.savez_compressed(args.oof, oof1=oof1, oof2=oof2)
    rows = list(range(len(t.texts)))
    rule_p, rule_own_p = choose_rule_cutoffs(t, oof2, oof1)
    threshold = choose_threshold(t, rows, oof2, oof1, rule_p, rule_own_p)
    cut = Cutoffs(threshold, rule_p, rule_own_p)
    cv = figures(t, rows, decide(t, rows, oof2, cut, oof1))
    gold_rows = [i for i in rows if t.gold[i]]
    cv_gold = figures(t, gold_rows, decide(t, gold_rows, oof2[gold_rows], cut, oof1[gold_rows]))
    cv_copies = figures(t, rows, decide(t, rows, oof2, cut, oof1), copies=True)
    stage1_only = figures(t, rows, decide(t, rows, oof1, cut))
    logger.info("cutoffs %s; cross-validated by site: %s", cut, json.dumps(cv))
    # The shipped model: stage 1 on every training row, stage 2 on the out-of-fold contexts.
    vocab, w, b = fit_stage1(t, rows)
    s2 = fit_stage2(ctx[labelled], y[labelled])
    model = LineModel(KINDS, vocab, w, b, prose_vector(), s2.mean, s2.scale, s2.hidden_w, s2.hidden_b,
                      s2.out_w, s2.out_b, threshold, rule_p, rule_own_p)
    model.save(str(args.out))
    report = {"corpus": str(args.corpus), "documents": len(docs), "sites": len(folds), "pieces": len(t.texts),
              "features": len(vocab), "threshold": threshold, "rule_p": rule_p, "rule_own_p": rule_own_p,
              "cross_validated_by_site": cv,
              "cross_validated_gold_documents": cv_gold,
              "cross_validated_article_only_copies": {k: cv_copies[k] for k in ("article_words", "article_words_kept")},
              "stage1_only_cross_validated": stage1_only, "seconds": round(time.time() - started, 1)}
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=1))  # noqa: T201 - the command's output
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
