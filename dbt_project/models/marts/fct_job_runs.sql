{{
    config(
        materialized='incremental',
        unique_key='run_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

with

enriched as (

    select * from {{ ref('int_job_runs__enriched') }}

),

{% if is_incremental() %}
-- Runs re-merged upstream since the last build (minus a lookback for out-of-order loads).
changed_runs as (

    select rerun_chain_id, job_key, started_at
    from enriched
    where last_seen_at is null
        or last_seen_at >= coalesce(
            (select max(last_seen_at) from {{ this }}) - interval ({{ var('incremental_lookback_hours') }}) hour,
            timestamptz '1900-01-01 00:00:00+00'
        )

),

-- Widened to their whole rerun chain (a new rerun changes the chain length and last-in-chain of
-- older runs) and to every later run of the same job (a changed run moves the runtime tolerance band
-- of the runs after it).
changed_chains as (

    select rerun_chain_id from changed_runs
    union
    select enriched.rerun_chain_id
    from enriched
    join (
        select job_key, min(coalesce(started_at, timestamptz '1900-01-01 00:00:00+00')) as since
        from changed_runs
        group by job_key
    ) changed_jobs
        on enriched.job_key = changed_jobs.job_key
        and coalesce(enriched.started_at, timestamptz '9999-12-31 00:00:00+00') >= changed_jobs.since

),

job_runs as (

    select enriched.*
    from enriched
    semi join changed_chains on enriched.rerun_chain_id = changed_chains.rerun_chain_id

),
{% else %}
job_runs as (

    select * from enriched

),
{% endif %}

final as (

    select
        run_id,
        job_key,
        job_stream_key,
        folder,
        job_stream_name,
        job_name,
        run_workstation as workstation,
        host,
        job_id,
        plan_id,
        job_stream_id,
        plan_date,
        activity_date,
        sched_time,
        submitted_at,
        started_at,
        ended_at,
        effective_end_at,
        duration_seconds,
        estimated_seconds,
        seconds_over_estimate,
        is_over_estimate,
        runtime_tolerance_seconds,
        is_beyond_runtime_tolerance,
        is_flagged_late,
        is_past_deadline,
        is_max_duration_exceeded,
        maxdur_seconds,
        deadline_at,
        is_late,
        return_code,
        internal_status,
        common_status,
        sub_status,
        status_class,
        is_failure,
        is_success,
        is_terminal,
        is_rerun,
        rerun_type,
        rerun_chain_id,
        rerun_chain_position,
        rerun_chain_length,
        is_last_in_rerun_chain,
        run_attempt,
        job_number,
        priority,
        is_critical,
        recovery_option,
        first_seen_at,
        last_seen_at
    from job_runs

)

select * from final
