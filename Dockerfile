# One image for the engine and every Airflow component (api-server, scheduler, dag-processor, workers).
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg espeak-ng sox libgl1 libglib2.0-0 \
    tesseract-ocr tesseract-ocr-eng wamerican-large wbritish-large \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/ophin
COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY ophin ./ophin
COPY migrations ./migrations
RUN pip install --no-cache-dir -c constraints.txt -e ".[airflow,offline-model]"
COPY dags ./dags
COPY plugins ./plugins

ENV AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/ophin/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/ophin/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    OPHIN_HOME=/data/ophin
