"""The deadline grammar: every phrase family resolves to the last day that still meets it."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cli import main
from scheduler.deadlines import (
    DeadlineError,
    find_deadlines,
    first_routine_day,
    next_occurrence,
    parse_deadline,
    routine_days,
)

DOC = date(2022, 4, 7)  # the Thường Xuân conclusion

CASES = [
    # exact dates in every way officials write them
    ("ngày 15/10/2023", date(2023, 10, 15)),
    ("15-10-2023", date(2023, 10, 15)),
    ("15.10.2023", date(2023, 10, 15)),
    ("ngày 15 tháng 10 năm 2023", date(2023, 10, 15)),
    ("15 / 6 / 2022", date(2022, 6, 15)),  # stray spaces as in scanned-then-typed text
    ("15/6", date(2022, 6, 15)),  # missing year: the document's
    ("15/6/22", date(2022, 6, 15)),  # two-digit year
    # "before X" is the day before; "at the latest X" is X
    ("trước ngày 15/6/2022", date(2022, 6, 14)),
    ("trước ngày 1/7", date(2022, 6, 30)),
    ("chậm nhất ngày 30/6/2022", date(2022, 6, 30)),
    ("chậm nhất là ngày 30/6", date(2022, 6, 30)),
    ("hạn chót 30/6/2022", date(2022, 6, 30)),
    # months, early/mid/late month (thượng, trung, hạ tuần)
    ("trong tháng 5/2022", date(2022, 5, 31)),
    ("hoàn thành trong tháng 4/2022", date(2022, 4, 30)),
    ("tháng 5 năm 2022", date(2022, 5, 31)),
    ("tháng 2/2024", date(2024, 2, 29)),  # leap year
    ("trong tháng 5", date(2022, 5, 31)),
    ("đầu tháng 6", date(2022, 6, 10)),
    ("giữa tháng 6/2022", date(2022, 6, 20)),
    ("cuối tháng 6/2022", date(2022, 6, 30)),
    ("trước tháng 5/2022", date(2022, 4, 30)),
    # quarters, Arabic and Roman
    ("quý 2/2022", date(2022, 6, 30)),
    ("quý II năm 2022", date(2022, 6, 30)),
    ("trong quý 2 năm 2022", date(2022, 6, 30)),
    ("dự kiến hoàn thành trong quý 2/2022", date(2022, 6, 30)),
    ("Quý IV", date(2022, 12, 31)),
    ("trước quý 3/2022", date(2022, 6, 30)),
    # parts of the year
    ("6 tháng đầu năm", date(2022, 6, 30)),
    ("9 tháng đầu năm 2022", date(2022, 9, 30)),
    ("6 tháng cuối năm", date(2022, 12, 31)),
    ("giữa năm", date(2022, 6, 30)),
    ("giữa năm 2022", date(2022, 6, 30)),
    ("đầu năm 2023", date(2023, 3, 31)),
    ("cuối năm", date(2022, 12, 31)),
    ("cuối năm 2022", date(2022, 12, 31)),
    ("trong năm 2022", date(2022, 12, 31)),
    ("năm 2022", date(2022, 12, 31)),
    ("trong năm", date(2022, 12, 31)),
    # the school summer break ends with August; the source document misspells it "nghĩ hè"
    ("dịp nghỉ hè", date(2022, 8, 31)),
    ("trong dịp nghĩ hè năm 2022", date(2022, 8, 31)),
    # relative periods count from the day after the event (civil-law counting)
    ("trong 15 ngày kể từ ngày 10/4/2022", date(2022, 4, 25)),
    ("trong 15 ngày", date(2022, 4, 22)),
    ("trong vòng 10 ngày kể từ ngày ký", date(2022, 4, 17)),
    # working days skip the weekend and 30/4, 1/5 with their observed days (2/5, 3/5)
    ("trong 5 ngày làm việc kể từ ngày 29/4/2022", date(2022, 5, 10)),
    # "vào" before a period, dashed and dotted years
    ("vào tháng 7-2019", date(2019, 7, 31)),
    ("vào quý IV-2019", date(2019, 12, 31)),
    ("trong quý IV.2019", date(2019, 12, 31)),
    ("vào cuối tháng 4-2020", date(2020, 4, 30)),
    ("trước tháng 7.2020", date(2020, 6, 30)),
    ("trước ngày 10.3.2020", date(2020, 3, 9)),
    ("vào khoảng giữa tháng 4/2025", date(2025, 4, 20)),
    # early and late quarter, mid-month, before the end of a month
    ("vào đầu quý I/2025", date(2025, 1, 31)),  # the quarter's first month
    ("cuối quý 3/2022", date(2022, 9, 30)),
    ("vào trung tuần tháng 9 năm 2018", date(2018, 9, 20)),
    ("thượng tuần tháng 5", date(2022, 5, 10)),
    ("trước cuối tháng 5", date(2022, 5, 30)),
    # ranges and pairs of days and months end with their last day
    ("từ tháng 7 đến tháng 12-2019", date(2019, 12, 31)),
    ("từ ngày 5-5-2021 đến 18-5-2021", date(2021, 5, 18)),
    ("từ 24-4 đến hết 26-4", date(2022, 4, 26)),
    ("từ ngày 12- 17/6", date(2022, 6, 17)),
    ("trong tháng 3 và 4 năm 2010", date(2010, 4, 30)),
    ("Ngày 14 và 15/8/2017", date(2017, 8, 15)),
    ("trong 02 ngày 13,14 tháng 12 năm 2018", date(2018, 12, 14)),
    # at the latest, with a time of day, spelled-out numbers, the end mark, a named day
    ("chậm nhất vào ngày 25-4-2019", date(2019, 4, 25)),
    ("chậm nhất đến ngày 13/4/2021", date(2021, 4, 13)),
    ("chậm nhất ngày 06 (sáu) tháng 06 (sáu)", date(2022, 6, 6)),  # not the 30th of June
    ("trước 14 giờ, ngày 05/12/2017", date(2017, 12, 5)),  # before 2 pm on the day: due that day
    ("từ 2-5 đến 17 giờ ngày 10-5", date(2022, 5, 10)),
    ("vào lúc 06g 00 phút, ngày 29/4/2022", date(2022, 4, 29)),
    ("vào sáng ngày 01/03", date(2022, 3, 1)),
    ("8/6/2021./.", date(2021, 6, 8)),
    ("trước ngày Sinh nhật Bác (19/5)", date(2022, 5, 18)),
    # day and month, the year in words
    ("trước ngày 15/6 năm 2023", date(2023, 6, 14)),  # not the document's year
    # "chậm nhất" before a period is the period
    ("chậm nhất trong tháng 6/2023", date(2023, 6, 30)),
    ("chậm nhất vào cuối tháng 6/2023", date(2023, 6, 30)),
    ("chậm nhất là cuối tháng 6/2023", date(2023, 6, 30)),
    ("chậm nhất trong quý III/2023", date(2023, 9, 30)),
    # the weekday in brackets repeats the date
    ("ngày 15/6/2023 (thứ Năm)", date(2023, 6, 15)),
    ("trước ngày 30/6/2023 (thứ Sáu)", date(2023, 6, 29)),
    # weeks of a month, the middle of a quarter, halves of a year
    ("trong tuần đầu tháng 5", date(2022, 5, 7)),  # not "đầu tháng 5" (the 10th)
    ("tuần cuối tháng 6/2023", date(2023, 6, 30)),
    ("giữa quý II/2023", date(2023, 5, 31)),  # the quarter's middle month, not its end
    ("nửa đầu năm 2024", date(2024, 6, 30)),  # not "đầu năm" (31 March)
    ("nửa cuối năm 2024", date(2024, 12, 31)),
    ("trước cuối năm 2023", date(2023, 12, 30)),
    # pairs of quarters and of months that each name their year
    ("trong quý I và quý II năm 2024", date(2024, 6, 30)),  # not quarter I of the document's year
    ("quý III, IV/2023", date(2023, 12, 31)),
    ("trong tháng 12/2023 và tháng 1/2024", date(2024, 1, 31)),
    # a range of dates written with a dash
    ("từ ngày 01/6/2023 - 15/6/2023", date(2023, 6, 15)),
    ("từ 15/6 - 20/6/2023", date(2023, 6, 20)),
    # a period without "từ", the last day of it
    ("10/3/2023 đến ngày 02/4/2023", date(2023, 4, 2)),
    ("Ngày 3/5-12/5/2023", date(2023, 5, 12)),
    # a day of the year after the document's
    ("chậm nhất ngày 20/2 năm sau", date(2023, 2, 20)),
    ("trước ngày 10/01 năm sau", date(2023, 1, 9)),
    ("trước ngày 10 của tháng 5 năm 2023", date(2023, 5, 9)),
]


@pytest.mark.parametrize(("phrase", "due"), CASES)
def test_phrase_resolves_to_last_day_that_meets_it(phrase: str, due: date) -> None:
    found = parse_deadline(phrase, DOC)
    assert found.due == due
    assert found.rrule is None
    assert found.text == phrase  # kept verbatim


RECURRING = [
    ("hằng tuần", "FREQ=WEEKLY;BYDAY=SU"),  # the week ends on Sunday
    ("hàng tuần", "FREQ=WEEKLY;BYDAY=SU"),  # both spellings are in use
    ("sáng thứ 2 hằng tuần", "FREQ=WEEKLY;BYDAY=MO"),
    ("chiều thứ sáu hàng tuần", "FREQ=WEEKLY;BYDAY=FR"),
    ("hằng tháng", "FREQ=MONTHLY;BYMONTHDAY=-1"),
    ("trước ngày 20 hằng tháng", "FREQ=MONTHLY;BYMONTHDAY=19"),
    ("ngày 5 hằng tháng", "FREQ=MONTHLY;BYMONTHDAY=5"),
    ("định kỳ hằng quý", "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1"),
    ("hằng năm", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"),
    # yearly dates: not "every 31 December"
    ("trước ngày 20 tháng 10 hằng năm", "FREQ=YEARLY;BYMONTH=10;BYMONTHDAY=19"),
    ("vào ngày 5-9 hàng năm", "FREQ=YEARLY;BYMONTH=9;BYMONTHDAY=5"),
    ("trước ngày 1/3 hằng năm", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"),
    ("tháng 10 hằng năm", "FREQ=YEARLY;BYMONTH=10;BYMONTHDAY=-1"),
    # several days of each month; a day of each month only in some months; a day of a quarter's month
    ("vào ngày 10 và 20 hằng tháng", "FREQ=MONTHLY;BYMONTHDAY=10,20"),
    ("trước ngày 5, 15 và 25 hàng tháng", "FREQ=MONTHLY;BYMONTHDAY=4,14,24"),
    ("ngày 08 hằng tháng (từ tháng 3 đến tháng 6)", "FREQ=YEARLY;BYMONTH=3,4,5,6;BYMONTHDAY=8"),
    ("trước ngày 10 tháng cuối cùng của mỗi quý", "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=9"),
    ("chậm nhất ngày 15 tháng đầu của mỗi quý", "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=15"),
    ("trước ngày 10 của tháng", "FREQ=MONTHLY;BYMONTHDAY=9"),  # a monthly report's rule: of each month
]


@pytest.mark.parametrize(("phrase", "rule"), RECURRING)
def test_recurring_phrase_gives_an_rrule(phrase: str, rule: str) -> None:
    found = parse_deadline(phrase, DOC)
    assert found.due is None
    assert found.rrule == rule


def test_monday_flag_ceremony_first_occurs_on_the_monday_after_the_conclusion() -> None:
    rule = parse_deadline("sáng thứ 2 hằng tuần", DOC).rrule
    assert rule is not None
    assert next_occurrence(rule, DOC, DOC) == date(2022, 4, 11)
    assert next_occurrence(rule, DOC, date(2022, 4, 12)) == date(2022, 4, 18)


# (phrase, event?) — an event is held on its day; a deadline is met by its day
ROUTINE_KINDS = [
    ("sáng thứ 2 hằng tuần", True),  # giao ban, chào cờ
    ("định kỳ ngày 5 hằng tháng", True),  # họp chi bộ định kỳ
    ("vào ngày 5-9 hàng năm", True),  # khai giảng
    ("hằng ngày", True),
    ("trước ngày 20 hằng tháng", False),  # báo cáo
    ("chậm nhất ngày 25 hằng tháng", False),
    ("trước ngày 20 tháng 10 hằng năm", False),
    ("hằng tháng", False),  # by the month's end
    ("hằng tuần", False),
    ("định kỳ hằng quý", False),
]


@pytest.mark.parametrize(("phrase", "event"), ROUTINE_KINDS)
def test_the_grammar_tells_a_recurring_event_from_a_recurring_deadline(phrase: str, event: bool) -> None:
    found = parse_deadline(phrase, DOC)
    assert found.rrule is not None and found.event is event
    assert found.kind == ("event" if event else "deadline")


def test_the_flag_ceremony_is_skipped_on_the_holiday_mondays() -> None:
    rule = parse_deadline("sáng thứ 2 hằng tuần", DOC).rrule or ""
    # 11/4/2022 (Hùng Kings, observed) and 2/5/2022 (observed for 30/4–1/5) are days off
    assert routine_days(rule, DOC, DOC, date(2022, 5, 15), True) == (
        date(2022, 4, 18),
        date(2022, 4, 25),
        date(2022, 5, 9),
    )
    assert first_routine_day(rule, DOC, True) == date(2022, 4, 18)


def test_a_monthly_deadline_on_a_day_off_moves_to_the_working_day_before() -> None:
    rule = parse_deadline("trước ngày 20 hằng tháng", DOC).rrule or ""
    assert routine_days(rule, DOC, DOC, date(2022, 9, 30), False) == (
        date(2022, 4, 19),
        date(2022, 5, 19),
        date(2022, 6, 17),  # Sunday 19/6 → Friday 17/6 (Saturday is off too)
        date(2022, 7, 19),
        date(2022, 8, 19),
        date(2022, 9, 19),
    )
    # the 30th each month: Saturday 30/4/2022 is also a holiday, so Friday 29/4
    assert routine_days("FREQ=MONTHLY;BYMONTHDAY=30", DOC, DOC, date(2022, 5, 31), False) == (
        date(2022, 4, 29),
        date(2022, 5, 30),
    )


def test_a_routine_that_names_the_weekend_keeps_its_day() -> None:
    sundays = routine_days("FREQ=WEEKLY;BYDAY=SU", DOC, DOC, date(2022, 4, 30), True)
    # "ngày chủ nhật xanh" every Sunday; Sunday 10/4/2022 was Hùng Kings' day itself, a holiday
    assert sundays == (date(2022, 4, 17), date(2022, 4, 24))


def test_monthly_before_the_20th_occurs_on_the_19th_of_each_month() -> None:
    rule = parse_deadline("trước ngày 20 hằng tháng", DOC).rrule
    assert rule is not None
    assert next_occurrence(rule, DOC, date(2022, 4, 20)) == date(2022, 5, 19)


ERRORS = [
    ("31/4/2022", "không có thật"),  # April has 30 days
    ("29/2/2023", "không có thật"),  # not a leap year
    ("tháng 13/2022", "tháng 13"),
    ("quý 5/2022", "quý 5"),
    ("sớm nhất có thể", "không nhận ra"),
    ("trong quý 2 và cả năm 2022", "không nhận ra"),  # two deadlines in one phrase: a person decides
    ("ngày 15 và 12/8/2017", "ngày đầu phải trước"),  # a pair out of order is not guessed
    ("tháng 9 và 4 năm 2010", "không đứng trước"),
    ("từ lúc nào đó đến 30/6", "không nhận ra"),  # a range must start with a date
    ("quý IV và quý II năm 2024", "không đứng trước"),  # a pair of quarters out of order
    ("trong tháng 1/2024 và tháng 12/2023", "tháng đầu phải trước"),
    ("", "trống"),
    ("20/4/2023 đến ngày 02/4/2023", "ngày đầu phải trước"),  # a period backwards is not guessed
    ("2/9/1945 - 2/9/2023", "hơn một năm"),  # an anniversary, not a period
    ("ngày 20 và 10 hằng tháng", "theo thứ tự"),
    ("ngày 08 hằng tháng (từ tháng 9 đến tháng 3)", "không đứng trước"),
]


@pytest.mark.parametrize(("phrase", "reason"), ERRORS)
def test_unknown_or_impossible_phrase_is_reported_not_guessed(phrase: str, reason: str) -> None:
    with pytest.raises(DeadlineError) as excinfo:
        parse_deadline(phrase, DOC)
    assert reason in str(excinfo.value)
    assert repr(phrase) in str(excinfo.value)  # the message names the phrase


@pytest.mark.parametrize(
    ("sentence", "phrase", "due"),
    [
        ("Các xã bầu trưởng thôn trong nửa đầu năm 2024.", "trong nửa đầu năm 2024", date(2024, 6, 30)),
        ("Nộp báo cáo trong tuần đầu tháng 5/2023 để tổng hợp.", "trong tuần đầu tháng 5/2023", date(2023, 5, 7)),
        ("Đại hội tổ chức trong quý I và quý II năm 2024.", "trong quý I và quý II năm 2024", date(2024, 6, 30)),
        ("Huyện phê duyệt đề án trong Quý III.", "trong Quý III", date(2022, 9, 30)),  # no digit, no year
        (
            "Các xã gửi báo cáo trước ngày 10 của tháng 5 năm 2023.",
            "trước ngày 10 của tháng 5 năm 2023",
            date(2023, 5, 9),
        ),  # fmt: skip
    ],
)
def test_running_text_reads_the_whole_new_phrase(sentence: str, phrase: str, due: date) -> None:
    found = find_deadlines(sentence, DOC)
    assert [(f.deadline.text, f.deadline.due) for f in found] == [(phrase, due)]


@pytest.mark.parametrize(
    ("phrase", "due"),
    [
        ("Thứ 4 18/5", date(2022, 5, 18)),
        ("THỨ SÁU (20/5/2022)", date(2022, 5, 20)),
        ("Chủ nhật, 22/5", date(2022, 5, 22)),
    ],
)
def test_a_calendar_day_heading_with_its_weekday_is_that_day(phrase: str, due: date) -> None:
    assert parse_deadline(phrase, DOC).due == due


def test_a_weekday_that_is_not_the_dates_is_reported() -> None:
    with pytest.raises(DeadlineError, match="không phải thứ"):
        parse_deadline("Thứ 3 18/5/2022", DOC)


def test_an_outline_number_opening_a_line_is_not_a_date() -> None:
    found = find_deadlines("3.2. Rà soát hồ sơ các hộ | Tháng 04/2023", DOC)
    assert [(f.deadline.text, f.deadline.due) for f in found] == [("Tháng 04/2023", date(2023, 4, 30))]


def test_the_day_of_a_month_the_text_does_not_name_is_not_read_as_every_month() -> None:
    assert find_deadlines("Các xã gửi báo cáo trước ngày 10 của tháng sau.", DOC) == []  # which month: not guessed


def test_missing_year_without_document_date_is_an_error() -> None:
    with pytest.raises(DeadlineError, match="thiếu năm"):
        parse_deadline("15/6", None)


@given(st.text(max_size=80))
def test_any_text_either_resolves_or_raises_deadline_error(text: str) -> None:
    try:
        found = parse_deadline(text, DOC)
    except DeadlineError as exc:
        assert exc.phrase == text.strip()
        return
    assert (found.due is None) != (found.rrule is None)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_every_real_date_written_as_day_month_year_resolves_to_itself(day: date) -> None:
    assert parse_deadline(f"ngày {day.day}/{day.month}/{day.year}").due == day
    assert parse_deadline(f"trước ngày {day:%d-%m-%Y}").due == day.fromordinal(day.toordinal() - 1)


def test_cli_prints_json_for_a_keeper(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deadline", "trong tháng 5/2022", "--doc-date", "2022-04-07", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "text": "trong tháng 5/2022",
        "due": "2022-05-31",
        "rrule": None,
        "kind": "deadline",
    }
    assert main(["deadline", "sáng thứ 2 hằng tuần", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["rrule"] == "FREQ=WEEKLY;BYDAY=MO" and found["kind"] == "event"


def test_cli_reports_unknown_phrase_with_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deadline", "khi nào xong thì thôi"]) == 2
    assert "khi nào xong thì thôi" in capsys.readouterr().err


def test_tet_phrases_count_from_the_first_day_of_tet_in_the_law_s_calendar() -> None:
    january = date(2024, 1, 10)  # Tết Giáp Thìn fell on Saturday 10/02/2024
    assert parse_deadline("trước Tết Nguyên đán", january).due == date(2024, 2, 9)
    assert parse_deadline("mùng 6 Tết", january).due == date(2024, 2, 15)
    assert parse_deadline("từ mùng 3 - mùng 5 Tết", january).due == date(2024, 2, 14)
    assert parse_deadline("trước Tết Ất Tỵ 2025", january).due == date(2025, 1, 28)  # Tết 2025: 29/01
    assert parse_deadline("trước Tết", date(2024, 3, 1)).due == date(2025, 1, 28)  # the next Tết, not the last
    with pytest.raises(DeadlineError):
        parse_deadline("trước Tết")  # which Tết, with no date to count from, is not guessed
    with pytest.raises(DeadlineError):
        parse_deadline("mùng 15 Tết", january)  # past the days of Tết: the office writes the solar date


def test_a_tet_phrase_is_found_in_running_text_but_not_one_said_after_its_solar_date() -> None:
    text = "Trực từ mùng 1 đến mùng 4 Tết; báo cáo trước 8h00 ngày 13/02/2024 (tức ngày mùng 4 Tết); trước Tết 2 tuần."
    found = [text[f.start : f.end] for f in find_deadlines(text, date(2024, 1, 10))]
    assert "mùng 1 đến mùng 4 Tết" in found and "ngày 13/02/2024" in found
    assert "trước Tết" not in found  # "trước Tết 2 tuần": how long before, which the grammar does not count
