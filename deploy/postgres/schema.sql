-- The table `mailadvisor serve --domain-source` reads by default, and the
-- trigger that tells it of every change (LISTEN/NOTIFY): a change is
-- served within a second, without a restart.
--
--   psql -d panel -f deploy/postgres/schema.sql
--
-- Columns left NULL take the domain file's defaults (mail.DOMAIN for the
-- hosts). A panel that keeps its domains elsewhere needs no table: give
-- serve a --domain-query whose columns have these names, and a trigger of
-- the same kind on its own table.
CREATE TABLE IF NOT EXISTS mailadvisor_domains (
    domain       text PRIMARY KEY,
    imap_host    text,
    pop3_host    text,
    smtp_host    text,
    display_name text
);

CREATE OR REPLACE FUNCTION mailadvisor_domains_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mailadvisor_domains', '');
    RETURN NULL;
END $$;

-- One notification per statement, not per row: a bulk import is one
-- reload.
DROP TRIGGER IF EXISTS mailadvisor_domains_changed ON mailadvisor_domains;
CREATE TRIGGER mailadvisor_domains_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mailadvisor_domains
    FOR EACH STATEMENT EXECUTE FUNCTION mailadvisor_domains_changed();

-- The role serve logs in as needs only to read:
--   CREATE ROLE mailadvisor LOGIN;
--   GRANT SELECT ON mailadvisor_domains TO mailadvisor;
