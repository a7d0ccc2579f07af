"""The pronunciation lexicon: words misaki does not know or says wrong, and how to say them.

Two files, one format:
  * the packaged default, ``lexicon.yaml`` beside this module: tool, language and product names,
    acronyms and British spellings common in technical writing, each checked with misaki
    (tests/test_lexicon.py: none falls back to espeak-ng or says nothing). It is English: it
    applies to the American and British voices only.
  * the user's ``config/lexicon.yaml``, applied to every language. Its entries override the
    default entry by entry; map a word to itself (``GitHub: GitHub``) to undo a default entry.

An entry is ``word: /phonemes/`` (misaki's phoneme alphabet, used as written) or
``word: respelling`` (words misaki reads, said instead of the word).

Matching, the same in the normalizer (which leaves these words untouched, so "500px" reaches the
lexicon instead of becoming "five hundred pixels") and in the phonemes stage (which applies them):
  * whole words only: the characters on either side are not letters, digits or underscores, and
    the word is not joined to others by dots or slashes (github.com and ~/github are names, read by
    the normalizer, not the word "github");
  * the word as written, all in lowercase, or with its first letter capitalized ("GitHub" also
    matches "github" and "Github"; "gradle" also matches "Gradle");
  * a plural in -s or -es is found too, unless it is an entry of its own ("plugins" is said as
    "plugin" then "z"; a respelling gets the ending on its last word);
  * the longest entry wins where entries overlap ("Stack Overflow" over "Stack");
  * a hyphen next to a word separates it, and is kept: "Kokoro-82M" is the entry "Kokoro" and
    then "82M". (misaki would join a phoneme entry with its hyphenated neighbour and drop the
    neighbour's digits, so a phoneme entry is set off by a space instead of the hyphen.)
All entries are found in one pass over the text with one pattern (a trie of the entries).
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path

DEFAULT_FILE = "lexicon.yaml"


class LexiconError(ValueError):
    """A lexicon file that cannot be read; the message names the file and the fix."""


def is_phonemes(value: str) -> bool:
    return len(value) > 2 and value.startswith("/") and value.endswith("/")


def parse(text: str, source: str) -> dict[str, str]:
    """A lexicon file's text -> {word: value}, checked."""
    import yaml

    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise LexiconError(
            f"{source}: not YAML ({error}); write 'word: respelling' lines"
        ) from None
    if not isinstance(data, dict):
        raise LexiconError(f"{source}: expected 'word: /phonemes/' or 'word: respelling' lines.")
    entries = {}
    for word, value in data.items():
        word = str(word)
        if not isinstance(value, str) or not value.strip():
            raise LexiconError(
                f"{source}: {word!r} needs a value: 'word: /phonemes/' or 'word: respelling'."
            )
        if word != word.strip() or not word or not re.search(r"\w", word):
            raise LexiconError(f"{source}: {word!r} is not a word to look for.")
        entries[word] = value.strip()
    return entries


def load(path) -> dict[str, str]:
    """The user's lexicon file: {word: /phonemes/ or respelling}; no file means no entries."""
    if path is None or not Path(path).is_file():
        return {}
    return parse(Path(path).read_text(encoding="utf-8"), str(path))


@functools.cache
def default_entries() -> dict[str, str]:
    """The packaged default lexicon (read once)."""
    text = resources.files(__package__).joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
    return parse(text, DEFAULT_FILE)


def default_words() -> frozenset[str]:
    return frozenset(default_entries())


def variants(word: str) -> list[str]:
    """The spellings an entry matches: as written, lowercase, capitalized."""
    lower = word.lower()
    return list(dict.fromkeys([word, lower, lower[:1].upper() + lower[1:]]))


def plural(word: str) -> str | None:
    """The -s or -es plural of a word that ends in a letter; None for other words."""
    if not word[-1:].isalpha():
        return None
    if word[-1:] in "sxzSXZ" or word[-2:].lower() in ("ch", "sh"):
        return word + "es"
    return word + "s"


