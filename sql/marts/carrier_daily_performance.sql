-- Daily on-time performance per carrier. FLIGHTS counts every scheduled flight, CANCELLED
-- those that never departed, ON_TIME_RATE the share of scheduled flights arriving within
-- 15 minutes of schedule (a cancelled flight is not on time).
insert into {{ params.database }}.{{ params.schema }}.{{ params.table }}
with

flights as (
    select * from {{ params.database }}.{{ params.core }}.FCT_FLIGHTS
    where flight_date between {{ bind('first_day') }} and {{ bind('last_day') }}
),

carriers as (
    select * from {{ params.database }}.{{ params.core }}.DIM_CARRIERS
),

daily as (
    select
        flight_date,
        carrier,
        count(*) as flights,
        sum(case when is_cancelled then 1 else 0 end) as cancelled,
        avg(cast(dep_delay as number(18, 5))) as avg_dep_delay,
        avg(cast(arr_delay as number(18, 5))) as avg_arr_delay,
        sum(case when is_on_time then 1 else 0 end) / count(*) as on_time_rate
    from flights
    group by flight_date, carrier
)

select
    daily.flight_date,
    daily.carrier,
    carriers.carrier_name,
    daily.flights,
    daily.cancelled,
    round(daily.avg_dep_delay, 4) as avg_dep_delay,
    round(daily.avg_arr_delay, 4) as avg_arr_delay,
    round(daily.on_time_rate, 6) as on_time_rate
from daily
left join carriers on daily.carrier = carriers.carrier
