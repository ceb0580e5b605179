# checkin-load image for Kubernetes runs (checkin-load k8s). Build: docker build -t checkin-load .
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
RUN npx tsc -p tsconfig.json

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY bin ./bin
COPY --from=build /app/dist/src ./dist/src
COPY dashboards ./dashboards
USER 1000:1000
ENTRYPOINT ["node", "/app/bin/checkin-load.js"]
CMD ["--help"]
