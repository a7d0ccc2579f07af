"""Synthesis through the real kokoro.KModel code path, on the tiny random-weight checkpoint."""

import logging
import os
from functools import partial

import numpy as np
import pytest

from kokoro_narrate import RUN_VARIABLE, phonemes, synthesis, voices
from kokoro_narrate import engine as enginelib
from kokoro_narrate import settings as plans
from kokoro_narrate.cache import ChunkCache
from kokoro_narrate.engine import (
    EngineFailed,
    GpuOutOfMemory,
    KokoroEngine,
    ModelMissing,
    ModelSettings,
    Request,
    locate_voice,
    machine_lock,
    pick_device,
)
from kokoro_narrate.phonemes import Chunk


def settings(tiny_model):
    return ModelSettings(
        weights=str(tiny_model / "tiny-kokoro.pth"),
        config=str(tiny_model / "config.json"),
        voices_dir=str(tiny_model / "voices"),
    )


def chunk(n, phonemes):
    return Chunk(f"p{n:04d}", 0, 1, "paragraph", "text " * 3, phonemes, 3)


CHUNKS = [chunk(1, "hˈɛlO wˈɜɹld."), chunk(2, "ðɪs ɪz ɐ tˈɛst."), chunk(3, "ɡʊdbˈI.")]


@pytest.fixture
def voice(tiny_model):
    (v,) = voices.resolve_voices(["af_heart"], {}, str(tiny_model / "voices"))
    locate = partial(locate_voice, settings(tiny_model))
    return voices.voice_digest(v, locate), partial(voices.load_pack, v, locate)


def work(chunks, voice, speed=1.0):
    digest, load_pack = voice
    return synthesis.Work(chunks, digest, speed, load_pack)


def run(tiny_model, cache_dir, chunks, voice, speed=1.0, build=None):
    engine = KokoroEngine(settings(tiny_model), device="cpu", threads=1)
    return engine, synthesis.synthesize_post(
        work(chunks, voice, speed), engine, ChunkCache(cache_dir), build
    )


def test_every_chunk_is_synthesized_then_reused(tiny_model, tmp_path, voice, caplog):
    caplog.set_level(logging.INFO)
    engine, first = run(tiny_model, tmp_path, CHUNKS, voice)
    assert [c.cached for c in first] == [False] * 3
    assert all(c.samples > 0 and c.duration_s == c.samples / 24000 for c in first)
    assert "synthesized 3/3 chunks" in caplog.text and "ETA" in caplog.text
    engine, again = run(tiny_model, tmp_path, CHUNKS, voice)
    assert [c.cached for c in again] == [True] * 3
    assert engine._model is None  # all cached: the model was never loaded
    assert [c.key for c in again] == [c.key for c in first]


def test_same_chunk_same_samples_whatever_came_before(tiny_model, tmp_path, voice):
    _, alone = run(tiny_model, tmp_path / "a", CHUNKS[2:], voice)
    _, after_others = run(tiny_model, tmp_path / "b", CHUNKS, voice)
    a = ChunkCache(tmp_path / "a").get(alone[0].key).audio
    b = ChunkCache(tmp_path / "b").get(after_others[2].key).audio
    assert a.tobytes() == b.tobytes()


def test_speed_changes_key_and_duration(tiny_model, tmp_path, voice):
    _, normal = run(tiny_model, tmp_path, CHUNKS[:1], voice, speed=1.0)
    _, fast = run(tiny_model, tmp_path, CHUNKS[:1], voice, speed=2.0)
    assert normal[0].key != fast[0].key
    assert fast[0].samples < normal[0].samples


def test_duration_calibration_gives_natural_token_lengths(tiny_model, tmp_path, voice):
    _, (c,) = run(tiny_model, tmp_path, CHUNKS[:1], voice)
    frames = ChunkCache(tmp_path).get(c.key).frames
    assert 2 <= np.median(frames) <= 5
    assert c.samples == sum(frames) * 600


def test_threads_come_from_the_rule(tiny_model, voice, tmp_path):
    import torch

    engine = KokoroEngine(settings(tiny_model), device="cpu", threads=1)
    engine.synthesize_many([Request("hˈɛlO.", voice[1](), 1.0, seed=1)])
    assert torch.get_num_threads() == 1


