"""normalize(): a table of input -> expected for every category it handles."""

import pytest

from kokoro_narrate.normalize import normalize

EN = {
    "negative numbers": [
        ("-23 dB", "minus twenty-three decibels"),
        ("It fell to -5.", "It fell to minus five."),
        ("\u22124 LU", "minus four loudness units"),
    ],
    "ranges": [
        ("10-20", "ten to twenty"),
        ("pages 3\u20135", "pages three to five"),
        ("10-20 ms", "ten to twenty milliseconds"),
        ("-20 to -10 dB", "minus twenty to minus ten decibels"),
    ],
    "units": [
        ("5 ms", "five milliseconds"),
        ("2 s", "two seconds"),
        ("1 s", "one second"),
        ("-16 LUFS", "minus sixteen L U F S"),
        ("-1.5 dBTP", "minus one point five decibels true peak"),
        ("-70 dB", "minus seventy decibels"),
        ("440 Hz", "four hundred forty hertz"),
        ("44.1 kHz", "forty-four point one kilohertz"),
        ("1 KB", "one kilobyte"),
        ("512 MB", "five hundred twelve megabytes"),
        ("8GB", "eight gigabytes"),
        ("75%", "seventy-five percent"),
        ("20 \u00b0C", "twenty degrees Celsius"),
    ],
    "currency": [
        ("$5", "five dollars"),
        ("$1", "one dollar"),
        ("$3.50", "three dollars and fifty cents"),
        ("$0.99", "ninety-nine cents"),
        ("\u20ac10", "ten euros"),
        ("\u00a32", "two pounds"),
        ("$1,000,000", "one million dollars"),
        ("$1.5M", "one point five million dollars"),
        ("$2 billion", "two billion dollars"),
    ],
    "dates and times": [
        ("2026-11-25", "November twenty-fifth, twenty twenty-six"),
        ("3:30 pm", "three thirty P M"),
        ("14:05", "fourteen oh five"),
        ("9:00", "nine o'clock"),
        ("18:00", "eighteen hundred"),
        ("5pm", "five P M"),
        ("at 10 a.m. Then", "at ten A M. Then"),
        ("the 1990s", "the nineteen nineties"),
        ("the '80s", "the eighties"),
    ],
    "ordinals": [
        ("1st", "first"),
        ("22nd", "twenty-second"),
        ("3rd", "third"),
        ("101st", "one hundred first"),
    ],
    "versions": [
        ("v0.9.4", "version zero point nine point four"),
        ("v2.10", "version two point ten"),
        ("Python 3.11.2", "Python three point eleven point two"),
    ],
    "decimals and thousands": [
        ("1,234.5", "one thousand two hundred thirty-four point five"),
        ("3.14", "three point one four"),
        ("10,000 users", "ten thousand users"),
        ("10k users", "ten thousand users"),
        ("It was 2.5.", "It was two point five."),
    ],
    "left alone": [
        ("In 1998 we wrote 42 posts.", "In 1998 we wrote 42 posts."),
        ("COVID-19 is a well-known word.", "COVID-19 is a well-known word."),
        ("Keep: this; and that, ok? Yes!", "Keep: this; and that, ok? Yes!"),
    ],
    "abbreviations": [
        ("e.g., this", "for example, this"),
        ("i.e. that", "that is that"),
        ("apples, pears, etc.", "apples, pears, et cetera."),
        ("etc. and more", "et cetera and more"),
        ("cats vs. dogs", "cats versus dogs"),
        ("Dr. Smith", "Doctor Smith"),
        ("Mr. Jones and Mrs. Brown", "Mister Jones and Missus Brown"),
    ],
    "symbols": [
        ("Tom & Jerry", "Tom and Jerry"),
        ("@hexgrad", "at hexgrad"),
        ("me@example.org", "me at example dot org"),
        ("1 + 1 = 2", "1 plus 1 equals 2"),
        ("1920x1080", "1920 by 1080"),
        ("a 5x speedup", "a 5 times speedup"),
        ("a 3.5x boost", "a three point five times boost"),
        ("5 - 3 = 2", "5 minus 3 equals 2"),
        ("$5/month", "five dollars per month"),
        ("2 * 3", "2 times 3"),
        ("C# and F#", "C sharp and F sharp"),
        ("C++", "C plus plus"),
        ("a < b", "a less than b"),
        ("a > b", "a greater than b"),
        ("a <= b", "a less than or equal to b"),
        ("a != b", "a not equal to b"),
        ("A -> B", "A to B"),
        ("snake_case", "snake case"),
        ("#1 fan of #python", "number 1 fan of python"),
        ("~5 minutes", "about 5 minutes"),
    ],
    "quotes and apostrophes": [
        ("\u201cHello,\u201d she said", '"Hello," she said'),
        ("it\u2019s Tom\u2019s", "it's Tom's"),
        ("\u2018single\u2019", "'single'"),
    ],
    "dashes": [
        ("wait \u2014 what", "wait, what"),
        ("wait\u2014what", "wait, what"),
        ("this -- that", "this, that"),
        ("this - that", "this, that"),
        ("1990\u20132000", "nineteen ninety to two thousand"),
    ],
    "ellipses": [
        ("Wait...", "Wait\u2026"),
        ("Wait\u2026 no", "Wait\u2026 no"),
        ("So . . . yes", "So\u2026 yes"),
    ],
    "urls": [
        ("See https://example.com/a/b?c=1.", "See example dot com."),
        ("www.python.org/downloads", "python dot org"),
        ("Node.js and README.md", "Node dot js and README dot md"),
    ],
    "entities and emoji": [
        ("Tom &amp; Jerry", "Tom and Jerry"),
        ("&ldquo;hi&rdquo; &mdash; ok", '"hi", ok'),
        ("Great job \U0001f389\U0001f44d\U0001f3fd!", "Great job!"),
        ("done \u2705 now", "done now"),
        ("Shipped :tada: :+1: at 10:30:45", "Shipped at 10:30:45"),
    ],
    "markup leftovers": [
        ("a | b [c] {d} `e` \\f ^g", "a b c d e f g"),
        ("{% raw %}{{ page.title }}text", "text"),
        ("**bold** __x__", "bold x"),
    ],
}
CASES = [(cat, inp, out) for cat, rows in EN.items() for inp, out in rows]


