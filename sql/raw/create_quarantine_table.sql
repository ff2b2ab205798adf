-- Rows rejected by row-level rules, kept verbatim (every source column as text) with the
-- rule that rejected them, so nothing that landed is ever lost.
create table if not exists {{ params.database }}.{{ params.quarantine }}.{{ params.table }} (
    {%- for col in params.columns %}
        {{ col.name }} varchar,
    {%- endfor %}
    _PARTITION date,
    _SOURCE_FILE varchar,
    _ROW_NUMBER integer,
    _RULE varchar,
    _REASON varchar,
    _RUN_ID varchar,
    _BATCH_ID varchar,
    _QUARANTINED_AT timestamp_ntz
)
