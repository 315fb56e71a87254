# The Keyless image: `keyless server` by default (stateless replicas on PostgreSQL,
# deploy/k8s/server.yaml); `keyless agent` with other arguments (deploy/k8s/agent.yaml).
# Not built in this repository's CI: there is no container daemon or registry here; the file is
# checked statically by test/deploy/dockerfile.test.ts (docs/deploy.md).
#
#   docker build -t keyless:0.1.0 .

# Production dependencies only. Install scripts are off (the root package's `prepare` would run
# tsc, a dev dependency); better-sqlite3, the one package allowed a script
# (scripts/dependency-policy.json), is then built alone, with the compilers of this stage.
FROM node:20-bookworm-slim AS deps
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
RUN npm rebuild better-sqlite3

# The compiler and every dev dependency, for tsc only: nothing of this stage but dist/src
# reaches the image.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# tsconfig also includes test/ and bench/: absent here, tsc compiles src/ alone.
RUN npx tsc -p tsconfig.json
# The portal's page, bundled into dist/src/portal/static (esbuild, preact, htm: dev only).
COPY scripts/build-portal.js ./scripts/
RUN node scripts/build-portal.js

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    KEYLESS_HOST=0.0.0.0 \
    KEYLESS_PORT=8443 \
    KEYLESS_LOG_FILE=-
WORKDIR /app
COPY --chown=root:root package.json ./
COPY --chown=root:root bin ./bin
COPY --chown=root:root --from=deps /app/node_modules ./node_modules
COPY --chown=root:root --from=build /app/dist/src ./dist/src
COPY --chown=root:root deploy/docker/healthcheck.mjs ./healthcheck.mjs
# The files belong to root and are read-only to the process, which runs as an unprivileged
# user (the uid the manifests' runAsUser names).
USER 10001:10001
EXPOSE 8443
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/bin/keyless.js"]
CMD ["server"]
