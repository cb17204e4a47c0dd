"""Drafting rules read on short texts of our own: what a keeper should (and should not) find in the draft.

Each text is a sentence or two of the kind public administrative documents hold, written here for the test;
the assertions are on the dated tasks the keeper would see (due date and lead as written).
"""

from __future__ import annotations

from datetime import date

from scheduler.deadlines import find_deadlines
from scheduler.drafting.extraction import extract
from scheduler.drafting.organisations import organisations
from scheduler.register.importer import load_register
from tests.conftest import REGISTER

UNITS = load_register(REGISTER)


def dated(text: str) -> list[tuple[date | None, list[str]]]:
    return [(t.due, t.lead) for t in extract(text, UNITS).tasks if t.deadline is not None]


def test_a_date_in_brackets_after_the_day_it_names_is_read() -> None:
    text = "Các tổ điều tra có mặt tại địa bàn vào ngày khởi động (15-5-2024)."
    found = [(text[f.start : f.end], f.deadline.due) for f in find_deadlines(text, date(2024, 5, 1))]
    assert found == [("15-5-2024", date(2024, 5, 15))]  # the bracket is not part of the phrase


def test_a_steering_committee_and_delegations_in_lower_case_are_bodies() -> None:
    assert [o.name for o in organisations("ban chỉ đạo cấp xã rà soát danh sách")] == ["ban chỉ đạo cấp xã"]
    assert [o.name for o in organisations("các đoàn có mặt tại hội trường")] == ["các đoàn"]
    assert organisations("các đoàn viên đóng đoàn phí") == ()  # members, not a body


def test_what_was_done_on_a_day_or_is_not_done_on_it_is_no_task() -> None:
    text = (
        "KẾ HOẠCH\nHà Tĩnh, ngày 02 tháng 3 năm 2024\n"
        "Ngày 05/3/2024, Sở Tư pháp ban hành Công văn số 210/STP-VP hướng dẫn các xã.\n"
        "Từ ngày 01/01 đến ngày 28/02, UBND huyện đã tiếp nhận 120 hồ sơ.\n"
        "Ngày 14/3/2024 Thường trực HĐND huyện không tiếp công dân do đi công tác.\n"
        "Ngày 18/3/2024, Sở Tư pháp sẽ ban hành hướng dẫn mới.\n"
        "UBND các xã gửi báo cáo trước ngày 20/3/2024.\n"
    )
    assert dated(text) == [
        (date(2024, 3, 18), ["Sở Tư pháp"]),  # still to come ("sẽ"): a task
        (date(2024, 3, 19), ["UBND các xã"]),
    ]  # the paper issued on 5/3, the counts of January-February, the session called off on 14/3: none


def test_a_reference_instant_and_how_things_stood_on_a_day_are_no_tasks() -> None:
    text = (
        "THÔNG BÁO\nNghệ An, ngày 10 tháng 6 năm 2024\n"
        "Thời điểm thống kê là 0 giờ ngày 1/7/2024.\n"
        "Đến ngày 12/6/2024 vẫn còn 5 xã chưa nộp hồ sơ.\n"
        "Các xã nộp hồ sơ còn thiếu chậm nhất ngày 25/7/2024.\n"
    )
    assert dated(text) == [(date(2024, 7, 25), ["Các xã"])]


def test_a_headline_that_repeats_the_body_s_deadline_is_not_a_second_task() -> None:
    text = (
        "Kinh tế\n"  # the site's section above the headline
        "Hoàn thành đo đạc đất công trước 30/9\n\n"
        "Cập nhật ngày: 02/8/2024 09:10:00\n\n"
        "UBND tỉnh yêu cầu các huyện hoàn thành đo đạc đất công trước ngày 30/9/2024.\n"
    )
    assert dated(text) == [(date(2024, 9, 29), ["các huyện"])]  # the body's sentence, not the headline


def test_a_schedule_s_numbered_items_stay_on_their_day_with_who_prepares_them() -> None:
    text = (
        "LỊCH LÀM VIỆC CỦA LÃNH ĐẠO UBND XÃ HÒA BÌNH\n"
        "THỨ BA (10/03/2026):\n"
        "* SÁNG: 1. Chủ tịch, các Phó Chủ tịch UBND xã: Họp giao ban. (Giao Văn phòng UBND xã chuẩn bị phòng họp)\n"
        "Thành phần tham dự: Đại diện lãnh đạo Phòng Kinh tế.\n"
        "Địa điểm: tại Hội trường UBND xã.\n"
        "2. Phó Chủ tịch UBND xã Lê Văn Hùng:\n"
        "08 giờ 00’: Kiểm tra công trình đường giao thông thôn 5.\n"
        "14 giờ 00’: Đi thăm mô hình trồng rau sạch của thôn 2.\n"
    )
    day = date(2026, 3, 10)
    assert dated(text) == [
        (day, ["UBND xã"]),  # the item's header after the time of day names who holds it
        (day, ["Văn phòng UBND xã"]),  # "(Giao … chuẩn bị …)": a task of its own, the same day
        (day, ["UBND xã Lê Văn Hùng"]),  # each timed line under "2. …:" is an item of the day above
        (day, ["UBND xã Lê Văn Hùng"]),
    ]  # who attends and where are no tasks


