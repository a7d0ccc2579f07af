import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kokoro_narrate import phonemes
from kokoro_narrate.phonemes import G2P, KOKORO_WINDOW, chunk_paragraph, phonemize_script

REPO_DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def english(request):
    import spacy.cli

    # misaki would download en_core_web_sm from GitHub; the project must never need that.
    original = spacy.cli.download
    spacy.cli.download = lambda *a, **k: pytest.fail("spacy.cli.download was called")
    request.addfinalizer(lambda: setattr(spacy.cli, "download", original))
    return G2P("a", {"Kokoro": "/kˈOkəɹO/", "Nginx": "engine x"})


def test_english_g2p_works_without_downloading(english):
    ps, oov = english("The cat sat on the mat.")
    assert ps == "ðə kˈæt sˈæt ˌɔn ðə mˈæt."
    assert oov == []


def test_english_g2p_loads_neither_torch_nor_other_packages_pipeline_factories():
    """A phonemes job's start: thinc would import torch, and a new spaCy pipeline every package
    that registers factories (misaki[en] brings spacy-curated-transformers): 7.3 s against 3.8 s
    on a 2-core box. Afterwards spaCy's registry and torch are as they were."""
    code = (
        "import sys\n"
        "from kokoro_narrate.phonemes import G2P\n"
        "g2p = G2P('a', {})\n"
        "print(g2p('I read the book yesterday.')[0])\n"
        "print(sorted(m for m in ('torch', 'transformers', 'spacy_curated_transformers')"
        " if m in sys.modules))\n"
        "import spacy, torch\n"
        "print(spacy.util.registry._entry_point_factories.entry_points, torch.ones(1).item())\n"
    )
    workflow = str(Path(__file__).resolve().parents[1] / "workflow")
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": workflow},
    ).stdout.splitlines()
    assert out == ["ˌI ɹˈɛd ðə bˈʊk jˈɛstəɹdˌA.", "[]", "True 1.0"]


def test_lexicon_phonemes_and_respelling(english):
    ps, _ = english("Kokoro runs behind Nginx.")
    assert ps.startswith("kˈOkəɹO ")
    assert ps == english("Kokoro runs behind engine x.")[0]


def test_fallback_words_are_reported(english):
    # (not "zorblax": misaki has "zorb" and "lax", and the G2P says it from those)
    ps, oov = english("The qwrtzek glimmered.")
    assert "qwrtzek" in oov
    assert "qwrtzek" not in ps  # phonemes, not letters


def test_short_paragraph_is_one_chunk(english):
    pieces, _ = chunk_paragraph("One short sentence.", english, target=300)
    assert len(pieces) == 1


def test_long_paragraph_splits_at_sentences_without_losing_words(english):
    sentences = [f"Sentence number {n} talks about bread and patience." for n in range(1, 21)]
    text = " ".join(sentences)
    pieces, _ = chunk_paragraph(text, english, target=200)
    assert len(pieces) > 1
    assert all(len(ps) <= 200 for _, ps in pieces)
    assert " ".join(t for t, _ in pieces) == text  # split at sentence ends, nothing dropped
    assert all(t.endswith(".") for t, _ in pieces)


def test_run_on_sentence_splits_at_clauses_then_words_never_over_window(english):
    clause = "and the dough rose slowly in the warm kitchen"
    text = ", ".join([clause] * 12) + ". " + " ".join(["dough"] * 300) + "."
    pieces, _ = chunk_paragraph(text, english, target=250)
    assert all(0 < len(ps) <= KOKORO_WINDOW for _, ps in pieces)
    words = sum(phonemes.count_words(t) for t, _ in pieces)
    assert words == phonemes.count_words(text)


def test_phonemize_script_records_chunks_and_words(english):
    paragraphs = [
        {"id": "p0001", "kind": "title", "text": "A title"},
        {"id": "p0002", "kind": "paragraph", "text": "First. " * 60},
    ]
    chunks = phonemize_script(paragraphs, english, target=100)
    assert chunks[0].paragraph == "p0001" and chunks[0].chunks_in_paragraph == 1
    rest = [c for c in chunks if c.paragraph == "p0002"]
    assert len(rest) == rest[0].chunks_in_paragraph > 1
    assert [c.chunk for c in rest] == list(range(len(rest)))
    assert sum(c.words for c in rest) == 60


def test_chunks_roundtrip(tmp_path, english):
    chunks = phonemize_script(
        [{"id": "p0001", "kind": "paragraph", "text": "Hi there."}], english, 300
    )
    phonemes.write_chunks(chunks, tmp_path / "c.jsonl")
    assert phonemes.read_chunks(tmp_path / "c.jsonl") == chunks


def test_spanish_goes_through_espeak():
    ps, _ = G2P("e")("Hola, ¿cómo estás?")
    assert ps and "o" in ps


