# Rule script: thin on purpose (Snakemake reruns a rule's jobs when this file changes); the logic
# is kokoro_narrate.script.
from kokoro_narrate import citations, log_to_file, phonemes, script

log_to_file(snakemake.log[0])
if snakemake.params.post["problem"]:  # found while the workflow was planned
    raise script.PostError(snakemake.params.post["problem"])
(path,) = snakemake.input.post
with open(path, "rb") as source:
    data = source.read()
lexicon = phonemes.load_lexicon(snakemake.input.lexicon[0] if snakemake.input.lexicon else None)
post = script.parse_post(
    data,
    path,
    lang=snakemake.params.post["lang"],
    options=script.ScriptOptions(**snakemake.params.options),
    keep=frozenset(lexicon),
    author=snakemake.params.author,
    references=citations.load(snakemake.input.bibliography),
)
script.write_script(post.paragraphs, snakemake.output[0])
