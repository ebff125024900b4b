# SpiderGate: the gateway (core + bridge) in one image. State lives in /data (SQLite by
# default); set DATABASE_URL for PostgreSQL.
FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gate_service ./gate_service
COPY bridge ./bridge
COPY spidergate ./spidergate
COPY mock_provider ./mock_provider
RUN pip install . && useradd --create-home --uid 10001 spidergate && mkdir /data && chown spidergate /data
USER spidergate
EXPOSE 8080 50051
VOLUME ["/data"]
# Listen on all interfaces inside the container; publish the ports you need.
ENTRYPOINT ["spidergate"]
CMD ["serve", "--data-dir", "/data", "--host", "0.0.0.0", "--grpc-host", "0.0.0.0"]
