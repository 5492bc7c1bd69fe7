# ConvLab: one app process per container. For a classroom server and several processes behind
# nginx, see docs/deploy.md and docs/deploy/compose.yaml.
#
#   docker build -t convlab .
#   docker run --rm -p 8501:8501 convlab            # then open http://localhost:8501
FROM python:3.11-slim

# libgomp1: OpenMP, the thread-safe layer the engine's parallel kernels run on.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    OPENBLAS_NUM_THREADS=1

RUN useradd --create-home --uid 10001 convlab
WORKDIR /app

COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY --chown=convlab:convlab . .
USER convlab

# Compile every kernel now, into engine/_kernels/__pycache__, so a new container loads them
# from the cache instead of compiling while a class waits.
RUN python -m pages.server.warm_up

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health')"
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", \
     "--server.headless", "true", "--browser.gatherUsageStats", "false"]
