{#- GENERATED from resync_assets/lib/joblog/status.py (render_dbt_macro); do not edit by hand:
    `python -m resync_assets.lib.joblog.status > dbt_project/macros/status_class.sql`.
    Normalised status class of a run from its internal status (compositeStatus.status, the
    precise one) falling back to the common status; see docs/joblog_layout.md section 5. Both
    arguments are expected upper-case (staging upper-cases them once).
    success / failure / running / waiting / cancelled / other. -#}
{% macro status_class(internal_status, common_status) -%}
    case
        when {{ internal_status }} in ('SUCC') then 'success'
        when {{ internal_status }} in ('ABEND', 'DONE', 'ERROR', 'FAIL') then 'failure'
        when {{ internal_status }} in ('ABENP', 'BOUND', 'EXEC', 'INTRO', 'PEND', 'STARTED', 'SUCCP', 'WAIT') then 'running'
        when {{ internal_status }} in ('ADD', 'ARRVING', 'FENCE', 'HOLD', 'NONREPPRED', 'PENDPRED', 'READY', 'SCHED') then 'waiting'
        when {{ internal_status }} in ('CANCL', 'CANCLP') then 'cancelled'
        when {{ internal_status }} is null or {{ internal_status }} not in
            ('COMPLT', 'EXTRN', 'INTRPT', 'STUCK', 'SUPPR', 'SUSP', 'UNDCDED') then
            case
                when {{ common_status }} in ('SUCCESSFUL') then 'success'
                when {{ common_status }} in ('ERROR') then 'failure'
                when {{ common_status }} in ('RUNNING') then 'running'
                when {{ common_status }} in ('BLOCKED', 'HELD', 'READY', 'READY_PREV_WS_NONREP', 'WAITING', 'WAITING_FOR_TRIGGER') then 'waiting'
                when {{ common_status }} in ('CANCELED', 'CANCEL_PENDING') then 'cancelled'
                else 'other'
            end
        else 'other'
    end
{%- endmacro %}

{#- Internal statuses of a failed run, for `in (...)` filters. -#}
{% macro failed_internal_statuses() -%}
    ('ABEND', 'DONE', 'ERROR', 'FAIL')
{%- endmacro %}

{#- Internal statuses after which a run never changes again. -#}
{% macro terminal_internal_statuses() -%}
    ('ABEND', 'CANCL', 'DONE', 'ERROR', 'FAIL', 'SUCC', 'SUPPR')
{%- endmacro %}
