{%- set short_days = var('corr_short_window_days') -%}
{%- set long_days = var('corr_long_window_days') -%}

with

workload_hourly as (

    select * from {{ ref('agg_workload__hourly') }}

),

host_metrics_hourly as (

    select * from {{ ref('agg_host_metrics__hourly') }}

),

-- Several workstations (agents) can run on one host: add their workload up per host.
workload_by_host as (

    select
        host,
        activity_hour,
        count(distinct workstation) as workstations,
        sum(runs_started) as runs_started,
        sum(busy_seconds) as busy_seconds,
        sum(avg_concurrent_runs) as avg_concurrent_runs,
        max(max_concurrent_runs) as max_workstation_concurrent_runs
    from workload_hourly
    where host is not null
    group by 1, 2

),

hourly as (

    select
        coalesce(workload_by_host.host, host_metrics_hourly.host) as host,
        coalesce(workload_by_host.activity_hour, host_metrics_hourly.metric_hour) as activity_hour,
        coalesce(workload_by_host.workstations, 0) as workstations,
        coalesce(workload_by_host.runs_started, 0) as runs_started,
        coalesce(workload_by_host.busy_seconds, 0) as busy_seconds,
        coalesce(workload_by_host.avg_concurrent_runs, 0) as avg_concurrent_runs,
        coalesce(workload_by_host.max_workstation_concurrent_runs, 0) as max_workstation_concurrent_runs,
        host_metrics_hourly.samples as metric_samples,
        host_metrics_hourly.avg_cpu_percent,
        host_metrics_hourly.p95_cpu_percent,
        host_metrics_hourly.max_cpu_percent,
        host_metrics_hourly.avg_memory_percent,
        host_metrics_hourly.max_memory_percent,
        host_metrics_hourly.avg_disk_percent,
        host_metrics_hourly.max_disk_percent,
        host_metrics_hourly.avg_load_1m
    from workload_by_host
    full outer join host_metrics_hourly
        on workload_by_host.host = host_metrics_hourly.host
        and workload_by_host.activity_hour = host_metrics_hourly.metric_hour

),

daily as (

    select
        host,
        cast(activity_hour as date) as activity_date,
        sum(busy_seconds) as daily_busy_seconds,
        avg(avg_cpu_percent) as daily_avg_cpu_percent,
        avg(avg_disk_percent) as daily_avg_disk_percent,
        avg(avg_memory_percent) as daily_avg_memory_percent
    from hourly
    group by 1, 2

),

-- Do workload and resources move together? Correlations over trailing windows of calendar days
-- (a range frame, so a missing day shortens the window rather than stretching it).
daily_trends as (

    select
        host,
        activity_date,
        daily_busy_seconds,
        daily_avg_cpu_percent,
        daily_avg_disk_percent,
        corr(daily_busy_seconds, daily_avg_cpu_percent) over short_window as busy_cpu_corr_{{ short_days }}d,
        corr(daily_busy_seconds, daily_avg_disk_percent) over short_window as busy_disk_corr_{{ short_days }}d,
        corr(daily_busy_seconds, daily_avg_cpu_percent) over long_window as busy_cpu_corr_{{ long_days }}d,
        corr(daily_busy_seconds, daily_avg_disk_percent) over long_window as busy_disk_corr_{{ long_days }}d,
        regr_slope(daily_busy_seconds, epoch(activity_date) / 86400.0) over long_window
            as busy_seconds_growth_per_day_{{ long_days }}d,
        regr_slope(daily_avg_cpu_percent, epoch(activity_date) / 86400.0) over long_window
            as cpu_percent_growth_per_day_{{ long_days }}d,
        count(daily_avg_cpu_percent) over long_window as days_with_metrics_{{ long_days }}d
    from daily
    window
        short_window as (
            partition by host order by activity_date
            range between interval ({{ short_days - 1 }}) day preceding and current row
        ),
        long_window as (
            partition by host order by activity_date
            range between interval ({{ long_days - 1 }}) day preceding and current row
        )

),

final as (

    select
        hourly.*,
        daily_trends.daily_busy_seconds,
        daily_trends.daily_avg_cpu_percent,
        daily_trends.daily_avg_disk_percent,
        {{ finite_round('daily_trends.busy_cpu_corr_' ~ short_days ~ 'd') }} as busy_cpu_corr_{{ short_days }}d,
        {{ finite_round('daily_trends.busy_disk_corr_' ~ short_days ~ 'd') }} as busy_disk_corr_{{ short_days }}d,
        {{ finite_round('daily_trends.busy_cpu_corr_' ~ long_days ~ 'd') }} as busy_cpu_corr_{{ long_days }}d,
        {{ finite_round('daily_trends.busy_disk_corr_' ~ long_days ~ 'd') }} as busy_disk_corr_{{ long_days }}d,
        {{ finite_round('daily_trends.busy_seconds_growth_per_day_' ~ long_days ~ 'd') }} as busy_seconds_growth_per_day_{{ long_days }}d,
        {{ finite_round('daily_trends.cpu_percent_growth_per_day_' ~ long_days ~ 'd') }} as cpu_percent_growth_per_day_{{ long_days }}d,
        -- "Both are related": workload and CPU rose together over the long window, strongly correlated.
        coalesce(
            daily_trends.days_with_metrics_{{ long_days }}d >= 14
            and daily_trends.busy_cpu_corr_{{ long_days }}d >= 0.5
            and daily_trends.busy_seconds_growth_per_day_{{ long_days }}d > 0
            and daily_trends.cpu_percent_growth_per_day_{{ long_days }}d > 0,
            false
        ) as is_workload_and_cpu_growing_together
    from hourly
    left join daily_trends
        on hourly.host = daily_trends.host
        and cast(hourly.activity_hour as date) = daily_trends.activity_date

)

select * from final
