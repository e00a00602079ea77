{#- Incremental by tail: the pre-hook deletes every day from the earliest day touched by a run that
    changed since the last build; the model then rebuilds all days after the newest one left. A run's
    activity_date never changes once set, so this equals a full rebuild. -#}
{{
    config(
        materialized='incremental',
        unique_key=['job_key', 'activity_date'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{{ delete_tail_since_changed_runs('activity_date', 'activity_date') }}"
    )
}}

with

job_runs as (

    select * from {{ ref('fct_job_runs') }}
    where activity_date is not null
    {% if is_incremental() %}
        and activity_date > coalesce((select max(activity_date) from {{ this }}), date '1900-01-01')
    {% endif %}

),

daily as (

    -- Names live in dim_jobs (join on job_key): carrying them here costs more than the counts.
    select
        job_key,
        activity_date,
        count(*) as runs,
        count(*) filter (where is_success) as successes,
        count(*) filter (where is_failure) as failures,
        count(*) filter (where status_class = 'cancelled') as cancelled,
        count(*) filter (where is_rerun) as reruns,
        count(*) filter (where is_late) as late_runs,
        -- Durations of finished runs only: a running run's duration is still growing. Both
        -- percentiles from one quantile state.
        quantile_cont(duration_seconds, [0.5, 0.95]) filter (where is_terminal) as duration_quantiles,
        max(duration_seconds) filter (where is_terminal) as max_duration_seconds,
        avg(duration_seconds) filter (where is_terminal) as avg_duration_seconds,
        max(last_seen_at) as source_last_seen_at
    from job_runs
    group by job_key, activity_date

),

final as (

    select
        job_key,
        activity_date,
        runs,
        successes,
        failures,
        cancelled,
        reruns,
        late_runs,
        duration_quantiles[1] as p50_duration_seconds,
        duration_quantiles[2] as p95_duration_seconds,
        max_duration_seconds,
        avg_duration_seconds,
        source_last_seen_at
    from daily

)

select * from final
