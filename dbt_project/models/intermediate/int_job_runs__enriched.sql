with

job_runs as (

    select * from {{ ref('stg_tws__job_runs') }}

),

workstation_hosts as (

    select * from {{ ref('int_workstations__hosts') }}

),

-- Hash each distinct job once rather than every run (md5 over a million rows is the slow part).
job_keys as (

    select
        folder,
        job_stream_name,
        job_name,
        {{ surrogate_key(['folder', 'job_stream_name', 'job_name']) }} as job_key,
        {{ surrogate_key(['folder', 'job_stream_name']) }} as job_stream_key
    from (select distinct folder, job_stream_name, job_name from job_runs)

),

keyed as (

    select
        job_runs.*,
        job_keys.job_key,
        job_keys.job_stream_key,
        workstation_hosts.host,
        -- A running run has no end yet: it is busy up to start + elapsed time so far.
        coalesce(
            ended_at,
            started_at + to_microseconds(cast(round(elapsed_seconds * 1000000) as bigint))
        ) as effective_end_at
    from job_runs
    inner join job_keys
        on job_runs.folder is not distinct from job_keys.folder
        and job_runs.job_stream_name is not distinct from job_keys.job_stream_name
        and job_runs.job_name is not distinct from job_keys.job_name
    left join workstation_hosts on job_runs.run_workstation = workstation_hosts.workstation

),

-- The job's own recent history: mean and spread of the run times of its successful runs among the
-- previous {{ var('runtime_tolerance_runs') }} runs (as Control-M's run-time tolerance does).
history as (

    select
        *,
        count(duration_seconds) filter (where status_class = 'success') over recent as prior_successes,
        avg(duration_seconds) filter (where status_class = 'success') over recent as prior_mean_seconds,
        stddev_samp(duration_seconds) filter (where status_class = 'success') over recent as prior_stddev_seconds
    from keyed
    window recent as (
        partition by job_key order by started_at, run_id
        rows between {{ var('runtime_tolerance_runs') }} preceding and 1 preceding
    )

),

banded as (

    select
        *,
        -- Upper edge of the tolerance band: mean + 3 standard deviations, at least 10 % and 60 s
        -- above the mean (a very steady job is not "long" for a few seconds more).
        case
            when prior_successes >= {{ var('runtime_tolerance_min_runs') }}
                then prior_mean_seconds + greatest(
                    3 * coalesce(prior_stddev_seconds, 0), 0.1 * prior_mean_seconds, 60
                )
        end as runtime_tolerance_seconds
    from history

),

final as (

    select
        * exclude (prior_successes, prior_mean_seconds, prior_stddev_seconds),
        status_class = 'failure' as is_failure,
        status_class = 'success' as is_success,
        case
            when estimated_seconds > 0 and duration_seconds is not null
                then duration_seconds - estimated_seconds
        end as seconds_over_estimate,
        -- Any second over TWS's estimate (an average it keeps): informative, not "late".
        coalesce(estimated_seconds > 0 and duration_seconds > estimated_seconds, false) as is_over_estimate,
        coalesce(duration_seconds > runtime_tolerance_seconds, false) as is_beyond_runtime_tolerance,
        -- Late, for operators and the report: the scheduler's own notions (its late flag, a deadline
        -- passed, the maximum duration exceeded), or a run time beyond the job's tolerance band.
        coalesce(is_flagged_late, false)
            or coalesce(is_past_deadline, false)
            or coalesce(is_max_duration_exceeded, false)
            or coalesce(duration_seconds > runtime_tolerance_seconds, false) as is_late,
        -- The day a run counts for in daily aggregates: its start, or for a run that ended without
        -- starting (FAIL, cancelled) its end. Not-yet-started runs get none, so a run's day never
        -- changes once set, which keeps incremental daily aggregates exact.
        cast(
            coalesce(
                started_at,
                case when is_terminal then coalesce(ended_at, sched_time, submitted_at) end
            ) as date
        ) as activity_date
    from banded

)

select * from final
