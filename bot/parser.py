"""The command line's own frame in Vietnamese: argparse writes "usage:", "options:" and its errors in English,
and a clerk reads them as part of our answer."""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

_FRAME = [
    (re.compile(r"^usage: ", re.MULTILINE), "cách dùng: "),
    (re.compile(r"^positional arguments:$", re.MULTILINE), "tham số:"),
    (re.compile(r"^options:$", re.MULTILINE), "tùy chọn:"),
    (re.compile(r"show this help message and exit"), "xem phần trợ giúp này rồi thoát"),
]
_ERRORS = [
    (re.compile(r"^the following arguments are required: (.*)$"), r"thiếu \1"),
    (re.compile(r"^unrecognized arguments: (.*)$"), r"không hiểu \1 (xem: nhacviec -h)"),
    (re.compile(r"^argument (\S+): invalid choice: (.*) \(choose from (.*)\)$"), r"\1: không có \2; chọn: \3"),
    (re.compile(r"^argument (\S+): expected one argument$"), r"\1 cần một giá trị"),
    (re.compile(r"^argument (\S+): invalid \S+ value: (.*)$"), r"\1: giá trị \2 không dùng được"),
    (re.compile(r"^ambiguous option: (\S+) could match (.*)$"), r"\1 có thể là \2; hãy viết đủ"),
    (re.compile(r"^argument (\S+): (.*)$"), r"\1: \2"),
]


def _said(text: str, phrases: list[tuple[re.Pattern[str], str]], first_only: bool = False) -> str:
    for pattern, words in phrases:
        text, count = pattern.subn(words, text)
        if first_only and count:
            break
    return text


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose help, usage and errors read in Vietnamese (its subcommands' parsers too)."""

    def format_usage(self) -> str:
        return _said(super().format_usage(), _FRAME)

    def format_help(self) -> str:
        return _said(super().format_help(), _FRAME)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: lỗi: {_said(message, _ERRORS, first_only=True)}\n")
