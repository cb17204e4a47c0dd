"""The README is a contract: every `nhacviec …` line in its code blocks and command table is accepted by
the real CLI parser, and every environment variable the code reads is documented in it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from bot.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")

# Sample values for the table's placeholders, valid for the option that takes them.
PLACEHOLDERS = {
    '"<phrase>"': "'trong tháng 5/2022'",
    '"<code or name>"': "'Bùi Thị K'",
    "FILE": "data/register.yaml",
    "PATH": "out",
    "D": "2022-04-08",
    "N": "7",
    "U": "ubnd",
    "S": "active",
    "R": "member",
    "OFFICIAL": "bi-thu",
    "URL": "https://bot.example.vn/x",
    "HOST:PORT": "0.0.0.0:8443",
    "DRAFT": "draft.yaml",
    "REGISTER": "data/register.yaml",
}


def code_block_lines() -> list[str]:
    lines, inside = [], False
    for line in README.splitlines():
        if line.startswith("```"):
            inside = not inside
            continue
        command = line.split(" #", 1)[0].strip()
        if inside and command.startswith("nhacviec "):
            lines.append(command)
    return lines


def table_synopses() -> list[str]:
    return [m for m in re.findall(r"^\| `(nhacviec [^`]+)` \|", README, flags=re.M)]


def expand(synopsis: str) -> list[str]:
    """One command line per alternative of each `a\\|b` choice (the others at their first), brackets opened."""
    text = synopsis.replace("\\|", "|")
    groups = re.findall(r"\[([^\[\]]*)\]", text)
    plain = re.sub(r"\[([^\[\]]*)\]", r"\1", text)
    variants = {plain}
    for choice in re.findall(r"(\S+(?:\|\S+)+)", plain):
        for alternative in choice.split("|"):
            variants.add(plain.replace(choice, alternative))
    assert groups or variants
    out = []
    for variant in sorted(variants):
        words = []
        for word in shlex.split(variant.replace('"<', "'\"<").replace('>"', ">\"'")):
            words.append(PLACEHOLDERS.get(word, word))
        line = " ".join(words)
        line = re.sub(r"(\S+\|\S+)", lambda m: m.group(1).split("|")[0], line)
        out.append(line)
    return out


README_COMMANDS = sorted({*code_block_lines(), *(v for s in table_synopses() for v in expand(s))})


def test_the_readme_has_commands_to_check() -> None:
    assert len(code_block_lines()) >= 10 and len(table_synopses()) >= 15


@pytest.mark.parametrize("line", README_COMMANDS)
def test_every_readme_command_line_is_accepted_by_the_cli_parser(line: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = shlex.split(line)[1:]
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"the README says `{line}`, the parser refuses it: {capsys.readouterr().err.strip()}")
    assert callable(args.func)


def variables_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for folder in ("scheduler", "bot"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            names.update(re.findall(r"\"(NHACVIEC_[A-Z_]+)\"", source))
            names.update(re.findall(r"(?:environ\.get|environ\[|getenv)\(?\"([A-Z_]+)\"", source))
    return names


def test_every_environment_variable_the_code_reads_is_in_the_readme() -> None:
    names = variables_read_by_the_code()
    assert {"NHACVIEC_TELEGRAM_TOKEN", "NHACVIEC_LOG_LEVEL", "NO_COLOR"} <= names
    missing = sorted(n for n in names if f"`{n}" not in README)
    assert not missing, f"read by the code, not documented in README.md: {missing}"


@pytest.mark.parametrize(
    "command",
    ["tasks", "overdue", "upcoming", "remind --dry-run", "report", "ical --unit ubnd"],
)
def test_every_query_command_takes_today_and_json_as_the_readme_says(command: str) -> None:
    assert f"`{command.split()[0]}`" in README.split("Every query command", 1)[1].split(")", 1)[0]
    args = build_parser().parse_args([*command.split(), "--today", "2022-04-08", "--json"])
    assert args.today == "2022-04-08" and args.json


def test_run_help_mentions_zalo(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--help"])
    text = capsys.readouterr().out
    assert "Zalo" in text and "zalo" in text and "all" in text


def test_every_deadline_phrase_the_readme_lists_is_read() -> None:
    from datetime import date

    from scheduler.deadlines import parse_deadline

    paragraph = README.split("**Deadline phrases**", 1)[1].split("An unknown phrase", 1)[0]
    skip = ("scheduler/deadlines.py", "holidays", "due", "rrule")
    phrases = [p for p in re.findall(r"`([^`]+)`", paragraph) if p not in skip and "X" not in p]
    phrases = [p.replace(" …", " ngày 1/3/2022") for p in phrases]
    phrases = [v for p in phrases for v in ([p.replace("đầu/giữa/cuối", w) for w in ("đầu", "giữa", "cuối")]
                                           if "/giữa/" in p else [p])]  # fmt: skip
    assert len(phrases) >= 20
    for phrase in phrases:
        deadline = parse_deadline(phrase, date(2022, 1, 10))
        assert deadline.due is not None or deadline.rrule is not None, phrase
