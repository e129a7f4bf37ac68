# forumbot serve on the locked dependencies (requirements.lock, every hash checked).
# Build: docker build -t forumbot .   Run with PostgreSQL: see compose.yaml and the README.

FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY adapters adapters
COPY knowledge knowledge
COPY templates templates
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FORUMBOT_DATA_DIR=/data \
    FORUMBOT_LOG_FORMAT=json \
    FORUMBOT_LOG_LEVEL=INFO
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-cache-dir --no-deps /tmp/wheels/*.whl \
    && rm -rf /tmp/wheels /tmp/requirements.lock \
    && useradd --create-home --uid 10001 forumbot \
    && mkdir /data && chown forumbot /data
USER forumbot
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
ENTRYPOINT ["forumbot"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
