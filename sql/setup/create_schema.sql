create schema if not exists {{ params.database }}.{{ params.schema }}
