import { defineConfig } from "drizzle-kit";

// PostgreSQL (a postgres:// URL in DATABASE_URL): the same tables from the pg-core twin of the schema.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/store/schema-pg.ts",
  out: "./migrations/postgres",
});
