{%- set relation = source('tws_raw', 'job_runs') -%}

with

source as (

    select * from {{ relation }}

),

time_zones as (

    select name as time_zone from pg_timezone_names()

),

renamed as (

    select
        cast(source.run_id as varchar) as run_id,
        cast(source.job_id as varchar) as job_id,
        cast(plan_id as varchar) as plan_id,
        cast(job_stream_id as varchar) as job_stream_id,
        cast(folder as varchar) as folder,
        cast(job_stream_name as varchar) as job_stream_name,
        cast(job_name as varchar) as job_name,
        cast(workstation as varchar) as workstation,
        cast(actual_workstation as varchar) as actual_workstation,
        coalesce(cast(actual_workstation as varchar), cast(workstation as varchar)) as run_workstation,

        cast(job_number as bigint) as job_number,
        cast(run_attempt as integer) as run_attempt,
        cast(rerun_type as varchar) as rerun_type,
        cast(is_rerun as boolean) as is_rerun_flag,
        cast(last_in_rerun_chain as boolean) as is_last_in_rerun_chain_flag,

        cast(return_code as integer) as return_code,
        upper(cast(internal_status as varchar)) as internal_status,
        upper(cast(common_status as varchar)) as common_status,
        cast(sub_status as varchar) as sub_status,

        cast(sched_time as timestamptz) as sched_time,
        cast(submitted_time as timestamptz) as submitted_at,
        cast(actual_start as timestamptz) as started_at,
        cast(actual_end as timestamptz) as ended_at,
        cast(elapsed_seconds as double) as elapsed_seconds,
        cast(estimated_seconds as double) as estimated_seconds,
        cast(source.time_zone as varchar) as time_zone,
        -- An unknown zone name would make timezone() raise; such runs get their plan date in UTC.
        coalesce(time_zones.time_zone, 'UTC') as plan_time_zone,

        cast(priority as integer) as priority,
        cast(is_critical as boolean) as is_critical,
        cast(is_late as boolean) as is_flagged_late,
        -- The scheduler's own deadline and maximum-duration notions (TWS `deadlineHasPassed`,
        -- `maxDurationGone`), when the loader provides them; null otherwise.
        {{ column_or_null(relation, 'is_past_deadline', 'boolean', 'is_past_deadline') }},
        {{ column_or_null(relation, 'is_max_duration_exceeded', 'boolean', 'is_max_duration_exceeded') }},
        -- The job's time restrictions (`timeRestrictions.maxDuration`, `.deadlineTime`).
        {{ column_or_null(relation, 'maxdur_seconds', 'double', 'maxdur_seconds') }},
        {{ column_or_null(relation, 'deadline_time', 'timestamptz', 'deadline_at') }},
        cast(recovery_option as varchar) as recovery_option,
        cast(task as varchar) as task,

        cast(first_seen_at as timestamptz) as first_seen_at,
        cast(last_seen_at as timestamptz) as last_seen_at

    from source
    left join time_zones on source.time_zone = time_zones.time_zone

),

chained as (

    select
        *,
        {{ status_class('internal_status', 'common_status') }} as status_class,
        -- Timestamps are absolute instants (UTC TIMESTAMPTZ), so their difference is right across
        -- midnight and DST changes; elapsedTime covers runs without an end (running) or a start.
        case
            when started_at is not null and ended_at is not null
                then epoch(ended_at) - epoch(started_at)
            else elapsed_seconds
        end as duration_seconds,
        -- The plan (production) day is the scheduled day in the job's own time zone.
        cast(timezone(plan_time_zone, coalesce(sched_time, started_at, submitted_at)) as date) as plan_date,
        -- A rerun chain is every run of one job in one plan; its position orders the attempts.
        concat_ws(':', plan_id, job_id) as rerun_chain_id,
        row_number() over (
            partition by plan_id, job_id
            order by run_attempt nulls last, job_number nulls last, started_at nulls last, run_id
        ) as rerun_chain_position,
        count(*) over (partition by plan_id, job_id) as rerun_chain_length
    from renamed

),

final as (

    select
        *,
        -- TWS flags reruns itself; a later position in the chain is a rerun even if a flag is missing.
        coalesce(is_rerun_flag, false) or rerun_chain_position > 1 as is_rerun,
        rerun_chain_position = rerun_chain_length as is_last_in_rerun_chain,
        status_class in ('success', 'failure', 'cancelled') as is_terminal
    from chained

)

select * from final
