create table if not exists {{ params.database }}.{{ params.core }}.DIM_PLANES (
    TAILNUM varchar,
    YEAR_BUILT integer,
    AIRCRAFT_TYPE varchar,
    MANUFACTURER varchar,
    MODEL varchar,
    ENGINES integer,
    SEATS integer,
    ENGINE varchar,
    primary key (TAILNUM)
)
