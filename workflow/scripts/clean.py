# Rule script: thin on purpose; the logic is kokoro_narrate.clean.
from kokoro_narrate import log_to_file
from kokoro_narrate.clean import clean

log_to_file(snakemake.log[0])
declared = {pattern: {tuple(v) for v in values} for pattern, values in snakemake.params.declared}
for line in clean(declared, remove=snakemake.params.delete):
    print(line)