def test_a_schedule_table_s_leaders_column_is_the_lead_as_written() -> None:
    text = (
        "LỊCH CÔNG TÁC CỦA THƯỜNG TRỰC UBND HUYỆN\nHòa Bình, ngày 09 tháng 3 năm 2026\n"
        "Ngày | Buổi | Nội dung | Địa điểm | Thường trực UBND huyện\n"
        "Thứ 4 11/3 | Sáng | (8h) Họp Ban Chỉ đạo phòng chống dịch bệnh gia súc | Phòng họp số 2 | PCT Trần Văn Hải\n"
        " |  | (9h30) Nghe báo cáo kết quả 6 tháng đầu năm của ngành nông nghiệp | Phòng họp số 1 | Chủ tịch, các PCT\n"
    )
    assert dated(text) == [
        (date(2026, 3, 11), ["PCT Trần Văn Hải"]),
        (date(2026, 3, 11), ["Chủ tịch, các PCT"]),  # the day above, not the "6 tháng đầu năm" it reports on
    ]


def test_a_head_of_a_body_named_by_one_word_is_kept_with_the_body() -> None:
    text = (
        "LỊCH TIẾP CÔNG DÂN\nNgày 05/01/2026\n2. Giám đốc Sở tiếp công dân:\n"
        "Định kỳ vào ngày 20 hằng tháng, tại phòng tiếp dân (gặp ngày nghỉ thì lùi sang ngày làm việc kế tiếp).\n"
    )
    [task] = extract(text, UNITS).tasks
    assert task.rrule == "FREQ=MONTHLY;BYMONTHDAY=20" and task.lead == ["Giám đốc Sở"]  # "Sở" alone names none


def test_what_citizens_do_for_themselves_is_no_unit_s_task() -> None:
    text = (
        "THÔNG BÁO\nLạng Sơn, ngày 04 tháng 3 năm 2026\n"
        "Ngày 22/3/2026 cử tri toàn tỉnh đi bỏ phiếu bầu trưởng thôn.\n"
        "Công dân nộp đơn đăng ký trước ngày 15 hằng tháng.\n"
        "UBND các xã niêm yết danh sách cử tri trước ngày 12/3/2026.\n"
    )
    assert dated(text) == [(date(2026, 3, 11), ["UBND các xã"])]  # voters and citizens are no unit


def test_an_exam_timetable_is_the_candidates_not_a_list_of_tasks() -> None:
    text = (
        "LỊCH THI\nCao Bằng, ngày 02 tháng 5 năm 2026\n"
        "Ngày thi | Buổi | Bài thi | Thời gian làm bài\n"
        "03.6.2026 | Sáng | Toán | 90 phút\n"
        "03.6.2026 | Chiều | Tiếng Anh | 60 phút\n"
        "Sở Giáo dục và Đào tạo công bố kết quả thi vào ngày 20/6/2026.\n"
    )
    assert dated(text) == [(date(2026, 6, 20), ["Sở Giáo dục và Đào tạo"])]


def test_an_undated_page_takes_the_year_its_headline_names_not_a_cited_law_s() -> None:
    text = (
        "Lịch trực tiếp dân của Bí thư Đảng ủy xã năm 2026\n"
        "Căn cứ Quy định số 11/2019/QĐ-TW ngày 14/02/2019 của Bộ Chính trị;\n"
        "Văn phòng Đảng ủy xã gửi lịch trực trước ngày 20/4 cho các chi bộ.\n"
    )
    assert dated(text) == [(date(2026, 4, 19), ["Văn phòng Đảng ủy xã"])]


def test_a_table_row_spelling_out_a_routine_s_days_is_not_a_month_end_deadline() -> None:
    text = (
        "LỊCH TIẾP CÔNG DÂN\nSơn La, ngày 02 tháng 1 năm 2026\n"
        "Chủ tịch UBND xã tiếp công dân vào thứ 3 hằng tuần.\n"
        "Tháng | Người tiếp | Ngày tiếp\n"
        "Tháng 1 | Lò Văn Minh | Ngày 06; 13; 20; 27 (Thứ 3)\n"
    )
    assert [(t.rrule, t.due) for t in extract(text, UNITS).tasks if t.deadline] == [("FREQ=WEEKLY;BYDAY=TU", None)]


