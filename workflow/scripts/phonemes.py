# Rule script: thin on purpose; the logic is kokoro_narrate.phonemes.
import logging
from functools import cache
from pathlib import Path

from kokoro_narrate import log_to_file, phonemes, script, settings
from kokoro_narrate.cache import ChunkCache

log_to_file(snakemake.log[0])
lang, target = snakemake.wildcards.lang, snakemake.params.target
lexicon = phonemes.load_lexicon(snakemake.input.lexicon[0] if snakemake.input.lexicon else None)
paragraphs = [vars(p) for p in script.read_script(snakemake.input.script)]
known = phonemes.ParagraphCache(
    ChunkCache(snakemake.params.cache_dir).root / "g2p",
    phonemes.g2p_identity(lang, lexicon, target),
)
g2p = cache(lambda: phonemes.G2P(lang, lexicon))  # spaCy loads only if a paragraph is new
if any(p["text"] not in known for p in paragraphs):
    # the first job of a language that needs G2P does it for every script of the build there is
    plan = settings.load(snakemake.config, memo_dir=snakemake.params.memo_dir)
    texts = phonemes.build_texts(plan, lang, Path(snakemake.input.script).parent)
    phonemes.prefill([*(p["text"] for p in paragraphs), *texts], g2p, target, known)
chunks = phonemes.phonemize_script(paragraphs, g2p, target, known)
phonemes.write_chunks(chunks, snakemake.output[0])
oov = sorted({w for c in chunks for w in c.oov})
logging.info(
    "%d paragraphs -> %d chunks; %d words through the espeak fallback%s",
    len(paragraphs),
    len(chunks),
    len(oov),
    (": " + ", ".join(oov) + " (add them to config/lexicon.yaml)") if oov else "",
)
