{%- set relation = source('tws_raw', 'job_streams') -%}

with

source as (

    select * from {{ relation }}

),

renamed as (

    select
        cast(jobstream_id as varchar) as jobstream_id,
        cast(plan_id as varchar) as plan_id,
        {{ column_or_null(relation, 'name', 'varchar', 'job_stream_name') }},
        {{ column_or_null(relation, 'folder', 'varchar') }},
        {{ column_or_null(relation, 'workstation', 'varchar') }},
        {{ column_or_null(relation, 'sched_time', 'timestamptz') }},
        {{ column_or_null(relation, 'scheduled_date', 'varchar') }},
        {{ column_or_null(relation, 'common_status', 'varchar') }},
        {{ column_or_null(relation, 'priority', 'integer') }},
        {{ column_or_null(relation, 'limit', 'integer', 'job_limit') }},
        {{ column_or_null(relation, 'time_zone', 'varchar') }},
        cast(snapshot_at as timestamptz) as snapshot_at
    from source

),

final as (

    select *
    from renamed
    -- Snapshots accumulate; the newest one describes the stream instance.
    qualify row_number() over (partition by jobstream_id, plan_id order by snapshot_at desc nulls last) = 1

)

select * from final