@pytest.mark.parametrize("category, text, expected", CASES, ids=[f"{c}: {i}" for c, i, _ in CASES])
def test_english(category, text, expected):
    assert normalize(text) == expected


def test_every_category_has_cases():
    assert all(len(rows) >= 2 for rows in EN.values())


def test_keep_emoji_hook():
    assert normalize("I \u2764 it \U0001f389", keep=frozenset({"\u2764"})) == "I \u2764 it"


OTHER = [
    ("es", "Hace -5 grados", "Hace menos cinco grados"),
    ("es", "entre 10-20 personas", "entre 10 a 20 personas"),
    ("es", "el 50% \u2014 o m\u00e1s", "el 50 por ciento, o m\u00e1s"),
    ("es", "Visita https://ejemplo.es/blog", "Visita ejemplo punto es"),
    ("fr", "\u00ab Bonjour \u00bb &amp; l\u2019ami", '" Bonjour " et l\'ami'),
    ("fr", "de 10\u201320 ans", "de 10 \u00e0 20 ans"),
    ("it", "-3 gradi", "meno tre gradi"),
    ("pt", "-3 graus", "menos tr\u00eas graus"),
    ("hi", "-3 \U0001f389 https://a.in/x", "-3 a dot in"),
    ("ja", "\u6771\u4eac https://a.jp/x \U0001f600 \u3067\u3059", "\u6771\u4eac a.jp \u3067\u3059"),
    ("zh", "\u4f60\u597d\uff0c*\u4e16\u754c*", "\u4f60\u597d\uff0c \u4e16\u754c"),
    ("en-GB", "-3 dB", "minus three decibels"),
]


@pytest.mark.parametrize("lang, text, expected", OTHER)
def test_other_languages(lang, text, expected):
    assert normalize(text, lang) == expected
