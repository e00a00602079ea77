{#- Incremental by tail, like agg_job_runs__daily: the pre-hook deletes every hour from the start
    hour of the earliest run that changed since the last build (a run that ends later only adds
    busy time after its start), and the model rebuilds all hours after the newest one left. -#}
{{
    config(
        materialized='incremental',
        unique_key=['workstation', 'activity_hour'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{{ delete_tail_since_changed_runs('activity_hour', 'started_at', 'hour') }}"
    )
}}

with

job_runs as (

    select
        run_id,
        workstation,
        host,
        started_at,
        -- Runs with no known end (running, no elapsed time yet) only count as started.
        case when effective_end_at >= started_at then effective_end_at end as ended_at,
        last_seen_at
    from {{ ref('fct_job_runs') }}
    where started_at is not null
        and workstation is not null
    {% if is_incremental() %}
        and coalesce(effective_end_at, started_at) >= coalesce(
            (select max(activity_hour) from {{ this }}) + interval 1 hour,
            timestamptz '1900-01-01 00:00:00+00'
        )
    {% endif %}

),

{% if is_incremental() %}
first_hour as (

    select coalesce(
        (select max(activity_hour) from {{ this }}) + interval 1 hour,
        timestamptz '1900-01-01 00:00:00+00'
    ) as activity_hour

),
{% endif %}

-- One row per run per clock hour it overlaps, with the seconds of overlap.
run_hours as (

    select
        run_id,
        workstation,
        host,
        started_at,
        ended_at,
        last_seen_at,
        activity_hour,
        epoch(least(ended_at, activity_hour + interval 1 hour)) - epoch(greatest(started_at, activity_hour))
            as overlap_seconds
    from (
        select
            *,
            unnest(generate_series(
                date_trunc('hour', started_at),
                ended_at,
                interval 1 hour
            )) as activity_hour
        from job_runs
        where ended_at > started_at
    )
    where activity_hour < ended_at

),

started as (

    select
        workstation,
        date_trunc('hour', started_at) as activity_hour,
        any_value(host) as host,
        count(*) as runs_started,
        max(last_seen_at) as last_seen_at
    from job_runs
    group by 1, 2

),

busy as (

    select
        workstation,
        activity_hour,
        any_value(host) as host,
        sum(overlap_seconds) as busy_seconds,
        -- Runs that began in an earlier hour are already running when this hour starts; the sweep
        -- only sees levels at events, so this is the level the hour opens with.
        count(*) filter (where started_at < activity_hour) as running_at_hour_start,
        count(*) as runs_overlapping,
        max(last_seen_at) as last_seen_at
    from run_hours
    group by 1, 2

),

-- A sweep over start (+1) and end (-1) events gives the number of runs executing after each event;
-- ends sort first so back-to-back runs do not count as overlapping. Runs that ended before the
-- first rebuilt hour are not read, and they add nothing to any later level, so incremental
-- builds sweep only the runs they read.
events as (

    select workstation, started_at as event_at, 1 as delta
    from job_runs
    where ended_at > started_at

    union all

    select workstation, ended_at as event_at, -1 as delta
    from job_runs
    where ended_at > started_at

),

levels as (

    select
        workstation,
        event_at,
        sum(delta) over (
            partition by workstation
            order by event_at, delta
            rows between unbounded preceding and current row
        ) as running_after_event
    from events

),

peaks as (

    select
        workstation,
        date_trunc('hour', event_at) as activity_hour,
        max(running_after_event) as peak
    from levels
    group by 1, 2

),

final as (

    select
        coalesce(busy.workstation, started.workstation) as workstation,
        coalesce(busy.activity_hour, started.activity_hour) as activity_hour,
        coalesce(busy.host, started.host) as host,
        coalesce(started.runs_started, 0) as runs_started,
        coalesce(busy.runs_overlapping, 0) as runs_overlapping,
        coalesce(busy.busy_seconds, 0) as busy_seconds,
        coalesce(busy.busy_seconds, 0) / 3600.0 as avg_concurrent_runs,
        cast(greatest(coalesce(busy.running_at_hour_start, 0), coalesce(peaks.peak, 0)) as integer)
            as max_concurrent_runs,
        greatest(busy.last_seen_at, started.last_seen_at) as source_last_seen_at
    from busy
    full outer join started
        on busy.workstation = started.workstation
        and busy.activity_hour = started.activity_hour
    left join peaks
        on busy.workstation = peaks.workstation
        and busy.activity_hour = peaks.activity_hour
    {% if is_incremental() %}
    where coalesce(busy.activity_hour, started.activity_hour) >= (select activity_hour from first_hour)
    {% endif %}

)

select * from final
