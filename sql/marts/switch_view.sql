-- The publish step: one statement moves every reader to the audited version.
create or replace view {{ params.database }}.{{ params.marts }}.{{ params.mart }} as
select * from {{ params.database }}.{{ params.versions }}.{{ params.version }}
