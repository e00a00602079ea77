with

job_runs as (

    select * from {{ ref('fct_job_runs') }}

),

run_days as (

    select distinct job_key, activity_date
    from job_runs
    where activity_date is not null

),

-- What the run dates look like: how many days in the span, which weekdays, month ends.
weekday_counts as (

    select job_key, isodow(activity_date) as weekday, count(*) as n_days
    from run_days
    group by 1, 2

),

calendar_features as (

    select
        run_days.job_key,
        count(*) as run_days,
        min(activity_date) as first_run_date,
        max(activity_date) as last_run_date,
        date_diff('day', min(activity_date), max(activity_date)) + 1 as span_days,
        count(*) filter (where isodow(activity_date) <= 5) as weekday_run_days,
        count(*) filter (where activity_date = last_day(activity_date)) as month_end_run_days,
        count(distinct date_trunc('month', activity_date)) as months,
        any_value(busiest_weekday.n_days) as max_days_on_one_weekday
    from run_days
    inner join (
        select job_key, max(n_days) as n_days from weekday_counts group by job_key
    ) as busiest_weekday on run_days.job_key = busiest_weekday.job_key
    group by run_days.job_key

),

calendars as (

    select
        *,
        case
            when run_days < 3 then 'unknown'
            when run_days >= 0.9 * span_days then 'daily'
            -- Mon-Fri only, on most of the span's weekdays (5 in 7 days).
            when weekday_run_days = run_days and run_days >= 0.8 * span_days * 5.0 / 7 then 'weekdays'
            when month_end_run_days >= 0.8 * run_days and run_days <= months + 1 then 'month-end'
            when max_days_on_one_weekday >= 0.8 * run_days and run_days >= 0.8 * (span_days / 7.0) then 'weekly'
            else 'irregular'
        end as calendar_guess
    from calendar_features

),

run_stats as (

    select
        job_key,
        any_value(folder) as folder,
        any_value(job_stream_name) as job_stream_name,
        any_value(job_name) as job_name,
        arg_max(workstation, coalesce(started_at, sched_time)) as last_workstation,
        count(*) as runs,
        count(*) filter (where is_success) as successes,
        count(*) filter (where is_failure) as failures,
        count(*) filter (where is_rerun) as reruns,
        count(*) filter (where is_late) as late_runs,
        count(*) filter (where is_failure) / nullif(count(*) filter (where is_terminal), 0) as failure_rate,
        avg(duration_seconds) filter (where is_success) as avg_duration_seconds,
        quantile_cont(duration_seconds, [0.5, 0.95]) filter (where is_success) as duration_quantiles,
        min(started_at) as first_started_at,
        max(started_at) as last_started_at,
        arg_max(status_class, coalesce(started_at, sched_time)) as last_status_class
    from job_runs
    group by job_key

),

-- Runtime trend: least-squares slope of successful durations against time (in weeks) over the last
-- N weeks before the job's latest successful run; anchored on the data, not on today, so rebuilds agree.
recent_successes as (

    select
        job_runs.job_key,
        job_runs.duration_seconds,
        epoch(job_runs.started_at) / 604800.0 as week_number
    from job_runs
    inner join (
        select job_key, max(started_at) as last_started_at
        from job_runs
        where is_success
        group by job_key
    ) as latest
        on job_runs.job_key = latest.job_key
    where job_runs.is_success
        and job_runs.duration_seconds is not null
        and job_runs.started_at > latest.last_started_at - interval ({{ var('runtime_trend_weeks') * 7 }}) day

),

trends as (

    select
        job_key,
        count(*) as trend_runs,
        regr_slope(duration_seconds, week_number) as duration_slope_seconds_per_week,
        avg(duration_seconds) as trend_avg_duration_seconds
    from recent_successes
    group by job_key

),

final as (

    select
        run_stats.job_key,
        run_stats.folder,
        run_stats.job_stream_name,
        run_stats.job_name,
        run_stats.last_workstation,
        coalesce(calendars.calendar_guess, 'unknown') as calendar_guess,
        calendars.run_days,
        calendars.first_run_date,
        calendars.last_run_date,
        run_stats.runs,
        run_stats.successes,
        run_stats.failures,
        run_stats.reruns,
        run_stats.late_runs,
        run_stats.failure_rate,
        run_stats.avg_duration_seconds,
        run_stats.duration_quantiles[1] as p50_duration_seconds,
        run_stats.duration_quantiles[2] as p95_duration_seconds,
        run_stats.first_started_at,
        run_stats.last_started_at,
        run_stats.last_status_class,
        trends.trend_runs,
        -- A slope needs a few points spread over time; below that it is noise.
        case when trends.trend_runs >= 4 then round(trends.duration_slope_seconds_per_week, 4) end
            as duration_slope_seconds_per_week,
        case
            when trends.trend_runs >= 4 and trends.trend_avg_duration_seconds > 0
                then round(100.0 * trends.duration_slope_seconds_per_week / trends.trend_avg_duration_seconds, 4)
        end as duration_trend_pct_per_week
    from run_stats
    left join calendars on run_stats.job_key = calendars.job_key
    left join trends on run_stats.job_key = trends.job_key

)

select * from final
