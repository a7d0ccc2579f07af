rule matrix:
    """Every post in every voice on one offline page, excerpts first, plus the pivot table."""
    input:
        manifest="results/manifest.csv",
    output:
        matrix=report(
            directory("results/matrix"),
            htmlindex="index.html",
            caption="../report/matrix.rst",
            category="Voice matrix",
            labels={"name": "voice matrix", "type": "page"},
        ),
        page="results/matrix.html",
        csv=report(
            "results/matrix.csv",
            caption="../report/matrix_csv.rst",
            category="Voice matrix",
            labels={"name": "matrix", "type": "table"},
        ),
    log:
        "logs/matrix/matrix.log",
    benchmark:
        "benchmarks/matrix/matrix.tsv"
    conda:
        "../envs/kokoro-narrate.yaml"
    threads: TAIL_THREADS
    params:
        excerpt_s=config["matrix"]["excerpt_s"],
        excerpt_cache=EXCERPT_CACHE,
        version=STAGE_VERSIONS["matrix"],
    script:
        "../scripts/matrix.py"
