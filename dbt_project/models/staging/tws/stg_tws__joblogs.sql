with

source as (

    select * from {{ source('tws_raw', 'joblogs') }}

),

final as (

    select
        cast(run_id as varchar) as run_id,
        cast(job_id as varchar) as job_id,
        cast(job_name as varchar) as job_name,
        cast(workstation as varchar) as workstation,
        cast(plan_id as varchar) as plan_id,
        upper(cast(internal_status as varchar)) as internal_status,
        cast(fetched_at as timestamptz) as fetched_at,
        cast(text as varchar) as joblog_text,
        cast(byte_size as bigint) as byte_size,
        cast(line_count as bigint) as line_count,
        cast(encoding as varchar) as encoding,
        cast(had_invalid_utf8 as boolean) as had_invalid_utf8,
        cast(truncated as boolean) as is_truncated
    from source
    -- One joblog per run: a refetch replaces the earlier text.
    qualify row_number() over (partition by run_id order by fetched_at desc nulls last) = 1

)

select * from final
