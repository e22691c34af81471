"""Benchmark the format readers: documents/s and MB/s per format over a generated mixed folder.

    python bench/formats.py                  # mixed folder: files, documents, failures, speed per format
    python bench/formats.py --compare-pdf    # PDFium (pypdfium2) against pdfminer.six on the same PDFs
    python bench/formats.py --reuters DIR    # every .sgm file of an unpacked Reuters-21578: counts, reasons

The folder is generated (tests/fixtures/formats/make.py) with a few files that must fail
(password, scan, corrupt, encrypted member, unsupported type) so the failure column is exercised;
two real Reuters-21578 files are added when the corpus tarball is in shared/corpora.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.formats import make  # noqa: E402

from archive.formats import HEAD_BYTES, detect, read_parts  # noqa: E402

REUTERS = ROOT.parent / "shared" / "corpora" / "reuters21578" / "reuters21578.tar.gz"
REAL_PDFS = [Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf"),
             Path("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf")]


def build_folder(d: Path, n: int) -> None:
    """Write n files of each format (and a few broken ones) into d."""
    d.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        pages = [[make.paragraph(k * 13 + p * 3 + i, 80) for i in range(4)] for p in range(6)]
        make.make_pdf(d / f"report-{k}.pdf", pages, title=f"Report {k}", author="Ana Lima",
                      header="Oil Bulletin", footer=True, hyphenate="shipments")
        make.make_docx(d / f"note-{k}.docx")
        make.make_odt(d / f"note-{k}.odt")
        make.make_epub(d / f"book-{k}.epub", [(f"Chapter {c}", make.paragraph(k + c, 400)) for c in range(8)])
        (d / f"page-{k}.html").write_text(f"<html><body><p>{make.paragraph(k, 300)}</p></body></html>")
        (d / f"note-{k}.txt").write_text(make.paragraph(k, 300))
        msgs = [make.make_message(f"Subject {k}-{m}", make.paragraph(k + m, 120) + "\n\n-- \nAna", day=m + 1)
                for m in range(20)]
        msgs[0] = make.make_message("With attachment", "See the report.",
                                    attachments=(("r.pdf", (d / f"report-{k}.pdf").read_bytes(), "application/pdf"),))
        (d / f"message-{k}.eml").write_bytes(bytes(msgs[1]))
        make.make_mbox(d / f"inbox-{k}.mbox", msgs)
        make.make_zip(d / f"bundle-{k}.zip", {"a/report.pdf": (d / f"report-{k}.pdf").read_bytes(),
                                              "a/note.docx": (d / f"note-{k}.docx").read_bytes(),
                                              "a/readme.txt": b"read me"})
        texts = {f"n{i}.txt": make.paragraph(i, 200).encode() for i in range(10)}
        make.make_tar(d / f"bundle-{k}.tar.gz", texts, gz=True)
        make.make_gz(d / f"notes-{k}.txt.gz", make.paragraph(k, 2000).encode())
    make.make_pdf(d / "locked.pdf", [["secret"]], password="pw")
    make.make_image_pdf(d / "scan.pdf", "Harbour strike ends")
    (d / "broken.pdf").write_bytes(b"%PDF-1.4\n garbage")
    make.make_encrypted_zip(d / "locked.zip", {"open.txt": b"open", "secret.txt": b"s"}, "secret.txt")
    (d / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(500))
    if REUTERS.exists():
        with tarfile.open(REUTERS) as tar:
            for name in ("reut2-000.sgm", "reut2-017.sgm"):
                handle = tar.extractfile(f"reuters21578/{name}")
                (d / name).write_bytes(handle.read())
    else:
        (d / "reut2-999.sgm").write_bytes(make.reuters_bytes())


def run_folder(d: Path, passes: int = 3) -> None:
    """Read every file of d; print a table per detected format, timed by the best of `passes` runs."""
    stats: dict[str, Counter] = defaultdict(Counter)
    reasons: dict[str, Counter] = defaultdict(Counter)
    best: dict[str, float] = {}
    for n in range(passes):
        seconds: dict[str, float] = defaultdict(float)
        for path in sorted(d.iterdir()):
            start = time.perf_counter()
            data = path.read_bytes()
            kind = detect(path, data[:HEAD_BYTES], data)
            key = kind.split(":")[0]
            parts = list(read_parts(path, data, kind))
            seconds[key] += time.perf_counter() - start
            if n == 0:
                _count(stats[key], reasons[key], parts, len(data))
        best = {k: min(v, best.get(k, v)) for k, v in seconds.items()}
    print("| format | files | documents | failures (reasons) | skipped | docs/s | MB/s |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for key in sorted(stats):
        s, t = stats[key], max(best[key], 1e-9)
        why = "; ".join(f"{n}× {r}" for r, n in reasons[key].most_common())
        print(f"| {key} | {s['files']} | {s['documents']} | {s['failures']} {('(' + why + ')') if why else ''} "
              f"| {s['skipped']} | {s['documents'] / t:,.0f} | {s['bytes'] / t / 1e6:.1f} |")


def _count(s: Counter, reasons: Counter, parts: list, size: int) -> None:
    """Add one file's parts to its format's counts."""
    s["files"] += 1
    s["bytes"] += size
    for p in parts:
        if p.error:
            s["failures"] += 1
            reasons[p.error.split(":")[0] if "corrupt" in p.error else p.error] += 1
        elif p.skipped:
            s["skipped"] += 1
            reasons["skipped: " + p.skipped] += 1
        else:
            s["documents"] += 1


def read_reuters(root: Path) -> None:
    """Read every .sgm file under root; print documents, skipped and failed elements with reasons."""
    counts: Counter = Counter()
    reasons: Counter = Counter()
    start, size = time.perf_counter(), 0
    for path in sorted(root.rglob("*.sgm")):
        size += path.stat().st_size
        counts["files"] += 1
        for part in read_parts(path, None, "reuters-sgml"):
            if part.error or part.skipped:
                counts["failed" if part.error else "skipped"] += 1
                reasons[f"{path.name}{part.subpath}: {part.error or part.skipped}"] += 1
            else:
                counts["documents"] += 1
                counts[f"TYPE={part.meta.get('text_type')}"] += 1
    seconds = time.perf_counter() - start
    print(dict(counts))
    print(f"{seconds:.1f} s, {counts['documents'] / seconds:,.0f} documents/s, {size / seconds / 1e6:.1f} MB/s")
    for reason in sorted(reasons):
        print("  ", reason)


def compare_pdf(n: int) -> None:
    """Read the same PDFs with PDFium and with pdfminer.six through the same post-processing."""
    from archive.formats import pdf as ours

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        truth = {}
        for k in range(n):
            pages = [[make.paragraph(k * 13 + p * 3 + i, 80) for i in range(4)] for p in range(6)]
            path = make.make_pdf(d / f"r{k}.pdf", pages, header="Oil Bulletin", footer=True, hyphenate="shipments")
            truth[path] = pages
        print(f"| library | s for {n} generated PDFs ({6 * n} pages) | pages/s | word similarity "
              "| paragraphs found/expected |")
        print("|---|---:|---:|---:|---:|")
        for label, pages_of in (("pypdfium2", _pdfium_pages), ("pdfminer.six", _pdfminer_pages)):
            start = time.perf_counter()
            texts = {p: ours._assemble(pages_of(p), {}).text for p in truth}
            elapsed = time.perf_counter() - start
            sim = [_similarity(texts[p], truth[p]) for p in truth]
            paras = sum(t.count("\n\n") + 1 for t in texts.values())
            want = sum(len(pg) for pages in truth.values() for pg in pages)
            print(f"| {label} | {elapsed:.2f} | {6 * n / elapsed:,.0f} | {min(sim):.4f} (min) | {paras}/{want} |")
        for real in (p for p in REAL_PDFS if p.exists()):
            a = ours._assemble(_pdfium_pages(real), {}).text
            t0 = time.perf_counter()
            _pdfium_pages(real)
            t1 = time.perf_counter()
            b = ours._assemble(_pdfminer_pages(real), {}).text
            t2 = time.perf_counter()
            agree = difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()
            print(f"| {real.name} | pdfium {t1 - t0:.2f} s, pdfminer {t2 - t1:.2f} s | words {len(a.split())} vs "
                  f"{len(b.split())} | agreement {agree:.3f} | |")


def _pdfium_pages(path: Path) -> list:
    """Return our reader's lines per page."""
    import pypdfium2 as pdfium

    from archive.formats import pdf as ours

    doc = pdfium.PdfDocument(str(path))
    try:
        return [ours._page_lines(doc, i) for i in range(len(doc))]
    finally:
        doc.close()


