"""Finding the register's units in running text: "BCH Đoàn TN thị trấn", "Ủy ban nhân dân thị trấn" …

Names are compared in one form (`key`): lower case, NFC, the tone mark where the new spelling puts it
("uỷ" → "ủy"), the usual abbreviations (UBND, HĐND, MTTQ, BCH, BTV, CBCC, Đoàn TN, and the fields of departments:
GDĐT, KHĐT, TNMT, NNPTNT, LĐTBXH), no punctuation.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from scheduler.register.file import Register

# Old and new places of the tone mark ("uỷ"/"ủy") and the abbreviations documents use for bodies.
_TONES = {"uỷ": "ủy", "uý": "úy", "uỳ": "ùy", "uỹ": "ũy", "uỵ": "ụy", "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa",
          "oạ": "ọa", "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe"}  # fmt: skip
# Only at the end of a syllable ("hoà", "uỷ"), never inside one ("soát", "toán") nor after q ("quý").
_OLD_TONE = re.compile(r"(?<!q)(?:" + "|".join(_TONES) + r")\b")
_ABBREVIATIONS = [
    ("ủy ban nhân dân", "ubnd"),
    ("hội đồng nhân dân", "hđnd"),
    ("ủy ban mặt trận tổ quốc việt nam", "mttq"),
    ("ủy ban mặt trận tổ quốc", "mttq"),
    ("mặt trận tổ quốc việt nam", "mttq"),
    ("mặt trận tổ quốc", "mttq"),
    ("ban chấp hành", "bch"),
    ("ban thường vụ", "btv"),
    ("cán bộ công chức", "cbcc"),
    ("cán bộ, công chức", "cbcc"),
    ("đoàn thanh niên cộng sản hồ chí minh", "đoàn tn"),
    ("đoàn tncs hồ chí minh", "đoàn tn"),
    ("đoàn thanh niên", "đoàn tn"),
    ("ban chỉ huy quân sự", "ban chqs"),
    # the ministries' and departments' fields, long and short ("Sở Giáo dục và Đào tạo", "Sở GD&ĐT", "Sở GDĐT")
    ("giáo dục và đào tạo", "gdđt"),
    ("giáo dục - đào tạo", "gdđt"),
    ("gd&đt", "gdđt"),
    ("gd-đt", "gdđt"),
    ("gd - đt", "gdđt"),
    ("kế hoạch và đầu tư", "khđt"),
    ("kh&đt", "khđt"),
    ("tài nguyên và môi trường", "tnmt"),
    ("tn&mt", "tnmt"),
    ("nông nghiệp và phát triển nông thôn", "nnptnt"),
    ("nn&ptnt", "nnptnt"),
    ("lao động - thương binh và xã hội", "lđtbxh"),
    ("lđ-tb&xh", "lđtbxh"),
    ("lđtb&xh", "lđtbxh"),
]
_PUNCTUATION = re.compile(r"[^\w\s/]+")


@lru_cache(maxsize=65536)
def key(text: str) -> str:
    """A comparable form: lower case, NFC, one tone placement, the usual abbreviations, no punctuation."""
    out = _OLD_TONE.sub(lambda m: _TONES[m.group()], unicodedata.normalize("NFC", text).lower())
    for long, short in _ABBREVIATIONS:
        if long in out:
            out = out.replace(long, short)
    return " ".join(_PUNCTUATION.sub(" ", out).split())


@dataclass(frozen=True)
class Mention:
    """A unit or group named in a clause, by word position in the clause's key."""

    start: int
    end: int
    code: str


class UnitIndex:
    """Every name and alias of the register's units and groups, for finding them in running text."""

    def __init__(self, register: Register) -> None:
        self.names: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        entries = [(g.code, g.name, g.aliases) for g in register.groups]
        entries += [(u.code, u.name, u.aliases) for u in register.units]
        for code, name, aliases in entries:
            self.labels[code] = name
            for text in (name, *aliases):
                self.names.setdefault(key(text), code)
        for text, code in list(self.names.items()):  # "Công an thị trấn" is also "Công an", when unique
            for suffix in (" thị trấn", " xã", " phường"):
                short = text.removesuffix(suffix)
                if short != text and len(short.split()) >= 2:
                    self.names.setdefault(short, code)
        self.first_words = {name.split()[0] for name in self.names}
        lengths: dict[str, set[int]] = {}
        for name in self.names:
            lengths.setdefault(name.split()[0], set()).add(len(name.split()))
        # the word counts of the names that begin with a word, longest first: only those are tried
        self._lengths = {w: sorted(n, reverse=True) for w, n in lengths.items()}
        self._closest: dict[str, list[str]] = {}
        self.longest = max((len(n.split()) for n in self.names), default=1)

    def mentions(self, words: list[str]) -> list[Mention]:
        """Units named in a clause (as key words), longest name first, with lists sharing a head noun.

        "các chi đoàn trường THCS, Tiểu học" names two units: the second borrows "chi đoàn trường".
        """
        found: list[Mention] = []
        count = len(words)
        after = 0  # the first word after the last name found
        for i in [k for k, w in enumerate(words) if w in self._lengths]:
            if i < after:
                continue
            for length in self._lengths[words[i]]:
                if length > count - i:
                    continue
                code = self.names.get(" ".join(words[i : i + length]))
                if code:
                    found.append(Mention(i, i + length, code))
                    found += self._shared_head(words, i, i + length)
                    after = found[-1].end
                    break
        return found

    def _shared_head(self, words: list[str], start: int, end: int) -> list[Mention]:
        more: list[Mention] = []
        head = words[start:end]
        at = end
        while at < len(words) and words[at] in ("và", "các"):
            at += 1
        for _ in range(4):
            for cut in range(len(head) - 1, 0, -1):
                for tail in (3, 2, 1):
                    name = " ".join(head[:cut] + words[at : at + tail])
                    if at + tail <= len(words) and name in self.names and words[at] not in self.first_words:
                        more.append(Mention(at, at + tail, self.names[name]))
                        at += tail
                        break
                else:
                    continue
                break
            else:
                return more
            while at < len(words) and words[at] == "và":
                at += 1
        return more

    def closest(self, text: str) -> list[str]:
        """The names nearest to an unknown one, for the review list."""
        name = key(text)
        if name not in self._closest:
            near = difflib.get_close_matches(name, list(self.names), n=3, cutoff=0.5)
            self._closest[name] = list(dict.fromkeys(self.labels[self.names[n]] for n in near))
        return self._closest[name]
