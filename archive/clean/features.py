"""Describe each line of a document by numbers (length, punctuation, case, cue words, neighbours).

The same function feeds the learned line classifier at training time (scikit-learn) and at run
time (pure Python), so the two can never disagree about what a feature means.
"""

from __future__ import annotations

import math
import re

from archive.clean.language import STOPWORDS

# Function words of the languages we detect; a sentence nearly always has some, a menu item rarely.
_FUNCTION = frozenset(w for words in STOPWORDS.values() for w in words) | frozenset(
    "a an the this these those be been it its we you they i he she our your their not no will can".split()
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SENTENCE_END = re.compile(r"[.!?…。！？\"”’»)]\s*$")
_DATE = re.compile(
    r"\b(19|20)\d\d[-./](0?[1-9]|1[0-2])[-./]\d{1,2}\b|\b\d{1,2}:\d\d\b|"
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b|"
    r"\b\d{1,2} (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b(19|20)\d\d\b",
    re.IGNORECASE,
)
# Cue words grouped by the kind of boilerplate they announce; matched on lower-cased text.
_CUES = {
    "promo": r"subscri|newsletter|sign ?up|signup|download|\bapp\b|inbox|free trial|premium|"
             r"\bmember|log ?in\b|register|advert|sponsor|podcast|\bwatch\b|listen|click|tap here|"
             r"don't miss|never miss|get the|join us|support us|donate",
    "social": r"facebook|twitter|\bx\b|whatsapp|linkedin|instagram|pinterest|reddit|telegram|"
              r"youtube|tiktok|share|follow|tweet|e-?mail|print|copy link|comments?\b",
    "nav": r"\bhome\b|\bmenu\b|search|skip to|next|previous|\bmore\b|\bsee all\b|topics?\b|tags?\b|"
           r"tagged|categor|section|archive|contact|about us|privacy|cookie|terms|policy|careers|"
           r"sitemap|\bfaq\b|help|settings|account",
    "caption": r"\bphoto\b|\bimage\b|\bpicture\b|getty|reuters|\bafp\b|\bap\b|\bepa\b|credit|"
               r"courtesy|illustration|shutterstock|file photo|사진",
    "related": r"related|read more|also read|see also|recommended|trending|most read|popular|"
               r"you may|you might|more from|more stories|latest",
    "legal": r"©|ⓒ|copyright|all rights reserved|reproduction|무단",
    "byline": r"^by\b|\breporter\b|\bcorrespondent\b|\beditor\b|\bstaff\b|\bwriter\b|기자|"
              r"updated|published|posted|입력|수정",
}
_CUE_RX = {name: re.compile(rx) for name, rx in _CUES.items()}
# Promos address the reader and open with an order; article prose rarely does either.
_SECOND_PERSON = re.compile(r"\b(you|your|you're|you’re|yours)\b")
_CALL_TO_ACTION = re.compile(
    r"^(\W*)(sign|subscribe|follow|download|get|join|click|tap|read|watch|listen|submit|share|"
    r"never miss|don't miss|don’t miss|stay|discover|explore|find|check out|support|donate|like|"
    r"register|log ?in|see|view|learn more|visit|send|contact|email|call|buy|shop|try|start)\b"
)

FEATURES = (
    "len", "words", "sentence_end", "colon_end", "function_share", "capital_share", "upper_share",
    "digit_share", "punct_share", "separators", "bullet", "link", "date", "cjk", "second_person",
    "call_to_action",
    *(f"cue_{name}" for name in _CUES),
    "position", "near_start", "near_end", "prev_len", "next_len", "prev_sentence",
    "next_sentence", "window_len", "short_neighbours", "repeated", "heading_like",
)


def line_features(texts: list[str], wanted: list[bool] | None = None) -> list[list[float]]:
    """Return one feature vector (in the order of FEATURES) per line of a document.

    :param wanted: lines whose full vector is needed; the others get only what their neighbours
        read (length, words, sentence end), which keeps cleaning a long article cheap.
    """
    own = [_own_features(t) if wanted is None or wanted[i] else _cheap_features(t) for i, t in enumerate(texts)]
    counts: dict[str, int] = {}
    for t in texts:
        counts[t] = counts.get(t, 0) + 1
    n = len(texts)
    out = []
    for i, f in enumerate(own):
        prev = own[i - 1] if i > 0 else None
        nxt = own[i + 1] if i + 1 < n else None
        window = own[max(0, i - 3): i + 4]
        ctx = [
            i / max(1, n - 1),
            1.0 if i < 3 else 0.0,
            1.0 if i >= n - 3 else 0.0,
            prev[1] if prev else 0.0,
            nxt[1] if nxt else 0.0,
            prev[2] if prev else 1.0,
            nxt[2] if nxt else 1.0,
            sum(w[0] for w in window) / len(window),
            sum(1 for w in window if w[1] < math.log1p(5)) / len(window),
            1.0 if counts[texts[i]] > 1 else 0.0,
            1.0 if f[1] <= math.log1p(12) and not f[2] and f[0] > 0 else 0.0,
        ]
        out.append(f + ctx)
    return out


def _cheap_features(text: str) -> list[float]:
    """Return the first three own features, those a neighbour's context uses."""
    nwords = len(_WORD.findall(text)) + len(_CJK.findall(text)) / 2
    return [math.log1p(len(text)), math.log1p(nwords), 1.0 if _SENTENCE_END.search(text) else 0.0]


def _own_features(text: str) -> list[float]:
    """Return the features a line has on its own (no context)."""
    low = text.lower()
    words = _WORD.findall(text)
    cjk = len(_CJK.findall(text))
    nwords = len(words) + cjk / 2
    alpha = [w for w in words if w[:1].isalpha()]
    chars = max(1, len(text))
    letters = sum(1 for c in text if c.isalpha()) or 1
    return [
        math.log1p(len(text)),
        math.log1p(nwords),
        1.0 if _SENTENCE_END.search(text) else 0.0,
        1.0 if text.rstrip().endswith(":") else 0.0,
        sum(1 for w in words if w.lower() in _FUNCTION) / max(1, len(words)),
        sum(1 for w in alpha if w[0].isupper()) / max(1, len(alpha)),
        sum(1 for c in text if c.isupper()) / letters,
        sum(1 for c in text if c.isdigit()) / chars,
        sum(1 for c in text if not (c.isalnum() or c.isspace())) / chars,
        min(3.0, float(len(re.findall(r"\s[|•·»›/]\s|\s[|•·]|[|•·]\s", text)))),
        1.0 if re.match(r"^\s*([-–*•·▶►▸>→]|\d+\.)\s", text) else 0.0,
        1.0 if re.search(r"https?://|www\.|\S@\S|@\w|\.(com|org|net|example)\b", low) else 0.0,
        1.0 if _DATE.search(text) else 0.0,
        cjk / chars,
        min(3.0, float(len(_SECOND_PERSON.findall(low)))),
        1.0 if _CALL_TO_ACTION.match(low) else 0.0,
        *(min(3.0, float(len(rx.findall(low)))) for rx in _CUE_RX.values()),
    ]
