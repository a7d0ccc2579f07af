"""The lexicon: how entries match, which file wins, and every packaged entry checked with misaki."""

import json
from pathlib import Path

import pytest

from kokoro_narrate import lexicon
from kokoro_narrate.lexicon import Lexicon, LexiconError
from kokoro_narrate.phonemes import G2P

KOKORO_VOCAB = set(json.loads(Path("tests/data/tiny-kokoro-config.json").read_text())["vocab"])

ENTRIES = {
    "Kokoro": "/kˈOkəɹO/",
    "Nginx": "engine X",
    "gdb": "GDB",
    "Stack Overflow": "stack overflow",
    "Stack": "stak",
    "plugin": "/plˈʌɡɪn/",
    "mutex": "mew tex",
    "C++": "C plus plus",
}


@pytest.mark.parametrize(
    "text, expected",
    [
        # the issue: a phoneme entry never swallows its hyphenated neighbour
        ("Kokoro-82M is small", "[Kokoro](/kˈOkəɹO/) 82M is small"),
        ("the pre-Kokoro days", "the pre [Kokoro](/kˈOkəɹO/) days"),
        # a respelling keeps the hyphen: it is plain text
        ("Nginx-based", "engine X-based"),
        # whole words only
        ("Kokorox and KokoroTTS", "Kokorox and KokoroTTS"),
        ("gdb, gdbx", "GDB, gdbx"),
        # as written, lowercase, capitalized; not other capitalizations
        ("nginx Nginx NGINX", "engine X engine X NGINX"),
        ("Gdb at a sentence start", "GDB at a sentence start"),
        # plurals, with the ending said after the entry
        ("plugins and gdbs", "[plugins](/plˈʌɡɪnz/) and GDBs"),
        ("mutexes", "mew texes"),
        # possessive
        ("Kokoro's voice", "[Kokoro](/kˈOkəɹO/)'s voice"),
        # the longest entry wins
        ("Stack Overflow and Stack", "stack overflow and stak"),
        # entries that end in symbols
        ("C++ code", "C plus plus code"),
        # names joined by dots or slashes are not the word
        ("gdb.example and tools/gdb", "gdb.example and tools/gdb"),
        # one pass: a respelling is not matched again ("Stack" inside "stack overflow")
        ("Stack Overflow", "stack overflow"),
    ],
)
def test_matching(text, expected):
    assert Lexicon(ENTRIES).apply(text) == expected


def test_without_inline_phonemes_entries_stay_for_split():
    lex = Lexicon(ENTRIES)
    assert lex.apply("Kokoro and Nginx", inline_phonemes=False) == "Kokoro and engine X"
    assert lex.split("Hola Kokoro, y adios") == [
        ("Hola ", None),
        ("Kokoro", "kˈOkəɹO"),
        (", y adios", None),
    ]


def test_one_pattern_for_many_entries_is_fast():
    import time

    many = {f"word{n}x": f"respelling {n}" for n in range(2000)}
    lex = Lexicon(many)
    text = "plain prose with word17x and word1999x in it. " * 2000
    start = time.perf_counter()
    out = lex.apply(text)
    assert time.perf_counter() - start < 2.0
    assert out.count("respelling 17 ") == 2000 and out.count("respelling 1999 ") == 2000


def test_user_entries_override_the_default_one_by_one():
    g2p = G2P("a", {"GitHub": "GitHub", "Kokoro": "/kˈOkəɹO/"})
    default = lexicon.default_entries()
    assert g2p.lexicon.entries["GitHub"] == "GitHub"  # mapped to itself: misaki says it
    assert g2p.lexicon.entries["Kokoro"] == "/kˈOkəɹO/"  # the user's own word
    assert g2p.lexicon.entries["nginx"] == default["nginx"]  # the rest of the default stays
    assert len(G2P("a", defaults=False).lexicon) == 0


