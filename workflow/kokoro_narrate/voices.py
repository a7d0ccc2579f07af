"""Voices: what the config names, which language each speaks, and loading their style tensors.

A voice entry in the config is a Kokoro preset name (af_heart), a path to a ``.pt`` voice tensor,
or the name of a blend defined under ``blends:``. Everything is resolved when the workflow is
parsed, so an unknown voice or a language mismatch stops the run before any job starts.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path

# Kokoro's language codes, as the first letter of a preset voice name, and what misaki needs.
LANGS = {
    "a": "American English",
    "b": "British English",
    "e": "Spanish",
    "f": "French",
    "h": "Hindi",
    "i": "Italian",
    "j": "Japanese",
    "p": "Brazilian Portuguese",
    "z": "Mandarin Chinese",
}

# The ISO code a post declares (front matter `lang:`) and the Kokoro codes that can read it.
POST_LANGS = {
    "en": ("a", "b"),
    "es": ("e",),
    "fr": ("f",),
    "hi": ("h",),
    "it": ("i",),
    "ja": ("j",),
    "pt": ("p",),
    "zh": ("z",),
}

# The voices published with hexgrad/Kokoro-82M v1.0 (voices/<name>.pt in the model repo).
PRESETS = frozenset(
    [
        "af_alloy",
        "af_aoede",
        "af_bella",
        "af_heart",
        "af_jessica",
        "af_kore",
        "af_nicole",
        "af_nova",
        "af_river",
        "af_sarah",
        "af_sky",
        "am_adam",
        "am_echo",
        "am_eric",
        "am_fenrir",
        "am_liam",
        "am_michael",
        "am_onyx",
        "am_puck",
        "am_santa",
        "bf_alice",
        "bf_emma",
        "bf_isabella",
        "bf_lily",
        "bm_daniel",
        "bm_fable",
        "bm_george",
        "bm_lewis",
        "ef_dora",
        "em_alex",
        "em_santa",
        "ff_siwis",
        "hf_alpha",
        "hf_beta",
        "hm_omega",
        "hm_psi",
        "if_sara",
        "im_nicola",
        "jf_alpha",
        "jf_gongitsune",
        "jf_nezumi",
        "jf_tebukuro",
        "jm_kumo",
        "pf_dora",
        "pm_alex",
        "pm_santa",
        "zf_xiaobei",
        "zf_xiaoni",
        "zf_xiaoxiao",
        "zf_xiaoyi",
        "zm_yunjian",
        "zm_yunxi",
        "zm_yunxia",
        "zm_yunyang",
    ]
)

# Voice ids become parts of file names and Snakemake wildcards.
VOICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

# Kokoro's voice tensors hold one 256-wide style vector per phoneme count (1..510).
PACK_SHAPE = (510, 1, 256)


class VoiceError(ValueError):
    """A voice entry in the config that cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class Voice:
    id: str  # used in file names: results/narrations/{post}/{id}_{post}.wav
    lang: str  # Kokoro language code, one of LANGS
    components: tuple[tuple[str, float], ...]  # (preset name or .pt path, weight); weights sum to 1

    @property
    def is_blend(self) -> bool:
        return len(self.components) > 1


def _is_path(name: str) -> bool:
    return name.endswith(".pt")


def _source_lang(source: str) -> str | None:
    """The language a preset name or a .pt file name implies by its first letter, if any."""
    stem = Path(source).stem if _is_path(source) else source
    if len(stem) > 2 and stem[1] in "fm" and stem[2] == "_" and stem[0] in LANGS:
        return stem[0]
    return None


def _check_source(source: str, voices_dir: str | None, where: str) -> None:
    if _is_path(source):
        if not Path(source).is_file():
            raise VoiceError(f"{where}: voice file {source!r} does not exist; fix the path.")
        return
    if voices_dir is not None:
        if not (Path(voices_dir) / f"{source}.pt").is_file():
            have = sorted(p.stem for p in Path(voices_dir).glob("*.pt"))
            raise VoiceError(
                f"{where}: voice {source!r} is not in model.voices_dir ({voices_dir}); "
                f"it holds {', '.join(have) or 'no .pt files'}."
            )
        return
    if source not in PRESETS:
        raise VoiceError(
            f"{where}: unknown voice {source!r}. Use a Kokoro-82M preset "
            f"({', '.join(sorted(PRESETS)[:6])}, ...), a path to a .pt file, "
            "or the name of a blend defined under 'blends:'."
        )


