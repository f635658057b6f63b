import { defineConfig } from "drizzle-kit";

// SQLite (a file path or file: URL in DATABASE_URL): `npm run db:generate` writes its migrations here.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/store/schema.ts",
  out: "./migrations/sqlite",
});
