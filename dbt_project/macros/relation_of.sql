{#- The relation of model `name`, looked up when the test runs (None when it is not built yet).

    A generic test that names a second model through ref() gets that model as a parent, and dbt's
    eager test selection (the one Dagster's dbt assets use) then runs it whenever EITHER model is
    selected, also before the other is (re)built. Tests that compare a model with its upstream or
    downstream neighbour look the neighbour up at run time instead. -#}
{% macro relation_of(name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for node in graph.nodes.values() if node.resource_type in ('model', 'seed', 'snapshot') and node.name == name -%}
        {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("relation_of: no model named " ~ name) }}
{%- endmacro %}
