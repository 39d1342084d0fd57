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
# Extras baked in (empty: none): "embeddings" (the default, a few MB) serves distilled-route
# models; "embeddings-train" also trains the distilled and encoder routes and serves encoder-
# route models, with torch. Give TORCH_PIP_ARGS to install a CPU torch first (for example
# "torch==2.13.0" and your CPU wheel index); otherwise pip takes a CUDA build of several GB.
ARG WINBACK_EXTRAS=embeddings
ARG TORCH_PIP_ARGS=
RUN if [ -n "$TORCH_PIP_ARGS" ]; then pip install $TORCH_PIP_ARGS; fi \
    && pip install ".${WINBACK_EXTRAS:+[$WINBACK_EXTRAS]}" \
    && useradd --create-home --uid 10001 winback \
    && mkdir -p /data && chown winback:winback /data

USER winback
ENV WINBACK_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8000
ENTRYPOINT ["winback"]
CMD ["web"]
