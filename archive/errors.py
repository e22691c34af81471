"""Errors the archive raises; the CLI and the web app map them to exit codes and HTTP statuses."""


class ArchiveError(Exception):
    """Base class of every error the archive reports to its users."""

    exit_code = 3


class IndexNotFound(ArchiveError):
    """No index exists at the given location (only `ingest` creates one)."""


class IndexUnreadable(ArchiveError):
    """The index exists but cannot be opened."""


class IndexDamaged(IndexUnreadable):
    """Part of the index is damaged (a truncated segment, a garbled table of contents)."""


class StorageFailed(ArchiveError):
    """The operating system refused a write (a full disk, a read-only file system, permissions)."""


class BadQuery(ArchiveError):
    """A query could not be understood; the message says what and why."""

    exit_code = 2


class SourceUnreadable(ArchiveError):
    """A source file could not be read or decoded."""

    exit_code = 1


class IndexLocked(ArchiveError):
    """Another process holds the index's write lock."""

    exit_code = 75


class WriteFailed(ArchiveError):
    """Some documents could not be written everywhere they belong (a cluster shard down); the rest were."""

    def __init__(self, failed: dict[str, str]):
        super().__init__(f"{len(failed)} documents could not be written to every mirror of their shard")
        self.failed = failed  # document id -> reason