def test_a_report_a_letter_asks_for_without_naming_who_sends_it_is_the_addressee_s() -> None:
    text = (
        "HỘI CỰU CHIẾN BINH TỈNH\nSố: 21/HCCB\nYên Bái, ngày 03 tháng 8 năm 2026\n"
        "Kính gửi: Các huyện hội trực thuộc\n"
        "Để chuẩn bị hội nghị tổng kết, Hội Cựu chiến binh tỉnh hướng dẫn như sau.\n"
        "Thời gian gửi báo cáo chậm nhất là ngày 15/9/2026.\n"
    )
    [task] = [t for t in extract(text, UNITS).tasks if t.deadline]
    assert (task.due, task.lead, task.explicit) == (date(2026, 9, 15), ["Các huyện hội trực thuộc"], False)


def test_a_day_that_names_an_occasion_is_no_deadline() -> None:
    text = (
        "KẾ HOẠCH\nVinh, ngày 02 tháng 3 năm 2026\n"
        "Các chi đoàn ra quân dọn vệ sinh trong tuần cao điểm 26/3.\n"
        "Đợt thi đua chào mừng 8/3: thực hiện từ ngày 01/3/2026 đến hết ngày 10/3/2026.\n"
    )
    assert [due for due, _lead in dated(text)] == [date(2026, 3, 10)]  # not 26/3, not 8/3


def test_a_paper_s_date_a_reviewed_half_year_and_a_count_so_far_are_no_deadlines() -> None:
    text = (
        "Tin hoạt động\n"
        "Thực hiện Công văn ngày 05/3/2026 của UBND tỉnh, Sở Nội vụ hướng dẫn các huyện rà soát biên chế.\n"
        "Theo Kế hoạch của Ban Chỉ đạo ngày 12/01/2026, các xã hoàn thành rà soát trước ngày 30/4/2026.\n"
        "Hội nghị có nhiệm vụ sơ kết tình hình thực hiện nghị quyết của HĐND huyện 6 tháng đầu năm 2026.\n"
        "Từ đầu năm đến ngày 15/3, lực lượng chức năng đã xử lý 45 vụ vi phạm.\n"
    )
    assert dated(text) == [(date(2026, 4, 29), ["các xã"])]


def test_agencies_names_with_lower_case_syllables_are_read_whole() -> None:
    text = "Phòng Nông nghiệp và Phát triển nông thôn, Phòng Văn hóa và Thông tin, Sở Thông tin và Truyền thông"
    names = [o.name for o in organisations(text)]
    assert names == [
        "Phòng Nông nghiệp và Phát triển nông thôn",
        "Phòng Văn hóa và Thông tin",
        "Sở Thông tin và Truyền thông",
    ]
    assert [o.name for o in organisations("UBND huyện thông báo lịch tiếp dân")] == ["UBND huyện"]


def test_a_schedule_line_naming_a_person_has_that_person_and_office_as_lead() -> None:
    text = (
        "LỊCH CÔNG TÁC TUẦN\n(Từ ngày 20/4/2026 đến ngày 24/4/2026)\nThứ Hai, ngày 20/4/2026\n"
        "- 7h30: Đồng chí Bí thư Đảng ủy xã dự chào cờ tại cơ quan.\n"
        "- 14h00: Đồng chí Lò Văn Sinh, Phó Chủ tịch UBND xã kiểm tra công trình thủy lợi.\n"
        "- 16h00: Ông Vi Văn Tú - Chủ tịch UBND xã tiếp công dân.\n"
    )
    day = date(2026, 4, 20)
    assert dated(text) == [
        (day, ["Đồng chí Bí thư Đảng ủy xã"]),
        (day, ["Đồng chí Lò Văn Sinh, Phó Chủ tịch UBND xã"]),
        (day, ["Ông Vi Văn Tú - Chủ tịch UBND xã"]),
    ]


def test_a_plan_item_takes_its_unit_and_time_from_the_detail_lines_below_it() -> None:
    text = (
        "ỦY BAN NHÂN DÂN HUYỆN MƯỜNG LÁT\nMường Lát, ngày 06 tháng 4 năm 2026\n"
        "II. NỘI DUNG\n"
        "1. Tổ chức ra quân làm sạch môi trường\n"
        "- Đơn vị chủ trì: Phòng Tài nguyên và Môi trường huyện\n"
        "- Đơn vị phối hợp: Huyện đoàn\n"
        "- Thời gian thực hiện: Ngày 26/4/2026\n"
        "2. Kiểm tra việc thu gom rác thải tại các chợ\n"
        "- Đơn vị thực hiện: Đoàn kiểm tra liên ngành huyện\n"
        "- Thời gian: Từ ngày 04/5 đến ngày 08/5/2026\n"
    )
    tasks = [t for t in extract(text, UNITS).tasks if t.deadline]
    assert [(t.due, t.lead, t.title.split()[0]) for t in tasks] == [
        (date(2026, 4, 26), ["Phòng Tài nguyên và Môi trường huyện"], "Tổ"),  # the item is the task, not its time
        (date(2026, 5, 8), ["Đoàn kiểm tra liên ngành huyện"], "Kiểm"),
    ]


