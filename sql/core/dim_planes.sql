-- Only rows that changed are written, so concurrent transform runs have nothing to conflict on.
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
when matched and (
    target.year_built is distinct from source.year_built
    or target.aircraft_type is distinct from source.aircraft_type
    or target.manufacturer is distinct from source.manufacturer
    or target.model is distinct from source.model
    or target.engines is distinct from source.engines
    or target.seats is distinct from source.seats
    or target.engine is distinct from source.engine
) then
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
