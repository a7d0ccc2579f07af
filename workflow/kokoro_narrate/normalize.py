"""Text normalization before G2P.

misaki reads plain words, plain integers ("42", "1998") and sentence punctuation well, so those are
left alone. What it gets wrong or drops is rewritten here into words: signs ("-23" is dropped or
read as ")"), ranges, units, currency, ISO dates, clock times, ordinals, version strings, decimals
and thousands separators, abbreviations, symbols, URLs, emoji and stray Markdown characters.

Sentence punctuation (. , ! ? ; : and the ellipsis) is kept: Kokoro uses it for prosody.

English gets the full treatment. Other languages get only what is safe everywhere: entities,
quotes, dashes, emoji, URLs, stray markup; plus signs, ranges and percent through num2words for
the languages it supports. Digits are otherwise left to the language's own G2P (espeak-ng or
misaki ja/zh), which reads them natively.
"""

import html
import re
import unicodedata
from urllib.parse import urlsplit

from num2words import num2words

__all__ = ["normalize", "url_domain"]


def normalize(text: str, lang: str = "en", *, keep: frozenset = frozenset()) -> str:
    """Return the words to speak for `text` in `lang` (an ISO code: en, es, fr, en-GB, ...).

    `keep` is a set of emoji that a lexicon can read; every other emoji is dropped.
    """
    lang = (lang or "en").replace("_", "-").split("-")[0].lower()
    text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    text = _spaces_and_quotes(text)
    text = _emoji(text, keep)
    text = _SHORTCODE.sub(" ", text)
    text = _LIQUID.sub(" ", text)
    cjk = lang in ("ja", "zh")
    text = _urls(text, lang, dotted=not cjk)
    if lang == "en":
        text = _english(text)
    elif not cjk:
        text = _other(text, lang)
    text = _LEFTOVER.sub(" ", text)
    return _tidy(text)


# -- everywhere ---------------------------------------------------------------------------------

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u00a0": " ",  # no-break spaces would glue words in misaki's tokenizer
        "\u202f": " ",
        "\u2009": " ",
        "\u2212": "-",  # the real minus sign: treat like a hyphen-minus
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space
        "\u2060": None,
        "\ufeff": None,
    }
)


def _spaces_and_quotes(text):
    return text.translate(_QUOTES)


# Pictographs, dingbats, symbols, flags, skin tones, keycaps, tags and the joiners between them.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\ufe0e\ufe0f\u200d"
    "\u20e3\U000e0020-\U000e007f\u2122\u00ae]+"
)


def _emoji(text, keep):
    def one(m):
        return "".join(c for c in m.group() if c in keep) or " "

    return _EMOJI.sub(one, text)


# GitHub/Slack emoji shortcodes such as :tada: and :+1:
_SHORTCODE = re.compile(r"(?<![\w:]):(?:[a-z][a-z0-9_+-]*|\+1|-1):(?![\w:])")

_LIQUID = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S)

# Characters that are Markdown or template syntax when left in text: never spoken.
_LEFTOVER = re.compile(r"[*_#|\[\]<>{}`~^\\]")

_DOT = {"es": "punto", "fr": "point", "it": "punto", "pt": "ponto"}
_AT = {"es": "arroba", "fr": "arobase", "it": "chiocciola", "pt": "arroba"}

_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"'()\[\]{}]+", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b")
# example.com, os.path, README.md: the last part starts with a lowercase letter and is 2+ long,
# so e.g., i.e., U.S. and 3.14 are not touched.
_DOTTED = re.compile(r"(?<![\w.])[A-Za-z0-9][\w-]*(?:\.[A-Za-z0-9][\w-]*)*\.[a-z][a-z0-9]+\b")


def url_domain(url: str) -> str:
    """The host of a URL without 'www.', e.g. 'example.com'; '' when there is none."""
    if "://" not in url:
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def _urls(text, lang, dotted=True):
    dot = " " + _DOT.get(lang, "dot") + " "
    at = " " + _AT.get(lang, "at") + " "

    def url(m):
        u = m.group()
        tail = ""
        while u and u[-1] in ".,;:!?":  # sentence punctuation after a URL is not part of it
            tail = u[-1] + tail
            u = u[:-1]
        return url_domain(u) + tail

    def email(m):
        user, _, host = m.group().partition("@")
        return user + at + host

    text = _URL.sub(url, text)
    text = _EMAIL.sub(email, text)
    if not dotted:
        return text
    return _DOTTED.sub(lambda m: m.group().replace(".", dot), text)