def test_a_deadline_to_issue_a_decision_does_not_date_the_page() -> None:
    text = (
        "Thời sự\nNinh Bình: hoàn thành sáp nhập thôn trong năm nay\nThứ Năm, 12/11/2026 08:30\n"
        "UBND tỉnh vừa ban hành kế hoạch sáp nhập thôn. Theo kế hoạch, trước ngày 31/12/2026, UBND các huyện ban hành "
        "quyết định sáp nhập.\n"
    )
    draft = extract(text, UNITS)
    assert draft.doc_date == date(2026, 11, 12)  # the page's stamp, not the deadline beside "ban hành quyết định"
    assert [(t.due, t.lead) for t in draft.tasks if t.deadline] == [(date(2026, 12, 30), ["UBND các huyện"])]


def test_a_reception_list_by_day_names_its_people_and_its_title_is_no_task() -> None:
    text = (
        "LỊCH TIẾP CÔNG DÂN THÁNG 6/2026\n"
        "Ngày 04/6/2026: Đồng chí Bí thư Đảng ủy xã tiếp công dân.\n"
        "Ngày 11/6/2026: Đồng chí Chủ tịch UBND xã tiếp công dân.\n"
    )
    assert dated(text) == [
        (date(2026, 6, 4), ["Đồng chí Bí thư Đảng ủy xã"]),
        (date(2026, 6, 11), ["Đồng chí Chủ tịch UBND xã"]),
    ]  # the headline's month is the period the list covers


def test_a_work_programme_s_month_and_quarter_headings_date_the_lines_below() -> None:
    text = (
        "CHƯƠNG TRÌNH CÔNG TÁC NĂM 2026 CỦA ĐẢNG ỦY XÃ\nLộc Bình, ngày 06 tháng 01 năm 2026\n"
        "Tháng 3:\n"
        "- Hội nghị Ban Chấp hành Đảng bộ xã sơ kết quý I.\n"
        "- Ủy ban Kiểm tra Đảng ủy xã kiểm tra chi bộ thôn Nà Phái.\n"
        "Quý II:\n"
        "- Ban Tuyên giáo Đảng ủy xã tổ chức hội thi tìm hiểu lịch sử Đảng bộ.\n"
    )
    assert dated(text) == [
        (date(2026, 3, 31), ["Ban Chấp hành Đảng bộ xã"]),  # the body that meets
        (date(2026, 3, 31), ["Ủy ban Kiểm tra Đảng ủy xã"]),
        (date(2026, 6, 30), ["Ban Tuyên giáo Đảng ủy xã"]),
    ]


def test_a_resolution_s_target_year_is_asked_about_not_taken_as_a_deadline() -> None:
    text = (
        "NGHỊ QUYẾT\nLai Châu, ngày 10 tháng 7 năm 2026\n"
        "Phấn đấu đến năm 2030, tỷ lệ hộ nghèo giảm còn dưới 5%.\n"
        "Giao UBND tỉnh xây dựng kế hoạch thực hiện, hoàn thành trong quý III/2026.\n"
    )
    assert dated(text) == [(date(2026, 9, 30), ["UBND tỉnh"])]


def test_a_congress_after_its_period_is_led_by_the_body_that_holds_it() -> None:
    text = (
        "KẾ HOẠCH\nTuyên Quang, ngày 05 tháng 01 năm 2026\n"
        "Theo kế hoạch, tháng 3/2026, tiến hành đại hội Hội Nông dân các xã.\n"
        "Từ tháng 4 đến tháng 5/2026 tiến hành Đại hội chi, Đoàn cơ sở.\n"
    )
    assert dated(text) == [
        (date(2026, 3, 31), ["Hội Nông dân các xã"]),
        (date(2026, 5, 31), ["Đoàn cơ sở"]),  # "chi," is the shortened "Chi đoàn" beside it
    ]


def test_bodies_counted_with_co_are_the_doers() -> None:
    text = (
        "Tin hoạt động\nBắc Kạn, ngày 02 tháng 9 năm 2026\n"
        "Được biết, trong hai ngày 18 và 19/9 có 3 đơn vị Hội Cựu chiến binh cấp xã tổ chức đại hội.\n"
    )
    assert dated(text) == [(date(2026, 9, 19), ["Hội Cựu chiến binh cấp xã"])]


