# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs the project into it the first time (and again when pyproject.toml changes).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	@echo "nhacviec: đang tạo $(VENV) và cài đặt chương trình cùng các thư viện (lần đầu mất khoảng một phút)…"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -qq --disable-pip-version-check --upgrade pip
	@$(BIN)/pip install -qq --disable-pip-version-check -e ".[dev]"
	@touch $@
	@echo "nhacviec: đã cài xong; lệnh là $(BIN)/nhacviec (hoặc chạy 'source $(BIN)/activate' rồi gõ nhacviec)."

demo: $(VENV)/.installed  ## the console demo on the Thường Xuân register (SQLite, no token needed)
	$(BIN)/nhacviec demo $(ARGS)

EMULATOR := tests/e2e/emulator

# The Telegram Bot API emulator of tests/e2e/test_emulator.py (npm's telegram-test-api, pinned by its lockfile);
# skipped without npm, in which case that one test is skipped too (it fails instead when CI is set).
$(EMULATOR)/node_modules/.installed: $(EMULATOR)/package.json $(EMULATOR)/package-lock.json
	@if command -v npm >/dev/null; then \
		cd $(EMULATOR) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "nhacviec: không có npm, bỏ qua phép thử với trình giả lập Bot API (tests/e2e/test_emulator.py)"; fi

test: $(VENV)/.installed $(EMULATOR)/node_modules/.installed  ## the whole test suite (PostgreSQL tests run when NHACVIEC_TEST_DATABASE_URL is set)
	$(BIN)/pytest $(ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check scheduler bot tests bench
	$(BIN)/mypy scheduler bot

bench: $(VENV)/.installed
	$(BIN)/python bench/register_scale.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
