create or replace table {{ params.database }}.{{ params.versions }}.{{ params.new_version }}
clone {{ params.database }}.{{ params.versions }}.{{ params.current_version }}
