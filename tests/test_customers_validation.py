import pytest
import time_machine
from stdnum.cn import ric, uscc

from waterdesk.core.errors import InvalidInput
from waterdesk.core.masking import mask_id_number, mask_mobile
from waterdesk.customers.models import CustomerKind
from waterdesk.customers.validation import (
    validate_id_number,
    validate_mobile,
    validate_phone,
    validate_resident_id,
    validate_uscc,
)

VALID_RIC = "11010519491231002X"
VALID_USCC = "91110000600037341L"  # the example in python-stdnum's own documentation


def _ric_with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def _error(func, *args) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        func(*args)
    return caught.value


# --- resident ID ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002X",
        "11010519491231002x",
        " 110105 19491231 002X ",
        "110105-19491231-002x",
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width, as typed with a Chinese IME
    ],
)
def test_validate_resident_id_accepts_and_normalises(raw):
    assert validate_resident_id(raw) == VALID_RIC


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("110105194912310021", "身份证号码不正确：校验位错误"),
        ("11010519491231002", "身份证号码不正确：应为18位"),
        ("1101051949123100", "身份证号码不正确：应为18位"),
        ("11010519491231002X1", "身份证号码不正确：应为18位"),
        ("1101051949123100AX", "身份证号码不正确：前17位应为数字，最后一位为数字或X"),
        (_ric_with_check_digit("11010519491331002"), "身份证号码不正确：出生日期无效"),
        (_ric_with_check_digit("11010519490230002"), "身份证号码不正确：出生日期无效"),
        (_ric_with_check_digit("99999919491231002"), "身份证号码不正确：地区码无效"),
        ("", "请填写身份证号码。"),
        (None, "请填写身份证号码。"),
    ],
)
def test_validate_resident_id_refuses_with_reason(raw, message):
    error = _error(validate_resident_id, raw)
    assert error.code == "invalid_resident_id"
    assert error.field == "id_number"
    assert str(error.message) == message


@time_machine.travel("2026-11-27 10:00 +0800", tick=False)
def test_validate_resident_id_refuses_birth_date_in_the_future():
    born_yesterday = _ric_with_check_digit("11010520261126002")
    born_tomorrow = _ric_with_check_digit("11010520261128002")

    assert validate_resident_id(born_yesterday) == born_yesterday
    error = _error(validate_resident_id, born_tomorrow)
    assert error.code == "invalid_resident_id"
    assert str(error.message) == "身份证号码不正确：出生日期无效"


# --- USCC -------------------------------------------------------------------------------


def test_validate_uscc_accepts_and_normalises():
    computed = "91320100MA1ABCDE0" + uscc.calc_check_digit("91320100MA1ABCDE0")

    assert validate_uscc(VALID_USCC) == VALID_USCC
    assert validate_uscc("9 1110000 600037341l") == VALID_USCC
    assert validate_uscc(computed.lower()) == computed


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("91110000600037341A", "统一社会信用代码不正确：校验位错误"),
        ("12345", "统一社会信用代码不正确：应为18位"),
        ("A1110000600037341L", "统一社会信用代码不正确：包含无效字符"),
        ("91110000600O37341L", "统一社会信用代码不正确：包含无效字符"),
        ("", "请填写统一社会信用代码。"),
    ],
)
def test_validate_uscc_refuses_with_reason(raw, message):
    error = _error(validate_uscc, raw)
    assert error.code == "invalid_uscc"
    assert error.field == "id_number"
    assert str(error.message) == message


def test_validate_id_number_dispatches_on_kind():
    assert validate_id_number(CustomerKind.PERSON, VALID_RIC.lower()) == VALID_RIC
    assert validate_id_number(CustomerKind.ORGANISATION, VALID_USCC) == VALID_USCC
    assert _error(validate_id_number, CustomerKind.PERSON, VALID_USCC).code == (
        "invalid_resident_id"
    )
    assert _error(validate_id_number, CustomerKind.ORGANISATION, VALID_RIC).code == "invalid_uscc"
    error = _error(validate_id_number, "alien", VALID_RIC)
    assert (error.code, error.field, str(error.message)) == (
        "invalid_kind",
        "kind",
        "客户类型不正确。",
    )


# --- mobile and phone -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("19912345678", "19912345678"),
    ],
)
def test_validate_mobile_accepts_and_normalises(raw, expected):
    assert validate_mobile(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("12345678901", "手机号码不正确：号码无效，请检查位数和号段。"),
        ("1380013800", "手机号码不正确：号码无效，请检查位数和号段。"),
        ("138001380001", "手机号码不正确：号码无效，请检查位数和号段。"),
        ("010-12345678", "手机号码不正确：这不是手机号码。"),
        ("4008108888", "手机号码不正确：这不是手机号码。"),
        ("+852 9123 4567", "手机号码不正确：仅支持中国大陆号码。"),
        ("abc", "手机号码不正确：请输入数字号码。"),
        ("", "请填写手机号码。"),
    ],
)
def test_validate_mobile_refuses_with_reason(raw, message):
    error = _error(validate_mobile, raw)
    assert (error.code, error.field, str(error.message)) == ("invalid_mobile", "mobile", message)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("010 12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("(0755)83765566", "0755-83765566"),
        ("+86 20 1234 5678", "020-12345678"),
        ("400-810-8888", "4008108888"),
    ],
)
def test_validate_phone_accepts_landlines_and_mobiles(raw, expected):
    assert validate_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "12345678901", "+852 9123 4567", ""])
def test_validate_phone_refuses(raw):
    assert _error(validate_phone, raw).code == "invalid_phone"


# --- masking ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("11010519491231002X", "110105********002X"),
        (VALID_USCC, "911100********341L"),
        ("12345678901", "123456*8901"),
        ("12345", "1***5"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id_number(value, expected):
    assert mask_id_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "138****5678"),
        ("010-12345678", "010*****5678"),
        ("12345", "***45"),
        ("", ""),
    ],
)
def test_mask_mobile(value, expected):
    assert mask_mobile(value) == expected