def plural_value(value: str) -> str:
    """How an entry's plural is said: phonemes get /s/, /z/ or /ᵻz/ as English does after their
    last sound; a respelling's last word gets its plural ("G D B" -> "G D B's", so that misaki
    does not read "Bs" as letters)."""
    if is_phonemes(value):
        ps = value.strip("/")
        ending = "s" if ps[-1] in "ptkfθ" else "ᵻz" if ps[-1] in "szʃʒʧʤ" else "z"
        return f"/{ps}{ending}/"
    head, space, last = value.rpartition(" ")
    if len(last) == 1 and last.isupper():
        return f"{head}{space}{last}'s"
    return f"{head}{space}{plural(last) or last + 's'}"


def _trie_regex(words) -> str:
    """One alternation for many words, sharing prefixes so re tries each character once.
    Longer continuations come before the end of a word, so the longest entry wins."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = True

    def pattern(node) -> str:
        ends = "" in node
        branches = [re.escape(c) + pattern(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return f"(?:{body})?" if len(branches) == 1 else body + "?"
        return body

    return pattern(trie)


# Boundaries: not inside a longer word ("Kokoros" is not "Kokoro"), nor inside a name that joins
# words with dots or slashes ("github.com", "~/github", "misaki/Kokoro" are read as names).
_BEFORE, _AFTER = r"(?<![\w./~])", r"(?!\w|[./]\w)"


def spellings(words) -> set[str]:
    """Every spelling the entries for `words` match, plurals included."""
    found = {v for w in words for v in variants(w)}
    return found | {p for v in found if (p := plural(v))}


@functools.cache
def _alternation(words: frozenset[str]) -> str:
    found = spellings(words)
    return _trie_regex(found) if found else "(?!)"


@functools.cache
def words_pattern(words: frozenset[str]) -> re.Pattern[str]:
    """Every spelling of `words`, as whole words, in one pattern."""
    return re.compile(_BEFORE + "(?:" + _alternation(words) + ")" + _AFTER)


class Lexicon:
    """A set of entries and how to apply them to text in one pass."""

    def __init__(self, entries: dict[str, str]):
        self.entries = dict(entries)
        # each spelling -> (entry, is plural); an entry's own spelling wins over another's
        # variant, and any singular over a plural
        self._lookup: dict[str, tuple[str, bool]] = {}
        for word in self.entries:
            for spelling in variants(word):
                if (p := plural(spelling)) and p not in self._lookup:
                    self._lookup[p] = (word, True)
        for word in self.entries:
            for spelling in variants(word)[1:]:
                if spelling not in self._lookup or self._lookup[spelling][1]:
                    self._lookup[spelling] = (word, False)
        self._lookup.update({word: (word, False) for word in self.entries})
        self.pattern = words_pattern(frozenset(self.entries))
        # the same words with the hyphens that join them to their neighbours
        self._with_hyphens = re.compile(
            r"(?P<lead>(?<=\w)-)?"
            + _BEFORE
            + "(?P<word>"
            + _alternation(frozenset(self.entries))
            + ")"
            + _AFTER
            + r"(?P<trail>-(?=\w))?"
        )

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, word: str) -> bool:
        return word in self._lookup

    def value(self, spelling: str) -> str:
        word, is_plural = self._lookup[spelling]
        value = self.entries[word]
        return plural_value(value) if is_plural else value

    def apply(self, text: str, inline_phonemes: bool = True) -> str:
        """Respellings replace their word; phoneme entries become misaki's ``[word](/ps/)``
        (with `inline_phonemes`), else are left for `split` to handle."""

        def one(m):
            word, lead, trail = m.group("word"), m.group("lead") or "", m.group("trail") or ""
            value = self.value(word)
            if not is_phonemes(value):
                return lead + value + trail
            if not inline_phonemes:
                return m.group()
            # a space, not the hyphen: misaki would merge "[Kokoro](/../)-82M" into one word
            return (" " if lead else "") + f"[{word}]({value})" + (" " if trail else "")

        return self._with_hyphens.sub(one, text)

    def split(self, text: str) -> list[tuple[str, str | None]]:
        """`text` cut around its phoneme entries: [(text, None), (word, phonemes), ...], for
        G2Ps that have no inline phoneme syntax (espeak-ng)."""
        pieces: list[tuple[str, str | None]] = []
        last = 0
        for m in self.pattern.finditer(text):
            value = self.value(m.group())
            if not is_phonemes(value):
                continue
            pieces.append((text[last : m.start()], None))
            pieces.append((m.group(), value.strip("/")))
            last = m.end()
        pieces.append((text[last:], None))
        return [(t, p) for t, p in pieces if p is not None or t.strip()]
