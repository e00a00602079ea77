{#- Select a column of a raw snapshot table if the loader produced it, else a typed null.

    The job-stream and workstation snapshots are "snake_case columns of the API object"
    (docs/DATA_CONTRACTS.md): which optional fields exist depends on what the engine returned, so the
    staging models must not fail when one is absent. -#}
{% macro column_or_null(relation, column_name, data_type, alias=none) -%}
    {%- set alias = alias or column_name -%}
    {%- if execute -%}
        {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- else -%}
        {%- set names = [] -%}
    {%- endif -%}
    {%- if column_name | lower in names -%}
        cast({{ adapter.quote(column_name) }} as {{ data_type }}) as {{ alias }}
    {%- else -%}
        cast(null as {{ data_type }}) as {{ alias }}
    {%- endif -%}
{%- endmacro %}
