# The two commands in the README. Each sets up .venv itself (scripts/bootstrap.sh).
.PHONY: run test setup bench lint screenshot installer

run: setup
	.venv/bin/riddlewire

test: setup
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q -ra

setup:
	@scripts/bootstrap.sh

bench: setup
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m bench

lint: setup
	.venv/bin/ruff check engine desktop tests bench

# The Linux bundle (PyInstaller one-folder + tar.gz), then its --self-test outside any venv.
installer:
	installers/linux/build.sh
