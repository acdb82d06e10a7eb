# The portal's image: the web app and the arq worker run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    LITESTAR_APP=portal.app:create_app PORTAL_HOST=0.0.0.0 PORTAL_PORT=8000 PORTAL_DATA_DIR=/data

# OpenCASCADE (cadquery) needs the GL and X render libraries even when rendering nothing;
# gcc builds the compiled mesh passes (geometry/_native.c).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgl1 libglu1-mesa libxrender1 libxext6 curl \
    fonts-dejavu-core zbar-tools gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY portal ./portal
COPY geometry ./geometry
COPY jobs ./jobs
RUN pip install .
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations

RUN useradd --create-home --uid 1000 portal && mkdir -p /data && chown portal /data
USER portal
EXPOSE 8000
CMD ["sh", "-c", "portal database upgrade --no-prompt && portal run --host 0.0.0.0 --port 8000"]
