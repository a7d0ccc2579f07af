import re

import pytest

from kokoro_narrate import settings
from kokoro_narrate.settings import ConfigError, load


def config(tmp_path, **extra):
    return {
        "posts": str(tmp_path / "*.md"),
        "voices": ["af_heart", "bm_george", "ef_dora"],
        **extra,
    }


def post(tmp_path, name, text):
    (tmp_path / f"{name}.md").write_bytes(text if isinstance(text, bytes) else text.encode())


def test_posts_are_narrated_in_the_voices_of_their_language(tmp_path):
    post(tmp_path, "english", "Hello there.\n")
    post(tmp_path, "spanish", "---\nlang: es\n---\nHola.\n")
    settings = load(config(tmp_path))
    assert settings.posts["english"].voices == ("af_heart", "bm_george")
    assert settings.posts["english"].skipped_voices == ("ef_dora",)
    assert settings.posts["spanish"].voices == ("ef_dora",)
    assert settings.pairs() == [
        ("english", "af_heart"),
        ("english", "bm_george"),
        ("spanish", "ef_dora"),
    ]


def test_front_matter_overrides_voices_speed_and_skip(tmp_path):
    post(tmp_path, "a", "---\nvoices: [bm_george]\nspeed: 1.2\ntitle: Hi\n---\nText.\n")
    post(tmp_path, "b", "---\nskip: true\n---\nText.\n")
    settings = load(config(tmp_path))
    assert settings.posts["a"].voices == ("bm_george",)
    assert settings.posts["a"].speed == 1.2 and settings.posts["a"].title == "Hi"
    assert "b" not in settings.posts and "skip" in settings.skipped_posts["b"]


def test_post_without_a_voice_of_its_language_is_skipped_with_the_reason(tmp_path):
    post(tmp_path, "en", "Hello.\n")
    post(tmp_path, "fr", "---\nlang: fr\n---\nBonjour.\n")
    settings = load(config(tmp_path))
    assert "French" in settings.skipped_posts["fr"]


def test_bad_front_matter_fails_only_that_post(tmp_path):
    post(tmp_path, "good", "Hello.\n")
    post(tmp_path, "unknown_voice", "---\nvoices: [af_nobody]\n---\nHi.\n")
    post(tmp_path, "broken", "---\ntitle: [unclosed\n---\nHi.\n")
    post(tmp_path, "binary", b"Caf\xe9 au lait.\n")
    settings = load(config(tmp_path))
    assert settings.posts["good"].problem is None
    assert "af_nobody" in settings.posts["unknown_voice"].problem
    assert "broken.md" in settings.posts["broken"].problem
    assert "byte offset 3" in settings.posts["binary"].problem


def test_no_matching_posts_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="matches no file"):
        load(config(tmp_path))


def test_unknown_voice_is_a_config_error(tmp_path):
    post(tmp_path, "a", "Hi.\n")
    with pytest.raises(ConfigError, match="af_nobody"):
        load({"posts": str(tmp_path / "*.md"), "voices": ["af_nobody"]})


# -- post ids and per-post problems (one post never stops the build) ------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "what-you-wanted-to-know-but-weren't-afraid-to-ask.md",
            "what-you-wanted-to-know-but-werent-afraid-to-ask",
        ),
        ("Café crème.md", "Café-crème"),
        ("  spaced   out .markdown", "spaced-out"),
        ("2014-02-28-leap.md", "2014-02-28-leap"),
        ("日本語の投稿.md", "日本語の投稿"),
        ("!!!.md", None),
        ("trip/index.md", "trip"),
        ("trip/_index.md", "trip"),
        ("2024-05-01_herons/index.qmd", "2024-05-01_herons"),  # Quarto's posts/<slug>/index.qmd
        ("tides/index.Rmarkdown", "tides"),  # blogdown's bundles
        ("cider/index.ipynb", "cider"),  # a notebook in a Quarto bundle
        ("2025-04-19-walls.rst", "2025-04-19-walls"),  # Pelican's reStructuredText
        ("2020-07-20-ide.adoc", "2020-07-20-ide"),  # Jekyll with jekyll-asciidoc
        ("pumps/index.adoc", "pumps"),  # an AsciiDoc page bundle (Hugo)
        ("pears/index.org", "pears"),  # an Org page bundle (Hugo)
        ("2013-05-01-old.mkd", "2013-05-01-old"),  # one of Jekyll's Markdown extensions
    ],
)
def test_post_ids_are_safe_stable_file_names(name, expected):
    from kokoro_narrate.settings import post_id

    got = post_id(f"corpus/{name}")
    if expected is None:
        assert got.startswith("post-") and len(got) == 13
    else:
        assert got == expected
    assert got == post_id(f"corpus/{name}")  # stable
    assert re.fullmatch(settings.POST_ID, got)  # the post wildcard takes every id


