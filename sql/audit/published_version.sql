select max(version)
from {{ params.database }}.{{ params.audit }}.PUBLICATIONS
where mart = {{ bind('mart') }} and status = 'published'
