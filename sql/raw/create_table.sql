-- One RAW table per source, generated from the declarative spec: source columns loosely
-- typed, then the load metadata.
create table if not exists {{ params.database }}.{{ params.raw }}.{{ params.table }} (
    {%- for col in params.columns %}
        {{ col.name }} {{ col.type }},
    {%- endfor %}
    _PARTITION date,
    _SOURCE_FILE varchar,
    _LOADED_AT timestamp_ntz,
    _BATCH_ID varchar
)
