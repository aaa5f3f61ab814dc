# The two commands in the README. Each sets up .venv itself (scripts/bootstrap.sh).
.PHONY: run test setup bench lint screenshot installer soak portability

run: setup
	.venv/bin/riddlewire

test: setup
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q -ra

setup:
	@scripts/bootstrap.sh

bench: setup
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m bench

# The robustness suites ten times longer (tests/robustness), then docs/reliability.md from their counts.
soak: setup
	RIDDLEWIRE_SOAK=1 QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q tests/robustness --timeout 1800; \
		status=$$?; .venv/bin/python -m tests.robustness.scorecard; exit $$status

lint: setup
	.venv/bin/ruff check engine desktop tests bench scripts installers
	.venv/bin/ruff format --check engine desktop tests bench scripts installers

# The Linux bundle (PyInstaller one-folder + tar.gz), then its --self-test outside any venv.
installer:
	installers/linux/build.sh

# Riddle under emulated CPUs without AVX-512 (and without AVX): qemu-user, see bench/portability.py.
portability: setup
	@command -v qemu-x86_64 >/dev/null || { echo "needs qemu-user: apt-get install qemu-user" >&2; exit 2; }
	.venv/bin/python -m bench.portability
