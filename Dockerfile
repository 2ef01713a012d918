# Byline's image: dependencies in one layer, the project in the next, a slim non-root runtime.
#   docker build -t byline .
#   docker run -p 8000:8000 -v byline-data:/data byline

FROM python:3.13-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
COPY requirements/main.txt /tmp/requirements.txt
# pip has done its work once the pins are in; the runtime does not need it.
RUN /opt/venv/bin/pip install --require-hashes -r /tmp/requirements.txt \
    && /opt/venv/bin/pip uninstall --yes pip

FROM python:3.13-slim AS runtime
ARG UID=10001
RUN useradd --uid "${UID}" --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin byline \
    && mkdir /data \
    && chown "${UID}:${UID}" /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY alembic.ini ./
COPY migrations/ migrations/
COPY seeds/ seeds/
COPY app/ app/
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BYLINE_DATABASE_URL=sqlite:////data/byline.db \
    BYLINE_SEEDS_DIR=/app/seeds \
    BYLINE_HOST=0.0.0.0 \
    BYLINE_PORT=8000 \
    BYLINE_WORKERS=2
USER ${UID}
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
# `docker run byline ingest /articles` and the other commands of `byline` work as arguments.
ENTRYPOINT ["python", "-m", "app"]
CMD ["serve"]
