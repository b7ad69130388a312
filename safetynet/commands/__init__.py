"""One module per feature of the `safetynet` command; each has ``register(sub)`` (see safetynet/cli.py).

Heavy imports (Dagster, pandas, the warehouse) happen inside the handlers, so `safetynet --help`
and argument errors stay fast.
"""
