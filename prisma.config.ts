import { defineConfig } from 'prisma/config';

// Only `prisma generate` uses this; migrations are plain SQL applied by node-pg-migrate (see docs/database.md).
export default defineConfig({
  schema: 'prisma/schema.prisma',
});
