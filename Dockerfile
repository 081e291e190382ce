# The hparam-advisor HTTP API. Build: docker build -t hparam-advisor .
# With the probes (CPU torch) for probe jobs:
#   docker build --build-arg EXTRAS=probes --build-arg PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu -t hparam-advisor .
FROM python:3.11-slim

ARG EXTRAS=""
ARG PIP_EXTRA_INDEX_URL=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ADVISOR_JOB_DB=/data/jobs.sqlite \
    ADVISOR_JOB_ROUTES=keyed

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY advisor ./advisor
COPY api ./api
COPY probes ./probes
COPY rules ./rules
RUN pip install -c constraints.txt ".${EXTRAS:+[$EXTRAS]}" \
    && useradd --create-home --uid 10001 advisor \
    && mkdir -p /data && chown advisor:advisor /data

USER advisor
VOLUME ["/data"]
EXPOSE 8000
# Settings come from the environment (ADVISOR_*): API_KEYS, PROBE_TARGETS, JOB_SLOTS, JOB_TIMEOUT_S,
# JOB_MEMORY_MB, MAX_BODY_BYTES, REQUEST_TIMEOUT_S, CORS_ORIGINS, ... (see the README).
# Safe by default: JOB_ROUTES=keyed serves the probe-job routes only when API_KEYS are given
# (-e ADVISOR_API_KEYS=k1,k2); without keys the image serves the read-only routes.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["advisor", "serve", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
