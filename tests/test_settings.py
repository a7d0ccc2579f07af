import pytest

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
