{%- set relation = source('tws_raw', 'workstations') -%}

with

source as (

    select * from {{ relation }}

),

renamed as (

    select
        cast(workstation_id as varchar) as workstation_id,
        {{ column_or_null(relation, 'name', 'varchar', 'workstation_name') }},
        {{ column_or_null(relation, 'folder', 'varchar') }},
        {{ column_or_null(relation, 'type', 'varchar', 'workstation_type') }},
        {{ column_or_null(relation, 'os', 'varchar') }},
        {{ column_or_null(relation, 'node_name', 'varchar') }},
        {{ column_or_null(relation, 'host_workstation', 'varchar') }},
        {{ column_or_null(relation, 'domain_name', 'varchar') }},
        {{ column_or_null(relation, 'agent_id', 'varchar') }},
        {{ column_or_null(relation, 'time_zone', 'varchar') }},
        {{ column_or_null(relation, 'limit', 'integer', 'job_limit') }},
        {{ column_or_null(relation, 'fence', 'integer') }},
        {{ column_or_null(relation, 'plan_id', 'varchar') }},
        cast(snapshot_at as timestamptz) as snapshot_at
    from source

),

final as (

    select *
    from renamed
    qualify row_number() over (partition by workstation_id order by snapshot_at desc nulls last) = 1

)

select * from final
