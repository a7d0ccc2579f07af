"""Front-end benchmark: the script and phonemes stages on folders of real posts.

    python bench/frontend.py FOLDER [FOLDER ...]     one row per folder, then the total
    python bench/frontend.py --blogs [--into DIR]     read bench/blogs.toml's posts into DIR (a
                                                      scratch folder outside the repository) and
                                                      measure each blog

Posts are *.md, *.markdown, *.mdx, *.qmd, *.Rmd, *.Rmarkdown, *.ipynb, *.rst, *.adoc, *.org and
*.txt under a folder. For each folder it prints:

posts, failed       posts, and posts whose parse_post raised (a post that asks to be skipped is
                    not a failure)
lost prose          share of prose words not spoken, over all posts and in the worst post (the
                    extractor is bench/prose.py, independent of the front end's parser; its rules
                    are in that module's docstring)
code-like           paragraphs that read like code (bench/prose.py code_like: 30% code signals)
domains, paths      "github dot com" and "/usr/local/bin" heard in the spoken text: a site read out
                    where its name should be said, a path read out
emails              e-mail addresses heard ("jobs at example dot net", "ama AT example dot org": a
                    domain right after "at"/"AT"/"arroba" with a user part before it). They are
                    read in full on purpose (a listener needs the address), so they are counted
                    apart and not in domains
OOV                 share of words misaki sent through the espeak fallback, a hyphenated word once
                    if any part of it went (English posts only; --no-oov skips the G2P, the slow
                    part), then the 30 most frequent OOV words

Posts are fetched from local git snapshots: --mirrors DIR holds OWNER+NAME/repo git directories
(the layout the workplace's fetch tool writes); a repository missing there is cloned from GitHub
when the network allows. The posts' text stays in the scratch folder and is never committed.
"""

from __future__ import annotations

import argparse
import collections
import fnmatch
import logging
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import prose  # noqa: E402  (bench/prose.py, beside this script)

BENCH = Path(__file__).resolve().parent
SUFFIXES = (
    ".md", ".markdown", ".mkd", ".mkdn", ".mkdown", ".mdx", ".qmd", ".rmd", ".rmarkdown",
    ".ipynb", ".rst", ".adoc", ".asciidoc", ".org", ".txt",
)  # fmt: skip


# -- fetching the listed blogs ------------------------------------------------------------------


def _git_dir(repo: str, mirrors: Path, scratch: Path) -> Path:
    """A git directory holding `repo`: the local snapshot, else a (blob-less) clone."""
    for candidate in (mirrors / repo.replace("/", "+") / "repo",):
        for git_dir in (candidate / ".git", candidate):
            if (git_dir / "HEAD").is_file():
                return git_dir
    clone = scratch / ".clones" / repo.replace("/", "+")
    if not clone.exists():
        url = f"https://github.com/{repo}.git"
        subprocess.run(
            ["git", "clone", "--bare", "--filter=blob:none", url, str(clone)], check=True
        )
    return clone


def _git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True
    ).stdout


def fetch_blogs(listing: Path, into: Path, mirrors: Path) -> list[Path]:
    """Write every listed post to into/<blog>/<path>; returns the blog folders."""
    blogs = tomllib.loads(listing.read_text(encoding="utf-8"))["blog"]
    folders = []
    for blog in blogs:
        git_dir = _git_dir(blog["repo"], mirrors, into)
        wanted = [(f["commit"], f["path"]) for f in blog.get("files", [])]
        if "paths" in blog:
            names = _git(git_dir, "ls-tree", "-r", "--name-only", blog["commit"]).decode()
            for name in names.splitlines():
                if any(fnmatch.fnmatchcase(name, glob) for glob in blog["paths"]):
                    wanted.append((blog["commit"], name))
        folder = into / blog["name"]
        for commit, path in wanted:
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_git(git_dir, "show", f"{commit}:{path}"))
        print(f"{blog['name']}: {len(wanted)} posts from {blog['repo']}", file=sys.stderr)
        folders.append(folder)
    return folders


# -- measuring ----------------------------------------------------------------------------------


@dataclass
class Tally:
    name: str
    posts: int = 0
    failed: list[str] = field(default_factory=list)
    prose_words: int = 0
    lost_words: int = 0
    worst: tuple[float, str] = (0.0, "")
    paragraphs: int = 0
    code_like: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    g2p_words: int = 0
    oov_words: collections.Counter = field(default_factory=collections.Counter)

    def add(self, other: Tally) -> None:
        self.posts += other.posts
        self.failed += other.failed
        self.prose_words += other.prose_words
        self.lost_words += other.lost_words
        self.worst = max(self.worst, other.worst)
        self.paragraphs += other.paragraphs
        self.code_like += other.code_like
        self.domains += other.domains
        self.emails += other.emails
        self.paths += other.paths
        self.g2p_words += other.g2p_words
        self.oov_words += other.oov_words


