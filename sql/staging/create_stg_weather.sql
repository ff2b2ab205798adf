create table if not exists {{ params.database }}.{{ params.staging }}.STG_WEATHER (
    OBSERVATION_DATE date,
    ORIGIN varchar,
    HOUR integer,
    TEMP float,
    DEWP float,
    HUMID float,
    WIND_DIR float,
    WIND_SPEED float,
    WIND_GUST float,
    PRECIP float,
    PRESSURE float,
    VISIB float
)
