{#- Round a statistic for display and stable comparison; NaN (e.g. a correlation over one point or
    a constant series) becomes null, meaning "not defined". -#}
{% macro finite_round(expression, digits=4) -%}
    round(case when isnan({{ expression }}) then null else {{ expression }} end, {{ digits }})
{%- endmacro %}
