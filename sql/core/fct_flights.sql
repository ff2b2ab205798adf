-- The days of the run's flights with the weather at the origin in the scheduled departure hour.
insert into {{ params.database }}.{{ params.core }}.FCT_FLIGHTS
with

flights as (
    select * from {{ params.database }}.{{ params.staging }}.STG_FLIGHTS
    where flight_date between {{ bind('first_day') }} and {{ bind('last_day') }}
),

weather as (
    select * from {{ params.database }}.{{ params.staging }}.STG_WEATHER
    where observation_date between {{ bind('first_day') }} and {{ bind('last_day') }}
)

select
    flights.flight_date,
    flights.carrier,
    flights.flight,
    flights.origin,
    flights.dest,
    flights.tailnum,
    flights.sched_dep_time,
    flights.dep_time,
    flights.dep_delay,
    flights.arr_time,
    flights.arr_delay,
    flights.air_time,
    flights.distance,
    flights.sched_hour,
    flights.is_cancelled,
    coalesce(flights.arr_delay <= 15, false) as is_on_time,
    weather.temp as origin_temp,
    weather.wind_speed as origin_wind_speed,
    weather.precip as origin_precip,
    weather.visib as origin_visib
from flights
left join weather
    on
        flights.flight_date = weather.observation_date
        and flights.origin = weather.origin
        and flights.sched_hour = weather.hour
