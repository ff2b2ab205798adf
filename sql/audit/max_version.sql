select coalesce(max(version), 0)
from {{ params.database }}.{{ params.audit }}.PUBLICATIONS
where mart = {{ bind('mart') }}
