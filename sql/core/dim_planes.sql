merge into {{ params.database }}.{{ params.core }}.DIM_PLANES as target
using (
    select
        upper(trim(tailnum)) as tailnum,
        max(year) as year_built,
        max(type) as aircraft_type,
        max(manufacturer) as manufacturer,
        max(model) as model,
        max(engines) as engines,
        max(seats) as seats,
        max(engine) as engine
    from {{ params.database }}.{{ params.raw }}.PLANES
    where tailnum is not null
    group by 1
) as source
    on target.tailnum = source.tailnum
when matched then
    update set
        year_built = source.year_built,
        aircraft_type = source.aircraft_type,
        manufacturer = source.manufacturer,
        model = source.model,
        engines = source.engines,
        seats = source.seats,
        engine = source.engine
when not matched then insert (
    tailnum, year_built, aircraft_type, manufacturer, model, engines, seats, engine
)
values (
    source.tailnum, source.year_built, source.aircraft_type, source.manufacturer,
    source.model, source.engines, source.seats, source.engine
)
