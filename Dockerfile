# The service's image: the API, the workers and the sandbox partners, compiled to JavaScript
# (`npm run build`: no tsx in the running process, ~45 MB lighter a worker) with the workflows
# bundled once. docker-compose.yml runs it twice over: `api` (npm run start:built: API + sandbox
# + a worker) and `worker` (npm run worker:built, scaled with --scale worker=N).

# --- dependencies ------------------------------------------------------------------------------
FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts skips the project's postinstall, which finds or fetches the Temporal CLI and
# test server for `npm start`'s embedded dev server and for the tests: a container talks to the
# Temporal service at TEMPORAL_ADDRESS and needs neither. (The dependencies' own install scripts
# only check what npm already installed: esbuild's and swc's binaries come as platform packages.)
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- build: the JavaScript and the workflow bundle ---------------------------------------------
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY activities ./activities
COPY workflows ./workflows
COPY domain ./domain
COPY partners ./partners
COPY ui ./ui
RUN npm run build

# --- runtime -----------------------------------------------------------------------------------
FROM node:20-slim
ENV NODE_ENV=production
# Two malloc arenas instead of 8 per core: the SDK's Rust threads and the workflow thread
# otherwise hold on to freed memory (npm run bench: a worker ~50 MB smaller, same speed).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
# Owned by root, run as `node`: the process cannot change its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY --from=build /app/dist ./dist
# Workers load the prebuilt bundle instead of bundling the workflows as they start.
ENV AUDIENCE_SYNC_WORKFLOW_BUNDLE=/app/dist/workflows.bundle.js
# DATA_DIR: keys generated in sandbox mode (docker-compose.yml mounts a volume here).
RUN mkdir .data && chown node:node .data
USER node
# API (API_PORT) and the sandbox partners (SANDBOX_PORT); set HOST=0.0.0.0 to reach them.
EXPOSE 3000 4010
CMD ["npm", "run", "start:built"]