def test_lexicon_file_validation(tmp_path):
    good = tmp_path / "lexicon.yaml"
    good.write_text("Kokoro: /kˈOkəɹO/\n", encoding="utf-8")
    assert phonemes.load_lexicon(good) == {"Kokoro": "/kˈOkəɹO/"}
    assert phonemes.load_lexicon(tmp_path / "missing.yaml") == {}
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(phonemes.PhonemeError, match="bad.yaml"):
        phonemes.load_lexicon(bad)


def test_unpronounceable_word_is_a_warning_not_silence(english, caplog):
    import logging

    caplog.set_level(logging.WARNING)
    chunks = phonemize_script(
        [{"id": "p0007", "kind": "paragraph", "text": "Rated ★ today."}], english, 300
    )
    assert chunks and "p0007" in caplog.text and "★" in caplog.text and "lexicon" in caplog.text


def test_lexicon_entry_keeps_its_hyphenated_neighbour(english):
    """The issue: with Kokoro in the lexicon, "Kokoro-82M" was heard as "Kokoro M"."""
    ps, oov = english("Kokoro-82M is small.")
    assert ps == english("Kokoro 82M is small.")[0]
    assert "ˈATi tˈu ˈɛm" in ps  # eighty-two M
    assert oov == []


def test_default_lexicon_reads_tool_names(english):
    ps, oov = english("Run kubectl and strace on the nginx plugins.")
    assert oov == []
    assert ps == english("Run cube control and S trace on the engine X plugins.")[0]


@pytest.mark.parametrize(
    "word, pieces, ending",
    [
        ("copied", "copy", "d"),  # -ied of a dictionary -y word
        ("filesystem", "file system", ""),  # a compound of two dictionary words
        ("Wireshark", "wire shark", ""),
        ("userspace", "user space", ""),  # the shorter first word: not "users pace"
        ("localisation", "localization", ""),  # the other spelling
        ("optimisations", "optimizations", ""),
        ("namespaces", "name spaces", ""),  # plural of a compound
        ("Cloudflare's", "cloud flares", ""),  # possessive
        ("UIViewControllers", "UI view controllers", ""),  # identifiers, camelCase
    ],
)
def test_words_misaki_has_in_pieces_do_not_go_to_espeak(english, word, pieces, ending):
    def sounds(ps):  # the phonemes without stress marks or spaces
        return ps.translate({ord(c): None for c in "ˈˌ "})

    ps, oov = english(word)
    # (the pronouncing dictionary has some of these words whole: "copied")
    assert oov == [] and english.composed[word] + english.named[word] >= 1
    assert sounds(ps) == sounds(english(pieces)[0]) + ending


@pytest.mark.parametrize(
    "word, stem, before, after",
    [
        ("unintuitive", "intuitive", "ʌn", ""),  # a prefix before a dictionary word
        ("multicluster", "cluster", "mʌlti", ""),
        ("composable", "compose", "", "əbᵊl"),  # an ending after a verb, its silent e dropped
        ("obfuscators", "obfuscate", "", "əɹz"),
        ("inlining", "inline", "", "ɪŋ"),  # -ing of a lexicon word
        ("un-hackable", "hackable", "ʌn", ""),  # a prefix set off by a hyphen
        ("café", "cafe", "", ""),  # accents misaki's dictionary does not have
    ],
)
def test_words_misaki_has_with_an_affix_do_not_go_to_espeak(english, word, stem, before, after):
    def sounds(ps):
        return ps.translate({ord(c): None for c in "ˈˌ "})

    ps, oov = english(word)
    assert oov == []
    assert sounds(ps) == before + sounds(english(stem)[0]) + after


def test_hyphenated_word_guesses_only_its_unknown_part(english):
    ps, oov = english("a qwrtzek-provided router")
    assert oov == ["qwrtzek"]  # misaki sent the whole word to espeak-ng; "provided" is known
    assert english("provided")[0] in ps
    ps, oov = english("DNS-qwrtzek")
    assert oov == ["qwrtzek"]
    assert ps.startswith(english("DNS")[0])  # an acronym part is spelled as misaki spells it


@pytest.mark.parametrize("word, key", [("Paul", "paul"), ("Motorola's", "motorola")])
def test_names_come_from_the_pronouncing_dictionary(english, word, key):
    table = phonemes.names()
    assert len(table) > 50_000 and key in table
    ps, oov = english(f"{word} wrote it.")
    assert oov == [] and english.named[word] >= 1
    said = ps.split()[0]
    assert said == table[key] or said == table[key] + "z"


