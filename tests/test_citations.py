"""A post's bibliography read, and a narrative citation said as an author-date page prints it."""

import logging

from kokoro_narrate.citations import Reference, bibtex, csl, load, narrative, paths
from kokoro_narrate.script import parse_post

BIB = r"""
% a comment line, and entries BibTeX skips
@comment{anything at all}
@string{jan = "January"}
@preamble{"\newcommand{\noop}[1]{}"}

@article{tides2019,
  author = {Duarte, In{\^e}s and M{\"u}ller, Hans},
  title = {Tides of the {North} Sea},
  year = 2019,
}
@book{beethoven,
  author = "Ludwig van Beethoven",
  title = "Symphony" # " No. 9",
  date = {1824-05-07},
}
@misc{who2020, author = {{World Health Organization}}, year = {2020}}
@inproceedings{many, author = {Ana Lima and Ben Cole and Caro Diaz}, year = {2021}}
@article{others, author = {Lima, Ana and others}, year = {2018}}
@book{edited, editor = {Kim, Jo}, year = {2001}}
@online{untitled, title = {A page without an author}}
"""


def test_bibtex_entries_their_names_years_and_titles():
    refs = bibtex(BIB)
    assert set(refs) == {
        "tides2019",
        "beethoven",
        "who2020",
        "many",
        "others",
        "edited",
        "untitled",
    }
    assert refs["tides2019"] == Reference(("Duarte", "Müller"), "2019", "Tides of the North Sea")
    assert refs["beethoven"] == Reference(("van Beethoven",), "1824", "Symphony No. 9")
    assert refs["who2020"].families == ("World Health Organization",)  # a braced name is whole
    assert refs["edited"].families == ("Kim",)  # editors where there is no author


def test_narrative_citations_as_an_author_date_style_prints_them():
    refs = bibtex(BIB)
    said = {key: narrative(ref) for key, ref in refs.items()}
    assert said == {
        "tides2019": "Duarte and Müller (2019)",
        "beethoven": "van Beethoven (1824)",
        "who2020": "World Health Organization (2020)",
        "many": "Lima et al. (2021)",
        "others": "Lima et al. (2018)",
        "edited": "Kim (2001)",
        "untitled": "A page without an author",
    }
    assert narrative(refs["tides2019"], "p. 4") == "Duarte and Müller (2019, p. 4)"


def test_csl_json_and_yaml(tmp_path, caplog):
    items = [
        {
            "id": "lee",
            "author": [{"family": "Lee", "given": "Mi"}],
            "issued": {"date-parts": [[2022]]},
        },
        {"id": "org", "author": [{"literal": "The Tide Office"}], "issued": {"raw": "May 2017"}},
    ]
    assert {k: narrative(r) for k, r in csl(items).items()} == {
        "lee": "Lee (2022)",
        "org": "The Tide Office (2017)",
    }
    (tmp_path / "refs.json").write_text(
        '[{"id": "a", "author": [{"family": "Ames"}], "issued": {"date-parts": [[1999]]}}]'
    )
    (tmp_path / "refs.yaml").write_text(
        "references:\n- id: b\n  author:\n  - family: Bell\n  issued: 2003\n"
    )
    (tmp_path / "broken.json").write_text("[{not json")
    with caplog.at_level(logging.WARNING):
        refs = load([tmp_path / "refs.json", tmp_path / "refs.yaml", tmp_path / "broken.json"])
    assert {k: narrative(r) for k, r in refs.items()} == {"a": "Ames (1999)", "b": "Bell (2003)"}
    assert any("broken.json: not CSL JSON" in r.getMessage() for r in caplog.records)


def test_bibliography_paths_are_the_posts_folder_s(tmp_path):
    (tmp_path / "post").mkdir()
    (tmp_path / "post" / "refs.bib").write_text(BIB)
    post = tmp_path / "post" / "index.Rmd"
    assert paths("refs.bib", post) == ([str(tmp_path / "post" / "refs.bib")], [])
    assert paths(["refs.bib", "gone.bib", 3], post) == (
        [str(tmp_path / "post" / "refs.bib")],
        [str(tmp_path / "post" / "gone.bib")],
    )
    assert paths(None, post) == ([], [])


def test_a_post_says_its_narrative_citations_and_leaves_the_bracketed_out():
    md = (
        "---\ntitle: Tides\nreferences:\n- id: inline1\n  author:\n  - family: Park\n"
        "  issued: 2011\n---\n\n"
        "As @tides2019 showed, and @many [p. 12] confirmed, the water rises [@others; @edited].\n\n"
        "@beethoven wrote it. Mail me at ana@example.org, follow @tidewatch, or see @inline1.\n\n"
        "In code, `@tides2019` stays.\n\n<aside>\nSee [@tides2019] here.\n</aside>\n"
    )
    post = parse_post(md.encode(), "tides.Rmd", references=bibtex(BIB))
    assert [p.text for p in post.paragraphs][1:] == [
        # a year is spoken as a year by the G2P
        "As Duarte and Müller (2019) showed, and Lima et al. (2021, page 12) confirmed, the "
        "water rises.",
        # a key the bibliography does not hold is no citation: a handle, an address
        "van Beethoven (1824) wrote it. Mail me at ana at example dot org, follow at tidewatch, "
        "or see Park (2011).",
        "In code, at tides2019 stays.",
        "See here.",
    ]
