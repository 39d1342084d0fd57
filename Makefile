# The two commands README starts with. Both create .venv on first use.
.PHONY: demo test test-extras lint bench

demo:  ## set up, load the sample data, start Temporal + worker + dashboard on localhost
	bash scripts/bootstrap.sh
	.venv/bin/winback demo

test:  ## set up and run the whole suite (SQLite and PostgreSQL, real Temporal)
	bash scripts/test.sh

test-extras:  ## tests of optional routes: installs the CPU torch wheel and the embeddings-train extra
	bash scripts/bootstrap.sh
	.venv/bin/pip install --quiet torch==2.13.0 && .venv/bin/pip install --quiet -e '.[dev,embeddings-train]'
	.venv/bin/python -m pytest --override-ini addopts= tests/extras

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy winback workflows activities classifiers playbooks store web

bench:
	for f in bench/*.py; do .venv/bin/python $$f; done
