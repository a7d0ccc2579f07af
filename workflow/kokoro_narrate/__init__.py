"""kokoro-narrate: blog posts in, loudness-normalized Kokoro narration out.

One module per pipeline stage (script, phonemes, synthesis, narration, manifest, matrix, and the
publishing stages encode, captions, snippet, made by each narration job, and feed), plus the pieces
they share: settings (validated config), voices, engine (the Kokoro model behind a small
interface), cache (content-addressed chunks), loudness, normalize, alignment (word times from
Kokoro's durations), digests and files (every file written whole, then renamed).
"""

__version__ = "0.1.0"


def log_to_file(path) -> None:
    """Send log records, and the error that ends a job, to the rule's log file, and at its end
    what the job used (`log_resources`).

    Rule scripts call this first, so `logs/<rule>/...` says what a job did and why it failed.
    """
    import atexit
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
    # exit hooks run last first: this one runs before logging's own closes the file
    atexit.unregister(log_resources)
    atexit.register(log_resources)


# the last line of every job's log, and how the benchmark scripts read it back
RESOURCES_FORMAT = "resources: CPU %.2f s, peak RSS %.0f MB"
RESOURCES_PATTERN = r"resources: CPU ([\d.]+) s, peak RSS (\d+) MB"


def log_resources() -> None:
    """Log the CPU seconds (user and system, with any subprocess it waited for) and the peak RSS
    of this process, as the kernel counted them. Snakemake's benchmark files sample a job every
    0.5 s for its first 15 s and every 30 s after, so a job of more than 15 s loses what it did
    since its last sample: a job that used 25 CPU seconds in 31 s was recorded at 10."""
    import logging
    import sys

    try:
        import resource
    except ImportError:  # Windows
        return
    own = resource.getrusage(resource.RUSAGE_SELF)
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + waited.ru_utime + waited.ru_stime
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    peak = max(_own_peak_rss() or own.ru_maxrss * unit, waited.ru_maxrss * unit)
    logging.getLogger("kokoro_narrate").info(RESOURCES_FORMAT, cpu, peak / 2**20)


def _own_peak_rss() -> int | None:
    """This program's peak resident set in bytes (Linux's VmHWM), or None where there is none.
    Linux keeps getrusage's ru_maxrss across exec, so a job started from Snakemake's process
    would report at least that process's size (165 MB) however little it used itself."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


# Set by the workflow once per run of snakemake (rules/common.smk) and inherited by its jobs:
# which jobs belong to one run (engine.earlier_failure)
RUN_VARIABLE = "KOKORO_NARRATE_RUN"

# Bump a stage's number when the same inputs make it write different output (a fix to the
# normalizer, the chunker, the loudness pass, ...). Each rule carries its stage's number in its
# params, so an upgrade reruns the stages whose code changed what they make, and no other.
STAGE_VERSIONS = {
    "script": 36,
    "phonemes": 7,
    "synthesis": 4,
    "narration": 5,
    "manifest": 3,
    "matrix": 2,
    "encode": 8,
    "captions": 1,
    "snippet": 1,
    "feed": 1,
}
