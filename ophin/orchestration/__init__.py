"""Orchestration: crawl runs, how a batch fans out, the DAG files' glue (dag_glue.py, the one module importing
Airflow), Celery workers and Airflow on this machine."""
