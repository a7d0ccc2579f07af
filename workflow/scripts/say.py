# Rule script: thin on purpose; the logic is kokoro_narrate.synthesis.speak.
from kokoro_narrate import log_to_file, narration, phonemes, settings, synthesis
from kokoro_narrate.engine import SAMPLE_RATE

log_to_file(snakemake.log[0])
memo_dir = snakemake.params.memo_dir
plan = settings.load(snakemake.config, memo_dir=memo_dir)
voice = plan.voice(snakemake.wildcards.voice)
digest, load_pack = synthesis.voice_work_for(
    snakemake.params.engine["model"], plan.voices, memo_dir
)(voice.id)
lexicon = phonemes.load_lexicon(snakemake.input.lexicon[0] if snakemake.input.lexicon else None)
audio = synthesis.speak(
    snakemake.params.text,
    voice.lang,
    lexicon,
    synthesis.Work([], digest, snakemake.params.speed, load_pack),
    synthesis.open_engine(snakemake.params.engine, snakemake.threads, memo_dir),
)
narration.build_narration(
    [narration.Piece(a, f"p{n:04d}", "paragraph") for n, a in enumerate(audio, 1)],
    SAMPLE_RATE,
    narration.Pauses(**snakemake.params.pauses),
    target_lufs=snakemake.params.loudness["target_lufs"],
    ceiling_dbtp=snakemake.params.loudness["true_peak_dbtp"],
    wav_path=snakemake.output.wav,
    timing_path=snakemake.output.timing,
)
