"""Name variants: romanization of Hangul (`romanize.py`) and spelling groups found in the archive (`variants.py`)."""
