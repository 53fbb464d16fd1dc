# One image for every role: `serve` (the default), `worker` and `migrate` are the same `renkei`
# command a developer runs locally; the task definition picks one with its command.
#
#   docker build -t renkei:$(git rev-parse --short HEAD) .
#   docker run --rm -e RENKEI_DATABASE_URL=... renkei:TAG migrate

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

# The build stage has the compilers, in case a dependency has no wheel for this platform.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
# Unpinned on purpose (DL3008): this stage's compilers never reach the runtime image, and
# Debian drops a package's older version from its archive at each point release, so a pinned
# build-essential would break the build rather than make it reproducible. What the image runs is
# pinned by requirements/production.txt, hashes included.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/renkei
WORKDIR /src
# The lock first: the dependency layer is rebuilt only when the dependencies change. It holds
# the production dependencies only: no dev tools, and no embedded PostgreSQL or Redis (the
# `embedded` extra), since production is given RENKEI_DATABASE_URL and RENKEI_REDIS_URL.
COPY requirements/production.txt ./requirements/
RUN /opt/renkei/bin/pip install --require-hashes -r requirements/production.txt
COPY pyproject.toml README.md ./
COPY platform ./platform
COPY graphql ./graphql
COPY workers ./workers
RUN /opt/renkei/bin/pip install --no-deps . \
    && /opt/renkei/bin/python -m compileall -q /opt/renkei/lib

# The runtime stage: the virtual environment only, no compilers, a user without a login.
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/renkei/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    RENKEI_ENV=production \
    RENKEI_HOST=0.0.0.0 \
    RENKEI_PORT=8000 \
    RENKEI_DATA_DIR=/tmp/renkei
RUN groupadd --system --gid 10001 renkei \
    && useradd --system --uid 10001 --gid renkei --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin renkei
COPY --from=build /opt/renkei /opt/renkei
WORKDIR /tmp
USER 10001:10001
EXPOSE 8000
# The load balancer checks /readyz (ECS ignores an image's HEALTHCHECK), and the same image also
# runs the worker, which serves no HTTP: a check here would be wrong for one of them.
HEALTHCHECK NONE
ENTRYPOINT ["renkei"]
CMD ["serve"]