def test_default_lexicon_is_english_only():
    assert len(G2P("e").lexicon) == 0
    assert G2P("e", {"Kokoro": "/kˈOkəɹO/"}).lexicon.entries == {"Kokoro": "/kˈOkəɹO/"}


def test_british_voice_keeps_its_own_spellings():
    """A British voice does not take default entries for words its dictionary has."""
    british = G2P("b")
    golds = british._g2p.lexicon.golds
    assert all(word not in golds for word in british.lexicon.entries)
    assert len(british.lexicon) > 200


def test_load_checks_the_file(tmp_path):
    good = tmp_path / "lexicon.yaml"
    good.write_text("Kokoro: /kˈOkəɹO/\n'500px': five hundred P X\n", encoding="utf-8")
    assert lexicon.load(good) == {"Kokoro": "/kˈOkəɹO/", "500px": "five hundred P X"}
    assert lexicon.load(tmp_path / "missing.yaml") == {}
    for text, message in [
        ("- a list\n", "expected"),
        ("Kokoro:\n", "needs a value"),
        ("Kokoro: [a, b]\n", "needs a value"),
        ("'-': dash\n", "not a word"),
        ("Kokoro: [unclosed\n", "not YAML"),
    ]:
        bad = tmp_path / "bad.yaml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(LexiconError, match=message):
            lexicon.load(bad)


# -- every packaged entry, checked with misaki -------------------------------------------------


@pytest.fixture(scope="module")
def bare():
    """misaki without any lexicon, one per English voice."""
    return {"a": G2P("a", defaults=False), "b": G2P("b", defaults=False)}


DEFAULT = sorted(lexicon.default_entries().items())


def test_default_lexicon_has_200_words():
    assert len(DEFAULT) >= 200


def test_every_default_entry_is_said_without_espeak(bare):
    """No entry falls back to espeak-ng or says nothing, for either English voice."""
    problems = []
    for voice, g2p in bare.items():
        applied = G2P(voice).lexicon.entries
        for word, value in DEFAULT:
            if word not in applied:
                continue
            if lexicon.is_phonemes(value):
                outside = set(value.strip("/")) - KOKORO_VOCAB
                if outside:
                    problems.append(f"{word}: phonemes outside Kokoro's vocabulary {outside}")
                continue
            phonemes, oov = g2p(value)
            if oov or not phonemes or g2p.composed:
                problems.append(f"{voice} {word}: {value!r} -> {phonemes!r}, espeak for {oov}")
            g2p.composed.clear()
    assert not problems


def test_every_default_entry_changes_what_misaki_says(bare):
    """An entry earns its place: without it, one of its spellings falls back to espeak or comes
    out different (JSON read as letters, README spelled out) for one English voice at least.
    (The American voice also reads the pronouncing dictionary, names.tsv, which agrees with many
    entries; the British voice does not.)"""
    with_defaults = {voice: G2P(voice) for voice in bare}
    idle = []
    for word, _ in DEFAULT:
        changed = False
        for voice, g2p in bare.items():
            for spelling in lexicon.variants(word):
                if g2p(spelling) != with_defaults[voice](spelling):
                    changed = True
        if not changed:
            idle.append(word)
    assert not idle


def test_no_default_entry_is_an_ordinary_english_word(bare):
    """The lexicon matches lowercase forms too: a key that is also an English word ("go",
    "rust", "swift") would change how ordinary sentences are read."""
    golds = bare["a"]._g2p.lexicon.golds
    common = [w for w, _ in DEFAULT if w.islower() and w in golds]
    assert not common


def test_the_lexicon_and_the_normalizer_agree_on_symbols():
    """Entries with digits or symbols reach the phonemes stage as written (normalize keeps them),
    so the lexicon can say them."""
    from kokoro_narrate.normalize import normalize

    for word, _ in DEFAULT:
        if not word.replace(" ", "").isalpha():
            assert normalize(f"we use {word} here") == f"we use {word} here", word
