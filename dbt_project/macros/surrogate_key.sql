{#- md5 of the columns joined with '|' (null kept distinct from ''), like dbt_utils'
    generate_surrogate_key, which we cannot install here. -#}
{% macro surrogate_key(columns) -%}
    md5(concat_ws('|', {% for column in columns -%}
        coalesce(cast({{ column }} as varchar), '_null_'){{ ", " if not loop.last }}
    {%- endfor %}))
{%- endmacro %}
