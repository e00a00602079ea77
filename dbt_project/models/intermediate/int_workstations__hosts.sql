-- Small, read by every run row: a table, computed once per build.
{{ config(materialized='table') }}

with

job_runs as (

    select * from {{ ref('stg_tws__job_runs') }}

),

workstations as (

    select * from {{ ref('stg_tws__workstations') }}

),

host_metrics as (

    select * from {{ ref('stg_host__metrics') }}

),

-- Workstations are named in runs without their folder; compare on the last path segment.
seen_workstations as (

    select distinct run_workstation as workstation
    from job_runs
    where run_workstation is not null

    union

    select workstation_name
    from workstations
    where workstation_name is not null

),

latest_definitions as (

    select
        upper(string_split(workstation_name, '/')[-1]) as workstation_match_key,
        node_name,
        workstation_type,
        os
    from workstations
    where workstation_name is not null
    qualify row_number() over (
        partition by upper(string_split(workstation_name, '/')[-1])
        order by snapshot_at desc nulls last, workstation_id
    ) = 1

),

metric_hosts as (

    select distinct host from host_metrics where host is not null

),

candidates as (

    -- Host metrics name the machine; a workstation's nodeName is that machine's address. Prefer
    -- an exact match, then the short host name (FQDN vs. short name), then the workstation name.
    select
        seen_workstations.workstation,
        metric_hosts.host,
        case
            when lower(metric_hosts.host) = lower(latest_definitions.node_name) then 1
            when split_part(lower(metric_hosts.host), '.', 1)
                = split_part(lower(latest_definitions.node_name), '.', 1) then 2
            else 3
        end as match_rank
    from seen_workstations
    left join latest_definitions
        on upper(string_split(seen_workstations.workstation, '/')[-1]) = latest_definitions.workstation_match_key
    inner join metric_hosts
        on lower(metric_hosts.host) = lower(latest_definitions.node_name)
        or split_part(lower(metric_hosts.host), '.', 1) = split_part(lower(latest_definitions.node_name), '.', 1)
        or lower(metric_hosts.host) = lower(string_split(seen_workstations.workstation, '/')[-1])

),

best_match as (

    select *
    from candidates
    qualify row_number() over (partition by workstation order by match_rank, host) = 1

),

final as (

    select
        seen_workstations.workstation,
        latest_definitions.node_name,
        latest_definitions.workstation_type,
        latest_definitions.os,
        -- Unmatched workstations keep their own name (or node name) as host so they still show up.
        coalesce(
            best_match.host,
            lower(latest_definitions.node_name),
            lower(string_split(seen_workstations.workstation, '/')[-1])
        ) as host,
        case best_match.match_rank
            when 1 then 'node_name'
            when 2 then 'node_short_name'
            when 3 then 'workstation_name'
            else 'unmatched'
        end as host_match_method
    from seen_workstations
    left join latest_definitions
        on upper(string_split(seen_workstations.workstation, '/')[-1]) = latest_definitions.workstation_match_key
    left join best_match on seen_workstations.workstation = best_match.workstation

)

select * from final
