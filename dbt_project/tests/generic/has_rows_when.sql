{#- Row-count expectation: fails (one row) when the model is empty while its upstream has rows.

    Every generic test passes on an empty model, so a mart that silently came out empty from a
    non-empty input would stay green. Give the input as `upstream` (a source(): sources are never
    built, so they add no selection problem) or as `upstream_model` (a model name, looked up when the
    test runs: see macros/relation_of.sql). An empty or missing upstream leaves nothing to expect. -#}
{% test has_rows_when(model, upstream=none, upstream_model=none) %}
{%- set relation = upstream if upstream is not none else relation_of(upstream_model) -%}
{%- if relation is none %}
select 1 as n_rows, 0 as n_upstream where false
{%- else %}
select m.n_rows, u.n_upstream
from (select count(*) as n_rows from {{ model }}) as m
cross join (select count(*) as n_upstream from {{ relation }}) as u
where m.n_rows = 0 and u.n_upstream > 0
{%- endif %}
{% endtest %}
