"""`tag:NAME`, `has:note` and `has:tag` in a query: the texts of the documents so marked.

The parser reads these clauses as `Value` nodes of the fields `tag` and `has`; before a tree
reaches the engine, `resolve` replaces each with the content hashes of the marked documents as
the index holds them now (`content_hash:` values, which both engines index). Results count
distinct texts, so a tag on one copy of a text finds the text, listed with all its copies. A
marked document that is no longer in the index (orphaned) finds nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from archive.errors import BadQuery
from archive.marks.store import MarkStore
from archive.query.parser import MARK_FIELDS
from archive.query.tree import And, Node, Not, Or, Value

HAS_VALUES = ("note", "tag")
HASH_FIELD = "content_hash"
NO_TEXT = "-"  # a content hash no text has: a mark that matches nothing


def uses_marks(tree: Node) -> bool:
    """Return True when the tree holds a `tag:` or `has:` clause."""
    if isinstance(tree, Value):
        return tree.field in MARK_FIELDS
    if isinstance(tree, (And, Or)):
        return any(uses_marks(c) for c in tree.children)
    if isinstance(tree, Not):
        return uses_marks(tree.child)
    return False


def marked_ids(marks: MarkStore, clause: Value) -> set[str]:
    """Return the ids of the documents a `tag:` or `has:` clause names."""
    if clause.field == "tag":
        return marks.tagged(clause.value)
    value = clause.value.strip().lower()
    if value == "note":
        return marks.with_notes()
    if value == "tag":
        return marks.with_tags()
    raise BadQuery(f"'has:{clause.value}' is not understood (try has:note or has:tag)")


def texts_node(ids: set[str], hash_of: Callable[[str], str | None]) -> Node:
    """Return the node matching the current texts of these documents (nothing when none is indexed)."""
    hashes = sorted({h for h in map(hash_of, ids) if h})
    nodes = tuple(Value(HASH_FIELD, h) for h in hashes) or (Value(HASH_FIELD, NO_TEXT),)
    return nodes[0] if len(nodes) == 1 else Or(nodes)


def resolve(tree: Node, marks: MarkStore, hash_of: Callable[[str], str | None]) -> Node:
    """Return the tree with every `tag:` and `has:` clause replaced by the texts it names."""
    if isinstance(tree, Value) and tree.field in MARK_FIELDS:
        return texts_node(marked_ids(marks, tree), hash_of)
    if isinstance(tree, And):
        return And(tuple(resolve(c, marks, hash_of) for c in tree.children))
    if isinstance(tree, Or):
        return Or(tuple(resolve(c, marks, hash_of) for c in tree.children))
    if isinstance(tree, Not):
        return Not(resolve(tree.child, marks, hash_of))
    return tree  # words, phrases and proximity never hold a mark


MAX_FACET_TAGS = 20  # tags counted for the facet, the most used first


def tag_facet(tree: Node, marks: MarkStore, hash_of: Callable[[str], str | None],
              matched_texts: Callable[[Node], set[str]]) -> dict[str, int]:
    """Return how many results of the tree carry each of the most used tags (tags with none left out).

    Results are distinct texts, so a tag's count is how many of its documents' texts the tree
    matches: the texts the tree matches, taken once, answer for every tag (looking each tagged
    text up in the index instead costs a term look-up per text, which grows with the tagging).
    """
    texts = {tag: {h for h in map(hash_of, marks.tagged(tag)) if h}
             for tag in list(marks.tag_counts())[:MAX_FACET_TAGS]}
    if not any(texts.values()):
        return {}
    found = matched_texts(tree)
    return {tag: n for tag, hashes in texts.items() if (n := len(hashes & found))}
