create table if not exists {{ params.database }}.{{ params.core }}.DIM_AIRPORTS (
    FAA varchar,
    AIRPORT_NAME varchar,
    LAT float,
    LON float,
    ALT float,
    TZ float,
    DST varchar,
    TZONE varchar,
    primary key (FAA)
)
