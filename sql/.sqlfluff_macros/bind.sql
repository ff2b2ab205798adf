{# Lint-time stand-in for the runtime `bind(name)`, which renders a %(name)s bind parameter. #}
{% macro bind(name) %}'{{ name }}'{% endmacro %}
