{#- Normalised status class of a run from its internal status (compositeStatus.status, the precise
    one) falling back to the common status; see tws-domain JOBLOGS.md section 5. Both arguments are
    expected upper-case (staging upper-cases them once).
    success / failure / running / waiting / cancelled / other. -#}
{% macro status_class(internal_status, common_status) -%}
    case
        when {{ internal_status }} = 'SUCC' then 'success'
        when {{ internal_status }} in ('ABEND', 'FAIL', 'ERROR', 'DONE') then 'failure'
        when {{ internal_status }} in
            ('EXEC', 'INTRO', 'WAIT', 'BOUND', 'PEND', 'SUCCP', 'ABENP', 'STARTED') then 'running'
        when {{ internal_status }} in
            ('HOLD', 'READY', 'SCHED', 'ADD', 'FENCE', 'PENDPRED', 'ARRVING', 'NONREPPRED') then 'waiting'
        when {{ internal_status }} in ('CANCL', 'CANCLP') then 'cancelled'
        when {{ internal_status }} is null or {{ internal_status }} not in
            ('SUPPR', 'EXTRN', 'STUCK', 'SUSP', 'INTRPT', 'COMPLT', 'UNDCDED') then
            case
                when {{ common_status }} = 'SUCCESSFUL' then 'success'
                when {{ common_status }} = 'ERROR' then 'failure'
                when {{ common_status }} = 'RUNNING' then 'running'
                when {{ common_status }} in
                    ('WAITING', 'WAITING_FOR_TRIGGER', 'READY', 'READY_PREV_WS_NONREP', 'HELD', 'BLOCKED')
                    then 'waiting'
                when {{ common_status }} in ('CANCELED', 'CANCEL_PENDING') then 'cancelled'
                else 'other'
            end
        else 'other'
    end
{%- endmacro %}
