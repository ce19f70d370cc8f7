"""Spark job entry points: one thin module per pipeline step.

Each module ``jobs/<name>.py`` defines ``main(argv) -> int`` that parses arguments,
connects to the platform, builds the session through ``goldmine.spark.build_session``
and calls the library; nothing else. Every module also runs as a ``spark-submit``
script. ``goldmine.jobs.discover_jobs`` finds them; ``goldmine jobs run|submit`` runs them.
"""
