"""What `lib/` and `sim/` both use: shared value types (data contracts) and process utilities.

The simulator stands apart from the product's logic (`sim/` imports nothing from `lib/`), yet both
must agree on the shape of the data that crosses between them (the host-metrics Parquet contract)
and share one process utility (pausing the garbage collector while building many objects). Those
live here, and nothing here imports `lib/` or `sim/`.
"""
