{#- A dimension holds every key its fact uses: fails with one row per `column_name` value of model
    `fact` (looked up when the test runs) that is missing from this model.

    dbt's `relationships` test placed on the fact would name the dimension through ref(); here the
    dimension is built FROM the fact, so that test would run (eagerly selected with the fact) before
    the dimension is rebuilt. On the dimension, with the fact looked up by name, it runs after both. -#}
{% test has_every_key_of(model, column_name, fact) %}
{%- set relation = relation_of(fact) -%}
{%- if relation is none %}
select null as {{ column_name }} where false
{%- else %}
select distinct f.{{ column_name }}
from {{ relation }} as f
left join {{ model }} as d on d.{{ column_name }} = f.{{ column_name }}
where f.{{ column_name }} is not null and d.{{ column_name }} is null
{%- endif %}
{% endtest %}
