-- A schema that uses most kinds of PostgreSQL objects, for backup/restore fidelity tests.
-- Deterministic: every value is computed, nothing depends on time or randomness.
CREATE SCHEMA app;
CREATE SCHEMA billing;
CREATE SCHEMA "Mixed Case ünï";
COMMENT ON SCHEMA app IS 'application tables';

CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy', 'ecstatic ✨');
CREATE DOMAIN app.email AS text CHECK (VALUE ~ '^[^@]+@[^@]+$');
CREATE DOMAIN billing.positive_money AS numeric(12, 2) NOT NULL CHECK (VALUE > 0);
CREATE TYPE app.address AS (street text, city text, zip varchar(10));
CREATE SEQUENCE billing.invoice_no START 1000 INCREMENT 7;

CREATE TABLE app.users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email app.email NOT NULL UNIQUE,
  name text NOT NULL,
  mood app.mood,
  home app.address,
  tags text[],
  settings jsonb,
  avatar bytea,
  score double precision,
  name_upper text GENERATED ALWAYS AS (upper(name)) STORED,
  created_at timestamptz NOT NULL DEFAULT '2024-01-01 00:00:00+00',
  CONSTRAINT users_score_range CHECK (score IS NULL OR score BETWEEN -1e6 AND 1e6)
);
COMMENT ON TABLE app.users IS 'people who use the app';
COMMENT ON COLUMN app.users.mood IS 'how they feel';
CREATE INDEX users_lower_name_idx ON app.users (lower(name));
CREATE INDEX users_happy_idx ON app.users (id) WHERE mood = 'happy';
CREATE INDEX users_settings_gin ON app.users USING gin (settings);

CREATE TABLE billing.invoices (
  no bigint NOT NULL DEFAULT nextval('billing.invoice_no'),
  user_id bigint NOT NULL REFERENCES app.users (id) ON DELETE CASCADE,
  amount billing.positive_money,
  issued date NOT NULL,
  note text,
  PRIMARY KEY (no, issued)
) PARTITION BY RANGE (issued);
CREATE TABLE billing.invoices_2023 PARTITION OF billing.invoices FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE billing.invoices_2024 PARTITION OF billing.invoices FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE billing.invoices_other PARTITION OF billing.invoices DEFAULT;

CREATE TABLE app.bookings (
  id serial PRIMARY KEY,
  room int NOT NULL,
  during tsrange NOT NULL,
  EXCLUDE USING gist (during WITH &&)
);

-- inheritance (not partitioning)
CREATE TABLE app.events (id bigint PRIMARY KEY, at timestamp NOT NULL, payload text);
CREATE TABLE app.click_events (x int, y int) INHERITS (app.events);

CREATE TABLE "Mixed Case ünï"."Tablé ""quoted""" (k text PRIMARY KEY, "Value" numeric);

-- audit trigger
CREATE TABLE app.audit (id bigserial PRIMARY KEY, tbl text NOT NULL, op text NOT NULL, row_id bigint);
CREATE FUNCTION app.audit_fn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO app.audit (tbl, op, row_id) VALUES (TG_TABLE_NAME, TG_OP, NEW.id);
  RETURN NEW;
END $$;
CREATE TRIGGER users_audit AFTER INSERT ON app.users FOR EACH ROW EXECUTE FUNCTION app.audit_fn();

CREATE FUNCTION billing.total_for(uid bigint) RETURNS numeric LANGUAGE sql STABLE
  AS $$ SELECT coalesce(sum(amount), 0) FROM billing.invoices WHERE user_id = uid $$;
COMMENT ON FUNCTION billing.total_for(bigint) IS 'sum of a user''s invoices';

CREATE VIEW app.happy_users AS SELECT id, name FROM app.users WHERE mood = 'happy';
CREATE MATERIALIZED VIEW billing.totals AS
  SELECT user_id, sum(amount) AS total, count(*) AS n FROM billing.invoices GROUP BY user_id;
CREATE UNIQUE INDEX totals_user_idx ON billing.totals (user_id);

-- data
INSERT INTO app.users (email, name, mood, home, tags, settings, avatar, score)
SELECT 'user' || i || '@example.com',
       CASE i % 4 WHEN 0 THEN 'Zoë ' || i WHEN 1 THEN '日本語 ' || i WHEN 2 THEN 'Ελληνικά ' || i ELSE 'plain ' || i END,
       (ARRAY['sad', 'ok', 'happy', 'ecstatic ✨'])[1 + i % 4]::app.mood,
       CASE WHEN i % 5 = 0 THEN NULL ELSE ROW('Street ' || i, 'City ' || (i % 17), lpad((i % 99999)::text, 5, '0'))::app.address END,
       CASE WHEN i % 3 = 0 THEN NULL ELSE ARRAY['t' || (i % 7), 't' || (i % 11), NULL] END,
       CASE WHEN i % 6 = 0 THEN NULL ELSE jsonb_build_object('i', i, 'dark', i % 2 = 0, 'nested', jsonb_build_object('k', ARRAY[i, i * 2])) END,
       CASE WHEN i % 4 = 0 THEN NULL ELSE decode(md5(i::text), 'hex') || '\x00ff00'::bytea END,
       CASE WHEN i % 9 = 0 THEN NULL ELSE i * 1.5 END
FROM generate_series(1, 2000) AS i;

INSERT INTO billing.invoices (user_id, amount, issued, note)
SELECT 1 + (i % 2000), (i % 500) + 0.99, DATE '2023-06-01' + (i % 700), CASE WHEN i % 10 = 0 THEN NULL ELSE 'note ' || i END
FROM generate_series(1, 6000) AS i;

INSERT INTO app.bookings (room, during)
SELECT i % 10, tsrange(TIMESTAMP '2024-01-01' + i * INTERVAL '2 hours', TIMESTAMP '2024-01-01' + i * INTERVAL '2 hours' + INTERVAL '1 hour')
FROM generate_series(1, 500) AS i;

INSERT INTO app.events SELECT i, TIMESTAMP '2024-01-01' + i * INTERVAL '1 minute', 'evt ' || i FROM generate_series(1, 300) AS i;
INSERT INTO app.click_events SELECT 1000 + i, TIMESTAMP '2024-02-01' + i * INTERVAL '1 second', NULL, i, i * 2 FROM generate_series(1, 300) AS i;

INSERT INTO "Mixed Case ünï"."Tablé ""quoted""" VALUES ('a', 1), ('b', NULL), (E'multi\nline\ttab', 3.14159);

REFRESH MATERIALIZED VIEW billing.totals;
SELECT setval('billing.invoice_no', 987654);

-- large objects with fixed OIDs, so restored databases can be compared by OID
SELECT lo_from_bytea(424242, convert_to(repeat('large object ', 1000), 'UTF8'));
SELECT lo_from_bytea(424243, '\x000102ff'::bytea);
COMMENT ON LARGE OBJECT 424242 IS 'a large object';
