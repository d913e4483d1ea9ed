# One image for the engine and every Airflow component (api-server, scheduler, dag-processor, triggerer,
# Celery workers). Targets: `cpu` (the default, last stage) and `gpu` (adds the CUDA 12 cuBLAS/cuDNN
# libraries CTranslate2 loads for faster-whisper on device=cuda; the driver comes from the NVIDIA runtime).
FROM python:3.11-slim-bookworm AS engine

# curl: the api-server and scheduler healthchecks.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg espeak-ng sox libgl1 libglib2.0-0 curl \
    tesseract-ocr tesseract-ocr-eng wamerican-large wbritish-large \
 && rm -rf /var/lib/apt/lists/*

# uid 50000, gid 0: Airflow's image convention, so volumes and mounts made for it fit this one too.
RUN useradd --uid 50000 --gid 0 --create-home --home-dir /home/ophin --shell /bin/bash ophin

WORKDIR /opt/ophin
COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY ophin ./ophin
COPY migrations ./migrations
RUN pip install --no-cache-dir -c constraints.txt -e ".[airflow,offline-model]"
# A fallback copy: compose mounts ./dags and ./plugins over these, a Kubernetes image may rely on them.
COPY dags ./dags
COPY plugins ./plugins

# Named volumes mounted here start with this ownership, so the non-root user can write them.
RUN mkdir -p /opt/airflow/logs /opt/airflow/auth /data/ophin \
 && chown -R 50000:0 /opt/airflow /data/ophin \
 && chmod -R g+rwX /opt/airflow /data/ophin

ENV AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/ophin/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/ophin/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    OPHIN_HOME=/data/ophin \
    PYTHONUNBUFFERED=1

USER 50000:0
WORKDIR /opt/airflow

FROM engine AS gpu
USER root
# Versions from PyPI for CUDA 12 / cuDNN 9, what ctranslate2 4.x is built against.
RUN pip install --no-cache-dir nvidia-cublas-cu12==12.9.3.13 nvidia-cudnn-cu12==9.28.0.42
ENV LD_LIBRARY_PATH=/usr/local/lib/python3.11/site-packages/nvidia/cublas/lib:/usr/local/lib/python3.11/site-packages/nvidia/cudnn/lib \
    OPHIN_ASR__DEVICE=cuda \
    OPHIN_ASR__COMPUTE_TYPE=float16
USER 50000:0

FROM engine AS cpu
