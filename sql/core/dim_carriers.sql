merge into {{ params.database }}.{{ params.core }}.DIM_CARRIERS as target
using (
    select
        upper(trim(carrier)) as carrier,
        max(name) as carrier_name
    from {{ params.database }}.{{ params.raw }}.AIRLINES
    where carrier is not null
    group by 1
) as source
    on target.carrier = source.carrier
when matched and target.carrier_name is distinct from source.carrier_name
then update set carrier_name = source.carrier_name
when not matched then insert (carrier, carrier_name) values (source.carrier, source.carrier_name)
