# The hparam-advisor HTTP API. Build: docker build -t hparam-advisor .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY advisor ./advisor
COPY api ./api
COPY probes ./probes
COPY rules ./rules
RUN pip install -c constraints.txt . \
    && useradd --create-home --uid 10001 advisor

USER advisor
EXPOSE 8000
# Settings come from the environment: ADVISOR_MAX_BODY_BYTES, ADVISOR_RULES_DIR, ADVISOR_CORS_ORIGINS.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["advisor", "serve", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