def test_a_half_yearly_report_s_yearless_day_recurs_every_year_and_the_draft_says_so() -> None:
    text = "CÔNG VĂN\nVũng Tàu, ngày 08 tháng 5 năm 2026\nCác phòng gửi báo cáo 6 tháng trước ngày 05/6.\n"
    [task] = extract(text, UNITS).tasks
    assert (task.due, task.rrule) == (None, "FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=4")
    assert task.record()["deadline"] == "trước ngày 05/6 hằng năm"  # what the import reads back as the same rule


def test_a_department_s_field_is_the_same_written_long_or_short() -> None:
    from scheduler.drafting.scoring import same_organisation

    assert same_organisation("các Sở GDĐT", "Các Sở Giáo dục và Đào tạo")
    assert same_organisation("Sở TN&MT tỉnh", "Sở Tài nguyên và Môi trường tỉnh")
    assert not same_organisation("Sở GD&ĐT", "Sở Kế hoạch và Đầu tư")


def test_a_calendar_without_a_year_takes_the_one_its_weekday_fits() -> None:
    # 14/10 is a Wednesday in 2015, 2020 and 2026; the page names the term 2016 - 2020 only
    text = (
        "Lịch công tác lãnh đạo\n\nTHỨ TƯ, NGÀY 14/10:\n\n"
        "- Chủ tịch: 8 giờ, dự hội nghị tổng kết chương trình giai đoạn 2016 - 2020 tại hội trường tỉnh.\n"
    )
    assert dated(text) == [(date(2020, 10, 14), ["Chủ tịch"])]


def test_a_leader_s_line_of_a_calendar_is_the_leader_s_task_that_day() -> None:
    text = (
        "LỊCH LÀM VIỆC\n\nTHỨ SÁU, NGÀY 09/10/2020:\n\n"
        "- PCT.VX: Buổi sáng làm việc tại cơ quan. 14 giờ, họp Ban chỉ đạo phòng chống dịch huyện.\n\n"
        "- Chủ tịch, PCT.KT: 7 giờ 30’, kiểm tra công trình trường tiểu học xã Tân Phú"
        " (Giao Phòng Kinh tế và Hạ tầng chuẩn bị hồ sơ), địa điểm xã Tân Phú.\n\n"
        "- PCT.NC: Cả ngày làm việc tại cơ quan.\n"
    )
    tasks = [t for t in extract(text, UNITS).tasks if t.deadline is not None]
    assert [(t.due, t.lead, t.title[:9]) for t in tasks] == [
        (date(2020, 10, 9), ["PCT.VX"], "14 giờ, h"),  # office hours are no engagement
        (date(2020, 10, 9), ["Chủ tịch"], "7 giờ 30’"),  # the first leader the line names
        (date(2020, 10, 9), ["Phòng Kinh tế và Hạ tầng"], "Phòng Kin"),  # what the office prepares
    ]  # the last line is office hours only


def test_a_programme_s_day_heads_its_items_and_their_details_stay_with_them() -> None:
    text = (
        "CHƯƠNG TRÌNH HỘI NGHỊ\n\nNgày thứ nhất (12/11/2024)\n\nBuổi sáng từ 7h30-11h:\n\n"
        "- 7h30-8h: Đón tiếp đại biểu.\n\n- 8-10h: Khai mạc hội nghị.\n\n+ Phổ biến nội quy hội nghị.\n\n"
        "+ Báo cáo số lượng đại biểu.\n\nNgày thứ 2 (13/11/2024)\n\n- Thảo luận tại tổ.\n\n- Bế mạc hội nghị.\n\n"
        "Đại biểu chụp ảnh lưu niệm tại hội trường. (Ảnh: Minh Anh)\n"
    )
    tasks = [t for t in extract(text, UNITS).tasks if t.deadline is not None]
    assert [(t.due, t.title) for t in tasks] == [
        (date(2024, 11, 12), "7h30-8h: Đón tiếp đại biểu"),
        (date(2024, 11, 12), "8-10h: Khai mạc hội nghị"),  # its "+" lines are its details
        (date(2024, 11, 13), "Thảo luận tại tổ"),
        (date(2024, 11, 13), "Bế mạc hội nghị"),  # a line with the day's first mark is an item
    ]  # the part of the day above the items and the photo's caption are none


def test_a_holiday_s_name_before_its_day_sets_no_deadline() -> None:
    text = (
        "KẾ HOẠCH\nHải Phòng, ngày 02 tháng 10 năm 2024\n"
        "- Tuyên truyền về ngày Phụ nữ Việt Nam 20/10 trên bảng tin của trường.\n"
        "- Tổ chức Ngày hội đọc sách vào ngày 25/10 tại thư viện.\n"
        "- Các lớp nộp bài dự thi trước ngày Nhà giáo Việt Nam 20/11.\n"
    )
    assert [due for due, _lead in dated(text)] == [
        date(2024, 10, 25),  # a festival the school holds is a task
        date(2024, 11, 20),  # a deadline word points at the day: it is one
    ]  # the women's day is only named


