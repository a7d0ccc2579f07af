"""Captions and chapters of a narration, from its timing JSON: WebVTT, SRT and WebVTT chapters.

A cue is one sentence of the script (what is said, not the Markdown), cut at clause marks, then
between words, when it would be on screen longer than `MAX_CUE_S` or take more than `MAX_LINES`
lines of `LINE_CHARS`. Its times come from the narration's timing JSON, which places every piece
and, where Kokoro's durations give them, every word (narration.py, alignment.py) in whole samples:
a cue starts on its first word and ends on its last, so caption time never drifts from the audio.
A cue is shown from a little before its first word (`CUE_LEAD_S`, never more than half the pause
before it) to a little after its last (`CUE_TAIL_S`, never more than half the pause after it), so
it appears inside the pause before its sentence. WebVTT cues carry each word's time as a
cue-internal timestamp (karaoke style); SRT has no such thing and stays per cue.

Without word times (an espeak-ng language whose sentence marks did not line up), a piece's speech
is shared among its sentences by their length in characters: the piece itself is still exact.

Chapters: the post's title from the start, then one per heading, each from the start of the
heading's first cue to the next chapter. The MP3's ID3 chapters (encode.py) are these.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from . import files
from .phonemes import CLAUSE_END, SENTENCE_END

# 42 characters a line, two lines a cue: the usual subtitle limits (BBC, Netflix); a cue of two
# full lines read at Kokoro's pace (about 15 characters a second) takes under 7 seconds
LINE_CHARS = 42
MAX_LINES = 2
MAX_CUE_S = 7.0
# a cue appears this long before its first word and stays this long after its last: enough to
# start reading, bounded by half the pause on each side so neighbouring cues never overlap
CUE_LEAD_S = 0.2
CUE_TAIL_S = 0.3
HEADING_KINDS = ("heading",)


@dataclass(frozen=True)
class Word:
    text: str
    start: int  # samples
    end: int


@dataclass(frozen=True)
class Cue:
    start: int  # samples: when it appears
    end: int  # when it goes
    speech_start: int  # its first word
    speech_end: int  # the end of its last word
    lines: tuple[str, ...]
    words: tuple[Word, ...] = ()  # with word times (WebVTT timestamps); empty without them
    piece: int = 0  # index of the timing piece it belongs to

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Chapter:
    start: int  # samples
    end: int
    title: str


# -- cutting the script into cues ------------------------------------------------------------------


def _ranges(text: str, pattern: re.Pattern, lo: int = 0, hi: int | None = None):
    """(start, end) of the non-empty parts of text[lo:hi] between matches of `pattern`."""
    hi = len(text) if hi is None else hi
    out, at = [], lo
    for m in [*pattern.finditer(text, lo, hi), None]:
        end = m.start() if m else hi
        if text[at:end].strip():
            out.append(_strip(text, at, end))
        at = m.end() if m else at
    return out


def _strip(text: str, lo: int, hi: int) -> tuple[int, int]:
    while lo < hi and text[lo].isspace():
        lo += 1
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    return lo, hi


def _words_in(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text[:hi]) if m.start() >= lo]


class _Clock:
    """Narration sample of any character position of a piece's text: exact at every word's
    start and end (the timing JSON's words), linear in between and where there are none."""

    def __init__(self, piece: dict):
        text = piece["text"]
        points = [(0, piece["start_sample"]), (len(text), piece["end_sample"])]
        for word in piece.get("words", ()):
            points += [
                (word["char_start"], word["start_sample"]),
                (word["char_end"], word["end_sample"]),
            ]
        points.sort()
        self.chars = np.array([c for c, _ in points], dtype=np.float64)
        self.samples = np.maximum.accumulate(np.array([s for _, s in points], dtype=np.float64))
        self.words = {w["char_start"]: w for w in piece.get("words", ())}
        self.word_level = piece.get("word_timing") == "word"
        self.text = text

    def at(self, char: int, side: str) -> int:
        """Sample at `char`; where several points share it, the first ("left") or last."""
        i = np.searchsorted(self.chars, char, side=side)
        if side == "left" and i < len(self.chars) and self.chars[i] == char:
            return int(self.samples[i])
        if side == "right" and i > 0 and self.chars[i - 1] == char:
            return int(self.samples[i - 1])
        return int(round(float(np.interp(char, self.chars, self.samples))))

    def span(self, lo: int, hi: int) -> tuple[int, int]:
        """Speech of text[lo:hi]: from the start of its first letter to the end of its last
        (without word times: the share of the piece's speech that falls to text[lo:hi])."""
        if not self.words:
            return self.at(lo, "right"), self.at(hi, "left")
        letters = [i for i in range(lo, hi) if self.text[i].isalnum()] or [lo]
        start = self.at(letters[0], "right")
        for c in range(lo, letters[0] + 1):  # a word starting on punctuation: "(twice)"
            if c in self.words:
                start = self.words[c]["start_sample"]
                break
        end = self.at(letters[-1] + 1, "left")
        for word in self.words.values():
            if lo <= word["char_start"] < hi and word["char_end"] >= letters[-1] + 1:
                end = word["end_sample"]
        return start, max(start, end)


def _fits(text: str, seconds: float, line_chars: int, max_s: float) -> bool:
    return len(" ".join(text.split())) <= line_chars * MAX_LINES and seconds <= max_s


def _units(text: str, lo: int, hi: int, clock: _Clock, sr: int, line_chars: int, max_s: float):
    """text[lo:hi] (one sentence) as ranges that each fit a cue: the sentence, else clauses
    packed together, else a clause cut into balanced runs of words."""

    def fits(a, b):
        start, end = clock.span(a, b)
        return _fits(text[a:b], (end - start) / sr, line_chars, max_s)

    if fits(lo, hi):
        return [(lo, hi)]
    out = []
    for a, b in _ranges(text, CLAUSE_END, lo, hi):
        if out and fits(out[-1][0], b):
            out[-1] = (out[-1][0], b)
        elif fits(a, b):
            out.append((a, b))
        else:
            out += _balanced(text, a, b, fits)
    return out


def _balanced(text: str, lo: int, hi: int, fits) -> list[tuple[int, int]]:
    """text[lo:hi] cut between words into the fewest runs of about equal length that fit."""
    words = _words_in(text, lo, hi)
    for parts in range(2, len(words) + 1):
        size = (hi - lo) / parts
        cuts, runs, first = [], [], 0
        for k in range(1, parts):
            target = lo + size * k
            best = min(range(first + 1, len(words)), key=lambda i: abs(words[i][0] - target))
            cuts.append(best)
            first = best
        bounds = [0, *cuts, len(words)]
        if any(b <= a for a, b in zip(bounds, bounds[1:], strict=False)):
            continue
        runs = [(words[a][0], words[b - 1][1]) for a, b in zip(bounds, bounds[1:], strict=False)]
        if all(fits(a, b) for a, b in runs):
            return runs
    return [(a, b) for a, b in words]  # a word per cue: nothing shorter to show


def wrap(text: str, line_chars: int = LINE_CHARS) -> tuple[str, ...]:
    """One line, or two cut at the space nearest the middle (the shorter line on top when
    they cannot be equal)."""
    words = text.split()
    one = " ".join(words)
    if len(one) <= line_chars or len(words) < 2:
        return (one,)
    best = min(
        range(1, len(words)),
        key=lambda k: (
            max(len(" ".join(words[:k])), len(" ".join(words[k:]))),
            len(" ".join(words[:k])) > len(" ".join(words[k:])),
        ),
    )
    return (" ".join(words[:best]), " ".join(words[best:]))


def cues(timing: dict, line_chars: int = LINE_CHARS, max_s: float = MAX_CUE_S) -> list[Cue]:
    """Every cue of a narration, in order, from its timing JSON (narration.build_narration)."""
    sr = timing["sample_rate"]
    draft = []  # (speech start, speech end, lines, words, piece)
    for index, piece in enumerate(timing["pieces"]):
        text, clock = piece["text"], _Clock(piece)
        for lo, hi in _ranges(text, SENTENCE_END) or [_strip(text, 0, len(text))]:
            for a, b in _units(text, lo, hi, clock, sr, line_chars, max_s):
                start, end = clock.span(a, b)
                words = _cue_words(text, a, b, clock) if clock.word_level else ()
                draft.append((start, end, wrap(text[a:b], line_chars), words, index))
    out = []
    for i, (start, end, lines, words, index) in enumerate(draft):
        before = start - (draft[i - 1][1] if i else 0)
        after = (draft[i + 1][0] if i + 1 < len(draft) else timing["samples"]) - end
        lead = min(round(CUE_LEAD_S * sr), max(before, 0) // 2)
        tail = min(round(CUE_TAIL_S * sr), max(after, 0) // 2)
        out.append(Cue(start - lead, end + tail, start, end, lines, words, index))
    return out


def _cue_words(text: str, lo: int, hi: int, clock: _Clock) -> tuple[Word, ...]:
    """The cue's words as written (runs without spaces, punctuation attached), each timed by
    the first word of the timing JSON that starts inside it."""
    out = []
    for a, b in _words_in(text, lo, hi):
        timed = next((clock.words[c] for c in range(a, b) if c in clock.words), None)
        if timed is None and out:  # a run with no word of its own ("—"): said with the last
            start = out[-1].end
        else:
            start = timed["start_sample"] if timed else clock.at(a, "right")
        end = timed["end_sample"] if timed else start
        out.append(Word(text[a:b], start, end))
    return tuple(out)


def chapters(timing: dict, title: str | None = None) -> list[Chapter]:
    """One chapter per heading, from the start of its first cue to the next heading, and before
    the first heading, unless it is the first thing said, one from the start named `title` (else
    the script's title, else "Introduction")."""
    pieces = timing["pieces"]
    first_cue: dict[int, Cue] = {}
    for cue in cues(timing):
        first_cue.setdefault(cue.piece, cue)
    marks: list[list] = []  # [start, title]
    for index, piece in enumerate(pieces):
        if piece["kind"] not in HEADING_KINDS:
            continue
        if index and pieces[index - 1]["paragraph"] == piece["paragraph"]:
            marks[-1][1] += " " + piece["text"]  # a heading split into chunks: one chapter
            continue
        cue = first_cue.get(index)
        marks.append([cue.start if cue else piece["start_sample"], piece["text"]])
    heading_first = bool(pieces) and pieces[0]["kind"] in HEADING_KINDS
    if heading_first:
        marks[0][0] = 0
    else:
        named = title or next((p["text"] for p in pieces if p["kind"] == "title"), None)
        marks.insert(0, [0, named or "Introduction"])
    ends = [start for start, _ in marks[1:]] + [timing["samples"]]
    return [
        Chapter(start, end, " ".join(name.split()))
        for (start, name), end in zip(marks, ends, strict=True)
        if end > start
    ]


# -- writing -------------------------------------------------------------------------------------


def timestamp(samples: int, sr: int, comma: bool = False) -> str:
    """HH:MM:SS.mmm (SRT: HH:MM:SS,mmm), rounded to the millisecond."""
    ms = int(math.floor(samples * 1000 / sr + 0.5))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{',' if comma else '.'}{ms:03d}"


def _ms(samples: int, sr: int) -> int:
    return int(math.floor(samples * 1000 / sr + 0.5))


def _vtt_text(text: str) -> str:
    """WebVTT cue text is markup: &, < and > are escaped, and "-->" cannot appear."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _vtt_payload(cue: Cue, sr: int) -> str:
    """The cue's lines, with a timestamp before every word after the first where word times
    exist (each strictly after the cue start and the one before, before the cue end)."""
    if not cue.words:
        return _vtt_text(cue.text)
    lines, at = [], 0
    last = _ms(cue.start, sr)
    end = _ms(cue.end, sr)
    for line in cue.lines:
        said = []
        for token in line.split(" "):
            word = cue.words[at] if at < len(cue.words) else None
            at += 1
            mark = _ms(word.start, sr) if word else None
            if (said or lines) and mark is not None and last < mark < end:
                said.append(f"<{timestamp(word.start, sr)}>{_vtt_text(token)}")
                last = mark
                continue
            said.append(_vtt_text(token))
        lines.append(" ".join(said))
    return "\n".join(lines)


def webvtt(all_cues: list[Cue], sr: int) -> str:
    blocks = ["WEBVTT\n"]
    for n, cue in enumerate(all_cues, 1):
        times = f"{timestamp(cue.start, sr)} --> {timestamp(cue.end, sr)}"
        blocks.append(f"{n}\n{times}\n{_vtt_payload(cue, sr)}\n")
    return "\n".join(blocks)


def srt(all_cues: list[Cue], sr: int) -> str:
    blocks = []
    for n, cue in enumerate(all_cues, 1):
        times = f"{timestamp(cue.start, sr, True)} --> {timestamp(cue.end, sr, True)}"
        blocks.append(f"{n}\n{times}\n{cue.text.replace('-->', '->')}\n")
    return "\n".join(blocks)


def chapters_vtt(marks: list[Chapter], sr: int) -> str:
    blocks = ["WEBVTT\n"]
    for n, chapter in enumerate(marks, 1):
        times = f"{timestamp(chapter.start, sr)} --> {timestamp(chapter.end, sr)}"
        blocks.append(f"{n}\n{times}\n{_vtt_text(chapter.title)}\n")
    return "\n".join(blocks)


def build_captions(timing: dict, vtt, srt_path, chapters_path, title: str | None = None) -> dict:
    """Stage entry point: write the three files of one narration; return counts for the log."""
    sr = timing["sample_rate"]
    all_cues = cues(timing)
    marks = chapters(timing, title)
    files.write_text(vtt, webvtt(all_cues, sr))
    files.write_text(srt_path, srt(all_cues, sr))
    files.write_text(chapters_path, chapters_vtt(marks, sr))
    return {
        "cues": len(all_cues),
        "chapters": len(marks),
        "word_timed": sum(bool(c.words) for c in all_cues),
        "longest_cue_s": max(((c.end - c.start) / sr for c in all_cues), default=0.0),
    }