def _cmudict_tool():
    import importlib.util

    from conftest import REPO

    spec = importlib.util.spec_from_file_location("cmudict_names", REPO / "tools/cmudict_names.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


@pytest.mark.parametrize(
    "word, arpabet",
    [
        ("water", "W AO1 T ER0"),  # the flap
        ("button", "B AH1 T AH0 N"),  # a glottal stop before syllabic n
        ("little", "L IH1 T AH0 L"),  # syllabic l
        ("settlement", "S EH1 T AH0 L M AH0 N T"),
        ("masted", "M AE1 S T AH0 D"),  # the reduced vowel of -ed, -es, -est
        ("annexes", "AE1 N EH2 K S IH0 Z"),
        ("heaviest", "HH EH1 V IY0 AH0 S T"),
    ],
)
def test_pronouncing_dictionary_converts_as_misaki_writes(english, word, arpabet):
    """names.tsv's conversion from CMUdict's ARPAbet, checked on words misaki has itself."""
    gold = english._g2p.lexicon.golds[word]
    assert _cmudict_tool().to_misaki(arpabet.split()) == gold.replace("ɾ", "T")


def test_pronouncing_dictionary_speaks_kokoros_alphabet():
    vocab = set(json.loads((REPO_DATA / "tiny-kokoro-config.json").read_text())["vocab"])
    outside = {ch for ps in phonemes.names().values() for ch in ps} - vocab
    assert not outside


def test_british_voice_leaves_names_to_its_own_accent():
    _, oov = G2P("b")("Paul wrote it.")
    assert oov == ["Paul"]  # the pronouncing dictionary is American


def test_names_are_not_cut_into_words(english):
    for name in ("Hokusai", "Redisx"):  # in no dictionary: espeak-ng guesses the whole name
        _, oov = english(name)
        assert oov == [name]
    # a name the pronouncing dictionary has is said as it says, not as co + well
    assert english("Cowell")[0] == phonemes.names()["cowell"]


def test_espeak_languages_splice_lexicon_phonemes():
    spanish = G2P("e", {"Kokoro": "/kˈOkəɹO/"})
    ps, _ = spanish("Hola Kokoro, adiós.")
    assert "kˈOkəɹO," in ps and "Kokoro" not in ps


def test_say_reads_like_a_post(english):
    said = phonemes.say("Kokoro-82M needs ~327 MB from github.com", g2p=english)
    assert said.spoken == (
        "Kokoro-82M needs about three hundred twenty-seven megabytes from GitHub"
    )
    assert said.phonemes == english(said.spoken)[0]
    assert said.oov == []


def test_oov_table_counts_words_and_posts(tmp_path):
    def chunk(text, oov):
        return phonemes.Chunk("p0001", 0, 1, "paragraph", text, "ps", 3, oov)

    american = tmp_path / "a"
    british = tmp_path / "b"
    american.mkdir()
    british.mkdir()
    phonemes.write_chunks(
        [chunk("Zorblax met Zorblax and Quux.", ["Quux", "Zorblax"]), chunk("No news.", [])],
        american / "first.jsonl",
    )
    # the same post for a British voice: counted once, not twice
    phonemes.write_chunks(
        [chunk("Zorblax met Zorblax and Quux.", ["Zorblax"])], british / "first.jsonl"
    )
    phonemes.write_chunks([chunk("Zorblax's day.", ["Zorblax"])], american / "second.jsonl")
    files = [american / "first.jsonl", british / "first.jsonl", american / "second.jsonl"]
    rows = phonemes.oov_table(files)
    assert rows == [
        phonemes.OovRow("Zorblax", 3, ("first", "second")),
        phonemes.OovRow("Quux", 1, ("first",)),
    ]
    phonemes.write_oov_table(rows, tmp_path / "oov.csv")
    assert (tmp_path / "oov.csv").read_text(encoding="utf-8") == (
        "word,count,posts\nZorblax,3,first second\nQuux,1,first\n"
    )


def test_paragraph_cache_makes_g2p_unneeded_for_known_paragraphs(english, tmp_path):
    identity = phonemes.g2p_identity("a", {"Kokoro": "/kˈOkəɹO/"}, 300)
    known = phonemes.ParagraphCache(tmp_path, identity)
    paragraphs = [
        {"id": "p0001", "kind": "title", "text": "Kokoro reads the qwrtzek."},
        {"id": "p0002", "kind": "paragraph", "text": "A second paragraph, plain."},
    ]
    built = []

    def g2p():
        built.append(1)
        return english

    fresh = phonemize_script(paragraphs, english, 300)
    assert phonemes.prefill([p["text"] for p in paragraphs], g2p, 300, known) == 2
    assert built == [1] and phonemes.prefill([p["text"] for p in paragraphs], g2p, 300, known) == 0
    cached = phonemize_script(paragraphs, lambda: pytest.fail("G2P built"), 300, known)
    assert cached == fresh  # the same chunks, oov included, without a G2P


def test_paragraph_cache_identity_covers_lexicon_language_and_target(tmp_path):
    texts = "Same text."
    keys = set()
    for lang, lexicon, target in (("a", {}, 300), ("b", {}, 300), ("a", {"x": "y"}, 300)):
        cache = phonemes.ParagraphCache(tmp_path, phonemes.g2p_identity(lang, lexicon, target))
        keys.add(cache._path(texts))
    cache = phonemes.ParagraphCache(tmp_path, phonemes.g2p_identity("a", {}, 200))
    keys.add(cache._path(texts))
    assert len(keys) == 4
