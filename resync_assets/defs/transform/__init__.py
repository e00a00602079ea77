"""dbt transformations: tws_raw -> staging -> intermediate -> marts, as Dagster assets."""
