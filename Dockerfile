# One image for every winback service: `winback worker`, `winback web`, `winback migrate`.
FROM python:3.11.10-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY winback ./winback
COPY workflows ./workflows
COPY activities ./activities
COPY classifiers ./classifiers
COPY playbooks ./playbooks
COPY store ./store
COPY web ./web
RUN pip install . \
    && useradd --create-home --uid 10001 winback \
    && mkdir -p /data && chown winback:winback /data

USER winback
ENV WINBACK_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8000
ENTRYPOINT ["winback"]
CMD ["web"]
