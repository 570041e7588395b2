.PHONY: lint test bench

lint:
	ruff check feedsync tests benchmarks examples
	ruff format --check feedsync
	mypy feedsync

test:
	pytest

bench:
	python benchmarks/run_benchmark.py --products 100000 1000000