def test_a_target_outside_the_build_is_told_why(tmp_path):
    post(tmp_path, "english", "Hello there.\n")
    post(tmp_path, "draft", "---\nskip: true\n---\nText.\n")
    post(tmp_path, "mine", "---\nvoices: [af_heart]\n---\nText.\n")
    plan = load(config(tmp_path))
    assert plan.not_built("english") == plan.not_built("english", "af_heart") == ""
    assert "no post has the id 'nope'" in plan.not_built("nope", "af_heart")
    assert plan.not_built("draft").startswith("post draft is not narrated: ")
    assert "skip" in plan.not_built("draft")
    assert plan.not_built("english", "ef_dora") == (
        "post english is not narrated in voice ef_dora: post language en, voice speaks Spanish"
    )
    assert "front matter lists other voices" in plan.not_built("mine", "bm_george")


def test_odd_file_names_and_bundles_all_build(tmp_path):
    (tmp_path / "trip").mkdir()
    (tmp_path / "trip" / "index.md").write_text("Hugo bundle.\n")
    (tmp_path / "Café crème.md").write_text("Un café.\n")
    (tmp_path / "weren't.markdown").write_text("Jekyll.\n")
    (tmp_path / "plain.txt").write_text("Plain text.\n")
    (tmp_path / "herons").mkdir()
    (tmp_path / "herons" / "index.qmd").write_text("Quarto.\n")
    (tmp_path / "tides.Rmd").write_text("R Markdown.\n")
    suffixes = (".md", ".markdown", ".txt", ".qmd", ".Rmd")
    cfg = {"posts": [str(tmp_path / "**" / f"*{s}") for s in suffixes]}
    settings = load({**config(tmp_path), **cfg})
    assert sorted(settings.posts) == ["Café-crème", "herons", "plain", "tides", "trip", "werent"]
    assert all(p.problem is None for p in settings.posts.values())


def test_planning_problems_fail_only_their_post(tmp_path):
    post(tmp_path, "good", "Hello.\n")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    (tmp_path / "folder.md").mkdir()
    post(tmp_path, "nested", "---\nx: " + "[" * 2000 + "]" * 2000 + "\n---\nHi.\n")
    post(tmp_path, "badspeed", "---\nspeed: 0.001\n---\nHi.\n")
    settings = load(config(tmp_path))
    assert settings.posts["good"].problem is None
    assert "does not exist" in settings.posts["dangling"].problem
    assert not settings.posts["dangling"].readable
    assert "a folder" in settings.posts["folder"].problem
    assert "nested" in settings.posts["nested"].problem
    assert "nested.md:2" in settings.posts["nested"].problem
    assert "0.5 to 2.0" in settings.posts["badspeed"].problem


def test_two_files_with_one_id_fail_naming_both(tmp_path):
    post(tmp_path, "same", "One.\n")
    (tmp_path / "same.markdown").write_text("Two.\n")
    settings = load(
        {**config(tmp_path), "posts": [str(tmp_path / "*.md"), str(tmp_path / "*.markdown")]}
    )
    problem = settings.posts["same"].problem
    assert "same.md" in problem and "same.markdown" in problem and "rename" in problem


def test_drafts_are_skipped_with_the_reason(tmp_path):
    post(tmp_path, "live", "Hello.\n")
    post(tmp_path, "wip", "---\ndraft: true\n---\nNot yet.\n")
    post(tmp_path, "hidden", "---\npublished: false\n---\nNot yet.\n")
    (tmp_path / "_drafts").mkdir()
    (tmp_path / "_drafts" / "idea.md").write_text("Later.\n")
    settings = load({**config(tmp_path), "posts": str(tmp_path / "**" / "*.md")})
    assert list(settings.posts) == ["live"]
    assert {k: v.split(" (")[0] for k, v in settings.skipped_posts.items()} == {
        "wip": "a draft",
        "hidden": "a draft",
        "idea": "a draft",
    }


def test_a_bad_date_is_a_warning_and_the_post_builds(tmp_path):
    post(tmp_path, "leap", "---\ntitle: Leap\ndate: 2014-02-29\n---\nText.\n")
    settings = load(config(tmp_path))
    leap = settings.posts["leap"]
    assert leap.problem is None and "leap.md:3" in leap.warnings[0] and "date" in leap.warnings[0]


def test_the_bibliography_a_post_names_is_its_own_and_a_missing_one_a_warning(tmp_path):
    (tmp_path / "refs.bib").write_text("@book{a, author = {Ames, Jo}, year = 1999}\n")
    post(tmp_path, "cited", "---\ntitle: Cited\nbibliography: [refs.bib, gone.bib]\n---\nText.\n")
    cited = load(config(tmp_path)).posts["cited"]
    assert cited.bibliography == (str(tmp_path / "refs.bib"),) and cited.problem is None
    assert "cited.md:3" in cited.warnings[0] and "gone.bib" in cited.warnings[0]


