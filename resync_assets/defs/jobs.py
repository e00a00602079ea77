"""Jobs over the whole graph: `everything_job`, and `lakehouse_refresh_job` (all but the TWS poll).

Both select by rule, not by name, so assets added by any domain are included.
"""

import dagster as dg

from resync_assets.defs.keys import HOST_METRICS

_RAW = dg.AssetSelection.groups("tws_raw")

everything_job = dg.define_asset_job(
    name="everything_job",
    selection=dg.AssetSelection.all() | dg.AssetSelection.all_asset_checks(),
    description="Materialize every asset with its checks, in dependency order: poll TWS, load host "
    "metrics, build the dbt marts, mine joblog patterns, analyse incidents and everything downstream. "
    "The same work as `resync demo`, as one run.",
)

lakehouse_refresh_job = dg.define_asset_job(
    name="lakehouse_refresh_job",
    selection=dg.AssetSelection.assets(HOST_METRICS) | (_RAW.downstream() - _RAW),
    description="Load host metrics, then rebuild everything downstream of the `tws_raw` tables (dbt "
    "marts, patterns, incidents, ...) without polling TWS; `resync demo` runs it after `tws_ingest_job`.",
)
