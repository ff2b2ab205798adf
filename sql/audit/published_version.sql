select max(version)
from {{ params.database }}.{{ params.audit }}.PUBLICATIONS
where mart = %(mart)s and status = 'published'
