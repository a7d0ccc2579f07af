"""Where each word of a chunk is in its audio, from Kokoro's own predicted durations.

Kokoro reads one input token per phoneme character it knows, plus a boundary token at each end,
predicts how many frames each token lasts (the chunk cache keeps them: `Entry.frames`) and makes
exactly `FRAME_SAMPLES` samples per frame. The phonemes stage records where each word of a chunk's
text is in its phonemes (`Chunk.spans`), so a word's audio is the frames of its first to its last
phoneme: exact in whole samples, with no guessing from the audio.

Where a chunk has no word spans (espeak-ng languages), its sentences are matched to the sentence
marks in its phonemes instead (`sentence_spans`), so captions still start where each sentence
does; where even that fails, captions share the chunk's time out by length (captions.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

# Kokoro-82M's decoder makes 600 samples (25 ms at 24 kHz) per predicted frame: its audio is
# always sum(frames) * 600 samples long (tests/test_alignment.py checks it on the tiny model).
FRAME_SAMPLES = 600
# ...but its voice runs ahead of its frames by a constant: on real speech (bench/publish.py,
# corpus/long-essay.md in jf_alpha, 17 minutes) the words that follow a silence start sounding a
# median 62 ms before their first frame (at -45 dBFS; quartiles 41-92 ms), and every chunk's voice
# ends a median 64 ms (5th-95th percentile 56-69 ms) before its last word's frames do. So a word's
# audio is taken to be its frames moved this much earlier.
VOICE_LEAD_SAMPLES = 1320  # 55 ms at 24 kHz

# A sentence end in a phoneme string: espeak-ng and misaki keep the text's . ! ? (and …)
_PHONEME_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”')\]]*\s+")


def token_positions(
    phonemes: str, tokens: int, vocab: Callable[[], frozenset[str]] | None = None
) -> list[int | None] | None:
    """Kokoro's input token for each character of `phonemes` (token 0 is the leading boundary),
    None for a character it drops, or None when the characters cannot be matched to `tokens`.

    Kokoro drops characters that are not in its vocabulary; when the token count says none was
    dropped (len(phonemes) + 2 tokens) the vocabulary is not needed, else `vocab()` gives it.
    """
    if tokens == len(phonemes) + 2:
        return list(range(1, len(phonemes) + 1))
    if vocab is None:
        return None
    known = vocab()
    positions, token = [], 1
    for ch in phonemes:
        positions.append(token if ch in known else None)
        token += ch in known
    return positions if token + 1 == tokens else None


def token_starts(frames: Sequence[int]) -> list[int]:
    """First sample of every token in the chunk's audio, and the audio's end last."""
    starts, at = [0], 0
    for n in frames:
        at += int(n) * FRAME_SAMPLES
        starts.append(at)
    return starts


def span_samples(
    phonemes: str,
    frames: Sequence[int],
    spans: Sequence[Sequence[int]],
    vocab: Callable[[], frozenset[str]] | None = None,
    lead: int = VOICE_LEAD_SAMPLES,
) -> list[tuple[int, int, int, int]]:
    """(text start, text end, first sample, one past the last sample) in the chunk's audio of
    each span [text start, text end, phonemes start, phonemes end]: its frames, `lead` samples
    earlier. A span none of whose characters Kokoro read is left out, and so is every span when
    the tokens do not match."""
    positions = token_positions(phonemes, len(frames), vocab)
    if positions is None:
        return []
    starts = token_starts(frames)
    out = []
    for text_start, text_end, ps_start, ps_end in spans:
        read = [t for t in positions[ps_start:ps_end] if t is not None]
        if read:
            first = max(0, starts[read[0]] - lead)
            out.append((text_start, text_end, first, max(first, starts[read[-1] + 1] - lead)))
    return out


def sentence_spans(text: str, phonemes: str, sentence_end: re.Pattern) -> list[list[int]]:
    """Spans of whole sentences, for a chunk without word spans: the text's sentences (cut by
    `sentence_end`) matched to the phonemes' sentence marks, when both have as many; else []."""
    texts = _cuts(text, sentence_end)
    said = _cuts(phonemes, _PHONEME_SENTENCE_END)
    if len(texts) < 2 or len(texts) != len(said):
        return []
    return [[a, b, c, d] for (a, b), (c, d) in zip(texts, said, strict=True)]


def _cuts(text: str, pattern: re.Pattern) -> list[tuple[int, int]]:
    """(start, end) of the pieces of `text` between matches of `pattern`, empty ones left out."""
    out, at = [], 0
    for m in [*pattern.finditer(text), None]:
        end = m.start() if m else len(text)
        if text[at:end].strip():
            out.append((at, end))
        at = m.end() if m else at
    return out


def vocab_loader(model: dict) -> Callable[[], frozenset[str]]:
    """The model's phoneme vocabulary, read from its config.json when first asked for (a local
    `model.config`, else the Hugging Face cache the synthesis stage filled)."""
    found: list[frozenset[str]] = []

    def vocab() -> frozenset[str]:
        if not found:
            path = model.get("config")
            if not path:
                from huggingface_hub import hf_hub_download

                path = hf_hub_download(repo_id=model["repo_id"], filename="config.json")
            found.append(frozenset(json.loads(Path(path).read_text(encoding="utf-8"))["vocab"]))
        return found[0]

    return vocab
