"""Log template mining for joblog lines: named masks, an online miner, joblog tables.

Import the submodules directly (`masking`, `miner`, `joblogs`); this package imports nothing heavy so
the `resync patterns templates` command starts fast.
"""
