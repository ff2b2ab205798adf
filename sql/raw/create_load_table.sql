-- Landing pad for one bulk load; its rows move into the target table in one transaction.
create or replace table {{ params.database }}.{{ params.schema }}.{{ params.load_table }}
like {{ params.database }}.{{ params.schema }}.{{ params.table }}
