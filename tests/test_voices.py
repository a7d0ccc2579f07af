import pytest
import torch

from kokoro_narrate import voices
from kokoro_narrate.voices import VoiceError, resolve_voices


def test_presets_take_language_from_prefix():
    resolved = resolve_voices(["af_heart", "bm_george", "ef_dora"], {}, None)
    assert [(v.id, v.lang) for v in resolved] == [
        ("af_heart", "a"),
        ("bm_george", "b"),
        ("ef_dora", "e"),
    ]


def test_lang_override_per_voice():
    (voice,) = resolve_voices([{"name": "jf_alpha", "lang": "a"}], {}, None)
    assert voice.lang == "a"


def test_unknown_voice_is_an_error_naming_it():
    with pytest.raises(VoiceError, match=r"voices\[1\].*af_nobody"):
        resolve_voices(["af_heart", "af_nobody"], {}, None)


def test_blend_weights_are_normalized_and_sorted():
    (voice,) = resolve_voices(["mix"], {"mix": {"af_sky": 3, "af_heart": 2}}, None)
    assert voice.components == (("af_heart", 0.4), ("af_sky", 0.6))
    assert voice.lang == "a" and voice.is_blend


@pytest.mark.parametrize("weights", [{"af_sky": -1, "af_heart": 2}, {"af_sky": 0, "af_heart": 0}])
def test_blend_rejects_negative_or_zero_weights(weights):
    with pytest.raises(VoiceError, match="blends.mix"):
        resolve_voices(["mix"], {"mix": weights}, None)


def test_blend_across_languages_needs_a_lang():
    with pytest.raises(VoiceError, match="mixes languages"):
        resolve_voices(["mix"], {"mix": {"af_sky": 1, "bm_george": 1}}, None)
    (voice,) = resolve_voices(
        [{"name": "mix", "lang": "b"}], {"mix": {"af_sky": 1, "bm_george": 1}}, None
    )
    assert voice.lang == "b"


def test_path_voice_needs_existing_file_and_a_language(tmp_path):
    with pytest.raises(VoiceError, match="does not exist"):
        resolve_voices([str(tmp_path / "af_mine.pt")], {}, None)
    mine = tmp_path / "custom.pt"
    torch.save(torch.zeros(voices.PACK_SHAPE), mine)
    with pytest.raises(VoiceError, match="cannot tell the language"):
        resolve_voices([str(mine)], {}, None)
    (voice,) = resolve_voices([{"name": str(mine), "lang": "a"}], {}, None)
    assert voice.id == "custom"


def test_voices_dir_limits_names_to_its_files(tmp_path):
    torch.save(torch.zeros(voices.PACK_SHAPE), tmp_path / "af_heart.pt")
    assert resolve_voices(["af_heart"], {}, str(tmp_path))[0].id == "af_heart"
    with pytest.raises(VoiceError, match="not in model.voices_dir"):
        resolve_voices(["af_sky"], {}, str(tmp_path))


def test_duplicate_voice_ids_rejected():
    with pytest.raises(VoiceError, match="twice"):
        resolve_voices(["af_heart", "af_heart"], {}, None)


def test_blend_pack_is_weighted_sum(tmp_path):
    torch.save(torch.full(voices.PACK_SHAPE, 1.0), tmp_path / "af_one.pt")
    torch.save(torch.full(voices.PACK_SHAPE, 3.0), tmp_path / "af_three.pt")
    (voice,) = resolve_voices(["mix"], {"mix": {"af_one": 1, "af_three": 1}}, str(tmp_path))
    pack = voices.load_pack(voice, lambda name: tmp_path / f"{name}.pt")
    assert torch.allclose(pack, torch.full(voices.PACK_SHAPE, 2.0))


def test_load_pack_refuses_non_tensor_payloads(tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    bad = tmp_path / "af_bad.pt"
    bad.write_bytes(pickle.dumps(Evil()))
    (voice,) = resolve_voices([str(bad)], {}, None)
    with pytest.raises(Exception, match="(?i)weights_only|unsupported|global"):
        voices.load_pack(voice, None)


def test_load_pack_checks_shape(tmp_path):
    torch.save(torch.zeros(3, 256), tmp_path / "af_small.pt")
    (voice,) = resolve_voices([str(tmp_path / "af_small.pt")], {}, None)
    with pytest.raises(VoiceError, match="expected"):
        voices.load_pack(voice, None)
