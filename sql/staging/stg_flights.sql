-- The days of the run's flights, typed and deduplicated on the natural key (the latest load wins).
insert into {{ params.database }}.{{ params.staging }}.STG_FLIGHTS
with

source as (
    select * from {{ params.database }}.{{ params.raw }}.FLIGHTS
    where _partition between {{ bind('first_day') }} and {{ bind('last_day') }}
),

deduplicated as (
    select *
    from source
    qualify row_number() over (
        partition by _partition, carrier, flight, origin, sched_dep_time
        order by _loaded_at desc
    ) = 1
)

select
    _partition as flight_date,
    upper(trim(carrier)) as carrier,
    flight,
    upper(trim(origin)) as origin,
    upper(trim(dest)) as dest,
    nullif(upper(trim(tailnum)), '') as tailnum,
    sched_dep_time,
    dep_time,
    dep_delay,
    sched_arr_time,
    arr_time,
    arr_delay,
    air_time,
    distance,
    hour as sched_hour,
    dep_time is null as is_cancelled,
    _batch_id
from deduplicated
