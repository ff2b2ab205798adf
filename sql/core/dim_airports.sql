-- Only rows that changed are written, so concurrent transform runs have nothing to conflict on.
merge into {{ params.database }}.{{ params.core }}.DIM_AIRPORTS as target
using (
    select
        upper(trim(faa)) as faa,
        max(name) as airport_name,
        max(lat) as lat,
        max(lon) as lon,
        max(alt) as alt,
        max(tz) as tz,
        max(dst) as dst,
        max(tzone) as tzone
    from {{ params.database }}.{{ params.raw }}.AIRPORTS
    where faa is not null
    group by 1
) as source
    on target.faa = source.faa
when matched and (
    target.airport_name is distinct from source.airport_name
    or target.lat is distinct from source.lat
    or target.lon is distinct from source.lon
    or target.alt is distinct from source.alt
    or target.tz is distinct from source.tz
    or target.dst is distinct from source.dst
    or target.tzone is distinct from source.tzone
) then
    update set
        airport_name = source.airport_name,
        lat = source.lat,
        lon = source.lon,
        alt = source.alt,
        tz = source.tz,
        dst = source.dst,
        tzone = source.tzone
when not matched then
    insert (faa, airport_name, lat, lon, alt, tz, dst, tzone)
    values (
        source.faa, source.airport_name, source.lat, source.lon, source.alt, source.tz,
        source.dst, source.tzone
    )
