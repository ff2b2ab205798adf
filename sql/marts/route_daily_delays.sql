-- Daily delays per route, with the weather at the origin at scheduled departure.
-- Averages are taken over exact decimals so that reruns give bit-identical results.
-- DEST_NAME is null for destinations missing from the airports reference (BQN, SJU, STT, PSE).
insert into {{ params.database }}.{{ params.schema }}.{{ params.table }}
with

flights as (
    select * from {{ params.database }}.{{ params.core }}.FCT_FLIGHTS
    where flight_date between {{ bind('first_day') }} and {{ bind('last_day') }}
),

airports as (
    select * from {{ params.database }}.{{ params.core }}.DIM_AIRPORTS
),

routes as (
    select
        flight_date,
        origin,
        dest,
        count(*) as flights,
        sum(case when is_cancelled then 1 else 0 end) as cancelled,
        avg(cast(dep_delay as number(18, 5))) as avg_dep_delay,
        avg(cast(arr_delay as number(18, 5))) as avg_arr_delay,
        max(arr_delay) as max_arr_delay,
        avg(cast(origin_wind_speed as number(18, 5))) as avg_origin_wind_speed,
        avg(cast(origin_visib as number(18, 5))) as avg_origin_visib
    from flights
    group by flight_date, origin, dest
)

select
    routes.flight_date,
    routes.origin,
    routes.dest,
    airports.airport_name as dest_name,
    routes.flights,
    routes.cancelled,
    round(routes.avg_dep_delay, 4) as avg_dep_delay,
    round(routes.avg_arr_delay, 4) as avg_arr_delay,
    routes.max_arr_delay,
    round(routes.avg_origin_wind_speed, 4) as avg_origin_wind_speed,
    round(routes.avg_origin_visib, 4) as avg_origin_visib
from routes
left join airports on routes.dest = airports.faa