def test_items_numbered_with_a_slash_are_sections_and_what_is_above_them_is_no_preamble() -> None:
    text = (
        "KẾ HOẠCH KIỂM TRA HỌC KỲ I\n\nI/ Nội dung kiểm tra:\n\n- Kiến thức từ tuần 1 đến tuần 15.\n\n"
        "II/ Lịch kiểm tra:\n\n- Các tổ chuyên môn nộp đề kiểm tra từ ngày 02/12 đến 06/12/2024.\n\n"
        "III/ Phân công:\n\n- Tổ Văn phòng in sao đề kiểm tra.\n"
    )
    assert [due for due, _lead in dated(text)] == [date(2024, 12, 6)]


def test_a_portal_s_clock_and_view_counter_are_page_furniture() -> None:
    text = (
        "Cổng thông tin điện tử huyện\nThứ ba 14/3/2023\n"
        "Triển khai kế hoạch phòng chống thiên tai năm 2019 trên địa bàn huyện\n"
        "05/6/2019 | 10:15 | View count: 1532\n"
        "UBND huyện đề nghị các xã, thị trấn rà soát phương án phòng chống thiên tai.\n"
        "Các xã gửi báo cáo kết quả về Phòng Nông nghiệp và PTNT trước ngày 20/6/2019.\n"
    )
    draft = extract(text, UNITS)
    assert draft.doc_date == date(2019, 6, 5)  # the post's stamp, not the day the portal was read
    assert [(t.due, t.lead) for t in draft.tasks if t.deadline is not None] == [(date(2019, 6, 19), ["Các xã"])]


def test_a_month_s_plan_dates_its_items_by_the_month_s_end_and_its_review_is_no_task() -> None:
    text = (
        "KẾ HOẠCH HOẠT ĐỘNG CHI ĐOÀN THÁNG 3\nAn Bình, ngày 01 tháng 3 năm 2025\n"
        "I. Đánh giá công tác tháng 2:\n- Tổ chức sinh hoạt chi đoàn đầu năm.\n- Thu đoàn phí quý I.\n"
        "II. Kế hoạch công tác tháng 3/2025\n- Tổ chức ngày hội thanh niên khỏe.\n- Ra quân làm sạch kênh mương.\n"
        "BÍ THƯ CHI ĐOÀN\nNguyễn Văn Tâm\n"
    )
    assert [due for due, _lead in dated(text)] == [date(2025, 3, 31), date(2025, 3, 31)]


def test_a_time_line_above_a_table_without_a_time_column_dates_its_rows() -> None:
    text = (
        "KẾ HOẠCH TỔNG VỆ SINH\nThời gian: 7 giờ ngày 15 tháng 3 năm 2025\n"
        "TT | Tổ | Nội dung công việc\n1 | Tổ 1 | Dọn vệ sinh khuôn viên nhà văn hóa\n"
        "2 | Tổ 2 | Phát quang bụi rậm hai bên đường liên xóm\n"
    )
    assert [due for due, _lead in dated(text)] == [date(2025, 3, 15), date(2025, 3, 15)]  # the time line itself: none


def test_a_programme_s_lead_in_with_its_span_in_brackets_is_no_task() -> None:
    text = (
        "CHƯƠNG TRÌNH TẬP HUẤN\n\n"
        "Lớp tập huấn cán bộ Hội kéo dài 2 ngày (14-15/5/2025), chương trình cụ thể như sau:\n\n"
        "Ngày thứ nhất (14/5/2025)\n\n- 8-11h: Khai giảng lớp học.\n"
    )
    assert [due for due, _lead in dated(text)] == [date(2025, 5, 14)]


def test_days_joined_by_a_dash_before_their_month_are_a_range_not_a_two_digit_year() -> None:
    found = [(f.deadline.text, f.deadline.due) for f in find_deadlines("họp từ ngày 3-9/11 tại xã", date(2024, 1, 1))]
    assert found == [("ngày 3-9/11", date(2024, 11, 9))]  # not 3 September 2011
    assert [f.deadline.due for f in find_deadlines("hạn 3/9/11", date(2024, 1, 1))] == [date(2011, 9, 3)]


