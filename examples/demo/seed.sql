-- The demo clinic: the schema of the Alembic migrations in alembic/versions (a test checks that
-- `alembic upgrade head` builds the same tables and columns), stamped at their head, with data.
-- :signed_sha256 is the SHA-256 of the signed document the demo uploads to Azurite.
CREATE TABLE alembic_version (version_num varchar(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, role text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE patients (id serial PRIMARY KEY, family_name text NOT NULL, given_name text NOT NULL, birth_date date NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE appointments (id serial PRIMARY KEY, patient_id integer NOT NULL REFERENCES patients(id), practitioner_id integer NOT NULL REFERENCES users(id), starts_at timestamptz NOT NULL, reason text);
CREATE TABLE documents (id serial PRIMARY KEY, patient_id integer NOT NULL REFERENCES patients(id), kind text NOT NULL, blob_name text NOT NULL, sha256 text, signed_at timestamptz);
INSERT INTO alembic_version VALUES ('3c4d5e6f7a03');

INSERT INTO users (email, role) VALUES
  ('dr.martin@clinique-demo.fr', 'practitioner'), ('dr.bernard@clinique-demo.fr', 'practitioner'), ('accueil@clinique-demo.fr', 'staff');
INSERT INTO patients (family_name, given_name, birth_date)
  SELECT (ARRAY['Martin','Bernard','Dubois','Thomas','Robert','Richard','Petit','Durand','Leroy','Moreau'])[1 + g % 10],
         (ARRAY['Camille','Louise','Léa','Hugo','Lucas','Chloé','Jules','Emma','Adam','Inès'])[1 + (g * 7) % 10],
         date '1940-01-01' + (g * 2311 % 29000)
    FROM generate_series(1, 240) AS g;
INSERT INTO appointments (patient_id, practitioner_id, starts_at, reason)
  SELECT 1 + g % 240, 1 + g % 2, timestamptz '2026-10-01 08:00+00' + (g || ' hours')::interval, 'consultation'
    FROM generate_series(1, 600) AS g;
INSERT INTO documents (patient_id, kind, blob_name, sha256, signed_at)
  SELECT 1 + g % 240, 'consent', '2026/10/consent-' || g || '.pdf', NULL, NULL FROM generate_series(1, 40) AS g;
INSERT INTO documents (patient_id, kind, blob_name, sha256, signed_at)
  VALUES (17, 'prescription', '2026/11/prescription-0417-signed.pdf', :'signed_sha256', now() - interval '2 hours');