def _tidy(text):
    text = re.sub(r"\(\s*\)", " ", text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r" ([.,!?;:…)])", r"\1", text)
    text = re.sub(r"\( ", "(", text)
    text = re.sub(r",(?:\s*,)+", ",", text)
    text = re.sub(r",\s*([.!?;:])", r"\1", text)
    text = re.sub(r"^[\s.,;:!?)]+", "", text)
    return text.strip()


# -- other languages ----------------------------------------------------------------------------

_RANGE_WORD = {"es": "a", "fr": "à", "it": "a", "pt": "a"}
_AND = {"es": "y", "fr": "et", "it": "e", "pt": "e", "de": "und", "hi": "और"}
_PERCENT = {"es": "por ciento", "fr": "pour cent", "it": "per cento", "pt": "por cento"}


def _n2w(value, lang, **kw):
    try:
        return num2words(value, lang=lang, **kw)
    except (NotImplementedError, OverflowError, ValueError):
        return None


def _other(text, lang):
    text = text.replace("…", "...")
    text = re.sub(r"\s*[—―]\s*|\s+--?\s+", ", ", text)
    word = _RANGE_WORD.get(lang)
    if word:
        text = re.sub(r"(?<![\w.,])(\d+)\s?[-–]\s?(\d+)(?![\w.,]\d)", rf"\1 {word} \2", text)
    text = re.sub(r"\s*–\s*", ", ", text)

    def minus(m):
        return _n2w(-int(m.group(1)), lang) or m.group()

    text = re.sub(r"(?<![\w.,])-(\d+)(?![\d.,]\d)", minus, text)
    text = re.sub(r"\s*&\s*", " " + _AND.get(lang, "&") + " ", text)
    pct = _PERCENT.get(lang)
    if pct:
        text = re.sub(r"(\d)\s?%", rf"\1 {pct}", text)
    return text


# -- English ------------------------------------------------------------------------------------

_DIGIT = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August"]
_MONTHS += ["September", "October", "November", "December"]


def _int_words(n: int) -> str:
    # American style: no "and", no commas (a comma would be read as a pause inside the number).
    return num2words(n).replace(",", "").replace(" and ", " ")


def _num_words(s: str) -> str:
    """'1,234.5' -> 'one thousand two hundred thirty-four point five'."""
    s = s.replace(",", "")
    whole, _, frac = s.partition(".")
    words = _int_words(int(whole or "0"))
    if frac:
        words += " point " + " ".join(_DIGIT[int(d)] for d in frac)
    return words


def _year_words(n: int) -> str:
    return num2words(n, to="year").replace(",", "").replace(" and ", " ")


def _ordinal(n: int) -> str:
    return num2words(n, to="ordinal").replace(",", "").replace(" and ", " ")


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"

_UNITS = {
    "ns": ("nanosecond", "nanoseconds"),
    "µs": ("microsecond", "microseconds"),
    "ms": ("millisecond", "milliseconds"),
    "s": ("second", "seconds"),
    "sec": ("second", "seconds"),
    "min": ("minute", "minutes"),
    "dB": ("decibel", "decibels"),
    "dBFS": ("decibel full scale", "decibels full scale"),
    "dBTP": ("decibel true peak", "decibels true peak"),
    "LUFS": ("L U F S", "L U F S"),
    "LU": ("loudness unit", "loudness units"),
    "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"),
    "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "KB": ("kilobyte", "kilobytes"),
    "kB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"),
    "KiB": ("kibibyte", "kibibytes"),
    "MiB": ("mebibyte", "mebibytes"),
    "GiB": ("gibibyte", "gibibytes"),
    "kbps": ("kilobit per second", "kilobits per second"),
    "Mbps": ("megabit per second", "megabits per second"),
    "fps": ("frame per second", "frames per second"),
    "px": ("pixel", "pixels"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    "%": ("percent", "percent"),
}
# Longest first so that "dBTP" wins over "dB" and "ms" over "s".
_UNIT = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_SIGN = {"-": "minus ", "+": "plus ", "": ""}


def _unit_words(num: str, unit: str) -> str:
    singular, plural = _UNITS[unit]
    return singular if num == "1" else plural


def _measure(m):
    sign, num, unit = m.group(1) or "", m.group(2), m.group(3)
    return f"{_SIGN[sign]}{_num_words(num)} {_unit_words(num, unit)}"


def _is_year(s):
    return s.isdigit() and len(s) == 4 and 1100 <= int(s) <= 2099


def _range(m):
    s1, a, u1, s2, b, u2 = m.groups()
    if not (s1 or s2 or u1 or u2) and _is_year(a) and _is_year(b):  # 1990-2000: years
        return f"{_year_words(int(a))} to {_year_words(int(b))}"
    left = _SIGN[s1 or ""] + _num_words(a) + (" " + _unit_words(a, u1) if u1 else "")
    right = _SIGN[s2 or ""] + _num_words(b) + (" " + _unit_words(b, u2) if u2 else "")
    return f"{left} to {right}"


