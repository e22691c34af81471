"""Read an EPUB book with the standard library and lxml: the OPF spine gives the chapters' order."""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator
from urllib.parse import unquote

from lxml import etree

from archive.formats.containers import check_zip, read_zip_member
from archive.formats.model import Context, Part
from archive.formats.textutil import html_paragraphs, safe_xml, squeeze

_NS = {"c": "urn:oasis:names:tc:opendocument:xmlns:container", "opf": "http://www.idpf.org/2007/opf",
       "dc": "http://purl.org/dc/elements/1.1/"}


def read_epub(name: str, data: bytes, ctx: Context) -> Iterator[Part]:
    """Yield a book as one part: chapters in spine order, their start offsets and titles in meta."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        problem = check_zip(z, ctx)
        if problem:
            yield Part(error=problem, format="epub")
            return
        container = safe_xml(read_zip_member(z, z.getinfo("META-INF/container.xml"), ctx))
        rootfile = container.find(".//c:rootfile", _NS)
        if rootfile is None:
            yield Part(error="EPUB without a package document (OPF)", format="epub")
            return
        opf_path = rootfile.get("full-path", "")
        opf = safe_xml(read_zip_member(z, z.getinfo(opf_path), ctx))
        meta = _opf_meta(opf)
        chapters = [_chapter(z, href, ctx) for href in _spine(opf, posixpath.dirname(opf_path))]
    text, offsets, titles = "", [], []
    for title, paras in chapters:
        if not paras:
            continue
        if text:
            text += "\n\n"
        offsets.append(len(text))
        titles.append(title)
        text += "\n\n".join(paras)
    meta.update(chapters=offsets, chapter_titles=titles)
    if not text:
        yield Part(skipped="EPUB without text", meta=meta, format="epub")
        return
    yield Part(title=meta.pop("title", ""), text=text, meta=meta, format="epub")


def _opf_meta(opf: etree._Element) -> dict:
    """Return title, author, date and language from the OPF metadata."""
    def get(tag: str) -> str:
        found = opf.find(f"opf:metadata/dc:{tag}", _NS)
        return squeeze(found.text or "") if found is not None else ""

    meta = {"title": get("title"), "author": get("creator"), "date": get("date")[:10],
            "language": get("language")}
    return {k: v for k, v in meta.items() if v}


def _spine(opf: etree._Element, base: str) -> list[str]:
    """Return the zip paths of the spine's documents, in reading order."""
    manifest = {item.get("id"): item.get("href", "") for item in opf.iterfind("opf:manifest/opf:item", _NS)}
    paths = []
    for ref in opf.iterfind("opf:spine/opf:itemref", _NS):
        href = manifest.get(ref.get("idref"))
        if href:
            paths.append(posixpath.normpath(posixpath.join(base, unquote(href.split("#")[0]))))
    return paths


def _chapter(z: zipfile.ZipFile, path: str, ctx: Context) -> tuple[str, list[str]]:
    """Return (title, paragraphs) of one chapter; a missing file gives nothing."""
    try:
        info = z.getinfo(path)
    except KeyError:
        return "", []
    title, paras = html_paragraphs(read_zip_member(z, info, ctx))
    heading = paras[0] if paras and len(paras[0]) <= 120 else ""  # chapters open with their heading
    return heading or title, paras
