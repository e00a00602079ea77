{#- The pre-hook of the aggregates that are incremental by tail: on an incremental build, delete every
    row whose `tail_column` is at or after the earliest `run_column` (truncated to `trunc_unit` when
    given) of the fct_job_runs runs that changed since this model's last build (with the lookback), so
    the model can rebuild everything after the newest row left. -#}
{% macro delete_tail_since_changed_runs(tail_column, run_column, trunc_unit=none) %}
    {% if is_incremental() %}
    delete from {{ this }}
    where {{ tail_column }} >= (
        select min({% if trunc_unit %}date_trunc('{{ trunc_unit }}', {{ run_column }}){% else %}{{ run_column }}{% endif %})
        from {{ ref('fct_job_runs') }}
        where last_seen_at is null
            or last_seen_at >= (select max(source_last_seen_at) from {{ this }})
                - interval ({{ var('incremental_lookback_hours') }}) hour
    )
    {% endif %}
{% endmacro %}
