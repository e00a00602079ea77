{#- Samples are append-only and carry no load time, so the tail is a fixed lookback: the pre-hook
    deletes the newest hours within the lookback and the model rebuilds every hour after the newest
    one left. Samples arriving later than the lookback need a --full-refresh. -#}
{{
    config(
        materialized='incremental',
        unique_key=['host', 'metric_hour'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="""
            {% if is_incremental() %}
            delete from {{ this }}
            where metric_hour >= (select max(metric_hour) from {{ this }})
                - interval ({{ var('incremental_lookback_hours') }}) hour
            {% endif %}
        """
    )
}}

with

host_metrics as (

    select * from {{ ref('stg_host__metrics') }}
    {% if is_incremental() %}
    where sampled_at >= coalesce(
        (select max(metric_hour) from {{ this }}) + interval 1 hour,
        timestamptz '1900-01-01 00:00:00+00'
    )
    {% endif %}

),

final as (

    select
        host,
        date_trunc('hour', sampled_at) as metric_hour,
        count(*) as samples,
        avg(cpu_percent) as avg_cpu_percent,
        quantile_cont(cpu_percent, 0.95) as p95_cpu_percent,
        max(cpu_percent) as max_cpu_percent,
        avg(memory_percent) as avg_memory_percent,
        quantile_cont(memory_percent, 0.95) as p95_memory_percent,
        max(memory_percent) as max_memory_percent,
        avg(disk_percent) as avg_disk_percent,
        quantile_cont(disk_percent, 0.95) as p95_disk_percent,
        max(disk_percent) as max_disk_percent,
        avg(load_1m) as avg_load_1m,
        avg(disk_read_bytes_per_s) as avg_disk_read_bytes_per_s,
        avg(disk_write_bytes_per_s) as avg_disk_write_bytes_per_s
    from host_metrics
    where host is not null and sampled_at is not null
    group by 1, 2

)

select * from final
