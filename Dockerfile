# Countersign: one instance in HTTP mode. `docker compose up` (compose.yaml) runs two on PostgreSQL.
#
#   docker build -t countersign .
#   docker run --env-file .env -p 3000:3000 countersign
#
# The default command serves Slack at :3000/slack/events (GET /healthz, GET /readyz); give another command
# for the rest, e.g. `docker run --env-file .env countersign countersign migrate`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# An unprivileged user. Its home /data is the working directory: where `.env` would be read from and where
# the default SQLite file (sqlite:///countersign.db) lands when DATABASE_URL is not set; mount a volume there.
RUN groupadd --gid 10001 countersign \
    && useradd --uid 10001 --gid countersign --no-create-home --home-dir /data --shell /usr/sbin/nologin countersign \
    && mkdir /data \
    && chown countersign:countersign /data

# Install the package (not an editable checkout) with psycopg 3 for PostgreSQL, then drop the sources.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip install ".[postgres]" \
    && cd / \
    && rm -rf /src

WORKDIR /data
USER 10001:10001

EXPOSE 3000

# /healthz answers while the process serves; /readyz (database reachable and migrated) is for a load balancer.
# Socket Mode (`countersign run`) serves both on HEALTH_PORT, 3000 by default, so this check holds in either mode.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4)"]

# Exec form, so SIGTERM reaches countersign (as PID 1, or forwarded by compose's `init: true`): it finishes
# in-flight work and exits 0.
CMD ["countersign", "run", "--http", "--port", "3000", "--host", "0.0.0.0"]
