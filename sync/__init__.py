"""The nightly sync's core as plain Python: what the Dagster assets, the CLI and the tests call.

``pipeline``: pick a source's next delivery, read and check it, match and load it.
``status``: per source, what the warehouse last received and whether it is overdue.
``match_files``: the matcher on two canonical person CSV files (``safetynet match``, training).
"""