class Phonemes:
    """The phonemes stage's G2P, loaded once; counts the words it had to guess."""

    def __init__(self):
        from kokoro_narrate import phonemes

        self.module = phonemes
        self.g2p = phonemes.G2P("a")
        logging.getLogger("phonemizer").setLevel(logging.ERROR)  # "words count mismatch" noise

    def count(self, paragraphs, tally: Tally) -> None:
        chunks = self.module.phonemize_script([vars(p) for p in paragraphs], self.g2p, 300)
        for chunk in chunks:
            tally.g2p_words += chunk.words
            oov = set(chunk.oov)
            words = (w.strip(".,:;!?\"'()") for w in chunk.text.split())
            # a hyphenated word is guessed part by part: it counts once, as its unknown parts
            tally.oov_words.update(
                "-".join(p for p in w.split("-") if p in oov)
                for w in words
                if w in oov or oov.intersection(w.split("-"))
            )


def measure_post(path: Path, tally: Tally, g2p: Phonemes | None) -> None:
    from kokoro_narrate import citations, frontmatter, script

    tally.posts += 1
    data = path.read_bytes()
    try:
        # the bibliography the post names, as the workflow gives it to the script stage
        front, _ = frontmatter.read(data, str(path))
        found, _ = citations.paths(front.values.get("bibliography"), path)
        post = script.parse_post(data, str(path), references=citations.load(found))
    except Exception as error:  # noqa: BLE001  (any failure of one post is what we count)
        tally.failed.append(f"{path}: {type(error).__name__}: {str(error)[:160]}")
        return
    if post.skip:
        return
    spoken = [p.text for p in post.paragraphs]
    source = data.decode("utf-8", errors="replace")
    lang = post.lang or "en"
    prose_words = prose.prose_words(source, path.suffix, lang)
    lost = sum(prose.lost_words(prose_words, prose.word_forms(" ".join(spoken))).values())
    tally.prose_words += len(prose_words)
    tally.lost_words += lost
    if prose_words:
        tally.worst = max(tally.worst, (lost / len(prose_words), path.name))
    tally.paragraphs += len(spoken)
    for text in spoken:
        if prose.code_like(text):
            tally.code_like.append(f"{path.name}: {text[:100]}")
        tally.domains += prose.spoken_domains(text)
        tally.emails += prose.spoken_emails(text)
        tally.paths += prose.spoken_paths(text)
    if g2p is not None and lang.startswith("en"):
        g2p.count(post.paragraphs, tally)


def measure(folder: Path, g2p: Phonemes | None) -> Tally:
    tally = Tally(folder.name)
    for path in sorted(
        p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()
    ):
        measure_post(path, tally, g2p)
    return tally


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}%" if whole else "-"


def report(tallies: list[Tally], verbose: bool) -> None:
    total = Tally("total")
    for t in tallies:
        total.add(t)
    header = (
        f"{'blog':<12} {'posts':>5} {'failed':>6} {'lost':>7} {'worst post':>30} "
        f"{'code-like':>9} {'domains':>7} {'emails':>6} {'paths':>5} {'OOV':>6}"
    )
    print(header)
    print("-" * len(header))
    for t in [*tallies, total] if len(tallies) > 1 else tallies:
        worst = f"{100 * t.worst[0]:.1f}% {t.worst[1][:22]}" if t.worst[1] else "-"
        print(
            f"{t.name[:12]:<12} {t.posts:>5} {len(t.failed):>6} "
            f"{_share(t.lost_words, t.prose_words):>7} {worst:>30} {len(t.code_like):>9} "
            f"{len(t.domains):>7} {len(t.emails):>6} {len(t.paths):>5} "
            f"{_share(sum(t.oov_words.values()), t.g2p_words):>6}"
        )
    last = tallies[-1] if len(tallies) == 1 else total
    print(f"\nprose words {last.prose_words}, lost {last.lost_words}")
    if last.g2p_words:
        top = ", ".join(f"{w} {n}" for w, n in last.oov_words.most_common(30))
        print(f"30 most frequent OOV words: {top}")
    sections = [("failed", last.failed), ("code-like", last.code_like)]
    if verbose:
        sections += [
            ("domains", collections.Counter(last.domains).most_common(20)),
            ("emails", collections.Counter(last.emails).most_common(20)),
            ("paths", collections.Counter(last.paths).most_common(20)),
        ]
    for name, items in sections:
        for item in items[:40]:
            print(f"  {name}: {item}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--blogs", action="store_true", help="fetch and measure blogs.toml")
    parser.add_argument("--list", type=Path, default=BENCH / "blogs.toml")
    parser.add_argument("--into", type=Path, default=Path(tempfile.gettempdir()) / "kn-blogs")
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--no-oov", action="store_true", help="skip the G2P (fast)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # the stages' warnings would drown the table
    folders = list(args.folders)
    if args.blogs:
        folders += fetch_blogs(args.list, args.into, args.mirrors)
    if not folders:
        parser.error("give a FOLDER of posts, or --blogs")
    g2p = None if args.no_oov else Phonemes()
    report([measure(folder, g2p) for folder in folders], args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
