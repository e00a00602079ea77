"""Root-cause analysis of failed runs (issue "Joblog intelligence" §2, §3).

Import the submodules directly: `engine` (analyse one joblog), `evidence` (error-line scoring),
`families`, `entities`, `advice`, `calibration`, `similarity`, `resolutions`, `store` (warehouse
tables). This package imports nothing heavy, so `resync analyze` starts fast.
"""
