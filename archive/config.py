"""Settings: defaults, then a TOML file, then ARCHIVE_* environment variables, then flags.

A partial file overrides only the keys it sets. Example `archive.toml`:

    index = "/srv/archive/index"
    max_file_mb = 50

    [collections]
    gazette = "/srv/news/gazette"
    reports = "/srv/reports"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from archive.errors import ArchiveError

ENGINES = ("whoosh", "sphinx")


@dataclass
class Settings:
    """Every setting, with its default; help text is in each field's metadata."""

    index: Path = field(default=Path("index"), metadata={"help": "index folder"})
    collections: dict[str, Path] = field(default_factory=dict, metadata={"help": "collection name -> folder"})
    max_file_mb: float = field(default=50.0, metadata={"help": "files larger than this are reported, not read"})
    ocr: str = field(default="", metadata={"help": "tesseract languages to OCR PDF pages without text, "
                                                   "e.g. 'eng+kor' ('' is off)"})
    batch_size: int = field(default=500, metadata={"help": "documents per commit during ingest"})
    full_procs: int = field(default_factory=lambda: default_procs(), metadata={
        "help": "indexing processes for `ingest --full` (Whoosh's multiprocess writer; its count is checked before "
                "the swap; the default is the number of cores, at most 4)"})
    clean_procs: int = field(default=0, metadata={
        "help": "processes that read and clean files during an ingest of many files (1: cleaning in the ingest "
                "process; 0: one per core, at most 4, beside a full build's indexing processes too)"})
    ingest_memory_mb: int = field(default=512, metadata={
        "help": "memory an ingest may hold in all its processes, in MB: it sets how many postings each indexing "
                "process keeps before writing them out (a larger index does not need more)"})
    include: list[str] = field(default_factory=list,
                               metadata={"help": "glob patterns of files to read (empty: every supported file)"})
    # README files describe a folder; they are not documents of the collection.
    # TOML files are settings (an archive.toml, an aliases file), not documents.
    exclude: list[str] = field(default_factory=lambda: [".*", "*~", "*.tmp", "*.part", "*.swp", "README", "README.*",
                                                        "*.toml"],
                               metadata={"help": "glob patterns of files and folders to skip"})
    auth_user: str = field(default="", metadata={"help": "user name `archive serve` requires (empty: no login)"})
    auth_hash: str = field(default="", metadata={"help": "that user's password hash, from `archive hash-password`"})
    engine: str = field(default="whoosh", metadata={"help": "search engine: 'whoosh' (an index folder) or 'sphinx' "
                                                             "(a cluster, described by [cluster]; docs/cluster.md)"})
    cluster: dict = field(default_factory=dict,
                          metadata={"help": "the Sphinx cluster: coordinator, shards, data, name"})
    aliases: str = field(default="", metadata={"help": "aliases file (TOML) of equivalent names; empty or 'off': "
                                                        "none (the demo corpus names its own: samples/archive.toml)"})

    @property
    def max_bytes(self) -> int:
        """Return the size cap in bytes."""
        return int(self.max_file_mb * 1024 * 1024)


def default_procs() -> int:
    """Return the default number of indexing processes of a full build: one per core, at most 4."""
    return max(1, min(os.cpu_count() or 1, 4))


def clean_procs(settings: Settings) -> int:
    """Return how many processes clean files during an ingest of many files.

    One per core (at most 4), whether or not indexing processes run beside them: the ingest
    process, which cleans when no worker does, is a full build's bottleneck, and its indexing
    processes wait for it. Measured on 2 cores (`bench/ingest_scale.py build --clean-procs`,
    10,000 Reuters-derived files, two indexing processes): cleaning in the ingest process 221.6
    documents/s, two cleaning processes 258.7. The ingest process was busy 95 % of the time and
    each indexing process 20 %. (With the slower indexing of an earlier version, the cores were
    busy and cleaners only added CPU.)
    """
    if settings.clean_procs > 0:
        return settings.clean_procs
    return max(1, min(os.cpu_count() or 1, 4))


# What an ingest holds besides the postings its writers keep: the ingest process (file list,
# manifest entries, story signatures, a batch of documents) and each indexing process's own.
INGEST_BASE_MB = 200
# A story signature in memory with its band keys, id and label, in bytes (tests/test_stories.py).
STORY_ROW_BYTES = 800


def story_rows(settings: Settings) -> int:
    """Return how many story signatures a full build holds in memory before it moves them to a
    scratch file (archive/stories.py): an eighth of `ingest_memory_mb`, 83,886 by default."""
    return max(1000, settings.ingest_memory_mb * 2**20 // 8 // STORY_ROW_BYTES)


def writer_limit_mb(settings: Settings, procs: int) -> int:
    """Return the postings memory (MB) of each of `procs` indexing processes within `ingest_memory_mb`.

    Half of each process's share: the other half is the segment it writes when the postings are
    full (blocks, length columns) and the allocator's slack.
    """
    return max(2, (settings.ingest_memory_mb - INGEST_BASE_MB) // (2 * max(1, procs)))


def load(config_file: str | os.PathLike | None = None, **overrides: object) -> Settings:
    """Return settings from defaults < file < environment < non-None overrides."""
    settings = Settings()
    path = config_file or os.environ.get("ARCHIVE_CONFIG")
    if path:
        _apply_file(settings, Path(path))
    elif Path("archive.toml").is_file():
        _apply_file(settings, Path("archive.toml"))
    env_aliases = os.environ.get("ARCHIVE_ALIASES")
    if env_aliases is not None:
        settings.aliases = env_aliases
    settings.auth_user = os.environ.get("ARCHIVE_AUTH_USER", settings.auth_user)
    settings.auth_hash = os.environ.get("ARCHIVE_AUTH_HASH", settings.auth_hash)
    settings.engine = os.environ.get("ARCHIVE_ENGINE", settings.engine)
    if settings.engine not in ENGINES:
        raise ArchiveError(f"Unknown engine {settings.engine!r} (use one of: {', '.join(ENGINES)})")
    env_index = os.environ.get("ARCHIVE_INDEX")
    if env_index:
        settings.index = Path(env_index)
    for key, value in overrides.items():
        if value is not None:
            setattr(settings, key, Path(str(value)) if key == "index" else value)
    return settings


def _apply_file(settings: Settings, path: Path) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ArchiveError(f"Cannot read the config file {path}: {exc}") from exc
    known = {f.name for f in fields(Settings)}
    for key, value in data.items():
        if key not in known:
            raise ArchiveError(f"Unknown setting {key!r} in {path} (known: {', '.join(sorted(known))})")
        if key == "index":
            value = (path.parent / value).resolve()
        elif key == "aliases" and value and str(value).lower() not in ("off", "none", "false"):
            value = str((path.parent / value).resolve())
        elif key == "cluster" and isinstance(value, dict) and value.get("data"):
            value = {**value, "data": str((path.parent / value["data"]).resolve())}
        elif key == "collections":
            value = {name: (path.parent / folder).resolve() for name, folder in value.items()}
        setattr(settings, key, value)
