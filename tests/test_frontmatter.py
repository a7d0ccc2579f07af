"""Front matter: read safely, bounded, and checked only where the pipeline uses a value."""

import datetime as dt
from pathlib import Path

import pytest
import yaml

from kokoro_narrate import frontmatter
from kokoro_narrate.frontmatter import FrontMatterError, PostError, parse, read

REPO_SCHEMA = Path(__file__).parent.parent / "workflow/schemas/config.schema.yaml"


def test_no_front_matter_and_empty_blocks():
    assert parse("no front matter\n", "a.md").values == {}
    assert parse("---\n---\nbody\n", "a.md").values == {}
    assert parse("---\n\nText after a rule.\n", "a.md").body_start == 0  # a rule, not a block


def test_yaml_and_toml_values_and_key_lines():
    front = parse("---\ntitle: A\ntags: [x]\nspeed: 1.2\n---\nbody\n", "a.md")
    assert front.values == {"title": "A", "tags": ["x"], "speed": 1.2}
    assert front.key_lines == {"title": 2, "tags": 3, "speed": 4}
    assert front.body_start == 5 and front.title == "A" and front.speed == 1.2
    toml = parse('+++\ntitle = "A"\n\ndate = 2024-03-01\n+++\nbody\n', "a.md")
    assert toml.title == "A" and toml.date == dt.date(2024, 3, 1) and toml.line("date") == 4


def test_a_date_that_does_not_exist_is_a_warning_naming_file_line_and_key():
    front = parse("---\ntitle: Leap\ndate: 2014-02-29\n---\nText.\n", "posts/leap.md")
    assert front.date is None and front.values["date"] == "2014-02-29"  # text, never a crash
    (warning,) = front.warnings
    assert (
        warning.startswith("posts/leap.md:3:") and "'date'" in warning and "YYYY-MM-DD" in warning
    )
    assert parse("---\ndate: 2014-02-28 10:15:00 +0100\n---\n", "a.md").date == dt.date(2014, 2, 28)


def test_values_are_checked_only_where_they_are_used():
    front = parse("---\nlayout: [1, {a: b}]\ntitle: {nested: map}\ntags: 3\n---\nx\n", "a.md")
    assert front.title is None and "not text" in front.warnings[0]
    for key, value, message in [
        ("speed", "fast", "from 0.5 to 2.0"),
        ("speed", ".nan", "from 0.5 to 2.0"),
        ("speed", "0.001", "from 0.5 to 2.0"),
        ("voices", "3", "voice name"),
        ("skip", "maybe", "true or false"),
        ("lang", "[en]", "language code"),
    ]:
        front = parse(f"---\ntitle: t\n{key}: {value}\n---\nx\n", "posts/p.md")
        with pytest.raises(FrontMatterError, match=message) as err:
            getattr(front, key)
        assert str(err.value).startswith("posts/p.md:3:")


def test_drafts_and_language_codes():
    assert parse("---\ndraft: true\n---\nx", "a.md").draft
    assert parse("---\npublished: false\n---\nx", "a.md").draft
    assert not parse("---\npublished: true\n---\nx", "a.md").draft
    assert parse("---\nlang: en-GB\n---\nx", "a.md").lang == "en"
    assert parse("---\nlanguage: es_ES\n---\nx", "a.md").lang == "es"


@pytest.mark.parametrize(
    "text, line",
    [
        ("---\ntitle: a\nbad: [unclosed\nfoo: 1\n---\nText\n", 4),
        ("---\ntitle: a: b\n---\nText\n", 2),
        ('+++\ntitle = "a"\nbad = \n+++\nText\n', 3),
        ('+++\ntitle = "a"\nbad = = 2\nok = 1\n+++\nText\n', 3),
        ("---\ntitle: a\nText\n", 1),
        ("---\n- a\n---\nText\n", 2),
        ("---\ntitle:\ttab\n---\nText\n", 2),
    ],
)
def test_broken_front_matter_names_file_and_line(text, line):
    with pytest.raises(PostError, match=f"posts/bad.md:{line}:"):
        parse(text, "posts/bad.md")