def test_auto_device_on_a_cpu_machine():
    import torch

    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available() and torch.backends.mps.is_available():
        expected = "mps"
    assert pick_device("auto") == expected


def test_missing_weights_say_how_to_use_local_files(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(ModelMissing) as err:
        KokoroEngine(ModelSettings(), device="cpu")
    message = str(err.value)
    assert "hexgrad/Kokoro-82M" in message and "model:" in message and "weights:" in message


def test_local_path_that_does_not_exist_is_named(tmp_path, tiny_model):
    missing = ModelSettings(
        weights=str(tmp_path / "nope.pth"), config=str(tiny_model / "config.json")
    )
    with pytest.raises(ModelMissing, match="model.weights"):
        KokoroEngine(missing)


def test_first_job_with_a_miss_fills_the_cache_for_the_whole_build(tiny_model, tmp_path, voice):
    other_post = [chunk(7, "ənˈʌðəɹ pˈOst."), chunk(8, "mˈOɹ wˈɜɹdz.")]
    other_speed = work(CHUNKS[:1], voice, speed=1.2)
    build = [work(CHUNKS, voice), work(other_post, voice), other_speed]
    engine, own = run(tiny_model, tmp_path, CHUNKS, voice, build=lambda: build)
    cache = ChunkCache(tmp_path)
    assert all(c.key in cache for c in own)
    for other in build[1:]:
        assert all(k in cache for k in synthesis.keys_of(other, engine))
    # the next job finds everything and never loads the model
    engine, theirs = run(tiny_model, tmp_path, other_post, voice, build=lambda: build)
    assert engine._model is None and all(c.cached for c in theirs)


def test_a_lost_entry_is_made_again_by_the_job_that_needs_it(tiny_model, tmp_path, voice):
    _, first = run(tiny_model, tmp_path, CHUNKS, voice)
    lost = first[1].key
    next(tmp_path.glob(f"{lost[:2]}/{lost}.json")).unlink()  # its metadata gone: not in the cache
    _, again = run(tiny_model, tmp_path, CHUNKS, voice)
    assert [c.samples for c in again] == [c.samples for c in first]
    assert not again[1].cached and ChunkCache(tmp_path).get(lost) is not None


def test_a_job_whose_chunks_are_cached_reads_no_audio(tiny_model, tmp_path, voice, monkeypatch):
    run(tiny_model, tmp_path, CHUNKS, voice)
    monkeypatch.setattr(ChunkCache, "get", lambda *a: pytest.fail("audio read"))
    _, again = run(tiny_model, tmp_path, CHUNKS, voice)
    assert all(c.cached for c in again)


def test_identity_needs_no_torch_and_names_the_mode(tiny_model, tmp_path):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from kokoro_narrate.engine import KokoroEngine, ModelSettings\n"
        f"e = KokoroEngine(ModelSettings(weights={str(tiny_model / 'tiny-kokoro.pth')!r}, "
        f"config={str(tiny_model / 'config.json')!r}), device='cpu', threads=3, "
        f"memo_dir={str(tmp_path)!r})\n"
        "print(e.mode.replace(' ', '_'), 'torch' in sys.modules)\n"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    (first_mode, first_torch), (mode, torch_imported) = (r.stdout.split() for r in runs)
    assert first_torch == "True"  # the first run on a host resolves the device once
    assert torch_imported == "False" and mode == first_mode
    assert mode.startswith("single_cpu:") and mode.endswith("_threads3")


def test_a_killed_job_keeps_every_chunk_it_finished(tiny_model, tmp_path, voice):
    """Each chunk goes to the cache as the engine hands it over, not a slice at a time: a job
    killed after an hour of work keeps that hour's chunks, and the prefill holds one batch of
    audio at a time, not a slice's."""
    engine = KokoroEngine(settings(tiny_model), device="cpu", threads=1)
    chunks = [chunk(n, "hˈɛlO " * n + "wˈɜɹld.") for n in range(20)]  # 20 keys
    build = work(chunks, voice)
    keys = synthesis.keys_of(build, engine)
    cache = ChunkCache(tmp_path)
    slice_size = synthesis.SLICE["single"]
    handed = []

    def dies_inside_the_second_slice(requests):
        for n, entry in real(requests):
            # everything handed over before is in the cache by now
            assert all(key in cache for key in handed)
            handed.append(keys[len(handed)])  # fill goes shortest first: the keys' order here
            yield n, entry
            if len(handed) == slice_size + 3:
                raise KeyboardInterrupt  # what a kill looks like from inside

    real, engine.synthesize_each = engine.synthesize_each, dies_inside_the_second_slice
    with pytest.raises(KeyboardInterrupt):
        synthesis.fill(dict(zip(keys, ((c, build) for c in chunks), strict=True)), engine, cache)
    assert [key in cache for key in keys] == [True] * (slice_size + 3) + [False] * (
        len(keys) - slice_size - 3
    )


def test_planning_a_wave_looks_up_only_what_is_new(tiny_model, tmp_path, voice):
    """Each chunk is looked up in the cache once when the build first gives its narration, and
    once more just before its wave is made: planning a wave does not grow with the waves already
    made (on 1,000 posts in 5 voices, looking every chunk up again took 12 s a wave;
    bench/prefill_plan.py)."""

    class CountingCache(ChunkCache):
        def __contains__(self, key):
            lookups.append(key)
            return super().__contains__(key)

    engine = KokoroEngine(settings(tiny_model), device="cpu", threads=1)
    posts = [
        work([chunk(10 * n + k, f"hˈɛlO {'wˈɜɹld ' * n}{'ɡʊd ' * k}.") for k in (1, 2)], voice)
        for n in range(4)
    ]
    keys = [key for post in posts for key in synthesis.keys_of(post, engine)]
    lookups = []
    cache = CountingCache(tmp_path)
    assert synthesis.prefill(lambda: posts, engine, cache, wave_chunks=2) == 8  # four waves
    assert sorted(lookups) == sorted(keys * 2)
    assert all(key in cache for key in keys)


def test_the_build_is_read_once_while_its_files_stay_the_same(tmp_path, monkeypatch):
    """build_work, which the prefill calls before each wave: a phoneme file is read again only
    when it was replaced, the voices of its language share one reading of it, kept without the
    text and word spans, and an unchanged narration comes back as the same Work."""
    for name in ("one", "two"):
        (tmp_path / f"{name}.md").write_text("Hello there.\n", encoding="utf-8")
    plan = plans.load({"posts": str(tmp_path / "*.md"), "voices": ["af_heart", "af_sky"]})
    folder = tmp_path / "phonemes"
    folder.mkdir()
    for name in ("one", "two"):
        phonemes.write_chunks([chunk(1, "hˈɛlO."), chunk(2, f"{name}.")], folder / f"{name}.jsonl")
    path = lambda post, lang: str(folder / f"{post}.jsonl")  # noqa: E731
    voice_work = lambda voice_id: (f"digest of {voice_id}", lambda: None)  # noqa: E731
    reads, read = [], synthesis.read_chunks
    monkeypatch.setattr(synthesis, "read_chunks", lambda p: reads.append(p) or read(p))

    first = synthesis.build_work(plan, path, voice_work)  # one and two, in af_heart and af_sky
    assert [w.voice_digest for w in first] == ["digest of af_heart", "digest of af_sky"] * 2
    assert len(reads) == 2 and first[0].chunks is first[1].chunks
    assert [c.phonemes for c in first[0].chunks] == ["hˈɛlO.", "one."]
    assert all(c.text == "" and c.spans == [] for c in first[0].chunks)
    again = synthesis.build_work(plan, path, voice_work)
    assert len(reads) == 2 and all(a is b for a, b in zip(first, again, strict=True))

    # replaced at once, maybe within the file system's time step: a new file all the same
    phonemes.write_chunks([chunk(1, "hˈɛlO."), chunk(2, "tuː.")], folder / "two.jsonl")
    third = synthesis.build_work(plan, path, voice_work)
    assert reads[2:] == [str(folder / "two.jsonl")]
    assert third[:2] == first[:2] and third[0] is first[0]
    assert [c.phonemes for c in third[2].chunks] == ["hˈɛlO.", "tuː."]
    os.unlink(folder / "one.jsonl")  # being written again by its job: left out for now
    assert [w.chunks for w in synthesis.build_work(plan, path, voice_work)] == [third[2].chunks] * 2


def test_a_job_that_waited_for_the_lock_finds_its_chunks_made(tiny_model, tmp_path, voice, caplog):
    """What the synthesis jobs started beside the prefill do: wait for it, then read the cache."""
    import threading
    import time

    caplog.set_level(logging.INFO)
    memo, cache = tmp_path / "memo", ChunkCache(tmp_path / "cache")
    prefiller = KokoroEngine(settings(tiny_model), device="cpu", threads=1)
    waiter = KokoroEngine(settings(tiny_model), device="cpu", threads=1, memo_dir=memo)
    assert waiter.identity == prefiller.identity  # worked out before the race below
    holding = threading.Event()

    def prefill():
        with machine_lock(memo):
            holding.set()
            time.sleep(1.0)  # the waiter has found its chunks missing by now
            synthesis.synthesize_post(work(CHUNKS, voice), prefiller, cache)

    thread = threading.Thread(target=prefill)
    thread.start()
    holding.wait()
    made = synthesis.synthesize_post(work(CHUNKS, voice), waiter, cache)
    thread.join()
    assert waiter._model is None and prefiller._model is not None
    assert f"waiting for process {os.getpid()}, which is synthesizing" in caplog.text
    assert "3 chunks: 0 in the cache, 3 to synthesize" in caplog.text
    assert [c.samples for c in made] == [cache.samples(c.key) for c in made]
    assert all(c.samples > 0 for c in made)


def test_the_lock_of_a_killed_job_is_free_at_once(tmp_path):
    """A prefill that crashes or is killed leaves no lock behind: the kernel drops it."""
    import signal
    import subprocess
    import sys
    import threading

    memo = tmp_path / "memo"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from kokoro_narrate.engine import machine_lock\n"
            "with machine_lock(sys.argv[1]):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(600)\n",
            str(memo),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline() == "held\n"
    (lock_file,) = memo.glob("engine-*.lock")
    assert lock_file.read_text() == f"process {holder.pid}\n"
    acquired = threading.Event()

    def take():
        with machine_lock(memo):
            acquired.set()

    taker = threading.Thread(target=take, daemon=True)
    taker.start()
    assert not acquired.wait(0.5)  # held by the other process
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert acquired.wait(10)


def test_without_a_lock_file_the_job_runs_unlocked_and_says_how_to_serialize(tmp_path, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("a file where the memo folder should be")
    ran = []
    with machine_lock(blocked / "memo"):
        ran.append(True)
    assert ran == [True]
    assert "no engine lock at" in caplog.text and "--set-resources synthesis:gpu=1" in caplog.text


def test_a_wave_takes_whole_narrations_those_of_waiting_jobs_first():
    narrations = [{"a1": 1, "a2": 2}, {"b1": 1}, {"c1": 1, "c2": 2, "shared": 3}, {"shared": 3}]
    assert synthesis.next_wave(narrations, set(), 0).keys() == {
        "a1",
        "a2",
        "b1",
        "c1",
        "c2",
        "shared",
    }
    assert synthesis.next_wave(narrations, set(), 3).keys() == {"a1", "a2", "b1"}
    # the waiting jobs' narrations first; a chunk two narrations share counts once
    assert synthesis.next_wave(narrations, {"c1", "c2", "shared"}, 2).keys() == {
        "c1",
        "c2",
        "shared",
    }
    assert synthesis.next_wave(narrations, {"b1", "zz"}, 2).keys() == {"b1", "a1", "a2"}
    # a narration that only shares a chunk with a waiting job keeps its place in the order
    assert synthesis.next_wave(narrations, {"shared"}, 2).keys() == {"shared", "a1", "a2"}
    assert synthesis.next_wave(narrations, {"c1"}, 2).keys() == {"a1", "a2"}
    # the prefilling job's own narration last, even where a waiting job shares a chunk with it
    own = frozenset({"a1", "a2"})
    assert synthesis.next_wave(narrations, set(), 2, own).keys() == {"b1", "c1", "c2", "shared"}
    assert synthesis.next_wave(narrations, {"a1"}, 2, own).keys() == {"b1", "c1", "c2", "shared"}
    assert synthesis.next_wave(narrations[:1], {"a1"}, 2, own).keys() == own


def test_the_prefill_makes_what_waiting_jobs_want_in_its_next_wave(
    tiny_model, tmp_path, voice, monkeypatch
):
    """Waves of one narration each: the build's order, except that a narration a waiting job
    wants comes first and the prefilling job's own comes last; every chunk is made once."""
    engine = KokoroEngine(settings(tiny_model), device="cpu", threads=1)
    posts = [
        work([chunk(10 * n + k, f"hˈɛlO {'wˈɜɹld ' * n}{'ɡʊd ' * k}.") for k in (1, 2)], voice)
        for n in range(4)
    ]
    keys = [synthesis.keys_of(post, engine) for post in posts]
    # before the first, second and third wave; the second time, the job of post 3 and one that
    # shares a chunk with post 2 wait
    waiting = [set(), {*keys[3], keys[2][0]}, set()]
    loaded = []  # the model is loaded before a wave is planned: meanwhile jobs name their keys

    def what_jobs_wait_for():
        loaded.append(engine._model is not None)
        return waiting.pop(0) if waiting else set()

    monkeypatch.setattr(engine, "waiting", what_jobs_wait_for)
    waves = []
    real_fill = synthesis.fill
    monkeypatch.setattr(
        synthesis, "fill", lambda wave, *a: waves.append(set(wave)) or real_fill(wave, *a)
    )
    cache = ChunkCache(tmp_path)
    assert synthesis.prefill(lambda: posts, engine, cache, wave_chunks=2, own=keys[0]) == 8
    assert waves == [set(keys[n]) for n in (1, 3, 2, 0)]
    assert loaded == [True] * 4
    assert synthesis.prefill(lambda: posts, engine, cache, wave_chunks=2) == 0


def test_a_waiting_job_ends_once_its_chunks_are_made_while_the_lock_is_still_held(
    tiny_model, tmp_path, voice, caplog
):
    """What lets a narration start while the prefill goes on with its next wave: the waiting job
    names its chunks beside the lock, the holder makes them, and the job ends without the lock and
    without loading the model."""
    import threading

    caplog.set_level(logging.INFO)
    memo, cache = tmp_path / "memo", ChunkCache(tmp_path / "cache")
    holder = KokoroEngine(settings(tiny_model), device="cpu", threads=1, memo_dir=memo)
    waiter = KokoroEngine(settings(tiny_model), device="cpu", threads=1, memo_dir=memo)
    post = work(CHUNKS, voice)
    keys = synthesis.keys_of(post, waiter)
    done, made = threading.Event(), []

    def wait():
        made.extend(synthesis.synthesize_post(post, waiter, cache))
        done.set()

    with machine_lock(memo):
        thread = threading.Thread(target=wait, daemon=True)
        thread.start()
        for _ in range(200):  # the waiter names what it wants
            if holder.waiting():
                break
            done.wait(0.05)
        assert holder.waiting() == set(keys)
        synthesis.fill({k: (c, post) for k, c in zip(keys, CHUNKS, strict=True)}, holder, cache)
        assert done.wait(30), "the waiting job did not end while the lock was held"
    thread.join()
    assert waiter._model is None and holder.waiting() == set()
    assert "made this job's chunks" in caplog.text
    assert [c.key for c in made] == keys and all(c.samples == cache.samples(c.key) for c in made)


def gpu_engine_on_the_cpu(tiny_model, memo_dir, monkeypatch, card: str, batch_frames: int):
    """A KokoroEngine set up for the GPU `card` (its mode, key and batched forward), its model
    loaded on this machine's CPU, in run "run-1" of RUN_VARIABLE."""
    monkeypatch.setattr(enginelib, "device_kind", lambda *a: f"cuda:{card}")
    monkeypatch.setenv(RUN_VARIABLE, "run-1")
    engine = KokoroEngine(
        settings(tiny_model), device="cuda", memo_dir=memo_dir, batch_frames=batch_frames
    )
    engine.device = "cpu"  # load the model where this machine can
    engine.load()
    engine.device = f"cuda:{card}"
    return engine


def test_a_batch_the_gpu_has_no_room_for_says_which_setting_to_lower(
    tiny_model, tmp_path, voice, monkeypatch
):
    """A card too small for synthesis.batch_frames (or shared with other work) ends the job with
    the setting to lower and a value to try, not torch's allocator message; what was made before
    the batch that failed is in the cache. The batched forward runs on the CPU here, and runs out
    of room after its first chunk as a card would."""
    import torch

    engine = gpu_engine_on_the_cpu(tiny_model, tmp_path, monkeypatch, "Small GPU", 8192)
    real = engine._batched.synthesize_each

    def no_room_after_the_first(items):
        for n, entry in real(items):
            yield n, entry
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    engine._batched.synthesize_each = no_room_after_the_first
    build = work(CHUNKS, voice)
    keys = synthesis.keys_of(build, engine)
    cache = ChunkCache(tmp_path / "cache")
    with pytest.raises(GpuOutOfMemory) as failed:
        synthesis.fill(dict(zip(keys, ((c, build) for c in CHUNKS), strict=True)), engine, cache)
    message = str(failed.value)
    assert "Small GPU" in message and "synthesis.batch_frames: 8192" in message
    assert "batch_frames: 4096" in message and "config/config.yaml" in message
    assert isinstance(failed.value.__cause__, torch.cuda.OutOfMemoryError)
    assert sum(key in cache for key in keys) == 1  # the chunk made before is kept
    # the next synthesis job of the run stops before loading the model for the same failure
    next_job = KokoroEngine(
        settings(tiny_model), device="cuda", memo_dir=tmp_path, batch_frames=8192
    )
    with pytest.raises(EngineFailed, match="GpuOutOfMemory: the GPU \\(Small GPU"):
        next_job.load()


def test_a_model_that_failed_to_load_is_not_loaded_again_in_the_same_run(
    tiny_model, tmp_path, monkeypatch
):
    """A damaged weights file fails every job that loads it, and a run that keeps going past
    failed jobs would load it in each, one at a time under the engine lock: after the first,
    the jobs of the same run stop at once with its message. The next run tries again, and so
    does an engine with other weights."""
    damaged = tmp_path / "damaged.pth"
    damaged.write_bytes((tiny_model / "tiny-kokoro.pth").read_bytes()[:4096])
    broken = ModelSettings(
        weights=str(damaged),
        config=str(tiny_model / "config.json"),
        voices_dir=str(tiny_model / "voices"),
    )
    memo = tmp_path / "memo"
    monkeypatch.setenv(RUN_VARIABLE, "run-1")
    first = KokoroEngine(broken, device="cpu", memo_dir=memo)
    with pytest.raises(Exception) as failed:
        first.load()
    assert not isinstance(failed.value, EngineFailed)

    loads = []
    real_load = KokoroEngine._load
    monkeypatch.setattr(KokoroEngine, "_load", lambda self: loads.append(self) or real_load(self))
    with pytest.raises(EngineFailed, match=type(failed.value).__name__):
        KokoroEngine(broken, device="cpu", memo_dir=memo).load()
    assert loads == []  # stopped before loading anything
    KokoroEngine(settings(tiny_model), device="cpu", memo_dir=memo).load()  # other weights
    monkeypatch.setenv(RUN_VARIABLE, "run-2")
    with pytest.raises(type(failed.value)):
        KokoroEngine(broken, device="cpu", memo_dir=memo).load()
    assert len(loads) == 2


def test_passes_that_do_not_compile_stop_the_other_jobs_of_the_run(
    tiny_model, tmp_path, monkeypatch
):
    """Without a C compiler torch.compile fails in every job that synthesizes on a GPU: the first
    says what to do (CompileFailed), the next ones of the run stop before loading the model."""
    import torch

    from kokoro_narrate.batched import CompileFailed

    engine = gpu_engine_on_the_cpu(tiny_model, tmp_path, monkeypatch, "Some GPU", 64)

    def no_compiler(items):
        raise CompileFailed("torch.compile failed: no C compiler found")
        yield

    engine._batched.synthesize_each = no_compiler
    pack = torch.load(tiny_model / "voices" / "af_heart.pt", weights_only=True)
    with pytest.raises(CompileFailed):
        engine.synthesize_many([Request(CHUNKS[0].phonemes, pack, 1.0, 1)])
    next_job = KokoroEngine(settings(tiny_model), device="cuda", memo_dir=tmp_path, batch_frames=64)
    with pytest.raises(EngineFailed, match="CompileFailed: torch.compile failed"):
        next_job.load()