def resolve_voices(entries: list, blends: dict, voices_dir: str | None) -> list[Voice]:
    """Turn the config's `voices` and `blends` into Voice objects, or raise VoiceError."""
    voices: list[Voice] = []
    for n, entry in enumerate(entries):
        name, lang = (entry, None) if isinstance(entry, str) else (entry["name"], entry.get("lang"))
        where = f"config voices[{n}] ({name})"
        if name in blends:
            mix = blends[name]
            finite = all(isinstance(w, int | float) and math.isfinite(w) for w in mix.values())
            total = sum(mix.values()) if finite else 0
            if not finite or any(w < 0 for w in mix.values()) or total <= 0:
                raise VoiceError(
                    f"config blends.{name}: weights must be finite, non-negative numbers with a "
                    f"positive sum, got {mix}."
                )
            components = tuple((src, w / total) for src, w in sorted(mix.items()) if w > 0)
            for src, _ in components:
                if src in blends:
                    raise VoiceError(
                        f"config blends.{name}: {src!r} is a blend; nest presets only."
                    )
                _check_source(src, voices_dir, f"config blends.{name}")
            implied = {_source_lang(src) for src, _ in components}
            if lang is None:
                if len(implied) != 1 or None in implied:
                    raise VoiceError(
                        f"{where}: the blend mixes languages {sorted(map(str, implied))}; "
                        f"say which to speak: voices: [{{name: {name}, lang: a}}]."
                    )
                lang = implied.pop()
            voice_id = name
        else:
            _check_source(name, voices_dir, where)
            components = ((name, 1.0),)
            lang = lang or _source_lang(name)
            if lang is None:
                raise VoiceError(
                    f"{where}: cannot tell the language from the name; "
                    f"give it: voices: [{{name: {name}, lang: a}}] (one of {', '.join(LANGS)})."
                )
            voice_id = Path(name).stem if _is_path(name) else name
        if not VOICE_ID.match(voice_id):
            raise VoiceError(f"{where}: {voice_id!r} cannot be used in file names; rename it.")
        if lang not in LANGS:
            raise VoiceError(f"{where}: language {lang!r} is not one of {', '.join(LANGS)}.")
        voices.append(Voice(voice_id, lang, components))
    ids = [v.id for v in voices]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise VoiceError(f"config voices: {', '.join(dupes)} listed twice.")
    return voices


def local_file(source: str, voices_dir: str | None) -> str | None:
    """The local file a voice component is read from; None for a preset from the model hub."""
    if _is_path(source):
        return source
    if voices_dir is not None:
        return str(Path(voices_dir) / f"{source}.pt")
    return None


def load_pack(voice: Voice, locate) -> torch.Tensor:  # noqa: F821
    """The voice's [510, 1, 256] style tensor: a weighted sum of its components.

    `locate(source)` turns a preset name into a local file (voices_dir or the Hugging Face cache).
    Voice files come from users and the internet: load them as plain tensors only.
    """
    import torch

    pack = None
    for source, weight in voice.components:
        path = source if _is_path(source) else locate(source)
        tensor = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(tensor, torch.Tensor) or tuple(tensor.shape) != PACK_SHAPE:
            shape = tuple(tensor.shape) if isinstance(tensor, torch.Tensor) else type(tensor)
            raise VoiceError(f"{path}: expected a {PACK_SHAPE} voice tensor, found {shape}.")
        tensor = tensor.float()
        pack = tensor * weight if pack is None else pack + tensor * weight
    return pack


def voice_digest(voice: Voice, locate, memo_dir=None) -> str:
    """The voice as the cache key sees it: the digest of each component file and its weight.

    Equal files and weights make an equal style tensor, so this needs no torch: a job whose chunks
    are all cached never imports it. `locate(source)` is as for load_pack.
    """
    from .digests import file_digest

    parts = []
    for source, weight in voice.components:
        path = source if _is_path(source) else locate(source)
        parts.append([file_digest(path, memo_dir), round(float(weight), 12)])
    return hashlib.sha256(repr(parts).encode()).hexdigest()
