-- Two roles for Maillage's database (run once, as the superuser, by
-- deploy/postgres/initdb/01-roles.sh when the PostgreSQL volume is created):
--   maillage_owner  owns the schema and every table; `manage.py migrate` runs as it;
--   maillage_app    what the web, socket and Celery processes connect as: owns
--                   nothing, reads and writes the tables it is granted, and on the
--                   dues ledger may only SELECT and INSERT (migration dues 0009
--                   revokes the rest), so it can neither rewrite history nor
--                   disable the append-only triggers.
-- psql variables: owner_password, app_password, dbname.
CREATE ROLE maillage_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE maillage_app LOGIN PASSWORD :'app_password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

ALTER DATABASE :"dbname" OWNER TO maillage_owner;
REVOKE ALL ON DATABASE :"dbname" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"dbname" TO maillage_app;

\connect :"dbname"
ALTER SCHEMA public OWNER TO maillage_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO maillage_app;

-- Every table and sequence the migrations create: usable by the application (no
-- TRUNCATE, no REFERENCES, no TRIGGER). The ledger's grants are narrowed by its
-- migration.
ALTER DEFAULT PRIVILEGES FOR ROLE maillage_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO maillage_app;
ALTER DEFAULT PRIVILEGES FOR ROLE maillage_owner IN SCHEMA public
  GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO maillage_app;
