# Byline's image: dependencies in one layer, the project in the next, a slim non-root runtime.
#   docker build -t byline .
#   docker run -p 8000:8000 -v byline-data:/data byline

FROM python:3.13-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
# The pinned, hashed dependencies (and the pinned build backend), in a layer of their own.
COPY requirements/main.txt requirements/build.txt /src/requirements/
RUN /opt/venv/bin/pip install --require-hashes \
        -r /src/requirements/main.txt -r /src/requirements/build.txt
# Then the project itself (with its migrations); the build tools leave the environment after.
COPY pyproject.toml README.md /src/
COPY app/ /src/app/
COPY migrations/ /src/migrations/
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation /src \
    && /opt/venv/bin/pip uninstall --yes setuptools pip

FROM python:3.13-slim AS runtime
ARG UID=10001
RUN useradd --uid "${UID}" --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin byline \
    && mkdir /data \
    && chown "${UID}:${UID}" /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY seeds/ seeds/
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BYLINE_DATABASE_URL=sqlite:////data/byline.db \
    BYLINE_INDEX_PATH=/data/byline.index \
    BYLINE_SEEDS_DIR=/app/seeds \
    BYLINE_HOST=0.0.0.0 \
    BYLINE_PORT=8000 \
    BYLINE_WORKERS=2
USER ${UID}
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('BYLINE_PORT', '8000'); sys.exit(urllib.request.urlopen('http://127.0.0.1:' + port + '/healthz', timeout=2).status != 200)"]
# The entry point is the byline command: `docker run byline ingest /articles` works too.
ENTRYPOINT ["byline"]
CMD ["serve"]