_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents")}
_CURRENCY["£"] = ("pound", "pounds", "penny", "pence")
_CURRENCY["¥"] = ("yen", "yen", "sen", "sen")
_SCALE = {"k": "thousand", "K": "thousand", "M": "million", "B": "billion", "bn": "billion"}


def _money(m):
    sign, sym, num, scale = m.group(1), m.group(2), m.group(3), m.group(4)
    one, many, cent, cents = _CURRENCY[sym]
    minus = "minus " if sign else ""
    if scale:  # $1.5M, $2 million: "one point five million dollars"
        scale = _SCALE.get(scale.strip(), scale.strip())
        return f"{minus}{_num_words(num)} {scale} {many}"
    whole, _, frac = num.replace(",", "").partition(".")
    units = int(whole or "0")
    words = []
    if units or not frac:
        words.append(f"{_int_words(units)} {one if units == 1 else many}")
    if frac:
        c = int((frac + "0")[:2]) if len(frac) <= 2 else None
        if c is None:  # $0.125: read as a decimal amount
            return f"{minus}{_num_words(num)} {many}"
        if c:
            words.append(f"{_int_words(c)} {cent if c == 1 else cents}")
        elif not units:
            words.append(f"zero {many}")
    return minus + " and ".join(words)


def _date(m):
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return m.group()
    return f"{_MONTHS[mo - 1]} {_ordinal(d)}, {_year_words(y)}"


def _ampm(s):
    if not s:
        return ""
    letters = s.replace(".", "").upper()
    return " " + " ".join(letters)


def _time(m):
    h, mi, ap = int(m.group(1)), int(m.group(2)), m.group(3)
    if h > 23 or mi > 59 or (ap and not 1 <= h <= 12):
        return m.group()
    words = _int_words(h)
    if mi == 0:
        words += "" if ap else (" o'clock" if h <= 12 else " hundred")
    elif mi < 10:
        words += " oh " + _int_words(mi)
    else:
        words += " " + _int_words(mi)
    return words + _ampm(ap)


def _hour_ampm(m):
    h = int(m.group(1))
    if not 1 <= h <= 12:
        return m.group()
    return _int_words(h) + _ampm(m.group(2))


def _version(m):
    prefix = "version " if m.group(1) else ""
    return prefix + " point ".join(_int_words(int(p)) for p in m.group(2).split("."))


def _decade(m):
    words = _year_words(int(m.group(1)))
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


_TENS = {"2": "twenties", "3": "thirties", "4": "forties", "5": "fifties"}
_TENS.update({"6": "sixties", "7": "seventies", "8": "eighties", "9": "nineties"})

