# Rule script: thin on purpose (Snakemake reruns a rule's jobs when this file changes); the logic
# is kokoro_narrate.script.
from kokoro_narrate import log_to_file, script

log_to_file(snakemake.log[0])
if snakemake.params.problem:  # found in the front matter while the workflow was planned
    raise script.PostError(snakemake.params.problem)
(path,) = snakemake.input.post
with open(path, "rb") as source:
    data = source.read()
post = script.parse_post(
    data,
    path,
    lang=snakemake.params.lang,
    options=script.ScriptOptions(**snakemake.params.options),
    author=snakemake.params.author,
)
script.write_script(post.paragraphs, snakemake.output[0])
