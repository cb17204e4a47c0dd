"""Organisations named in running text, whether or not the register knows them.

A lead is "any organisation-looking noun phrase": a head word of a body (UBND, HĐND, Ủy ban, Sở, Phòng, Ban,
Bộ, Đảng bộ, Chi bộ, Đoàn, Hội, Huyện ủy, Trung tâm, Trường …; a level such as "cấp xã"; a plural such as
"các đơn vị", "các sở, ngành") and what follows it while it still reads as a name: capitalised words,
abbreviations, places and levels ("huyện", "tỉnh", "thị trấn"), and lists of levels ("xã, thị trấn").
Heads that are also common words (Ban, Bộ, Hội, Đoàn, Tổ, Trường, Sở, Phòng) count only when capitalised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Heads that are names in any case; multi-word ones first.
_HEADS_ANY = sorted(
    """ủy ban nhân dân|uỷ ban nhân dân|hội đồng nhân dân|ủy ban mặt trận tổ quốc|ubmttq|ubmttqvn|mặt trận tổ quốc|
    ubnd|hđnd|mttq|đảng bộ|đảng ủy|đảng uỷ|chi bộ|chi đoàn|chi hội|huyện ủy|huyện uỷ|tỉnh ủy|tỉnh uỷ|thành ủy|
    thành uỷ|thị ủy|thị uỷ|quận ủy|cấp ủy|cấp uỷ|hội nông dân|hội liên hiệp phụ nữ|hội lhpn|hội cựu chiến binh|
    hội người cao tuổi|đoàn thanh niên|liên đoàn lao động|công đoàn|công an|ban chỉ huy quân sự|ban chqs|
    văn phòng|thường trực|ban thường vụ|ban chấp hành|btv|bch|chính phủ|quốc hội|thủ tướng|bộ chính trị|
    ban bí thư|trung ương|ủy ban thường vụ quốc hội|cấp xã|cấp huyện|cấp tỉnh|cấp cơ sở|cấp trên cơ sở|
    các cấp ủy|các đơn vị|các địa phương|các sở|các ngành|các cơ quan|các xã|các phường|các huyện|các ấp|
    các chi bộ|các đảng bộ|các trường|các phòng|các ban|các tổ chức|các hội|các đoàn thể|các khu phố|
    các thôn|các bộ|các cơ sở|đơn vị bầu cử|đvbc|ban tổ chức|ban chỉ đạo|tổ đại biểu|các đoàn|
    thí sinh|trường|xã|phường|thị trấn|huyện|tỉnh|ấp|khóm|thôn|khu phố|hnd|hlhpn|hcct|hccb|hội lhpn|
    bậc mầm non|bậc tiểu học|bậc thcs|bậc thpt|cấp mầm non|cấp tiểu học|cấp thcs|cấp thpt|giáo viên|
    các giáo viên|giáo viên chủ nhiệm|gvcn|cđ|cđcs|các cđ|các đội|các công đoàn""".replace("\n", "").split("|"),
    key=lambda h: -len(h.split()),
)
_HEADS_ANY = [h.strip() for h in _HEADS_ANY if h.strip()]
# Heads that are also common words: only with a capital ("Ban Tuyên giáo", not "ban hành").
_HEADS_CAPITAL = ["Sở", "Phòng", "Ban", "Bộ", "Hội", "Đoàn", "Tổ", "Trường", "Trung tâm", "Cục", "Tổng cục",
                  "Chi cục", "Viện", "Bảo tàng", "Thư viện", "Bệnh viện", "Trạm", "Đội", "Cơ quan", "Tiểu ban",
                  "Kho bạc", "Lực lượng", "Ủy ban", "Uỷ ban", "Hội đồng", "HS12", "Nhà văn hóa",
                  "Mặt trận", "Khối", "Khối trưởng", "Tổ trưởng", "Thanh tra"]  # fmt: skip
# Heads that need a name after them to be a body ("xã Khánh Hội", not "xã" alone in "xã hội").
_NEED_NAME = {"xã", "phường", "thị trấn", "huyện", "tỉnh", "ấp", "khóm", "thôn", "khu phố", "bản", "trường",
              "văn phòng", "thường trực"}  # fmt: skip
# Words that go on a name after its head, in lower case.
_TAIL = frozenset(
    [
        "an",
        "bch",
        "binh",
        "biểu",
        "btv",
        "bầu",
        "bộ",
        "chuyên",
        "chính",
        "chấp",
        "chế",
        "chức",
        "các",
        "còn",
        "công",
        "cơ",
        "cấp",
        "cử",
        "du",
        "dân",
        "dục",
        "gia",
        "giáo",
        "hiệp",
        "hoá",
        "hoạch",
        "huy",
        "huyện",
        "hành",
        "hóa",
        "hđnd",
        "học",
        "hội",
        "khóm",
        "khối",
        "kinh",
        "kiểm",
        "kế",
        "lao",
        "liên",
        "luật",
        "lượng",
        "lại",
        "lịch",
        "lực",
        "mttq",
        "môi",
        "môn",
        "nam",
        "nguyên",
        "ngành",
        "nhân",
        "niên",
        "nông",
        "nội",
        "nữ",
        "pháp",
        "phường",
        "phố",
        "phụ",
        "quan",
        "quân",
        "quận",
        "quốc",
        "số",
        "sở",
        "sự",
        "thanh",
        "thao",
        "thuộc",
        "thành",
        "thôn",
        "thương",
        "thường",
        "thể",
        "thị",
        "tra",
        "trang",
        "trung",
        "trên",
        "trường",
        "trấn",
        "trị",
        "trực",
        "tuyên",
        "tài",
        "tư",
        "tạo",
        "tế",
        "tỉnh",
        "tổ",
        "ubnd",
        "uỷ",
        "việt",
        "và",
        "văn",
        "vũ",
        "vận",
        "vị",
        "vụ",
        "xã",
        "y",
        "điểm",
        "đoàn",
        "đua",
        "khen",
        "thưởng",
        "đội",
        "đào",
        "đơn",
        "đại",
        "đạo",
        "đảng",
        "đầu",
        "đồng",
        "động",
        "ương",
        "ấp",
        "ủy",
        # second syllables of agencies' names, written in lower case after a capital: "Phòng Nông nghiệp", "Văn hóa và
        # Thông tin", "Kinh tế và Hạ tầng", "Lao động - Thương binh", "Khoa học và Công nghệ", "Ban Quản lý"
        "nghiệp",
        "tin",
        "thông",
        "dựng",
        "tầng",
        "tải",
        "binh",
        "triển",
        "nghệ",
        "tộc",
        "bạc",
        "hiểm",
        "thập",
        "đỏ",
        "lý",
        # "Ban Giám đốc Sở", "Đoàn Chủ tịch", "Ban Thường trực Ủy ban MTTQ"
        "đốc",
        "tịch",
        "ban",
    ]
)
# Words that end a name: what the body does, or a link to another phrase.
_STOP = frozenset(
    [
        "cho",
        "chọn",
        "có",
        "cùng",
        "cần",
        "của",
        "dự",
        "giao",
        "gửi",
        "họp",
        "khi",
        "là",
        "làm",
        "lập",
        "mà",
        "ngày",
        "nhưng",
        "nhằm",
        "năm",
        "nộp",
        "phải",
        "quý",
        "rà",
        "sau",
        "sẽ",
        "theo",
        "tháng",
        "thì",
        "thăm",
        "trong",
        "trình",
        "trước",
        "tại",
        "từ",
        "về",
        "với",
        "vừa",
        "đang",
        "đã",
        "được",
        "đến",
        "để",
        "ban hành",
        "báo cáo",
        "bắt đầu",
        "chuẩn bị",
        "chỉ đạo",
        "chủ trì",
        "công bố",
        "công khai",
        "dự kiến",
        "giám sát",
        "giải trình",
        "hoàn chỉnh",
        "hoàn thiện",
        "hoàn thành",
        "hoàn tất",
        "khảo sát",
        "khẩn trương",
        "kiểm tra",
        "nghiên cứu",
        "niêm yết",
        "phê duyệt",
        "phối hợp",
        "quyết định",
        "rà soát",
        "tham mưu",
        "thông qua",
        "thẩm tra",
        "thường lệ",
        "thông báo",
        "thông tin",
        "thẩm định",
        "thực hiện",
        "tiến hành",
        "tiếp tục",
        "triển khai",
        "trực tiếp",
        "tuyên truyền",
        "tập trung",
        "tổ chức",
        "tổng hợp",
        "xem xét",
        "xây dựng",
        "yêu cầu",
        "đăng ký",
        "đề nghị",
        "đề xuất",
        "đối với",
    ]
)
_WORD = re.compile(r"[^\s]+")
_PUNCT = "()[]\"“”'.,;:!?"
_LIST_HEADS = frozenset(["ban", "phòng", "sở", "ngành", "đơn", "cơ", "đoàn", "hội"])  # lower case, after a comma
_LEVEL_LIST = {"tỉnh", "thành", "huyện", "xã", "phường", "thị", "quận", "ngành", "địa", "khóm", "ấp", "thôn", "đảng",
               "chi", "cơ", "trường", "lực"}  # fmt: skip


# A head followed by one of these is a common noun or a verb: "Tổ chức Hội nghị", "xã hội", "Hội nghị".
_NOT_A_BODY_PHRASES = frozenset(
    ["tổ chức", "hội nghị", "hội thi", "hội thao", "hội khỏe", "hội khoẻ",
     "hội diễn", "hội trại", "hội thảo", "hội trường", "hội viên", "xã hội",
     "đoàn kết", "đoàn viên", "đoàn giám sát", "ban hành", "bộ máy", "bộ phận", "trường hợp", "phòng chống",
     "phòng ngừa", "phòng, chống", "phòng dịch", "sở cứ", "tổ quốc", "trường học", "ban ngành", "hội đồng",
     "phòng họp", "phòng khánh tiết"]
)  # fmt: skip
_TEAMS = frozenset(["kiểm tra", "giám sát", "công tác", "thẩm định", "liên ngành", "đánh giá", "kiểm soát"])
_BARE_COMMON = frozenset(["Hội", "Ban", "Bộ", "Tổ"])  # alone, a word: "Hội khỏe Phù Đổng", "Ban" of a page
_OFFICES = frozenset(["văn phòng", "thường trực"])
_LEVELS = frozenset(["huyện", "tỉnh", "xã", "phường", "quận", "thị xã", "thành phố"])
_PLACE_NOUNS = frozenset(["hội", "môi", "thị", "chiến", "hiện", "quảng", "nhà", "lập", "công"])
_NOT_A_BODY = frozenset([("ủy ban", "thường"), ("hội", "nghị")])


@dataclass(frozen=True)
class Organisation:
    """An organisation named in a text: its words as written and where they are."""

    name: str
    start: int  # character offsets in the text searched
    end: int
    word: int  # index of its first word


def _clean(word: str) -> str:
    return word.strip(_PUNCT)


def _head_at(words: list[str], i: int) -> int:
    """The number of words of a head starting at word i, or 0."""
    first = _clean(words[i])
    if first.lower() not in _FIRST_ANY and first not in _FIRST_CAPITAL:
        return 0
    for size in (5, 4, 3, 2, 1):
        if i + size > len(words):
            continue
        raw = [_clean(w) for w in words[i : i + size]]
        if any(not r for r in raw) or any(w.endswith((",", ";", ":", ".")) for w in words[i : i + size - 1]):
            continue
        phrase = " ".join(raw)
        if phrase.lower() in _HEADS_ANY_SET:
            return size
        if phrase in _HEADS_CAPITAL_SET:
            return size
    return 0


_HEADS_ANY_SET = frozenset(_HEADS_ANY)
_HEADS_CAPITAL_SET = frozenset(_HEADS_CAPITAL)
_FIRST_ANY = frozenset(h.split()[0] for h in _HEADS_ANY)
_FIRST_CAPITAL = frozenset(h.split()[0] for h in _HEADS_CAPITAL)


def _is_name_word(word: str, following: str = "") -> bool:
    clean = _clean(word)
    if not clean:
        return False
    if clean[:1].isupper() or clean[:1].isdigit() and (len(clean) <= 3 or re.fullmatch(r"\d+(?:,\d+)+", clean)):
        return True  # "Khối 3,4,5", "lớp 5/3"
    lower = clean.lower()
    if lower in _STOP or f"{lower} {_clean(following).lower()}" in _STOP:
        return False
    return lower in _TAIL


@lru_cache(maxsize=8192)
def organisations(text: str) -> tuple[Organisation, ...]:
    """Every organisation-looking noun phrase of `text`, left to right, none inside another."""
    spans = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    words = [w for _s, _e, w in spans]
    found: list[Organisation] = []
    i = 0
    while i < len(words):
        size = _head_at(words, i)
        if not size:
            i += 1
            continue
        head = " ".join(_clean(w) for w in words[i : i + size]).lower()
        following = _clean(words[i + size]).lower() if i + size < len(words) else ""
        previous = _clean(words[i - 1]).lower() if i else ""
        if head == "trường" and previous in _PLACE_NOUNS:
            i += 1
            continue  # "hội trường", "môi trường", "thị trường": a place or a field, not a school
        members = head == "các đoàn" and following in ("viên", "kết")  # "các đoàn viên": members, not delegations
        if (head, following) in _NOT_A_BODY or members or (size == 1 and f"{head} {following}" in _NOT_A_BODY_PHRASES):
            i += 1
            continue
        j = i + size
        while j < len(words) and not words[j - 1].endswith((";", ":", ".", ")")):
            word = words[j]
            if "   " in text[spans[j - 1][1] : spans[j][0]]:
                break  # a wide gap: the next column of a two-column letterhead ("… TRƯỜNG SƠN      CỘNG HÒA …")
            # "UBND các tỉnh, thành phố", "xã, thị trấn": a list of levels goes on; anything else ends it
            if words[j - 1].endswith(","):
                # "Các phòng, ban chuyên môn", "các cơ quan, đơn vị": a list of bodies under one "các"
                low, nxt = _clean(word).lower(), _clean(words[j + 1]).lower() if j + 1 < len(words) else ""
                if _clean(word)[:1].islower() and low in _LIST_HEADS and f"{low} {nxt}" not in _STOP:
                    j += 1
                    continue
                if low not in _LEVEL_LIST:
                    break
            if word.startswith("(") and not word.endswith(")"):
                break
            following = words[j + 1] if j + 1 < len(words) else ""
            if word in ("–", "-") and following[:1].isupper():
                j += 1
                continue
            if _clean(word).lower() == "mới" and _clean(words[j - 1]).lower() == "thôn":
                j += 1  # "Văn phòng nông thôn mới tỉnh"
                continue
            pair = f"{_clean(word)} {_clean(following)}".lower()
            if j == i + size and head in ("đoàn", "tổ") and words[i][:1].isupper() and pair in _TEAMS:
                j += 2  # "Đoàn kiểm tra liên ngành huyện", "Tổ công tác": a team named by what it does
                continue
            if not _is_name_word(word, following):
                break
            if _clean(word).lower() == "và" and not following[:1].isupper():
                break
            j += 1
        while (
            j > i + size
            and _clean(words[j - 1]).lower() in ("và", "số")
            or (
                j > i + size
                and _clean(words[j - 1]).lower() in ("các", "cấp")
                and not words[j - 1].endswith((",", ";"))
                and _clean(words[j - 2]).lower() != "các"
            )
        ):
            j -= 1
        if head in _NEED_NAME and not (_clean(words[i])[:1].isupper() and head == "trường"):
            following = words[i + size] if i + size < len(words) else ""
            counted = i > 0 and (_clean(words[i - 1]).isdigit() or _clean(words[i - 1]).lower() == "các")
            listed = words[i + size - 1].endswith(",") and counted  # "152 xã, phường, thị trấn"
            named = _clean(following)[:1].isupper() or _clean(following)[:1].isdigit() or listed
            # "Văn phòng nông thôn mới tỉnh", "Thường trực Ban Chỉ đạo huyện": a body of a level, named by it
            named = named or (head in _OFFICES and j > i + size + 1 and _clean(words[j - 1]).lower() in _LEVELS)
            if j == i + size or not named:
                i += 1
                continue
        named_before = previous and _clean(words[i - 1])[:1].isupper() and not words[i - 1].endswith(",")
        if head.startswith("cấp ") and named_before:
            i = j
            continue  # "Hội khỏe Phù Đổng cấp tỉnh": the level of an event named before it, not a body
        if j == i + size and size == 1 and _clean(words[i]) in _BARE_COMMON:
            i += 1
            continue  # "Hội khỏe Phù Đổng", "Ban" alone: a common word, no body's name after it
        start, end = spans[i][0], spans[j - 1][1]
        name = text[start:end].rstrip(_PUNCT.replace(")", "")).strip()
        if name.count("(") > name.count(")"):
            name = name[: name.rfind("(")].strip()
        if name:
            found.append(Organisation(name, start, start + len(name), i))
        i = j
    return tuple(found)
