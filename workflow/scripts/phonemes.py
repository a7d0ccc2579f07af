# Rule script: thin on purpose; the logic is kokoro_narrate.phonemes.
import logging

from kokoro_narrate import log_to_file, phonemes, script

log_to_file(snakemake.log[0])
lexicon = phonemes.load_lexicon(snakemake.input.lexicon[0] if snakemake.input.lexicon else None)
g2p = phonemes.G2P(snakemake.wildcards.lang, lexicon)
paragraphs = [vars(p) for p in script.read_script(snakemake.input.script)]
chunks = phonemes.phonemize_script(paragraphs, g2p, snakemake.params.target)
phonemes.write_chunks(chunks, snakemake.output[0])
oov = sorted({w for c in chunks for w in c.oov})
logging.info(
    "%d paragraphs -> %d chunks; %d words through the espeak fallback%s",
    len(paragraphs),
    len(chunks),
    len(oov),
    (": " + ", ".join(oov) + " (add them to config/lexicon.yaml)") if oov else "",
)