def test_each_engagement_of_a_leader_s_calendar_line_is_its_own_reminder() -> None:
    text = (
        "LỊCH LÀM VIỆC\nTHỨ TƯ, NGÀY 12/6/2024:\n"
        "- Phó Chủ tịch: 8 giờ, họp bàn phương án phòng chống lụt bão (Phòng Nông nghiệp chuẩn bị báo cáo), "
        "điểm tại Hội trường UBND. 15 giờ, kiểm tra tiến độ trường mầm non Xuân Lộc.\n"
    )
    tasks = [t for t in extract(text, UNITS).tasks if t.deadline is not None]
    assert [(t.due, t.lead, t.title.split(",")[0]) for t in tasks] == [
        (date(2024, 6, 12), ["Phó Chủ tịch"], "8 giờ"),
        (date(2024, 6, 12), ["Phó Chủ tịch"], "15 giờ"),
        (date(2024, 6, 12), ["Phòng Nông nghiệp"], "Phòng Nông nghiệp chuẩn bị báo cáo"),
    ]


def test_a_school_level_a_grade_and_a_farmers_union_in_short_are_bodies() -> None:
    assert [o.name for o in organisations("Bậc tiểu học xét hoàn thành chương trình")] == ["Bậc tiểu học"]
    assert [o.name for o in organisations("còn cấp THCS xét tốt nghiệp")] == ["cấp THCS"]
    assert [o.name for o in organisations("Đại hội HND cấp cơ sở xong trong quý II")] == ["HND cấp cơ sở"]
    assert [o.name for o in organisations("Khối 3,4,5 thi buổi sáng")] == ["Khối 3,4,5"]


def test_a_table_s_class_column_names_who_does_each_row() -> None:
    text = (
        "KẾ HOẠCH LAO ĐỘNG\nThời gian: 7 giờ ngày 14 tháng 10 năm 2023\n"
        "TT | Lớp | Giáo viên | Nội dung công việc\n"
        "1 | 6A | Lê Thị Hoa | Nhổ cỏ bồn hoa trước cổng trường\n"
        "2 | 7B | Trần Văn Nam | Quét dọn sân sau và nhà xe\n"
    )
    assert dated(text) == [(date(2023, 10, 14), ["6A"]), (date(2023, 10, 14), ["7B"])]


def test_prose_that_names_no_doer_goes_on_with_the_doer_of_the_paragraph_before() -> None:
    text = (
        "Buôn Ma Thuột, ngày 20 tháng 01 năm 2024\n"
        "Sở Y tế, Công an tỉnh thường xuyên nắm tình hình, báo cáo UBND tỉnh.\n"
        "Báo cáo nhanh gửi trước 10h00 ngày 11/02/2024.\n"
        "Báo cáo tổng hợp gửi trước 8h00 ngày 15/02/2024.\n"
    )
    assert [lead for _due, lead in dated(text)] == [["Sở Y tế"]] * 2  # the first body named, as written


def test_running_text_that_opens_like_a_page_counter_is_still_read() -> None:
    text = (
        "Hôm nay: 1.204\nTất cả: 98.311\nBình luận (0)\n"
        "Tất cả các phòng, ban báo cáo kết quả về Văn phòng trước ngày 25/3/2024.\n"
    )
    assert dated(text) == [(date(2024, 3, 24), ["các phòng, ban"])]


def test_a_place_s_abbreviation_does_not_end_the_sentence() -> None:
    text = "Ngày 02/4/2024, UBND tỉnh yêu cầu Sở Y tế phối hợp UBND TP. Vũng Tàu tổ chức ngày hội trước ngày 20/4/2024."
    assert dated(text) == [(date(2024, 4, 19), ["Sở Y tế"])]


def test_a_period_said_in_the_next_sentence_dates_the_work_before_it() -> None:
    text = "KẾ HOẠCH\nNgày 02/5/2024\n1/ Tổ chức kiểm tra học kỳ II cho các khối lớp. Từ ngày 13/5/2024 – 17/5/2024.\n"
    assert [due for due, _lead in dated(text)] == [date(2024, 5, 17)]
    assert dated("Các xã tổ chức Ngày hội Đại đoàn kết từ ngày 1-18.11.2024.") == [(date(2024, 11, 18), ["Các xã"])]


def test_a_tet_table_is_dated_by_its_lunar_days_and_a_start_only_cell() -> None:
    text = (
        "KẾ HOẠCH\nChâu Đốc, ngày 10 tháng 01 năm 2024\n"
        "STT | Nội dung | Thời gian | Đơn vị thực hiện\n"
        "1 | Treo cờ, băng rôn các tuyến đường | Từ ngày 25/01/2024 | Phòng Văn hóa và Thông tin\n"
        "2 | Thăm, tặng quà gia đình chính sách | Trước Tết | Phòng Lao động - Thương binh và Xã hội\n"
        "3 | Giải bóng chuyền mừng xuân | Mùng 3 - mùng 5 Tết | Huyện Đoàn\n"
        "Các xã báo cáo trước 8h00 ngày 13/02/2024 (tức ngày mùng 4 Tết).\n"
    )
    assert dated(text) == [
        (date(2024, 1, 25), ["Phòng Văn hóa và Thông tin"]),
        (date(2024, 2, 9), ["Phòng Lao động - Thương binh và Xã hội"]),
        (date(2024, 2, 14), ["Huyện Đoàn"]),
        (date(2024, 2, 13), ["Các xã"]),  # one task: the lunar day in brackets is the same day again
    ]


