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

test: $(VENV)/.installed  ## the whole test suite (PostgreSQL tests run when NHACVIEC_TEST_DATABASE_URL is set)
	$(BIN)/pytest $(ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check scheduler bot tests bench
	$(BIN)/mypy scheduler bot

bench: $(VENV)/.installed
	$(BIN)/python bench/register_scale.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
