"""Text normalization before G2P: the words a good narrator would say for what the author wrote.

misaki reads plain words, plain integers ("42", "1998") and sentence punctuation well, so those are
left alone. What it gets wrong or drops is rewritten here into words, one named `Rule` per case,
each with the example that motivates it (tests/test_normalize.py checks every rule on its own
example, then whole sentences).

Sentence punctuation (. , ! ? ; : and the ellipsis) is kept: Kokoro uses it for prosody.

Order. `RULES` is applied top to bottom, and the order is the design: each group turns its
characters into words before a later, more general group could misread them.
  1. characters   entities and typographic quotes, so later patterns see plain ASCII; bullets
                  (Home • Blog) become pauses; a tag written as text (&lt;br /&gt;) is dropped,
                  an empty one (&lt;sad-face /&gt;) read as its name.
  2. web          URLs, e-mail addresses, credits to a site (ada@github) and media types
                  (text/html), while their dots, slashes and digits are intact and before the
                  lexicon's words are set aside.
  3. keys         keyboard symbols such as ⌘, before the emoji group would drop them.
  (then the lexicon's words are set aside, untouched by everything below: see `normalize`)
  4. emoji        pictographs and :shortcodes: are not read.
  5. names        domains, paths and file names, before dots become decimal points or sentence
                  ends and slashes become "per" or fractions.
  6. English      abbreviations, then symbols whose meaning depends on what is around them
                  (menus, key flags, hearts, comparisons), then dates and times, addresses,
                  versions, numbers with units, plain numbers, the remaining symbols, dashes.
     or other     languages: only what is safe everywhere (signs, ranges, percent, dashes).
  7. tidy         stray Markdown characters, spaces and doubled punctuation.

Languages. English gets every group. Other languages get groups 1, 2, 4, 7 and their own rules in
6, plus domains, host:port and dotted names read with their word for "dot" (not ja/zh, which do not
separate words with spaces). Digits are otherwise left to the language's own G2P (espeak-ng or
misaki ja/zh).

URLs are read as the site's name (`site_name`), never as their address: "GitHub", "the Python
docs", "Stack Overflow", and for a site the table does not know, its registrable name ("example"
for www.example.com, "artsy" for artsy.github.io). Paths and file names are read out, symbol by
symbol ("tilde slash dot cache", "README dot MD"): a listener who wants to find the file needs the
exact name, and in prose such names are short.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from num2words import num2words

from kokoro_narrate import lexicon

__all__ = [
    "RULES",
    "Rule",
    "URL",
    "normalize",
    "leading_domain",
    "replace_urls",
    "say_paths",
    "site_name",
    "url_domain",
]

CJK = ("ja", "zh")


@dataclass(frozen=True)
class Rule:
    """One rewrite: `pattern` -> `replacement`; `example_out` is what this rule alone makes of
    `example_in` (the case that motivates it; tests check it).

    `scope` says which languages it applies to: "all"; "spaced" (every language that separates
    words with spaces, i.e. not ja/zh); "en"; or "other" (spaced languages other than English).
    A callable replacement gets the match and the language code.
    """

    name: str
    pattern: re.Pattern[str]
    replacement: str | Callable[[re.Match[str], str], str]
    example_in: str
    example_out: str
    scope: str = "en"

    def applies_to(self, lang: str) -> bool:
        if self.scope == "all":
            return True
        if self.scope == "spaced":
            return lang not in CJK
        if self.scope == "en":
            return lang == "en"
        return lang != "en" and lang not in CJK  # "other"

    @property
    def example_lang(self) -> str:
        return "es" if self.scope == "other" else "en"

    def apply(self, text: str, lang: str = "en") -> str:
        if isinstance(self.replacement, str):
            return self.pattern.sub(self.replacement, text)
        return self.pattern.sub(lambda m: self.replacement(m, lang), text)


def rule(name, pattern, replacement, example_in, example_out, scope="en", flags=0) -> Rule:
    """A Rule with its pattern compiled."""
    if callable(replacement):
        function = replacement
        # Most replacements do not need the language; let them be written as f(match).
        if function.__code__.co_argcount == 1:
            replacement = lambda m, lang, f=function: f(m)  # noqa: E731
    return Rule(name, re.compile(pattern, flags), replacement, example_in, example_out, scope)


def normalize(text: str, lang: str = "en", *, keep: frozenset = frozenset()) -> str:
    """Return the words to speak for `text` in `lang` (an ISO code: en, es, fr, en-GB, ...).

    `keep` holds the lexicon's words and emoji (config/lexicon.yaml): they are left exactly as
    written, so the phonemes stage finds them ("500px" stays "500px", not "five hundred pixels").
    English also keeps every word of the packaged default lexicon. Other emoji are dropped.
    """
    lang = (lang or "en").replace("_", "-").split("-")[0].lower()
    text = unicodedata.normalize("NFC", text)
    words = keep | lexicon.default_words() if lang == "en" else keep
    kept: list[str] = []
    for number, one in enumerate(RULES):
        if number == _KEEP_BEFORE and words:
            text = _set_aside(text, words, kept)
        if one.applies_to(lang):
            text = one.apply(text, lang)
    return _put_back(text, kept)


# Kept words wait in Tangut characters: letters, so the rules treat each as the word it stands for
# ("kube-proxy" stays one hyphenated word, not "kube" and an option "-proxy"), yet no rule rewrites
# them and no English post contains them.
_PLACEHOLDER, _PLACEHOLDERS = 0x17000, 6000


def _set_aside(text: str, words: frozenset, kept: list[str]) -> str:
    def one(m):
        if len(kept) == _PLACEHOLDERS:
            return m.group()
        kept.append(m.group())
        return chr(_PLACEHOLDER + len(kept) - 1)

    return lexicon.words_pattern(words).sub(one, text)


def _put_back(text: str, kept: list[str]) -> str:
    if not kept:
        return text
    return re.sub(
        f"[{chr(_PLACEHOLDER)}-{chr(_PLACEHOLDER + len(kept) - 1)}]",
        lambda m: kept[ord(m.group()) - _PLACEHOLDER],
        text,
    )


# -- characters ---------------------------------------------------------------------------------

_QUOTES = {
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
    "\u00ad": "",  # soft hyphen
    "\u200b": "",  # zero-width space
    "\u2060": "",
    "\ufeff": "",
    "\ufffd": "",  # a byte the post's encoding could not decode: nothing to say
}

# -- web ----------------------------------------------------------------------------------------

# A URL with its scheme or www.; one home for this pattern (the Markdown walk uses it via
# `replace_urls`).
URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"'()\[\]{}]+", re.I)
_EMAIL = r"\b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b"

_DOT = {"es": "punto", "fr": "point", "it": "punto", "pt": "ponto"}
_AT = {"es": "arroba", "fr": "arobase", "it": "chiocciola", "pt": "arroba"}

# Sites by host (a host also matches its subdomains): (name in any language, English phrase).
# The phrase is what a narrator says in English when it differs from the name.
_SITES = {
    "github.com": ("GitHub", None),
    "gist.github.com": ("GitHub Gist", "a GitHub Gist"),
    "githubusercontent.com": ("GitHub", None),
    "gitlab.com": ("GitLab", None),
    "bitbucket.org": ("Bitbucket", None),
    "stackoverflow.com": ("Stack Overflow", None),
    "stackexchange.com": ("Stack Exchange", None),
    "serverfault.com": ("Server Fault", None),
    "superuser.com": ("Super User", None),
    "news.ycombinator.com": ("Hacker News", None),
    "reddit.com": ("Reddit", None),
    "twitter.com": ("Twitter", None),
    "t.co": ("Twitter", "a Twitter link"),
    "x.com": ("X", None),
    "mastodon.social": ("Mastodon", None),
    "bsky.app": ("Bluesky", None),
    "facebook.com": ("Facebook", None),
    "instagram.com": ("Instagram", None),
    "linkedin.com": ("LinkedIn", None),
    "youtube.com": ("YouTube", None),
    "youtu.be": ("YouTube", None),
    "vimeo.com": ("Vimeo", None),
    "twitch.tv": ("Twitch", None),
    "medium.com": ("Medium", None),
    "dev.to": ("DEV", None),
    "substack.com": ("Substack", None),
    "wikipedia.org": ("Wikipedia", None),
    "wikimedia.org": ("Wikimedia", None),
    "archive.org": ("the Internet Archive", None),
    "web.archive.org": ("the Wayback Machine", None),
    "arxiv.org": ("arXiv", None),
    "google.com": ("Google", None),
    "docs.google.com": ("Google Docs", None),
    "developers.google.com": ("Google", "Google's developer docs"),
    "goo.gl": ("Google", "a Google link"),
    "developer.mozilla.org": ("MDN", "the MDN docs"),
    "mozilla.org": ("Mozilla", None),
    "developer.apple.com": ("Apple", "Apple's developer site"),
    "apple.com": ("Apple", None),
    "developer.android.com": ("Android", "the Android developer site"),
    "android.com": ("Android", None),
    "microsoft.com": ("Microsoft", None),
    "learn.microsoft.com": ("Microsoft", "the Microsoft docs"),
    "docs.microsoft.com": ("Microsoft", "the Microsoft docs"),
    "aws.amazon.com": ("AWS", None),
    "docs.aws.amazon.com": ("AWS", "the AWS docs"),
    "amazon.com": ("Amazon", None),
    "amzn.to": ("Amazon", "an Amazon link"),
    "python.org": ("Python", "the Python website"),
    "docs.python.org": ("Python", "the Python docs"),
    "peps.python.org": ("Python", "the Python PEPs"),
    "pypi.org": ("PyPI", None),
    "readthedocs.io": ("Read the Docs", None),
    "npmjs.com": ("npm", None),
    "nodejs.org": ("Node.js", None),
    "rubygems.org": ("RubyGems", None),
    "ruby-lang.org": ("Ruby", "the Ruby website"),
    "rubyonrails.org": ("Rails", "the Rails website"),
    "crates.io": ("crates.io", None),
    "docs.rs": ("docs.rs", None),
    "rust-lang.org": ("Rust", "the Rust website"),
    "doc.rust-lang.org": ("Rust", "the Rust docs"),
    "go.dev": ("Go", "the Go website"),
    "golang.org": ("Go", "the Go website"),
    "pkg.go.dev": ("Go", "the Go package docs"),
    "kubernetes.io": ("Kubernetes", "the Kubernetes docs"),
    "docker.com": ("Docker", None),
    "hub.docker.com": ("Docker Hub", None),
    "heroku.com": ("Heroku", None),
    "cloudflare.com": ("Cloudflare", None),
    "netlify.com": ("Netlify", None),
    "vercel.com": ("Vercel", None),
    "digitalocean.com": ("DigitalOcean", None),
    "jekyllrb.com": ("Jekyll", "the Jekyll docs"),
    "gohugo.io": ("Hugo", "the Hugo docs"),
    "speakerdeck.com": ("Speaker Deck", None),
    "slideshare.net": ("SlideShare", None),
    "codepen.io": ("CodePen", None),
    "jsfiddle.net": ("JSFiddle", None),
    "huggingface.co": ("Hugging Face", None),
    "kaggle.com": ("Kaggle", None),
    "slack.com": ("Slack", None),
    "discord.com": ("Discord", None),
    "discord.gg": ("Discord", None),
    "atlassian.net": ("Atlassian", None),
    "atlassian.com": ("Atlassian", None),
    "bit.ly": ("Bitly", "a Bitly link"),
    "now.sh": ("Zeit Now", None),  # .sh is a shell script's extension, not a prose TLD
}

# Hosting domains whose subdomain is the site: artsy.github.io is artsy's site, not GitHub's.
_HOSTED = (
    "github.io",
    "gitlab.io",
    "herokuapp.com",
    "netlify.app",
    "vercel.app",
    "pages.dev",
    "blogspot.com",
    "wordpress.com",
    "substack.com",
    "readthedocs.io",
    "glitch.me",
    "fly.dev",
    "onrender.com",
    "now.sh",
    "js.org",
    "web.app",
    "firebaseapp.com",
    "azurewebsites.net",
    "hashnode.dev",
    "bearblog.dev",
    "ghost.io",
    "tumblr.com",
    "neocities.org",
    "surge.sh",
)
# Second-level labels under a country code: example.co.uk is "example".
_SECOND_LEVEL = ("co", "com", "org", "net", "ac", "gov", "edu", "ne", "or")


def url_domain(url: str) -> str:
    """The host of a URL without 'www.', e.g. 'example.com'; '' when there is none."""
    if "://" not in url:
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def site_name(url: str, lang: str = "en", *, in_name: bool = False) -> str:
    """What a narrator calls the site a URL (or bare domain) points to.

    A site in the table gets its name ("GitHub", "Stack Overflow") or, in English, the phrase a
    narrator would use ("the Python docs"). Any other site is called by its registrable name: the
    label before the public suffix, hyphens read as spaces ("example" for
    https://www.example.com/x, "example" for example.co.uk, "artsy" for artsy.github.io, "rust
    lang" for rust-lang.dev).
    in_name=True is for a host that begins a longer name in code (`kubernetes.io/service-account.
    name`, `apiextensions.k8s.io/v1`): a site in the table is its bare name ("Kubernetes", not
    "the Kubernetes docs"), and another host keeps the labels before its registrable name, which
    are part of that name ("apiextensions k8s").
    localhost and loopback addresses are "localhost"; another IP address is read as itself. '' when
    the URL has no host.
    """
    host = url_domain(url).rstrip(".").lower()
    if not host:
        return ""
    if host == "localhost" or host.startswith("127."):
        return "localhost"
    if re.fullmatch(r"[\d.]+|\[[\da-f:]+\]|[\da-f:]+", host):
        return host
    labels = host.split(".")
    for start in range(len(labels) - 1):
        known = _SITES.get(".".join(labels[start:]))
        if known and not (start > 0 and ".".join(labels[start:]) in _HOSTED):
            name, english = known
            return english if not in_name and lang == "en" and english else name
    for hosted in _HOSTED:
        if host.endswith("." + hosted):
            return labels[-len(hosted.split(".")) - 1].replace("-", " ")
    if len(labels) == 1:
        return labels[0].replace("-", " ")
    end = -2 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2 else -1
    return " ".join(labels[0 if in_name else end - 1 : end]).replace("-", " ")


def _trim_url(url: str) -> tuple[str, str]:
    """Sentence punctuation after a URL is not part of it."""
    tail = ""
    while url and url[-1] in ".,;:!?":
        url, tail = url[:-1], url[-1] + tail
    return url, tail


def replace_urls(text: str, lang: str = "en", say: Callable[[str], str] | None = None) -> str:
    """Every URL in `text` (with its scheme or www.) replaced by its site's name, or by
    `say(url)`: for the Markdown walk, which reads bare URLs and autolinks this way
    (`say=lambda url: ""` drops them)."""
    return URL.sub(lambda m: _say_url(m, lang, say), text)


def _say_url(m: re.Match[str], lang: str, say: Callable[[str], str] | None = None) -> str:
    url, tail = _trim_url(m.group())
    words = say(url) if say else site_name(url, lang)
    if words.startswith("the ") and re.search(r"\bthe\s*$", m.string[: m.start()], re.I):
        words = words[4:]  # "see the https://docs.python.org" -> "see the Python docs"
    return words + tail


# A media (MIME) type: a registered top-level type, a slash and a subtype ("text/html"), read with
# the slash said and the subtype's parts said as file extensions are ("application slash JSON").
_MEDIA_TYPE = (
    r"(?<![\w/.-])(text|application|image|audio|video|font|multipart|message|model)"
    r"/([A-Za-z0-9][\w.+-]*[A-Za-z0-9])(?![\w/])"
)


# Words of subtypes that are no file extension: application/x-www-form-urlencoded.
_MEDIA_WORDS = {".": "dot", "+": "plus", "-": "", "www": "W W W", "urlencoded": "URL encoded"}


def _media_type(m):
    parts = re.split(r"([.+-])", m.group(2))
    words = [_MEDIA_WORDS.get(p.lower(), _EXTENSIONS.get(p.lower(), p)) for p in parts]
    return m.group(1) + " slash " + " ".join(w for w in words if w)


def _site_word(word: str) -> str:
    """A site named by its bare name in a credit ("ada@github"): its name when the sites table
    knows it as a .com ("GitHub", "Stack Overflow"), else the word as written."""
    known = _SITES.get(word.lower() + ".com")
    return known[0] if known else word


def _email(m, lang):
    user, _, host = m.group().partition("@")
    at = " " + _AT.get(lang, "at") + " "
    dot = " " + _DOT.get(lang, "dot") + " "
    return user + at + host.replace(".", dot)


# -- keys ---------------------------------------------------------------------------------------

_KEY_SYMBOLS = {
    "⌘": "Command",
    "⇧": "Shift",
    "⌥": "Option",
    "⌃": "Control",
    "↩": "Return",
    "⏎": "Return",
    "⌫": "Delete",
    "⌦": "Forward Delete",
    "⎋": "Escape",
    "⇥": "Tab",
    "⇪": "Caps Lock",
}
_KEY_NAMES = {
    "cmd": "Command",
    "command": "Command",
    "ctrl": "Control",
    "control": "Control",
    "shift": "Shift",
    "alt": "Alt",
    "opt": "Option",
    "option": "Option",
    "win": "Windows",
    "super": "Super",
    "meta": "Meta",
    "fn": "F N",
}
_KEY_OTHERS = {"esc": "Escape", "enter": "Enter", "return": "Return", "tab": "Tab"}
_KEY_OTHERS |= {"space": "Space", "del": "Delete", "delete": "Delete", "backspace": "Backspace"}
_KEY_OTHERS |= {"up": "Up", "down": "Down", "left": "Left", "right": "Right", "home": "Home"}
_KEY_OTHERS |= {"end": "End", "pgup": "Page Up", "pgdn": "Page Down"}
_KEY_PUNCT = {",": "Comma", ".": "Period", "/": "Slash", "`": "Backtick", ";": "Semicolon"}
_KEY_PUNCT |= {"[": "Left Bracket", "]": "Right Bracket", "\\": "Backslash", "=": "Equals"}
_KEY_PUNCT |= {"-": "Minus", "'": "Quote"}
KEY_WORDS = frozenset(_KEY_NAMES) | frozenset(_KEY_OTHERS)  # the names key_name knows, lowercase
_MODIFIER = (
    r"[⌘⇧⌥⌃]|(?:Cmd|CMD|Command|Ctrl|CTRL|Control|Shift|SHIFT|Alt|ALT|Opt|Option|Win|Super"
    r"|Meta|Fn)\b"
)
_KEY = (
    r"(?:[⌘⇧⌥⌃↩⏎⌫⌦⎋⇥⇪]|F\d{1,2}\b|(?i:esc|enter|return|tab|space|del|delete|backspace|up|down"
    r"|left|right|home|end|pgup|pgdn)\b|[A-Za-z0-9](?![\w])|[,./`;\[\]\\='-](?!\w))"
)
# Modifiers joined to a key by "+" or "-" (Ctrl+C, ⌘ + ⇧ + O, Ctrl-Alt-Del), or key symbols
# written together (⌘⇧P).
_COMBO = (
    rf"(?:(?:{_MODIFIER})\s*[+-]\s*)+(?:{_MODIFIER}|{_KEY})"
    r"|[⌘⇧⌥⌃]+(?:[A-Za-z0-9](?!\w)|[↩⏎⌫⌦⎋⇥⇪]|F\d{1,2}\b)"
)


def key_name(key: str) -> str:
    """A key as it is said: ⌘ and cmd are "Command", esc "Escape", c "C"."""
    return (
        _KEY_SYMBOLS.get(key)
        or _KEY_NAMES.get(key.lower())
        or _KEY_OTHERS.get(key.lower())
        or _KEY_PUNCT.get(key)
        or key.upper()
    )


def _combo(m):
    # separators are "+" and "-"; punctuation is a key only at the end (Ctrl+-, Cmd+,)
    keys = re.findall(r"[⌘⇧⌥⌃↩⏎⌫⌦⎋⇥⇪]|F\d{1,2}\b|\w+|[,./`;\[\]\\='-](?=\s*$)", m.group())
    return " ".join(key_name(k) for k in keys)


# -- emoji --------------------------------------------------------------------------------------

# Pictographs, dingbats, symbols, flags, skin tones, keycaps, tags and the joiners between them.
_EMOJI = (
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\ufe0e\ufe0f\u200d"
    "\u20e3\U000e0020-\U000e007f\u2122\u00ae\u25a0-\u25ff\u2500-\u257f]+"
)

# -- names: domains, paths, files ---------------------------------------------------------------

# Top-level domains that mark a dotted word in prose as a site. Those that are also common file
# extensions (.md, .sh, .py, .rs, .pl, .so, .ps) are left out: README.md is a file.
_TLDS = (
    "com|org|net|io|dev|app|ai|co|me|info|edu|gov|us|uk|ca|de|fr|jp|eu|ly|fm|tv|gg|xyz|tech"
    "|blog|cloud|page|site|social|se|nl|ch|au|nz|es|ru|cn|br"
)
# A host of the sites table (or a subdomain of one) is a site even when its TLD is not in _TLDS:
# "now.sh" and "my-app.now.sh" are sites, "install.sh" is a file.
_KNOWN_HOSTS = "|".join(re.escape(h) for h in sorted(_SITES, key=len, reverse=True))
_DOMAIN = (
    rf"(?<![\w.@/-])((?:[A-Za-z0-9][A-Za-z0-9-]*\.)+(?:{_TLDS})|(?:[A-Za-z0-9][A-Za-z0-9-]*\.)*(?i:{_KNOWN_HOSTS}))"
    r"(?![\w-]|\.\w)(/[\w.~%#?=&+/-]*[\w/])?"
)
_LEADING_DOMAIN = re.compile(_DOMAIN)

# How file extensions are said. Letters in capitals are spelled out by misaki ("MD" -> M D); the
# lexicon says the rest ("JSON" -> jason, "wav" -> wav).
_EXTENSIONS = {
    "md": "MD",
    "markdown": "markdown",
    "py": "py",
    "js": "JS",
    "mjs": "MJS",
    "jsx": "JSX",
    "ts": "TS",
    "tsx": "TSX",
    "rb": "RB",
    "sh": "SH",
    "rs": "RS",
    "go": "go",
    "c": "C",
    "h": "H",
    "cpp": "CPP",
    "cc": "CC",
    "m": "M",
    "swift": "swift",
    "kt": "KT",
    "java": "java",
    "php": "PHP",
    "pl": "PL",
    "yml": "YML",
    "yaml": "YAML",
    "json": "JSON",
    "toml": "TOML",
    "xml": "XML",
    "html": "HTML",
    "htm": "HTM",
    "css": "CSS",
    "scss": "SCSS",
    "txt": "TXT",
    "csv": "CSV",
    "tsv": "TSV",
    "pdf": "PDF",
    "png": "PNG",
    "jpg": "JPEG",
    "jpeg": "JPEG",
    "gif": "GIF",
    "svg": "SVG",
    "mp3": "MP3",
    "mp4": "MP4",
    "wav": "wav",
    "ipa": "IPA",
    "apk": "APK",
    "db": "DB",
    "sql": "SQL",
    "lock": "lock",
    "log": "log",
    "env": "env",
    "git": "git",
    "zip": "zip",
    "gz": "GZ",
    "tar": "tar",
    "so": "SO",
    "dll": "DLL",
    "exe": "EXE",
    "plist": "plist",
    "xcodeproj": "Xcode project",
    "xcworkspace": "Xcode workspace",
    "framework": "framework",
    "app": "app",
}
FILE_EXTENSIONS = frozenset(_EXTENSIONS)  # what a file name ends in, as far as this module knows

# A path: starts with ~, / or ./, or has a dot-file or file-extension part, or three or more parts.
_PART = r"[\w@-](?:[\w.@-]*[\w@-])?|\.{1,2}[\w-](?:[\w.-]*[\w-])?|\.{1,2}(?=/)"
_PATH = (
    rf"(?<![\w/.:~])(?:~/|\.{{1,2}}/|/(?=[\w.]))(?:(?:{_PART})/?)+"
    rf"|(?<![\w/.:~-])(?:{_PART})/(?:{_PART})(?:/(?:{_PART}))*/?(?![\w/])"
)


def _say_part(part: str) -> str:
    """One path part or file name: 'README.md' -> 'README dot MD', '.git' -> 'dot git'."""
    if part in (".", ".."):
        return "dot" if part == "." else "dot dot"
    head, dot, ext = part.rpartition(".")
    if dot and ext.lower() in _EXTENSIONS and head and head not in (".",):
        ext = _EXTENSIONS[ext.lower()]
        return _say_part(head) + " dot " + ext
    words = part.replace(".", " dot ").strip()
    return ("dot " + words.lstrip(". ").removeprefix("dot ")) if part.startswith(".") else words


def _path(m):
    path = m.group()
    if not re.match(r"[~./]", path):
        parts = path.strip("/").split("/")
        # read/write, client/server, TCP/IP: two words with a slash are prose, not a path
        looks_like_prose = len(parts) == 2 and not any(
            p.startswith(".")
            or ("." in p and p.rpartition(".")[2].lower() in _EXTENSIONS)
            or re.search(r"\w[-_]\w", p)
            for p in parts
        )
        if looks_like_prose or re.fullmatch(r"[\d/.-]+", path):
            return path
    words = []
    if path.startswith("~"):
        words.append("tilde")
        path = path[1:]
    if path.startswith("/"):
        words.append("slash")
    parts = [p for p in path.strip("/").split("/") if p]
    for n, part in enumerate(parts):
        if n:
            words.append("slash")
        if n == 0 and not words and leading_domain(part) == (part, ""):
            words.append(site_name(part, in_name=True))  # quay.io/team/tool: "quay slash team..."
        else:
            words.append(_say_part(part))
    if m.group().endswith("/") and len(m.group()) > 1:
        words.append("slash")
    return " ".join(words)


_PATH_RE = re.compile(_PATH)


def say_paths(text: str) -> str:
    """The paths in `text` read out as the "path" rule reads them in prose ("tilde slash dot
    cache"): for inline code, which is read word by word before the rules run, so that a path
    sounds the same with or without backticks."""
    return _PATH_RE.sub(_path, text)


def _domain(m, lang):
    return site_name(m.group(1), lang)


def leading_domain(word: str) -> tuple[str, str] | None:
    """(host, the rest) of a word that begins with a domain, as the "domain" rule finds one in
    prose: `quay.io/metal3-io/manager:main` -> ("quay.io", "/metal3-io/manager:main"); None for
    a word that does not (`os.path`, `example.com.csr`, `install.sh`)."""
    m = _LEADING_DOMAIN.match(word)
    return (m.group(1), word[m.end(1) :]) if m else None


def _file_name(m):
    return _say_part(m.group())


def _leading_dot(m):
    ext = m.group(1)
    return "dot " + _EXTENSIONS.get(ext.lower(), ext)


def _dotted_name(m, lang):
    dot = " " + _DOT.get(lang, "dot") + " "
    return m.group().replace(".", dot)


# -- English: numbers ---------------------------------------------------------------------------

_DIGIT = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_DECIMAL_DIGIT = ["oh"] + _DIGIT[1:]  # "6.0" is "six point oh", "3.05" "three point oh five"
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
        words += " point " + " ".join(_DECIMAL_DIGIT[int(d)] for d in frac)
    return words


def _year_words(n: int) -> str:
    return num2words(n, to="year").replace(",", "").replace(" and ", " ")


def _ordinal(n: int) -> str:
    return num2words(n, to="ordinal").replace(",", "").replace(" and ", " ")


def _digit_group(n: int) -> str:
    """How a narrator reads one part of an address: 127 'one twenty-seven', 10 'ten'."""
    if n < 100:
        return _int_words(n)
    hundreds, rest = divmod(n, 100)
    if rest == 0:
        return _int_words(n)
    return _DIGIT[hundreds] + " " + (f"oh {_DIGIT[rest]}" if rest < 10 else _int_words(rest))


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"

_UNITS = {
    "ns": ("nanosecond", "nanoseconds"),
    "µs": ("microsecond", "microseconds"),
    "ms": ("millisecond", "milliseconds"),
    "s": ("second", "seconds"),
    "sec": ("second", "seconds"),
    "min": ("minute", "minutes"),
    "h": ("hour", "hours"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
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
    "Kb": ("kilobit", "kilobits"),
    "kb": ("kilobit", "kilobits"),
    "Mb": ("megabit", "megabits"),
    "Gb": ("gigabit", "gigabits"),
    "KB/s": ("kilobyte per second", "kilobytes per second"),
    "kB/s": ("kilobyte per second", "kilobytes per second"),
    "MB/s": ("megabyte per second", "megabytes per second"),
    "GB/s": ("gigabyte per second", "gigabytes per second"),
    "Kb/s": ("kilobit per second", "kilobits per second"),
    "kb/s": ("kilobit per second", "kilobits per second"),
    "Mb/s": ("megabit per second", "megabits per second"),
    "Gb/s": ("gigabit per second", "gigabits per second"),
    "kbit/s": ("kilobit per second", "kilobits per second"),
    "Mbit/s": ("megabit per second", "megabits per second"),
    "Gbit/s": ("gigabit per second", "gigabits per second"),
    "kbit": ("kilobit", "kilobits"),
    "Mbit": ("megabit", "megabits"),
    "Gbit": ("gigabit", "gigabits"),
    "kbps": ("kilobit per second", "kilobits per second"),
    "Kbps": ("kilobit per second", "kilobits per second"),
    "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"),
    "fps": ("frame per second", "frames per second"),
    "px": ("pixel", "pixels"),
    "pt": ("point", "points"),
    "mm": ("millimeter", "millimeters"),
    "cm": ("centimeter", "centimeters"),
    "km": ("kilometer", "kilometers"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "mph": ("mile per hour", "miles per hour"),
    "mg": ("milligram", "milligrams"),
    "kg": ("kilogram", "kilograms"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    "%": ("percent", "percent"),
}
# Longest first so that "dBTP" wins over "dB", "ms" over "s" and "Kb/s" over "Kb".
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


def _iso_date(m):
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return m.group()
    return f"{_MONTHS[mo - 1]} {_ordinal(d)}, {_year_words(y)}"


def _numeric_date(m):
    """30-11-1990, 30.11.1990: day first (as written outside the US); 11/30/1990: month first,
    unless the first number cannot be a month."""
    a, sep, b, y = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
    day_first = (sep != "/" or a > 12) and b <= 12
    day, month = (a, b) if day_first else (b, a)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m.group()
    if day_first:
        return f"the {_ordinal(day)} of {_MONTHS[month - 1]}, {_year_words(y)}"
    return f"{_MONTHS[month - 1]} {_ordinal(day)}, {_year_words(y)}"


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


def _duration(m):
    minutes, seconds = int(m.group(1)), int(m.group(2))
    words = f"{_int_words(minutes)} minutes"
    return words + (f" {_int_words(seconds)}" if seconds else "")


def _time_range(m):
    """`9:00-17:30`, `3-5pm`: a range of clock times (a colon, or a.m. or p.m. after either
    end); other number ranges are the range rule's."""
    first, first_ampm, second_ampm = m.group(1), m.group(2), m.group(4)
    if (
        ":" not in first
        and ":" not in m.string[m.end() : m.end() + 3]
        and not (first_ampm or second_ampm)
    ):
        return m.group()
    return f"{first}{first_ampm or ''} to "


# hours, minutes and seconds written together, as CI logs and benchmarks print them
_CLOCK_UNITS = (("hour", "hours"), ("minute", "minutes"), ("second", "seconds"))


def _compact_duration(m):
    parts = [(value, units) for value, units in zip(m.groups(), _CLOCK_UNITS, strict=True) if value]
    if len(parts) < 2:  # "30m" alone may be meters or millions: the rules after decide
        return m.group()
    parts = [(v, units) for v, units in parts if float(v)] or parts[-1:]  # 12h0m: twelve hours
    return " ".join(f"{_num_words(v)} {one if v == '1' else many}" for v, (one, many) in parts)


_REFERENCE_WORDS = {
    "eq": "equation",
    "eqs": "equations",
    "p": "page",
    "pp": "pages",
    "ch": "chapter",
    "chap": "chapter",
    "vol": "volume",
    "sec": "section",
    "secs": "sections",
    "ca": "circa",
}


def _hour_ampm(m):
    h = int(m.group(1))
    if not 1 <= h <= 12:
        return m.group()
    return _int_words(h) + _ampm(m.group(2))


def _ip_address(m):
    parts = [int(p) for p in m.groups()]
    if max(parts) > 255 or all(len(p) == 1 for p in m.groups()):
        return m.group()  # 1.2.3.4 is more likely a version
    return " dot ".join(_digit_group(p) for p in parts)


def _memory_size(number: str) -> bool:
    """16, 32, ... 8192: before an M, a size in megabytes (a 512M card), not millions."""
    return number.isdigit() and 16 <= int(number) <= 8192 and int(number).bit_count() == 1


def _version_words(version: str) -> str:
    """1.85.0 -> "one point eighty-five point oh", 22.04 -> "twenty-two point oh four": each
    part a number, a zero "oh" as people say it."""
    parts = version.split(".")
    words = [_int_words(int(parts[0]))]
    for part in parts[1:]:
        zeros = len(part) - len(part.lstrip("0"))
        words.append(" ".join(["oh"] * zeros + ([_int_words(int(part))] if int(part) else [])))
    return " point ".join(words)


# a version's pre-release tag: 1.2.0-rc1, 3.13b1
_PRE_RELEASE = {
    "rc": "release candidate",
    "beta": "beta",
    "alpha": "alpha",
    "a": "alpha",
    "b": "beta",
}


def _pre_release(m):
    """A version with its pre-release tag: all of it a version, whatever comes before it."""
    version, tag = m.group(1), _PRE_RELEASE[m.group(2) or m.group(4)]
    words = ("version " if version[0] == "v" else "") + _version_words(version.lstrip("v"))
    return f"{words} {tag} {m.group(3) or m.group(5) or ''}".rstrip()


def _version(m):
    prefix = "version " if m.group(1) else ""
    return prefix + _version_words(m.group(2))


# Names that a two-part version follows, where a decimal reading would be wrong: "Python 3.12" is
# "three point twelve", not "three point one two". Besides these, any word of the lexicon (set
# aside by then as a placeholder: the tools and products it knows) and "version" or "release".
_VERSIONED = (
    "Python|Rust|Go|Ruby|PHP|Perl|Java|Node|Node\\.js|Deno|Bun|Kotlin|Swift|Scala|Julia|Elixir|"
    "Erlang|GHC|Dart|Flutter|Lua|TypeScript|Zig|OCaml|Haskell|Clojure|R|Ubuntu|Debian|Fedora|macOS|"
    "iOS|iPadOS|watchOS|Android|FreeBSD|OpenBSD|RHEL|CentOS|Alpine|Linux|Django|Flask|Rails|React|"
    "Vue|Angular|Svelte|Laravel|Spring|Docker|Terraform|Git|Emacs|Vim|Neovim|GCC|Clang|LLVM|CMake|"
    "Gradle|Maven|npm|pnpm|Yarn|pip|Snakemake|PyTorch|TensorFlow|NumPy|pandas|Firefox|Chrome|"
    "Safari|Electron|Postgres|PostgreSQL|MySQL|MariaDB|SQLite|Redis|MongoDB|Elasticsearch|Kafka|"
    "Spark|Hugo|Jekyll|Gatsby|Quarto|Pandoc|Xcode|Unity|Blender|GNOME|KDE|Qt|GTK|OpenSSL|OpenSSH|"
    "Bootstrap|Tailwind|jQuery|Vite|Babel|ESLint|Jest|[Vv]ersion|[Rr]elease"
)


def _hex(m):
    digits = m.group(1)
    if len(digits) > 8:
        return "a long hex number"
    return "hex " + " ".join(_DIGIT[int(c)] if c.isdigit() else c.upper() for c in digits)


def _model(m):
    return f"{m.group(1)} {_int_words(int(m.group(2)))} {' '.join(m.group(3).upper())}"


def _decade(m):
    words = _year_words(int(m.group(1)))
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


_TENS = {"2": "twenties", "3": "thirties", "4": "forties", "5": "fifties"}
_TENS.update({"6": "sixties", "7": "seventies", "8": "eighties", "9": "nineties"})

_FRACTION = {2: ("half", "halves"), 3: ("third", "thirds"), 4: ("quarter", "quarters")}


def _fraction(m):
    n, d = int(m.group(1)), int(m.group(2))
    if (n, d) == (24, 7):
        return "twenty-four seven"
    if n == d == 50:
        return "fifty-fifty"
    if d in _FRACTION and 0 < n < d:
        one, many = _FRACTION[d]
        return f"{_int_words(n)} {one if n == 1 else many}"
    if d in (10, 100) and n <= d:  # a rating; 4/5 could as well be two versions
        return f"{_int_words(n)} out of {_int_words(d)}"
    return m.group()


def _value_pause(m):
    left, percent, right = m.group(1), m.group(2) or "", m.group(3)
    if "." not in left + right and not percent:
        return m.group()  # whole numbers: a range, read by the range rule
    return f"{left}{percent}, "


_BOUNDS = {">": "more than", "<": "less than", ">=": "at least", "<=": "at most"}
_BOUNDS |= {"≥": "at least", "≤": "at most"}


def _comparison(sign: str) -> str:
    """`sign` between two operands: spaced on both sides (a < b), or unspaced next to a number
    (x<3); not the bracket of a tag or a quote (<tag>, > quoted)."""
    s = re.escape(sign)
    return rf"(?<=[\w)]) {s} (?=[\w(-])|(?<=\d){s}(?=[\w(-])|(?<=\w){s}(?=-?\d)"


def _greek(m):
    """A lone Greek letter in English prose (λ, τ, Σ): its name, as unicodedata spells it."""
    name = unicodedata.name(m.group(), "").rsplit(" ", 1)[-1].lower()
    return {"lamda": "lambda"}.get(name, name)


def _same_case(words: str):
    def replace(m):
        return words[0].upper() + words[1:] if m.group()[0].isupper() else words

    return replace


def _flag(m):
    dashes, name, value = m.group(1), m.group(2), m.group(3)
    if len(dashes) == 1 and len(name) > 3 and value is None:
        return name  # "-foo": a list dash or a pause, not an option; read the word
    if len(dashes) == 1 and len(name) <= 3:
        name = " ".join(name.upper())  # -rf: letters, "dash R F"
    words = " ".join(["dash"] * len(dashes)) + " " + name.replace("-", " ")
    return words + (f" equals {value}" if value is not None else "")


# -- the rules, in order ------------------------------------------------------------------------

_AMPM = r"(a\.m\.|p\.m\.|am\b|pm\b|AM\b|PM\b|A\.M\.|P\.M\.)"
_RANGE_WORD = {"es": "a", "fr": "à", "it": "a", "pt": "a"}
_AND = {"es": "y", "fr": "et", "it": "e", "pt": "e", "de": "und", "hi": "और"}
_PERCENT = {"es": "por ciento", "fr": "pour cent", "it": "per cento", "pt": "por cento"}


def _n2w(value, lang, **kw):
    try:
        return num2words(value, lang=lang, **kw)
    except (NotImplementedError, OverflowError, ValueError):
        return None


def _other_range(m, lang):
    word = _RANGE_WORD.get(lang)
    return f"{m.group(1)} {word} {m.group(2)}" if word else m.group()


def _other_minus(m, lang):
    return _n2w(-int(m.group(1)), lang) or m.group()


def _other_percent(m, lang):
    word = _PERCENT.get(lang)
    return f"{m.group(1)} {word}" if word else m.group()


RULES: list[Rule] = [
    # 1. characters
    rule(
        "html entity",
        r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);",
        lambda m: html.unescape(m.group()),
        "Tom &amp; Jerry &mdash; again",
        "Tom & Jerry \u2014 again",
        scope="all",
    ),
    rule(
        "typographic quotes and spaces",
        "[" + "".join(_QUOTES) + "]",
        lambda m: _QUOTES[m.group()],
        "it\u2019s \u201cfine\u201d",
        'it\'s "fine"',
        scope="all",
    ),
    rule(
        "tag written as text",
        r"<br\s*/?>|<([A-Za-z][\w-]*)\s*/>",
        lambda m: " " + (m.group(1) or "").replace("-", " ") + " ",
        "it broke <sad-face /> again<br />today",
        "it broke  sad face  again  today",
        scope="all",
    ),
    rule(
        "bullet",
        r"(^|[:;,.!?(])?[ \t]*[•‣◦▪][ \t]*",
        lambda m: ", " if m.group(1) is None else m.group(1) + " ",
        "• Fast • Small. Features: • Free",
        " Fast, Small. Features: Free",
        scope="all",
        flags=re.M,
    ),
    # 2. web
    rule(
        "url",
        URL.pattern,
        _say_url,
        "See https://github.com/hexgrad/kokoro.",
        "See GitHub.",
        scope="all",
        flags=re.I,
    ),
    rule(
        "e-mail address",
        _EMAIL,
        _email,
        "write to me@example.org",
        "write to me at example dot org",
        scope="all",
    ),
    rule(
        "user at a site",
        r"(?<=\w)@(\w[\w-]*)",
        lambda m: " at " + _site_word(m.group(1)),
        "thanks to ada@github and bob@StackOverflow",
        "thanks to ada at GitHub and bob at Stack Overflow",
    ),
    rule(
        "media type",
        _MEDIA_TYPE,
        _media_type,
        'it returns "text/html", application/vnd.api+json or application/x-www-form-urlencoded',
        'it returns "text slash HTML", application slash vnd dot api plus JSON or application'
        " slash x W W W form URL encoded",
    ),
    # 3. keys
    rule(
        "key combination",
        _COMBO,
        _combo,
        "press \u2318 + \u21e7 + O to open",
        "press Command Shift O to open",
    ),
    # ↩ closing a line is a footnote's link back to its marker, not the Return key ("press ↩")
    rule(
        "footnote backlink",
        r"[ \t]*↩[\ufe0e\ufe0f]?\d*(?=(?:[ \t]*↩[\ufe0e\ufe0f]?\d*)*\s*$)",
        "",
        "The source is a book. ↩",
        "The source is a book.",
    ),
    rule(
        "key symbol",
        "[" + "".join(_KEY_SYMBOLS) + "]",
        lambda m: _KEY_SYMBOLS[m.group()],
        "hold \u2325 while dragging",
        "hold Option while dragging",
    ),
    # 4. emoji
    rule(
        "emoji",
        _EMOJI,
        " ",
        "Great job \U0001f389\U0001f44d\U0001f3fd!",
        "Great job  !",
        scope="all",
    ),
    rule(
        "emoticon",
        r"(?<!\S)(?:[:;=][-']?[()DPp\]\[|/\\]+|[()]+[:;=])(?=\s|$|[.,!?])",
        " ",
        "it works :) =D ;-)",
        "it works      ",
        scope="all",
    ),
    rule(
        "emoji shortcode",
        r"(?<![\w:]):(?:[a-z][a-z0-9_+-]*|\+1|-1):(?![\w:])",
        " ",
        "Shipped :tada: today",
        "Shipped   today",
        scope="all",
    ),
    # 5. names
    rule(
        "kramdown attribute list",
        r"\{:[^}\n]*\}",
        " ",
        "A photo {:.aligncenter} of the team",
        "A photo   of the team",
        scope="all",
    ),
    rule(
        "host and port",
        r"\b(localhost|\d{1,3}(?:\.\d{1,3}){3}|[a-z][\w-]*(?:\.[\w-]+)+):(\d{2,5})\b"
        r"(?:/[\w.~%#?=&+/-]*[\w/])?",
        r"\1 port \2",
        "open localhost:3000/health in a browser",
        "open localhost port 3000 in a browser",
        scope="spaced",
    ),
    rule(
        "library named .js",
        r"\b([A-Z][A-Za-z0-9]*)\.js\b",
        r"\1 JS",
        "built with Vue.js and D3.js",
        "built with Vue JS and D3 JS",
    ),
    rule(
        "path",
        _PATH_RE.pattern,
        _path,
        "it lives in .git/index and ~/.cache",
        "it lives in dot git slash index and tilde slash dot cache",
    ),
    rule(
        "domain",
        _DOMAIN,
        _domain,
        "I host it on example.com/blog and read news.ycombinator.com.",
        "I host it on example and read Hacker News.",
        scope="spaced",
    ),
    rule(
        "file name",
        r"(?<![\w.@/-])[A-Za-z0-9_][\w-]*(?:\.[A-Za-z0-9][\w-]*)*\.[a-z][a-z0-9]+\b(?!\.\w)"
        r"|(?<![\w.@/-])[A-Za-z0-9_][\w-]+\.[chm]\b(?!\.\w)",
        _file_name,
        "edit README.md and os.path, not main.py",
        "edit README dot MD and os dot path, not main dot py",
    ),
    # a qualified name whose last part is a type (what the file name rule leaves): a Java or
    # Kotlin package and class, a .NET namespace. Three parts and more, or two whose second is a
    # compound (Console.WriteLine): "it.Then", a missing space after a full stop, stays prose, as
    # do abbreviations (U.S.A., e.g.) and versions (v1.2.3)
    rule(
        "qualified name",
        r"(?<![\w.@/-])[A-Za-z_]\w+(?:\.[A-Za-z_]\w+){2,}(?![\w-]|\.\w)"
        r"|(?<![\w.@/-])[A-Za-z_]\w+\.[A-Z][a-z0-9]+[A-Z]\w*(?![\w-]|\.\w)",
        _dotted_name,
        "import java.util.concurrent.ConcurrentHashMap and call Console.WriteLine",
        "import java dot util dot concurrent dot ConcurrentHashMap and call Console dot WriteLine",
    ),
    rule(
        "leading dot",
        r"(?<![\w.])\.([A-Za-z][\w-]*)",
        _leading_dot,
        "a clean .wav with a .gitignore",
        "a clean dot wav with a dot gitignore",
    ),
    rule(
        "dotted name",
        r"(?<![\w.])[A-Za-z0-9][\w-]*(?:\.[A-Za-z0-9][\w-]*)*\.[a-z][a-z0-9]+\b",
        _dotted_name,
        "Lee README.md",
        "Lee README punto md",
        scope="other",
    ),
    # 6. English: abbreviations ("etc." keeps its period when it ends the sentence)
    rule(
        "etc at a sentence end",
        r"\betc\.(?=\s*$|\s+[A-Z\"'])",
        "et cetera.",
        "apples, pears, etc. Then",
        "apples, pears, et cetera. Then",
    ),
    rule("etc", r"\betc(?:\.|(?=[,;)]))", "et cetera", "etc. and more", "et cetera and more"),
    rule(
        "for example",
        r"\b(?:[Ee]\.g\b\.?|[Ee]g\.|eg(?=,))",
        _same_case("for example"),
        "e.g integers, eg. floats",
        "for example integers, for example floats",
    ),
    rule(
        "that is",
        r"\b(?:[Ii]\.e\b\.?|ie\.|ie(?=,))",
        _same_case("that is"),
        "i.e. that, ie. this",
        "that is that, that is this",
    ),
    rule(
        "for example, bare",
        r"\b[Ee]g(?= [a-zA-Z])",
        _same_case("for example"),
        "eg RFC 1",
        "for example RFC 1",
    ),
    rule("versus", r"\bvs\.?(?=\s)", "versus", "cats vs. dogs", "cats versus dogs"),
    rule("compare", r"\bcf\.", "compare", "cf. the docs", "compare the docs"),
    rule(
        "also known as",
        r"\b(?:aka|a\.k\.a\.?)(?=\s)",
        "also known as",
        "X aka Y",
        "X also known as Y",
    ),
    rule(
        "too long, didn't read",
        r"\b(?:tl;dr|TL;DR|tldr|TLDR)\b",
        "T L D R",
        "tl;dr: it works",
        "T L D R: it works",
    ),
    rule("with, without", r"(?<![\w/])w/o(?![\w/])", "without", "tea w/o milk", "tea without milk"),
    rule("with", r"(?<![\w/])w/(?=\s)", "with", "tea w/ milk", "tea with milk"),
    rule(
        "number sign",
        r"\b(?:[Nn]o\.|[Nn]r\.?)(?=\s?\d)",
        "number",
        "Nr 3 and No. 4",
        "number 3 and number 4",
    ),
    rule("figure", r"\bFig\.(?=\s?\d)", "Figure", "see Fig. 2", "see Figure 2"),
    # a paper's or a book's places, before the number they point at
    rule(
        "reference abbreviation",
        r"\b(Eqs?|pp?|[Cc]h|[Cc]hap|[Vv]ol|[Ss]ecs?|ca)\.\s?(?=\d)",
        lambda m: _REFERENCE_WORDS[m.group(1).lower()] + " ",
        "Eq. 2 on p. 7, pp. 3 to 5 of ch. 2, vol. 3, ca. 1900",
        "equation 2 on page 7, pages 3 to 5 of chapter 2, volume 3, circa 1900",
    ),
    rule(
        "month abbreviation",
        r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?(?=\s\d{1,2}\b)",
        lambda m: next(name for name in _MONTHS if name.startswith(m.group(1)[:3])),
        "on Apr 19 and Sept 3",
        "on April 19 and September 3",
    ),
    rule(
        "Greek letter",
        r"(?<![\u0370-\u03ff])[\u0391-\u03a9\u03b1-\u03c9](?![\u0370-\u03ff])",
        _greek,
        "a λ function with \u03c4 = 2",
        "a lambda function with tau = 2",
    ),
    rule("doctor", r"\bDr\.(?=\s+[A-Z])", "Doctor", "Dr. Smith", "Doctor Smith"),
    rule("missus", r"\bMrs\.", "Missus", "Mrs. Brown", "Missus Brown"),
    rule("mister", r"\bMr\.", "Mister", "Mr. Jones", "Mister Jones"),
    rule("miz", r"\bMs\.", "Miz", "Ms. Lee", "Miz Lee"),
    rule("professor", r"\bProf\.(?=\s+[A-Z])", "Professor", "Prof. Ada", "Professor Ada"),
    rule("approximately", r"\bapprox\.", "approximately", "approx. 5", "approximately 5"),
    # ellipses: one character, which misaki keeps as punctuation
    rule("ellipsis", r"\.\s?\.\s?\.", "\u2026", "Wait... no", "Wait\u2026 no"),
    # symbols whose meaning depends on what is around them, before the general symbol rules
    rule(
        "menu path",
        r"([A-Z][\w&.'-]+) ?(?:>|›|→|->) ?(?=[A-Z][\w&-])",
        r"\1, then ",
        "open Script > Breakpoints > Add",
        "open Script, then Breakpoints, then Add",
    ),
    rule(
        "heart",
        r"(?<!\S)<3+(?=\s+\w)",
        "love",
        "I <3 it",
        "I love it",
    ),
    rule("heart at the end", r"(?<!\S)<3+(?![\w\d])", " ", "thanks <3", "thanks  "),
    rule(
        "command-line option",
        r"(?<![\w-])(--?)([A-Za-z][\w-]*)(?![\w'])(?:=(\S+))?",
        _flag,
        "run it with --cores=4 or -f, not -like that",
        "run it with dash dash cores equals 4 or dash F, not like that",
    ),
    # arrows and comparisons, between things that can be compared
    rule(
        "bound before a number",
        r"(?<!\S)([<>]=?|[≤≥])\s?(?=\d)",
        lambda m: _BOUNDS[m.group(1)] + " ",
        "costs >100 dollars, takes <5 ms, needs >=2",
        "costs more than 100 dollars, takes less than 5 ms, needs at least 2",
    ),
    rule("arrow to", r"\s*(?:-+>|=+>|→|⇒|⟶)\s*", " to ", "A -> B --> C", "A to B to C"),
    rule("arrow from", r"\s*(?:<-+|←)\s*", " from ", "A <- B", "A from B"),
    rule(
        "less or equal",
        r"\s*(?:<=|≤)\s*",
        " less than or equal to ",
        "a <= b",
        "a less than or equal to b",
    ),
    rule(
        "greater or equal",
        r"\s*(?:>=|≥)\s*",
        " greater than or equal to ",
        "a >= b",
        "a greater than or equal to b",
    ),
    rule("not equal", r"\s*(?:!=|≠)\s*", " not equal to ", "a != b", "a not equal to b"),
    rule(
        "strict equals",
        r"(?<=[\w)'\"])\s*===\s*(?=[\w(\-'\"])",
        " triple equals ",
        "if a === b",
        "if a triple equals b",
    ),
    rule(
        "equals",
        r"(?<=[\w)'\"%])\s*==?\s*(?=[\w(\-'\"$€£])",
        " equals ",
        "1 + 1 = 2, NAME = 'x', 4=$48, 10%= $3",
        "1 + 1 equals 2, NAME equals 'x', 4 equals $48, 10% equals $3",
    ),
    rule(
        "less than",
        _comparison("<"),
        " less than ",
        "if a < b and x<3, not <tag>",
        "if a less than b and x less than 3, not <tag>",
    ),
    rule("greater than", _comparison(">"), " greater than ", "a > b", "a greater than b"),
    rule("approximately equal", r"\s*≈\s*", " about ", "x ≈ 3", "x about 3"),
    # dates and times ("5 p.m. Then": the abbreviation's period also ends the sentence)
    rule(
        "a.m. at a sentence end",
        r"\b([ap])\.m\.(?=\s+[A-Z]|\s*$)",
        r"\1.m..",
        "at 10 a.m. Then",
        "at 10 a.m.. Then",
    ),
    rule(
        "ISO date",
        r"\b(\d{4})-(\d{2})-(\d{2})\b",
        _iso_date,
        "on 2026-11-25",
        "on November twenty-fifth, twenty twenty-six",
    ),
    rule(
        "numeric date",
        r"(?<![\w.,/-])(\d{1,2})([-./])(\d{1,2})\2(\d{4})(?![\w/-]|[.,]\d)",
        _numeric_date,
        "born 30-11-1990, due 11/30/2024",
        "born the thirtieth of November, nineteen ninety, due November thirtieth, twenty "
        "twenty-four",
    ),
    rule(
        "duration in minutes",
        r"(?<![\d:.])(2[4-9]|[3-9]\d|\d{3}):([0-5]\d)(?![\d:])",
        _duration,
        "finished in 31:30",
        "finished in thirty-one minutes thirty",
    ),
    rule(
        "time range",
        r"(?<![\w:.])(\d{1,2}(?::[0-5]\d)?)(\s?" + _AMPM + r")?\s?[-–]\s?"
        r"(?=\d{1,2}(?::[0-5]\d)?(?![\d:])(\s?" + _AMPM + r")?)",
        _time_range,
        "open 9:00-17:30, or 3-5pm",
        "open 9:00 to 17:30, or 3 to 5pm",
    ),
    rule(
        "compact duration",
        r"(?<![\w.,])(?=\d+[hm]\s?\d)(?:(\d+)h\s?)?(?:(\d+)m\s?)?(?:(\d+(?:\.\d+)?)s)?"
        r"(?![\w%°]|[.,]\d)",
        _compact_duration,
        "took 4m32s, then 1h 20m",
        "took four minutes thirty-two seconds, then one hour twenty minutes",
    ),
    rule(
        "clock time",
        r"\b(\d{1,2}):(\d{2})(?!:?\d)(?:\s?" + _AMPM + ")?",
        _time,
        "at 14:05 or 3:30 pm",
        "at fourteen oh five or three thirty P M",
    ),
    rule(
        "hour with a.m. or p.m.",
        r"\b(\d{1,2})\s?" + _AMPM,
        _hour_ampm,
        "at 5pm",
        "at five P M",
    ),
    rule(
        "ratio",
        r"(?<![\d:.])(\d{1,2}):(\d)(?![\d:])",
        lambda m: f"{_int_words(int(m.group(1)))} to {_int_words(int(m.group(2)))}",
        "a 1:1 copy in 16:9",
        "a one to one copy in sixteen to nine",
    ),
    # addresses and versions: 127.0.0.1, v0.9.4, 2.x, and any a.b.c
    rule(
        "IP address",
        r"(?<![\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d)",
        _ip_address,
        "ping 192.168.1.10",
        "ping one ninety-two dot one sixty-eight dot one dot ten",
    ),
    rule(
        "pre-release",
        r"(?<![\w.])(v?\d+(?:\.\d+)+)-?(?:(rc|beta|alpha)(?:\.?(\d+))?|(a|b)(\d+))(?!\w|\.\w)",
        _pre_release,
        "v1.2.0-rc1, 1.64-beta and Python 3.13b1",
        "version one point two point oh release candidate 1, one point sixty-four beta and Python "
        "three point thirteen beta 1",
    ),
    rule(
        "version with v",
        r"\b(v)(\d+(?:\.\d+)+)\b",
        _version,
        "v0.9.4 and v2.0",
        "version zero point nine point four and version two point oh",
    ),
    rule(
        "version",
        r"(?<![\w.])()(\d+\.\d+\.\d+(?:\.\d+)*)\b",
        _version,
        "Python 3.11.2",
        "Python three point eleven point two",
    ),
    rule(
        "two-part version after a name",
        rf"((?:\b(?:{_VERSIONED})|[{chr(_PLACEHOLDER)}-{chr(_PLACEHOLDER + _PLACEHOLDERS - 1)}])"
        r"[ \t]+)(\d{1,3}\.\d{1,3})(?:[ \t]*[-\u2013][ \t]*(\d{1,3}\.\d{1,3}))?(?!\w|\.\d)(?!\s*%)",
        lambda m: (
            m.group(1) + " to ".join(_version_words(v) for v in m.group(2, 3) if v is not None)
        ),
        "Python 3.12, Ubuntu 22.04, Rust 1.29 - 1.31 and version 2.10",
        "Python three point twelve, Ubuntu twenty-two point oh four, Rust one point twenty-nine to "
        "one point thirty-one and version two point ten",
    ),
    rule(
        "version family",
        r"(?<![\w.])(\d+)\.[xX]\b",
        lambda m: _int_words(int(m.group(1))) + " point X",
        "Rails 4.x apps",
        "Rails four point X apps",
    ),
    rule(
        "hex number",
        r"\b0x([0-9A-Fa-f]+)\b",
        _hex,
        "starts at 0xD800",
        "starts at hex D eight zero zero",
    ),
    rule(
        "device model",
        r"\b(iPhone|iPad|iPod|Pixel|Nexus|Galaxy|Lumia|Moto|Xperia) (\d+)([a-z]{1,2})\b",
        _model,
        "on an iPhone 4s",
        "on an iPhone four S",
    ),
    # decades: 1990s, '80s
    rule(
        "decade",
        r"\b(1[1-9]\d0|20\d0)s\b",
        _decade,
        "the 1990s",
        "the nineteen nineties",
    ),
    rule(
        "short decade",
        r"'(\d)0s\b",
        lambda m: _TENS.get(m.group(1), m.group()),
        "the '80s",
        "the eighties",
    ),
    rule(
        "ones and zeros",
        r"\b(?:1s and 0s|ones and zeroes)\b",
        "ones and zeros",
        "1s and 0s",
        "ones and zeros",
    ),
    rule(
        "status code class",
        r"\b([1-5])xx\b",
        r"\1 X X",
        "retry on 5xx, not 4xx",
        "retry on 5 X X, not 4 X X",
    ),
    rule("zeros and ones", r"\b0s and 1s\b", "zeros and ones", "0s and 1s", "zeros and ones"),
    # a decimal written without its leading zero (".9%") is read as the number it is ("0.9%")
    rule(
        "leading point",
        r"(?<![\w.,'\"’])\.(\d+)\b(?![.,]\d)",
        r"0.\1",
        "up .9% to .25",
        "up 0.9% to 0.25",
    ),
    # arithmetic
    rule("dimensions", r"\b(\d+)\s?[x×]\s?(\d+)\b", r"\1 by \2", "1920x1080", "1920 by 1080"),
    rule("product", r"\b(\d+)\s?\*\s?(\d+)\b", r"\1 times \2", "2 * 3", "2 times 3"),
    rule("factor", r"\b(\d+(?:\.\d+)?)x\b", r"\1 times", "a 5x speedup", "a 5 times speedup"),
    rule(
        "power",
        r"\b(\d+)\s?\^\s?(\d+)\b",
        r"\1 to the power of \2",
        "2^10 values",
        "2 to the power of 10 values",
    ),
    rule("subtraction", r"(?<=\d) - (?=\d)", " minus ", "5 - 3", "5 minus 3"),
    rule(
        "fraction",
        r"(?<![\w/.])(\d{1,2})/(\d{1,3})(?:rds|ths|nds)?(?![\w/]|\.\d)",
        _fraction,
        "1/2 of it, 2/3rds of them, rated 9/10, open 24/7",
        "one half of it, two thirds of them, rated nine out of ten, open twenty-four seven",
    ),
    rule("and/or", r"\band/or\b", "and or", "this and/or that", "this and or that"),
    # currency: $5, -$3.50, €10, £2, $1.5M, $2 million
    rule(
        "money",
        r"(?<![\w.])(-)?([$€£¥])\s?(" + _NUM + r")(\s?(?:k|K|M|B|bn)\b|\s(?:thousand|million|"
        r"billion|trillion)\b)?",
        _money,
        "$3.50 or \u20ac10",
        "three dollars and fifty cents or ten euros",
    ),
    # about: ~5 before a number (before the number rules take the digits)
    rule(
        "plus or minus",
        r"\+/-\s?|±\s?",
        "plus or minus ",
        "±5% or +/- 2 dB",
        "plus or minus 5% or plus or minus 2 dB",
    ),
    rule("tilde before a number", r"~\s?(?=[-+$€£¥]?\d)", "about ", "~327 MB", "about 327 MB"),
    # a spaced en dash between numbers is a pause (a table row, a list of values) unless both are
    # whole numbers: "6.0 – 26.3%", but "pages 3 – 5"
    rule(
        "spaced dash between values",
        r"(?<![\w.,])(" + _NUM + r")(\s?%)? – (?=[-+]?(" + _NUM + r"))",
        _value_pause,
        "6.0 \u2013 26.3%",
        "6.0, 26.3%",
    ),
    # ranges and measures: 10-20, 10–20 ms, -23 dB, 3.5 kHz, 50%, 1-2 Kb/s
    rule(
        "range",
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
        "1-2 Kb/s",
        "one to two kilobits per second",
    ),
    rule(
        "measure",
        r"(?<![\w.,])([-+])?(" + _NUM + r")\s?(" + _UNIT + r")(?![\w%°]|[.,]\d)",
        _measure,
        "-23 dB and 25km",
        "minus twenty-three decibels and twenty-five kilometers",
    ),
    # "5 min. to finish": the unit's abbreviation point, not a sentence's end
    rule(
        "unit abbreviation point",
        r"\b(minutes?|seconds?|hours?)\.(?=\s+[a-z])",
        r"\1",
        "five minutes. to go",
        "five minutes to go",
    ),
    rule(
        "per",
        r"(?<=\w)/(?=(?:month|year|week|day|hour|h|min|s|sec|second|user|person|req|request)\b)",
        " per ",
        "5 GB/month",
        "5 GB per month",
    ),
    rule(
        "ordinal",
        r"\b(\d+)(?:st|nd|rd|th)\b",
        lambda m: _ordinal(int(m.group(1))),
        "the 22nd",
        "the twenty-second",
    ),
    # signed numbers, then decimals and thousands separators
    rule(
        "negative number",
        r"(?<![\w.,])-(" + _NUM + r")(?![\w]|[.,]\d)",
        lambda m: "minus " + _num_words(m.group(1)),
        "fell to -5.",
        "fell to minus five.",
    ),
    rule(
        "positive number",
        r"(?<![\w.,])\+(" + _NUM + r")(?![\w]|[.,]\d)",
        lambda m: "plus " + _num_words(m.group(1)),
        "rose by +3",
        "rose by plus three",
    ),
    # 1.5M downloads (lowercase m is meters, MB a unit; a model's "7B" and "Kokoro-82M" are
    # names, said as written)
    rule(
        "millions",
        r"(?<![\w.,-])(\d+(?:\.\d+)?)M\b",
        lambda m: m.group() if _memory_size(m.group(1)) else f"{_num_words(m.group(1))} million",
        "1.5M downloads of Kokoro-82M on a 512M card",
        "one point five million downloads of Kokoro-82M on a 512M card",
    ),
    rule(
        "decimal or thousands",
        r"(?<![\w.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)(?!\w|[.,]\d)",
        lambda m: _num_words(m.group(1)),
        "1,234.5 and 6.0",
        "one thousand two hundred thirty-four point five and six point oh",
    ),
    rule(
        "thousands with k",
        r"\b(\d+)k\b",
        lambda m: _int_words(int(m.group(1))) + " thousand",
        "10k users",
        "ten thousand users",
    ),
    # symbols
    rule("sharp", r"\b([CF])#", r"\1 sharp", "C# and F#", "C sharp and F sharp"),
    rule("C plus plus", r"\b([Cc])\+\+", r"\1 plus plus", "C++", "C plus plus"),
    # "#1 fan", but "#100DaysOfCode" is a hashtag
    # (after a word, an issue of a repository: "rust-lang/rust#42")
    rule(
        "number",
        r"(\w?)#(\d+)\b",
        lambda m: (m.group(1) + " " if m.group(1) else "") + "number " + m.group(2),
        "#1 fan, in rust#42",
        "number 1 fan, in rust number 42",
    ),
    # parentheses inside a word: an optional ending or prefix, then one written without a space
    rule(
        "optional plural",
        r"\b([A-Za-z]+)\(s\)",
        r"\1s",
        "the value(s) of each pool(s)",
        "the values of each pools",
    ),
    rule(
        "optional prefix",
        r"(?<![\w(])\(([A-Za-z]+)\)(?=[A-Za-z])",
        r"\1",
        "the (r)evolution of the (Re)Actor",
        "the revolution of the ReActor",
    ),
    rule(
        "parenthesis against a word",
        r"(?<=[A-Za-z])\((?=[A-Za-z\"'])|(?<=[A-Za-z])\)(?=[A-Za-z])",
        lambda m: " (" if m.group() == "(" else ") ",
        "Java(the language)is fine",
        "Java (the language) is fine",
    ),
    rule("ampersand", r"\s*&\s*", " and ", "Tom & Jerry", "Tom and Jerry"),
    rule("plus", r"\s*\+\s*", " plus ", "1 + 1", "1 plus 1"),
    rule("degrees", r"(?<=\d)\s?°", " degrees", "turn 90°", "turn 90 degrees"),
    rule("copyright", r"©", " copyright ", "© 2024", " copyright  2024"),
    rule("handle", r"(?<!\w)@(?=\w)", "at ", "@hexgrad", "at hexgrad"),
    rule("at sign", r"\s@\s", " at ", "5 @ 3", "5 at 3"),
    rule("percent", r"(?<!\d)%(?=[a-z])", "percent ", "%rsp", "percent rsp"),
    rule("percent sign", r"(?<!\d)%", " percent", "100 %", "100  percent"),
    rule("dollar sign", r"\$(?!\d)", " ", "$HOME", " HOME"),
    rule(
        "slash between words",
        r"(?<=[\w)\]\"']) / (?=[\w(\[\"'])",
        " slash ",
        "posts / drawings, Section (Row) / Columns",
        "posts slash drawings, Section (Row) slash Columns",
    ),
    # dashes: em dash and spaced hyphens are a comma pause; hyphenated words stay
    rule(
        "em dash",
        r"\s*[—―]\s*|\s+--?\s+|\s*--\s*",
        ", ",
        "wait \u2014 what",
        "wait, what",
    ),
    rule("en dash", r"\s*–\s*", ", ", "this \u2013 that", "this, that"),
    rule(
        "trailing hyphen",
        r"(?<=\w)-(?=\s|$)|(?<=\s)-(?=\s)",
        " ",
        "pre- and post-",
        "pre  and post ",
    ),
    # 6. other languages: signs, ranges, percent and dashes in their own words
    rule("ellipsis character", r"…", "...", "Pues\u2026 no", "Pues... no", scope="other"),
    rule(
        "dash pause",
        r"\s*[—―]\s*|\s+--?\s+",
        ", ",
        "el 50 \u2014 o m\u00e1s",
        "el 50, o m\u00e1s",
        scope="other",
    ),
    rule(
        "range in words",
        r"(?<![\w.,])(\d+)\s?[-–]\s?(\d+)(?![\w.,]\d)",
        _other_range,
        "entre 10-20 personas",
        "entre 10 a 20 personas",
        scope="other",
    ),
    rule("en dash pause", r"\s*–\s*", ", ", "esto \u2013 aquello", "esto, aquello", scope="other"),
    rule(
        "negative number in words",
        r"(?<![\w.,])-(\d+)(?![\d.,]\d)",
        _other_minus,
        "Hace -5 grados",
        "Hace menos cinco grados",
        scope="other",
    ),
    rule(
        "ampersand in words",
        r"\s*&\s*",
        lambda m, lang: " " + _AND.get(lang, "&") + " ",
        "Tom & Jerry",
        "Tom y Jerry",
        scope="other",
    ),
    rule(
        "percent in words",
        r"(\d)\s?%",
        _other_percent,
        "el 50%",
        "el 50 por ciento",
        scope="other",
    ),
    # 7. tidy
    rule(
        "markup leftovers",
        r"[*_#|\[\]<>{}`~^\\]",
        " ",
        "**bold** a | b `c`",
        "  bold   a   b  c ",
        scope="all",
    ),
    rule("empty parentheses", r"\(\s*\)", " ", "call f() now", "call f  now", scope="all"),
    rule("runs of spaces", r"\s+", " ", "a  \n b", "a b", scope="all"),
    rule(
        "space before punctuation",
        r" ([.,!?;:…)])(?!\w)",
        r"\1",
        "Great job ! It lives in .git",
        "Great job! It lives in .git",
        scope="all",
    ),
    rule("space after parenthesis", r"\( ", "(", "( yes)", "(yes)", scope="all"),
    rule("doubled commas", r",(?:\s*,)+", ",", "wait, , what", "wait, what", scope="all"),
    rule("comma before a stop", r",\s*([.!?;:])", r"\1", "done, .", "done.", scope="all"),
    rule(
        "leading punctuation",
        r"^(?:[\s.,;:!?)]|-(?=\s))+",
        "",
        ", and so; - a dash",
        "and so; - a dash",
        scope="all",
    ),
    rule("trailing space", r"\s+$", "", "done ", "done", scope="all"),
]

# The lexicon's words are set aside after the web and key groups (URLs are read whole, even one
# containing a lexicon word; "Ctrl-C" is a key combination although "ctrl" is a lexicon word) and
# before every group that could rewrite them.
_KEEP_BEFORE = next(n for n, r in enumerate(RULES) if r.name == "emoji")
