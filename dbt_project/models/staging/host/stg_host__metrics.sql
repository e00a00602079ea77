with

source as (

    select * from {{ source('tws_raw', 'host_metrics') }}

),

final as (

    select
        cast(host as varchar) as host,
        cast(ts as timestamptz) as sampled_at,
        cast(source as varchar) as sample_source,
        cast(cpu_percent as double) as cpu_percent,
        len(cpu_per_core) as cpu_cores,
        cast(load_1m as double) as load_1m,
        cast(load_5m as double) as load_5m,
        cast(load_15m as double) as load_15m,
        cast(memory_percent as double) as memory_percent,
        cast(memory_used_bytes as bigint) as memory_used_bytes,
        cast(memory_total_bytes as bigint) as memory_total_bytes,
        cast(swap_percent as double) as swap_percent,
        cast(disk_percent as double) as disk_percent,
        cast(disk_read_bytes_per_s as double) as disk_read_bytes_per_s,
        cast(disk_write_bytes_per_s as double) as disk_write_bytes_per_s,
        cast(net_sent_bytes_per_s as double) as net_sent_bytes_per_s,
        cast(net_recv_bytes_per_s as double) as net_recv_bytes_per_s,
        cast(cpu_health as varchar) as cpu_health,
        cast(memory_health as varchar) as memory_health,
        cast(disk_health as varchar) as disk_health
    -- The loader merges on (host, ts), so a file loaded twice is one sample; the grain test guards it.
    from source

)

select * from final