def test_reading_is_bounded_in_depth_aliases_and_size():
    deep = "---\nx: " + "[" * 5000 + "]" * 5000 + "\n---\nbody\n"
    with pytest.raises(FrontMatterError, match="nested more than"):
        parse(deep, "a.md")
    deep_toml = "+++\nx = " + "[" * 3000 + "]" * 3000 + "\n+++\nbody\n"
    with pytest.raises(FrontMatterError, match="nested"):
        parse(deep_toml, "a.md")
    laughs = ["---", "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, 9):
        prev, cur = chr(96 + n), chr(97 + n)
        laughs.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    with pytest.raises(FrontMatterError, match="aliases"):
        parse("\n".join([*laughs, "---", "body"]), "a.md")
    huge = "---\n" + "\n".join(f"k{i}: {'x' * 60}" for i in range(2000)) + "\n---\nbody\n"
    with pytest.raises(FrontMatterError, match="bytes"):
        parse(huge, "a.md")
    # a few aliases are fine
    assert parse("---\na: &x [1]\nb: *x\n---\n", "a.md").values == {"a": [1], "b": [1]}


def test_invalid_utf8_names_line_and_byte():
    with pytest.raises(PostError, match=r"bad\.md:2: invalid UTF-8 at byte offset 9"):
        read(b"Title\nCaf\xe9\n", "bad.md")


def test_speed_range_matches_the_config_schema():
    schema = yaml.safe_load(Path(REPO_SCHEMA).read_text(encoding="utf-8"))
    speed = schema["properties"]["speed"]
    assert (speed["minimum"], speed["maximum"]) == frontmatter.SPEED_RANGE


def quarto_blog(root: Path) -> Path:
    """A Quarto blog: site options in _quarto.yml, the posts' author in posts/_metadata.yml,
    drafts by folder; returns the path of a post."""
    (root / "blog" / "posts" / "tides").mkdir(parents=True)
    (root / "blog" / "posts" / "drafts" / "later").mkdir(parents=True)
    (root / "blog" / "_quarto.yml").write_text(
        "project:\n  type: website\nwebsite:\n  title: The site\n"
        "title: The site, not a post\nlang: es\nbibliography: refs/all.bib\n"
    )
    (root / "blog" / "posts" / "_metadata.yml").write_text(
        "# options for every post\nfreeze: true\nauthor:\n  - name: Ana Lima\n"
    )
    (root / "blog" / "posts" / "drafts" / "_metadata.yml").write_text("draft: true\n")
    post = root / "blog" / "posts" / "tides" / "index.qmd"
    post.write_text("---\ntitle: Tides\n---\n\nText.\n")
    return post


def test_a_quarto_post_takes_its_project_s_and_folders_metadata(tmp_path):
    post = quarto_blog(tmp_path)
    front, _ = read(post.read_bytes(), post)
    blog = tmp_path / "blog"
    assert front.title == "Tides"  # _quarto.yml's title is the site's
    assert front.author == "Ana Lima" and front.lang == "es" and not front.draft
    # named relative to _quarto.yml, read relative to the post, as citations.paths reads it
    assert (post.parent / front.values["bibliography"]).resolve() == blog / "refs" / "all.bib"
    assert front.where("author") == f"{blog / 'posts' / '_metadata.yml'}:3"
    assert front.where("title") == f"{post}:2"
    assert front.inherited_from == (
        str(blog / "_quarto.yml"),
        str(blog / "posts" / "_metadata.yml"),
    )
    # the inner folder's file over the outer ones
    draft = blog / "posts" / "drafts" / "later" / "index.qmd"
    draft.write_text("Not yet.\n")
    assert read(draft.read_bytes(), draft)[0].draft


def test_a_post_s_own_front_matter_wins_over_its_folders(tmp_path):
    post = quarto_blog(tmp_path)
    post.write_text("---\nauthors: [Ben Ruiz]\nlanguage: en\nbibliography: mine.bib\n---\nText.\n")
    front, _ = read(post.read_bytes(), post)
    assert front.author == "Ben Ruiz" and front.lang == "en"
    assert front.values["bibliography"] == "mine.bib" and "author" not in front.values


def test_no_folder_metadata_outside_a_quarto_project_or_for_other_formats(tmp_path):
    post = quarto_blog(tmp_path)
    (tmp_path / "blog" / "_quarto.yml").unlink()
    assert read(post.read_bytes(), post)[0].author is None
    post = quarto_blog(tmp_path / "again")
    rst = post.with_name("notes.rst")
    rst.write_text("Notes\n=====\n\nText.\n")
    assert read(rst.read_bytes(), rst)[0].author is None  # Quarto does not render it


def test_bad_folder_metadata_names_its_file_and_line(tmp_path):
    post = quarto_blog(tmp_path)
    metadata = tmp_path / "blog" / "posts" / "_metadata.yml"
    metadata.write_text("author: [Ana\nlang: es\n")
    with pytest.raises(FrontMatterError, match=rf"{metadata}:\d: invalid YAML.*this file"):
        read(post.read_bytes(), post)
    metadata.write_text("lang: Spanish!\n")
    front, _ = read(post.read_bytes(), post)
    with pytest.raises(FrontMatterError, match=rf"{metadata}:1: front matter 'lang'"):
        _ = front.lang


def test_a_nearer_file_s_authors_replace_a_farther_file_s_author(tmp_path):
    post = quarto_blog(tmp_path)
    (tmp_path / "blog" / "posts" / "_metadata.yml").write_text("authors: [Ben Ruiz, Cy Ode]\n")
    (tmp_path / "blog" / "_quarto.yml").write_text("project:\n  type: blog\nauthor: Ana Lima\n")
    front, _ = read(post.read_bytes(), post)
    assert front.author == "Ben Ruiz and Cy Ode" and "author" not in front.values
