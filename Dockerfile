# Anvil service image: the API and conductor in one process (`anvil serve`).
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY api api
COPY services services
COPY bmc-drivers bmc-drivers
COPY pxe pxe
COPY ipam ipam
COPY sim sim
COPY cli cli
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
ENV ANVIL_DATA_DIR=/var/lib/anvil
VOLUME /var/lib/anvil
EXPOSE 6385
USER node
ENTRYPOINT ["node", "dist/cli/anvil.js"]
CMD ["serve"]
