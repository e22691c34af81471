"""Print the parity table of issue 13: every query of the parity test on Whoosh and on a local cluster.

    python bench/parity.py [BBC_FOLDER]      # default: bench/corpora/bbc, unpacked from ../shared/corpora

Uses the corpus and queries of tests/test_sphinx_parity.py (samples, seeds, BBC tech + business)
and its cluster fixture (2 shards, shard 0 mirrored); then the failure drill: one mirror killed,
then the unmirrored shard.
"""

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from corpora import BENCH, build_bbc  # noqa: E402
from sphinx_cluster import running_cluster  # noqa: E402
from test_sphinx_parity import QUERIES, _copy_corpus  # noqa: E402

from archive.archive import Archive  # noqa: E402
from archive.config import Settings  # noqa: E402
from archive.ingest import ingest  # noqa: E402


def main() -> None:
    """Build both engines on the parity corpus and print the table and the drill."""
    bbc = Path(sys.argv[1]) if len(sys.argv) > 1 else build_bbc(BENCH / "corpora")
    base = Path(tempfile.mkdtemp())
    folders = _copy_corpus(base / "corpus", bbc)
    ws = Settings(index=base / "whoosh")
    t = time.time()
    ingest(folders, ws)
    tw = time.time() - t
    with running_cluster(base / "cluster", shards=[2, 1]) as c:
        ss = c.settings(base / "sphinx")
        t = time.time()
        r = ingest(folders, ss)
        ts = time.time() - t
        print(f"files {r.files}, documents {r.documents}, distinct {r.distinct_texts}; "
              f"ingest whoosh {tw:.1f}s sphinx {ts:.1f}s")
        with Archive(ws) as w, Archive(ss) as s:
            print("| kind | query | Whoosh | Sphinx | same texts | top hit in Whoosh top 3 |")
            print("|---|---|---|---|---|---|")
            agree = n = 0
            for kind, q in QUERIES:
                a, b = w.search(q), s.search(q)
                same = ({w.get(i).content_hash for i, _ in w.listing(q)}
                        == {s.get(i).content_hash for i, _ in s.listing(q)})
                top = ""
                if a.total > 1 and q != "*":
                    tw3 = {w.get(h.id).content_hash for h in w.search(q, limit=3).hits}
                    ok = s.get(b.hits[0].id).content_hash in tw3
                    agree += ok
                    n += 1
                    top = "yes" if ok else "no"
                print(f"| {kind} | `{q}` | {a.total} | {b.total} | {'yes' if same else 'NO'} | {top} |")
            print(f"top hit agreement: {agree}/{n}")
            c.kill(shard=0, mirror=0)
            full = sum(s.search(q).total == w.search(q).total and not s.search(q).partial for _, q in QUERIES)
            print(f"mirror 0 of shard 0 killed: {full}/{len(QUERIES)} queries answer in full")
            c.kill(shard=1, mirror=0)
            res = [(q, w.search(q).total, s.search(q)) for _, q in QUERIES]
            said = s.search("said")
            print(f"shard 1 killed: {sum(r.partial for _, _, r in res)}/{len(res)} flagged partial; "
                  f"e.g. said: whoosh {w.search('said').total}, sphinx {said.total} ({said.messages[-1]})")


if __name__ == "__main__":
    main()