def test_a_calendar_line_opening_with_a_title_is_led_by_that_title_and_its_body_or_name() -> None:
    text = (
        "LỊCH CÔNG TÁC TUẦN\nTHỨ HAI (03/6/2024)\n"
        "- Sáng: 7h30, Giám đốc Sở chủ trì họp giao ban. Địa điểm: Phòng họp số 1.\n"
        "- Chiều: 14h00, Phó Giám đốc Nguyễn Văn An dự họp tại UBND tỉnh.\n"
    )
    assert dated(text) == [(date(2024, 6, 3), ["Giám đốc Sở"]), (date(2024, 6, 3), ["Phó Giám đốc Nguyễn Văn An"])]


def test_a_reception_calendar_s_month_and_day_cells_make_one_date_in_the_year_its_title_names() -> None:
    text = (
        "LỊCH TIẾP CÔNG DÂN CỦA GIÁM ĐỐC SỞ NĂM 2024\nNinh Bình, ngày 20 tháng 12 năm 2023\n"
        "Đồng chí Giám đốc Sở tiếp công dân định kỳ mỗi tháng, cụ thể:\n"
        "STT | Tháng | Ngày tiếp công dân\n"
        "1 | Tháng 1 | Ngày 15 (thứ Hai)\n"
        "2 | Tháng 2 | Ngày 19 (thứ Hai)\n"
    )
    assert [d for d in dated(text) if d[0] and d[0].year == 2024] == [
        (date(2024, 1, 15), ["Đồng chí Giám đốc Sở"]),
        (date(2024, 2, 19), ["Đồng chí Giám đốc Sở"]),
    ]


def test_a_legal_basis_an_issuing_line_a_citation_and_office_hours_are_no_tasks() -> None:
    text = (
        "THÔNG BÁO\nNgày 05/3/2024\n"
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2025;\n"
        "Ngày 05/3/2024, UBND huyện ra Kế hoạch số 45/KH-UBND về hội thi.\n"
        "Các xã đăng ký dự thi trước ngày 20/3/2024. / T.H. // baomoi.vn. -ngày 05/3/2024\n"
        "Các xã đăng ký dự thi trước ngày 20/3/2024.\n"
        "THỨ HAI (11/3/2024)\n- 13 giờ 30, đồng chí Phó Bí thư làm việc tại cơ quan.\n"
    )
    assert dated(text) == [(date(2024, 3, 19), ["Các xã"])]


def test_a_title_s_body_and_a_union_s_short_names_are_read_whole() -> None:
    assert [o.name for o in organisations("Ban Giám đốc Sở họp nghe báo cáo")] == ["Ban Giám đốc Sở"]
    assert [o.name for o in organisations("Các CĐ cơ sở tổ chức đại hội")] == ["Các CĐ cơ sở"]
    assert [o.name for o in organisations("Thanh tra tỉnh sẽ tổng hợp báo cáo")] == ["Thanh tra tỉnh"]


def test_a_body_preparing_an_item_in_its_attendance_line_has_its_own_task() -> None:
    text = (
        "LỊCH CÔNG TÁC TUẦN\n* Thứ Ba: 25/3/2025\n"
        "1- 08h30: PGĐ Nguyễn Thanh Phong nghe báo cáo công tác chuẩn bị Lễ Giỗ Tổ Hùng Vương\n"
        "- Thành phần: Đại diện phòng Quản lý văn hóa, Lãnh đạo Bảo tàng tỉnh (Bảo tàng tỉnh chuẩn bị nội dung)\n"
    )
    assert (date(2025, 3, 25), ["Bảo tàng tỉnh"]) in dated(text)


def test_a_law_s_date_and_a_post_s_stamp_row_are_no_deadlines_and_a_slipped_tone_mark_is_read() -> None:
    text = (
        "26/12/2024 | 10:17 – Sở Nội vụ ra Văn bản số 12/SNV gửi các xã\n"
        "Thực hiện Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2025, các xã gửi hồ sơ trưóc ngày 13/02/2025.\n"
    )
    assert [due for due, _lead in dated(text)] == [date(2025, 2, 12)]


def test_papers_that_must_be_sent_are_led_by_whoever_they_are_of() -> None:
    text = (
        "Ngày 01/6/2024\nChậm nhất ngày 10/6/2024, các báo cáo của Sở Tài chính, Sở Nội vụ phải được gửi về HĐND tỉnh."
    )
    assert dated(text) == [(date(2024, 6, 10), ["Sở Tài chính"])]
