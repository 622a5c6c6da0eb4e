-- Run once by the PostgreSQL image when it first makes its data directory (docker-compose.yml mounts
-- this into /docker-entrypoint-initdb.d). Two roles besides the owner:
--   mash_service  NOLOGIN: what the service may do (granted by migration 0010: read, insert, and
--                 update only the rows that change by design; never the records' or trail's guards);
--   mash_app      LOGIN, a member of mash_service: the role `mash serve` logs in as
--                 (MASH_SERVICE_DATABASE_URL). Migrations run as the owner (DATABASE_URL).
CREATE ROLE mash_service NOLOGIN;
CREATE ROLE mash_app LOGIN PASSWORD 'mash-app-change-me' IN ROLE mash_service;
