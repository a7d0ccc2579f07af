"""kokoro-narrate: blog posts in, loudness-normalized Kokoro narration out.

One module per pipeline stage (script, phonemes, synthesis, narration, manifest, matrix), plus the
pieces they share: settings (validated config), voices, engine (the Kokoro model behind a small
interface), cache (content-addressed chunks), loudness and normalize.
"""

__version__ = "0.1.0"


def log_to_file(path) -> None:
    """Send the package's log records to a rule's log file (rule scripts call this first)."""
    import logging

    logging.basicConfig(
        filename=str(path),
        filemode="w",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
