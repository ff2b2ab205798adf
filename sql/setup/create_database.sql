create database if not exists {{ params.database }}
