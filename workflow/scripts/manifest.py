# Rule script: thin on purpose; the logic is kokoro_narrate.manifest.
from kokoro_narrate import log_to_file, manifest

log_to_file(snakemake.log[0])
inputs = zip(
    snakemake.params.pairs,
    snakemake.input.wavs,
    snakemake.input.timings,
    snakemake.input.synthesized,
    snakemake.input.phonemes,
    strict=True,
)
rows = [
    manifest.manifest_row(**pair, wav=wav, timing=timing, synthesized=synth, phonemes=ps)
    for pair, wav, timing, synth, ps in inputs
]
rows += [manifest.skipped_row(*skipped) for skipped in snakemake.params.skipped]
manifest.write_manifest(manifest.build_manifest(rows), snakemake.output[0])
