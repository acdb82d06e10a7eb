# The portal's image: the web app and the arq worker run from it.
#
# Two stages: the first has the C compiler and builds the virtualenv, with the compiled mesh
# passes (geometry/_native.c); the second copies the virtualenv and the code and carries no
# compiler.

FROM python:3.11-slim-bookworm AS build

ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY portal ./portal
COPY geometry ./geometry
COPY jobs ./jobs
# An editable install keeps one copy of the code, at /app, beside templates/, static/ and
# migrations/ (which the app finds from its own files), and builds the compiled passes in place.
# They are optional to pip (without a compiler it goes on without them), so the build checks
# that they were built.
RUN python -m venv /venv \
 && /venv/bin/pip install -e . \
 && /venv/bin/python -c "import geometry._native"


FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/venv/bin:$PATH \
    LITESTAR_APP=portal.app:create_app PORTAL_HOST=0.0.0.0 PORTAL_PORT=8000 PORTAL_DATA_DIR=/data

# OpenCASCADE (cadquery) needs the GL and X render libraries even when rendering nothing; the
# worker slices FDM prints with PrusaSlicer's command line (without it, print prices stay estimates).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgl1 libglu1-mesa libxrender1 libxext6 curl \
    fonts-dejavu-core prusa-slicer \
 && rm -rf /var/lib/apt/lists/*

COPY --from=build /venv /venv
WORKDIR /app
COPY --from=build /app /app
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations
RUN python -c "import geometry._native" \
 && ! command -v gcc >/dev/null && ! command -v cc >/dev/null \
 && useradd --create-home --uid 1000 portal && mkdir -p /data && chown portal /data

USER portal
EXPOSE 8000
CMD ["sh", "-c", "portal database upgrade --no-prompt && portal run --host 0.0.0.0 --port 8000"]
