"""A new archive has no aliases; the demo corpus names its own in samples/archive.toml."""

from __future__ import annotations

from needs import SAMPLES

from archive import config
from archive.archive import Archive


def test_a_new_archive_has_no_aliases_and_the_demo_config_names_its_own(sample_index, monkeypatch):
    monkeypatch.delenv("ARCHIVE_ALIASES", raising=False)
    monkeypatch.delenv("ARCHIVE_CONFIG", raising=False)
    monkeypatch.chdir(sample_index.parent)
    plain = config.load(index=str(sample_index))
    assert plain.aliases == ""
    with Archive(plain) as archive:
        assert not archive.aliases.groups
        alone = archive.search("Huchang").total
    demo = config.load(SAMPLES / "archive.toml", index=str(sample_index))
    assert demo.aliases == str(SAMPLES / "aliases.toml")
    with Archive(demo) as archive:
        assert archive.aliases.group(("huchang",))
        assert archive.search("Huchang").total > alone
