# Rule script: thin on purpose; the logic is kokoro_narrate.phonemes.
from kokoro_narrate import log_to_file, phonemes

log_to_file(snakemake.log[0])
phonemes.write_oov_table(phonemes.oov_table(snakemake.input), snakemake.output[0])