def _pdfminer_pages(path: Path) -> list:
    """Return pdfminer.six's text lines per page, as our Line objects."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer, LTTextLine

    from archive.formats.pdf import Line

    out = []
    for page in extract_pages(str(path)):
        lines = [Line(ln.get_text().strip(), ln.y1, ln.y0, ln.x0)
                 for box in page if isinstance(box, LTTextContainer)
                 for ln in box if isinstance(ln, LTTextLine) and ln.get_text().strip()]
        out.append(lines)
    return out


def _similarity(text: str, pages: list[list[str]]) -> float:
    """Return how closely the words of text follow the words that were written."""
    want = " ".join(p for page in pages for p in page).split()
    return difflib.SequenceMatcher(None, text.split(), want, autojunk=False).ratio()


def main() -> None:
    """Parse arguments and run one benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10, help="files of each format in the mixed folder")
    parser.add_argument("--compare-pdf", action="store_true", help="compare PDF libraries instead")
    parser.add_argument("--dir", type=Path, help="keep the generated folder here")
    parser.add_argument("--reuters", type=Path, help="read an unpacked Reuters-21578 folder instead")
    args = parser.parse_args()
    if args.reuters:
        read_reuters(args.reuters)
        return
    if args.compare_pdf:
        compare_pdf(args.files)
        return
    with tempfile.TemporaryDirectory() as tmp:
        d = args.dir or Path(tmp) / "mixed"
        build_folder(d, args.files)
        for path in sorted(d.iterdir()):  # untimed pass: imports and first-use costs out of the figures
            data = path.read_bytes()
            list(read_parts(path, data, detect(path, data[:HEAD_BYTES], data)))
        run_folder(d)


if __name__ == "__main__":
    main()
