# syntax=docker/dockerfile:1
# claimcheck: build with the toolchain, run without it. See docs/deployment.md.
# Pin the base image by digest for reproducible builds, e.g.
#   docker build --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:<digest> .
# Node 24 is an LTS line (Node 20 reached end of life in April 2026). It must be 24.22.0 or
# later: from 24.19 Node's ObjectWrap removes an environment cleanup hook when a better-sqlite3 12
# statement (the lockfile's driver, the last line that runs on Node 20) is garbage-collected, and
# runtimes before 24.22.0 abort the process when a collection does that outside JavaScript. The
# floating tag follows the newest 24.x; on an earlier 24.x the app refuses to start, and the build
# stops below (see docs/deployment.md).
# .ci/run runs the test suite on this image's Node major as well.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: compile TypeScript and better-sqlite3's native module -------------------------------
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Compile better-sqlite3 here against the image's own Node headers rather than downloading a
# prebuilt binary that the lockfile's integrity hashes do not cover.
ENV npm_config_build_from_source=true \
    npm_config_nodedir=/usr/local
# The sources come first: `npm ci` runs the package's `prepare` script, which compiles src/ to dist/.
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# The CLI refuses a Node release the SQLite driver aborts on: a base image pinned to one fails here.
RUN npm ci --no-audit --no-fund \
 && node dist/bin.js --version \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime: production dependencies, compiled output, migrations; no compilers ---------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=file:/data/claimcheck.db
WORKDIR /app
# Owned by root and read-only to the app's user: the process cannot rewrite its own code.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json app.yml ./
COPY migrations ./migrations
# The database (and its WAL files) live on a volume the unprivileged user can write.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const r=require('node:http').get({host:'127.0.0.1',port:Number(process.env.PORT)||3000,path:'/healthz',timeout:4000},(s)=>process.exit(s.statusCode===200?0:1));r.on('timeout',()=>r.destroy(new Error('timeout')));r.on('error',()=>process.exit(1));"]
CMD ["node", "dist/main.js"]
