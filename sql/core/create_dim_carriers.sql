create table if not exists {{ params.database }}.{{ params.core }}.DIM_CARRIERS (
    CARRIER varchar,
    CARRIER_NAME varchar,
    primary key (CARRIER)
)
