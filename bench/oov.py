"""How many spoken words fall back to espeak-ng: the out-of-vocabulary (OOV) rate of real posts.

Every Markdown post under FOLDER (``*.md``, ``*.markdown``, recursively) goes through the script
stage (the Markdown walk and normalize) and misaki with the project lexicon, as a build would read
it with an American voice. A word is OOV when misaki found it in neither its dictionaries nor the
lexicon and asked espeak-ng to guess. The rate is OOV word occurrences over all spoken words.

Usage:
  PYTHONPATH=workflow .venv/bin/python bench/oov.py FOLDER [FOLDER ...] [--lexicon PATH]
      [--top N] [--limit N]

Prints one line per folder (posts, words, OOV words, rate), how many words the G2P built from
misaki's own dictionary instead (compounds, British spellings; versions that do this), and the
most frequent OOV words. Only
uses the script and phonemes APIs that every version of the package has, so the same command run
with PYTHONPATH pointing at an older checkout's ``workflow`` folder gives the "before" number.
Posts that declare a language other than English, or that the script stage rejects, are skipped.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from kokoro_narrate import phonemes, script

REPO = Path(__file__).resolve().parent.parent


def posts_under(folder: Path, limit: int | None) -> list[Path]:
    posts = sorted(p for p in folder.rglob("*") if p.suffix in (".md", ".markdown"))
    posts = [p for p in posts if p.name.lower() != "readme.md"]
    return posts[:limit] if limit else posts


def occurrences(word: str, text: str) -> int:
    """How often misaki met `word` in `text`: at least once, since it reported it."""
    return max(1, len(re.findall(rf"(?<!\w){re.escape(word)}(?!\w)", text)))


def measure(folder: Path, g2p, limit: int | None) -> tuple[int, int, int, Counter]:
    posts = words = 0
    oov: Counter = Counter()
    for path in posts_under(folder, limit):
        try:
            post = script.parse_post(path.read_bytes(), str(path), "en")
        except Exception as error:  # a post the script stage rejects is not read aloud at all
            print(f"  skipped {path.relative_to(folder)}: {error}", file=sys.stderr)
            continue
        if post.skip or (post.lang or "en") != "en":
            continue
        posts += 1
        for paragraph in post.paragraphs:
            words += phonemes.count_words(paragraph.text)
            for word in g2p(paragraph.text)[1]:
                oov[word] += occurrences(word, paragraph.text)
    return posts, words, sum(oov.values()), oov


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--lexicon", type=Path, default=REPO / "config" / "lexicon.yaml")
    parser.add_argument("--top", type=int, default=40, help="most frequent OOV words to list")
    parser.add_argument("--limit", type=int, help="read only the first N posts of each folder")
    args = parser.parse_args()

    g2p = phonemes.G2P("a", phonemes.load_lexicon(args.lexicon))
    everything: Counter = Counter()
    total_words = total_oov = 0
    for folder in args.folders:
        posts, words, oov_words, oov = measure(folder, g2p, args.limit)
        everything += oov
        total_words += words
        total_oov += oov_words
        rate = oov_words / words if words else 0.0
        print(f"{folder}: {posts} posts, {words} words, {oov_words} OOV ({rate:.2%})")
    if len(args.folders) > 1 and total_words:
        print(f"all: {total_words} words, {total_oov} OOV ({total_oov / total_words:.2%})")
    composed = getattr(g2p, "composed", None)
    if composed is not None:
        print(f"composed from misaki's dictionary instead of espeak: {sum(composed.values())}")
    print(f"most frequent OOV words ({len(everything)} distinct):")
    for word, count in everything.most_common(args.top):
        print(f"  {count:5d}  {word}")


if __name__ == "__main__":
    main()
