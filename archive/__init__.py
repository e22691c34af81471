"""archive: clean news articles and reports, index them with Whoosh, search them from a shell or a browser."""

from archive.documents import Document, Hit, Removed, SearchResult

__version__ = "0.1.0"

__all__ = ["Document", "Hit", "Removed", "SearchResult", "__version__"]