def test_a_quarto_blog_s_folder_metadata_plans_its_posts(tmp_path):
    """_quarto.yml and each folder's _metadata.yml give the posts below them front matter:
    drafts by folder are not narrated, a language and a bibliography apply to every post, and
    the files that gave any are the post's inputs."""
    (tmp_path / "_quarto.yml").write_text("project:\n  type: website\nbibliography: refs.bib\n")
    (tmp_path / "refs.bib").write_text("@book{a, author = {Ames, Jo}, year = 1999}\n")
    (tmp_path / "es").mkdir()
    (tmp_path / "es" / "_metadata.yml").write_text("lang: es\n")
    (tmp_path / "es" / "hola.qmd").write_text("Hola.\n")
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "_metadata.yml").write_text("draft: true\n")
    (tmp_path / "drafts" / "wip.qmd").write_text("Not yet.\n")
    post(tmp_path, "hello", "Hello.\n")
    settings = load(
        {**config(tmp_path), "posts": [str(tmp_path / "**" / "*.qmd"), str(tmp_path / "*.md")]}
    )
    assert sorted(settings.posts) == ["hello", "hola"]
    assert settings.skipped_posts["wip"] == (
        f"a draft (draft: true in {tmp_path / 'drafts' / '_metadata.yml'})"
    )
    hola, hello = settings.posts["hola"], settings.posts["hello"]
    assert hola.voices == ("ef_dora",) and hello.voices == ("af_heart", "bm_george")
    assert hola.bibliography == hello.bibliography == (str(tmp_path / "refs.bib"),)
    assert hola.metadata == (str(tmp_path / "_quarto.yml"), str(tmp_path / "es" / "_metadata.yml"))
    assert hello.metadata == (str(tmp_path / "_quarto.yml"),)


def test_posts_in_formats_that_are_not_read_are_named(tmp_path, monkeypatch):
    """A WordPress export's HTML or a Textile post beside the posts would be left out in
    silence: planning names them, and what to do."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus" / "old").mkdir(parents=True)
    (tmp_path / "corpus" / ".git").mkdir()
    for name in ("a.md", "old/b.html", "c.textile", ".hidden.html", ".git/x.html", "d.mdown"):
        (tmp_path / "corpus" / name).write_text("Words.\n")
    plan = load({"posts": "corpus/**/*.md", "voices": ["af_heart"]})
    assert plan.unread_files == ["corpus/c.textile", "corpus/d.mdown", "corpus/old/b.html"]
    said = settings.unread_summary(plan.unread_files)
    assert said.startswith("3 file(s) beside the posts are not narrated (HTML, Markdown, Textile)")
    assert "add a glob for it to config posts" in said
    # a glob for them reads them; a glob that searches one folder names only that folder's
    plan = load({"posts": ["corpus/**/*.md", "corpus/**/*.mdown"], "voices": ["af_heart"]})
    assert "corpus/d.mdown" not in plan.unread_files and "d" in plan.posts
    assert load({"posts": "corpus/*.md", "voices": ["af_heart"]}).unread_files == [
        "corpus/c.textile",
        "corpus/d.mdown",
    ]


# -- numbers that are not numbers, and folders that are not caches -------------------------------


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"speed": float("nan")}, "speed"),
        ({"speed": 0.001}, "speed"),
        ({"loudness": {"target_lufs": float("nan")}}, "loudness.target_lufs"),
        ({"loudness": {"target_lufs": float("-inf")}}, "loudness.target_lufs"),
        ({"voices": ["mix"], "blends": {"mix": {"af_heart": float("inf")}}}, "blends"),
        ({"voices": ["mix"], "blends": {"mix": {"af_heart": float("nan"), "af_sky": 1}}}, "blends"),
        ({"cache_dir": "/"}, "cache_dir"),
        ({"cache_dir": "~"}, "cache_dir"),
        ({"cache_dir": "."}, "cache_dir"),
    ],
)
def test_config_numbers_and_cache_dir_are_checked_before_any_job(
    tmp_path, monkeypatch, change, key
):
    monkeypatch.chdir(tmp_path)
    post(tmp_path, "a", "Hi.\n")
    with pytest.raises(ConfigError, match=key):
        load({**config(tmp_path), **change})


def test_synthesis_claims_one_core_where_a_gpu_does_the_work(monkeypatch):
    config = {"device": "cuda", "threads": 4}
    assert settings.synthesis_threads(config) == 1
    assert settings.synthesis_threads({**config, "device": "cpu"}) == 4
    for driver, threads in ((True, 1), (False, 4)):
        monkeypatch.setattr(settings.os.path, "exists", lambda path, d=driver: d)
        assert settings.synthesis_threads({**config, "device": "auto"}) == threads
