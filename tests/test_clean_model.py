"""The learned line classifier: shipped as package data, scored in pure Python, cautious with prose."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from archive.clean import clean_text
from archive.clean.classify import LineModel, default_model
from archive.clean.features import FEATURES, line_features

ROOT = Path(__file__).resolve().parent.parent
MENU = ["Home", "News", "World", "Business", "Sport", "Culture", "Opinion", "Video", "Login"]
ARTICLE = [
    "Ferry fares rise as fuel costs bite",
    ("The island ferry operator will add a fuel surcharge to every ticket from next month, blaming the "
     "rising price of marine diesel for a sharp increase in its running costs."),
    "Islanders fear knock-on costs",
    ("Shopkeepers on the island said the surcharge would push up the price of goods that arrive by "
     "ferry, from fresh food to building materials, and called on the council to step in."),
    ("The operator said the surcharge would be reviewed every three months and removed when fuel "
     "prices fall back to last year's level."),
]


def test_shipped_model_loads_and_matches_the_features():
    model = default_model()
    assert isinstance(model, LineModel)
    assert model.names == FEATURES
    assert 0.5 <= model.threshold < 1.0


def test_a_stale_model_is_refused():
    data = default_model().to_dict()
    data["names"] = data["names"][:-1]
    try:
        LineModel.from_dict(data)
    except ValueError as exc:
        assert "different feature set" in str(exc)
    else:
        raise AssertionError("a model for other features was accepted")


def test_features_have_one_vector_per_line():
    vectors = line_features(ARTICLE)
    assert len(vectors) == len(ARTICLE) and all(len(v) == len(FEATURES) for v in vectors)


def test_classifier_removes_a_scraped_menu_and_keeps_the_article():
    cleaned = clean_text("\n".join(ARTICLE[:1] + MENU + ARTICLE[1:]))
    removed = {r.text for r in cleaned.removed}
    assert len(removed & set(MENU)) >= len(MENU) // 2
    for line in ARTICLE[1:]:
        assert line in cleaned.text
    assert all(r.reason.startswith("looks like boilerplate (line classifier") for r in cleaned.removed)


def test_without_the_classifier_the_menu_stays():
    cleaned = clean_text("\n".join(ARTICLE[:1] + MENU + ARTICLE[1:]), model=None)
    assert cleaned.removed == []


def test_installed_package_ships_the_rules_and_the_model(tmp_path):
    # Build the package as an install would lay it out (no editable paths), then load from there.
    lib = tmp_path / "lib"
    subprocess.run([sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py",
                    "--build-lib", str(lib)], cwd=ROOT, check=True, capture_output=True)
    probe = ("import archive.clean.classify as c, archive.clean.rules as r; "
             "print(c.__file__); print(c.default_model() is not None, len(r.generic_rules()) > 10)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(lib)},
                         check=True, capture_output=True, text=True).stdout.split("\n")
    assert out[0].startswith(str(lib))
    assert out[1] == "True True"
