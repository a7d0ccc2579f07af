"""kokoro-narrate: blog posts in, loudness-normalized Kokoro narration out.

One module per pipeline stage (script, phonemes, synthesis, narration, manifest, matrix, and the
publishing stages encode, captions, snippet, made by each narration job, and feed), plus the pieces
they share: settings (validated config), voices, engine (the Kokoro model behind a small
interface), cache (content-addressed chunks), loudness, normalize, alignment (word times from
Kokoro's durations), digests and files (every file written whole, then renamed).
"""

__version__ = "0.1.0"


def log_to_file(path) -> None:
    """Send log records, and the error that ends a job, to the rule's log file.

    Rule scripts call this first, so `logs/<rule>/...` says what a job did and why it failed.
    """
    import logging
    import sys

    logging.basicConfig(
        filename=str(path),
        filemode="w",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    previous = sys.excepthook

    def log_and_raise(kind, error, trace):
        logging.getLogger("kokoro_narrate").error(
            "job failed: %s", error, exc_info=(kind, error, trace)
        )
        previous(kind, error, trace)

    sys.excepthook = log_and_raise


# Bump a stage's number when the same inputs make it write different output (a fix to the
# normalizer, the chunker, the loudness pass, ...). Each rule carries its stage's number in its
# params, so an upgrade reruns the stages whose code changed what they make, and no other.
STAGE_VERSIONS = {
    "script": 35,
    "phonemes": 7,
    "synthesis": 4,
    "narration": 4,
    "manifest": 3,
    "matrix": 2,
    "encode": 6,
    "captions": 1,
    "snippet": 1,
    "feed": 1,
}
