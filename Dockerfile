# syntax=docker/dockerfile:1
#
# One image for both roles of partnerflow: the API (the default command) and the worker (compose.yaml and
# docs/operations.md give its command, with the heap flags of platform/config.ts WORKER_NODE_FLAGS).
#
#   docker build -t partnerflow .
#   docker run partnerflow                                    # the API: node dist/api/main.js
#   docker run partnerflow node --max-old-space-size=256 --max-semi-space-size=2 --enable-source-maps dist/worker/main.js
#
# Node comes from the official image, not from the npm `node` package the repository depends on. On developers'
# machines and in CI that package is how the project carries Node 24 (npm scripts put node_modules/.bin first on PATH),
# but its install script downloads a second Node binary of ~125 MB into node_modules: in an image the base image's Node
# is the one that runs, so the package's script is never run and its empty bin link is removed. The tag pins the same
# Node version package.json pins (`node` 24.21.0; `engines` >=24.11 <25).
ARG NODE_IMAGE=node:24.21.0-slim

# ---- build: dependencies with the dev tools, the Prisma client, the JavaScript in dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CHECKPOINT_DISABLE=1 NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
# The console is an npm workspace: npm ci needs its manifest.
COPY console/package.json ./console/
# --ignore-scripts: the root postinstall installs the Temporal CLI and test server with pip (tools of npm start and
# the tests, not of an image) before it generates and builds, which the next steps do explicitly; the `node`
# package's script would fetch the second Node described above. No other dependency needs its install script: the
# native parts (the Temporal core bridge, @swc/core, esbuild) come as prebuilt per-platform packages, and Prisma 7
# with the pg driver adapter runs no engine binary.
RUN npm ci --ignore-scripts && rm -f node_modules/.bin/node
COPY tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY prisma ./prisma
COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY platform ./platform
COPY worker ./worker
COPY api ./api
# The build's third entry, bench/worker-process.ts (tsconfig.build.json), imports a test helper: both are compiled
# with the rest, and neither reaches the runtime stage.
COPY bench ./bench
COPY test ./test
# The console (console/, built by scripts/build-console.ts from the OpenAPI document scripts/openapi-json.ts writes).
COPY scripts/build-console.ts scripts/openapi-json.ts ./scripts/
COPY console ./console
# The Prisma client is generated from prisma/schema.prisma into prisma/generated/ (TypeScript, compiled into dist/
# by the build), then `npm run build` compiles the three entries of tsconfig.build.json and what they import.
RUN npm run db:generate && npm run build

# ---- runtime: production dependencies only, the build, and what the processes read from the root at run time ----
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json ./
COPY console/package.json ./console/
# Production dependencies only (no TypeScript, Vitest, Prisma CLI tools beyond what @prisma/client needs). The
# `node` package is removed for the reason at the top of this file.
RUN npm ci --omit=dev --ignore-scripts \
  && rm -rf node_modules/node node_modules/.bin/node \
  && npm cache clean --force
# dist/: the JavaScript both roles run, the generated Prisma client among it (dist/prisma/generated).
COPY --from=build /app/dist ./dist
# The console's static bundle, served by the API at /console.
COPY --from=build /app/console/dist ./console/dist
# The SQL migrations, applied by platform/db.ts migrate() (compose.yaml's one-shot `migrate` service); found from
# dist/ through platform/paths.ts, which takes the directory of package.json as the root.
COPY --from=build /app/prisma/migrations ./prisma/migrations
# The workflows' TypeScript source: the worker bundles it with webpack at its start (worker/worker.ts
# bundleWorkflows, workflowsPath = <root>/workflows/index.ts), and the workflows import domain/ (rules and JSON
# data) and nothing else at run time (activities only as types).
COPY --from=build /app/workflows ./workflows
COPY --from=build /app/domain ./domain
# The official image's unprivileged user (uid 1000); nothing under /app is writable by it, and nothing needs to be:
# the worker's bundle is built in memory.
USER node
# No HEALTHCHECK: the orchestrator probes the API's GET /livez and GET /readyz (docs/observability.md), and the worker
# is watched through its metrics (temporal_num_pollers, schedule-to-start latency), not an HTTP probe.
EXPOSE 3000
CMD ["node", "--enable-source-maps", "dist/api/main.js"]
