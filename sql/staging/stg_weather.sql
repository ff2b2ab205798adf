-- The days of the run's hourly weather; the source repeats a few hours around the DST change, keep one.
insert into {{ params.database }}.{{ params.staging }}.STG_WEATHER
with

source as (
    select * from {{ params.database }}.{{ params.raw }}.WEATHER
    where _partition between {{ bind('first_day') }} and {{ bind('last_day') }}
),

deduplicated as (
    select *
    from source
    qualify row_number() over (
        partition by _partition, origin, hour
        order by time_hour, temp, dewp, humid, wind_dir, wind_speed, wind_gust, precip, pressure, visib
    ) = 1
)

select
    _partition as observation_date,
    upper(trim(origin)) as origin,
    hour,
    temp,
    dewp,
    humid,
    wind_dir,
    wind_speed,
    wind_gust,
    precip,
    pressure,
    visib
from deduplicated
