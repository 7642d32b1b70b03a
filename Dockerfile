# The service's image: worker, HTTP server and casectl share it (compose picks the command).
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data
COPY package.json package-lock.json ./
# Workflow bundling needs @swc/core's native binary, an optional dependency: keep optionals.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
RUN mkdir -p /data && chown node:node /data
USER node
CMD ["node", "worker/main.ts"]
