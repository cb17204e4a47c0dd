"""Vietnamese alphabetical order for unit names (ICU's `vi` collation)."""

from scheduler.collation import sorted_vietnamese


def test_units_sort_as_a_vietnamese_dictionary_does() -> None:
    names = [
        "Ưu tiên",
        "Ủy ban MTTQ",
        "Xã",
        "Đoàn thanh niên",
        "Dân vận",
        "Chi bộ Ăn Cả",
        "Chi bộ Anh Sơn",
        "Chi bộ Ấp",
    ]
    assert sorted_vietnamese(names) == [
        "Chi bộ Anh Sơn",  # a before ă before â, whatever follows
        "Chi bộ Ăn Cả",
        "Chi bộ Ấp",
        "Dân vận",  # d before đ
        "Đoàn thanh niên",
        "Ủy ban MTTQ",  # u before ư
        "Ưu tiên",
        "Xã",
    ]
