# checkin-load image for Kubernetes runs (checkin-load k8s). Build: docker build -t checkin-load .
# Node 24 (LTS until April 2028): Node 20 left support in April 2026. The package itself runs on
# Node >= 20.19 (package.json engines; see docs/scale-out.md "Node versions").
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
RUN npx tsc -p tsconfig.json

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY bin ./bin
COPY --from=build /app/dist/src ./dist/src
COPY dashboards ./dashboards
# the image's node user, by number: Kubernetes' runAsNonRoot can check a number (k8s sets 1000 too)
USER 1000:1000
ENTRYPOINT ["node", "/app/bin/checkin-load.js"]
CMD ["--help"]