# (pattern, replacement) applied in order. Order matters: dates before ranges, versions before
# decimals, units before bare signs, abbreviations before the sentence-end logic of the tidy step.
_AMPM = r"(a\.m\.|p\.m\.|am\b|pm\b|AM\b|PM\b|A\.M\.|P\.M\.)"
_EN_RULES = [
    # abbreviations ("etc." keeps its period when it ends the sentence)
    (r"\betc\.(?=\s*$|\s+[A-Z\"'])", "et cetera."),
    (r"\betc\.", "et cetera"),
    (r"\be\.g\.", "for example"),
    (r"\bi\.e\.", "that is"),
    (r"\bvs\.?(?=\s)", "versus"),
    (r"\bDr\.(?=\s+[A-Z])", "Doctor"),
    (r"\bMrs\.", "Missus"),
    (r"\bMr\.", "Mister"),
    (r"\bMs\.", "Miz"),
    (r"\bProf\.(?=\s+[A-Z])", "Professor"),
    (r"\bapprox\.", "approximately"),
    # ellipses: one character, which misaki keeps as punctuation
    (r"\.\s?\.\s?\.", "…"),
    # arrows and comparison operators, before dashes and signs take their characters
    (r"\s*(?:->|=>|→|⇒)\s*", " to "),
    (r"\s*(?:<-|←)\s*", " from "),
    (r"\s*(?:<=|≤)\s*", " less than or equal to "),
    (r"\s*(?:>=|≥)\s*", " greater than or equal to "),
    (r"\s*(?:!=|≠)\s*", " not equal to "),
    (r"\s*==?\s*", " equals "),
    (r"\s*<\s*", " less than "),
    (r"\s*>\s*", " greater than "),
    (r"\s*≈\s*", " about "),
    # dates and times ("5 p.m. Then": the abbreviation's period also ends the sentence)
    (r"\b([ap])\.m\.(?=\s+[A-Z]|\s*$)", r"\1.m.."),
    (r"\b(\d{4})-(\d{2})-(\d{2})\b", _date),
    (r"\b(\d{1,2}):(\d{2})(?!:?\d)(?:\s?" + _AMPM + ")?", _time),
    (r"\b(\d{1,2})\s?" + _AMPM, _hour_ampm),
    # versions: v0.9.4, and any a.b.c
    (r"\b(v)(\d+(?:\.\d+)+)\b", _version),
    (r"(?<![\w.])()(\d+\.\d+\.\d+(?:\.\d+)*)\b", _version),
    # decades: 1990s, '80s
    (r"\b(1[1-9]\d0|20\d0)s\b", _decade),
    (r"'(\d)0s\b", lambda m: _TENS.get(m.group(1), m.group())),
    (r"\b(?:1s and 0s|ones and zeroes)\b", "ones and zeros"),
    (r"\b0s and 1s\b", "zeros and ones"),
    # 1920x1080, 2 * 3, a 3.5x speedup; 5 - 3 (spaced: subtraction, not a range); $5/month
    (r"\b(\d+)\s?[x×]\s?(\d+)\b", r"\1 by \2"),
    (r"\b(\d+)\s?\*\s?(\d+)\b", r"\1 times \2"),
    (r"\b(\d+(?:\.\d+)?)x\b", r"\1 times"),
    (r"(?<=\d) - (?=\d)", " minus "),
    (r"(?<=\w)/(?=(?:month|year|week|day|hour|h|min|s|sec|second|user|person)\b)", " per "),
    (r"\band/or\b", "and or"),
    # currency: $5, -$3.50, €10, £2, $1.5M, $2 million
    (
        r"(?<![\w.])(-)?([$€£¥])\s?(" + _NUM + r")(\s?(?:k|K|M|B|bn)\b|\s(?:thousand|million|"
        r"billion|trillion)\b)?",
        _money,
    ),
    # ranges and measures: 10-20, 10–20 ms, -23 dB, 3.5 kHz, 50%
    (
        r"(?<![\w.,])([-+])?("
        + _NUM
        + r")(?:\s?("
        + _UNIT
        + r"))?(?:-|\s?–\s?)([-+])?("
        + _NUM
        + r")(?:\s?("
        + _UNIT
        + r"))?(?![\w%°]|[.,]\d)",
        _range,
    ),
    (r"(?<![\w.,])([-+])?(" + _NUM + r")\s?(" + _UNIT + r")(?![\w%°]|[.,]\d)", _measure),
    # ordinals
    (r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: _ordinal(int(m.group(1)))),
    # signed numbers, then decimals and thousands separators
    (r"(?<![\w.,])-(" + _NUM + r")(?![\w]|[.,]\d)", lambda m: "minus " + _num_words(m.group(1))),
    (r"(?<![\w.,])\+(" + _NUM + r")(?![\w]|[.,]\d)", lambda m: "plus " + _num_words(m.group(1))),
    (
        r"(?<![\w.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)(?!\w|[.,]\d)",
        lambda m: _num_words(m.group(1)),
    ),
    (r"\b(\d+)k\b", lambda m: _int_words(int(m.group(1))) + " thousand"),
    # symbols
    (r"\b([CF])#", r"\1 sharp"),
    (r"\b([Cc])\+\+", r"\1 plus plus"),
    (r"#(\d)", r"number \1"),
    (r"~\s?(?=\d)", "about "),
    (r"\s*&\s*", " and "),
    (r"\s*\+\s*", " plus "),
    (r"(?<=\d)\s?°", " degrees"),
    (r"©", " copyright "),
    (r"(?<!\w)@(?=\w)", "at "),
    (r"\s@\s", " at "),
    (r"(?<!\d)%", " percent"),
    (r"\$(?!\d)", " "),
    # dashes: em dash and spaced hyphens are a comma pause; hyphenated words stay
    (r"\s*[—―]\s*|\s+--?\s+|\s*--\s*", ", "),
    (r"\s*–\s*", ", "),
    (r"(?<![\w-])-+(?=[A-Za-z])", ""),  # "-foo": a flag or a list dash, read the word
    (r"(?<=\w)-(?=\s|$)|(?<=\s)-(?=\s)", " "),
]
_EN_RULES = [(re.compile(p), r) for p, r in _EN_RULES]


def _english(text):
    for pattern, repl in _EN_RULES:
        text = pattern.sub(repl, text)
    return text
