"""Validation and display of customer identifiers: resident ID, USCC, phone numbers.

Each ``validate_*`` function returns the normalised value to store or raises
``InvalidInput`` with a stable code and a Chinese message saying what is wrong. The
checksums come from python-stdnum and phonenumbers; nothing here re-implements them.
"""

import datetime
import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from waterdesk.core.errors import InvalidInput
from waterdesk.customers.models import CustomerKind, NoticeChannel

PHONE_REGION = "CN"
_CODE_SEPARATORS = re.compile(r"[\s\-]+")
_EARLIEST_BIRTH_DATE = datetime.date(1880, 1, 1)
WECHAT_OPENID_MAX_LENGTH = 64
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def _normalise_text(value) -> str:
    # NFKC turns full-width digits and letters typed with a Chinese IME into ASCII.
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def _compact_code(value) -> str:
    # Clerks copy ID numbers grouped ("110105 19491231 002X"); the groups carry no meaning.
    return _CODE_SEPARATORS.sub("", _normalise_text(value))


def validate_resident_id(value) -> str:
    """Validate an 18-character resident ID (居民身份证号码); return it upper-case."""
    text = _compact_code(value)

    def invalid(reason):
        return InvalidInput(
            format_lazy(_("身份证号码不正确：{reason}"), reason=reason),
            code="invalid_resident_id",
            field="id_number",
        )

    if not text:
        raise InvalidInput(_("请填写身份证号码。"), code="invalid_resident_id", field="id_number")
    try:
        number = ric.validate(text)
    except stdnum_errors.InvalidLength as exc:
        raise invalid(_("应为18位")) from exc
    except stdnum_errors.InvalidFormat as exc:
        raise invalid(_("前17位应为数字，最后一位为数字或X")) from exc
    except stdnum_errors.InvalidChecksum as exc:
        raise invalid(_("校验位错误")) from exc
    except stdnum_errors.InvalidComponent as exc:
        # stdnum raises the same error for a bad birth date and an unknown region code.
        try:
            ric.get_birth_date(text)
        except stdnum_errors.InvalidComponent:
            raise invalid(_("出生日期无效")) from exc
        raise invalid(_("地区码无效")) from exc
    except stdnum_errors.ValidationError as exc:
        raise invalid(_("格式错误")) from exc
    birth_date = ric.get_birth_date(number)
    if not _EARLIEST_BIRTH_DATE <= birth_date <= timezone.localdate():
        raise invalid(_("出生日期无效"))
    return number


def validate_uscc(value) -> str:
    """Validate a unified social credit code (统一社会信用代码); return it upper-case."""
    text = _compact_code(value)

    def invalid(reason):
        return InvalidInput(
            format_lazy(_("统一社会信用代码不正确：{reason}"), reason=reason),
            code="invalid_uscc",
            field="id_number",
        )

    if not text:
        raise InvalidInput(_("请填写统一社会信用代码。"), code="invalid_uscc", field="id_number")
    try:
        return uscc.validate(text)
    except stdnum_errors.InvalidLength as exc:
        raise invalid(_("应为18位")) from exc
    except stdnum_errors.InvalidFormat as exc:
        raise invalid(_("包含无效字符")) from exc
    except stdnum_errors.InvalidChecksum as exc:
        raise invalid(_("校验位错误")) from exc
    except stdnum_errors.ValidationError as exc:
        raise invalid(_("格式错误")) from exc


def validate_id_number(kind, value) -> str:
    """Validate the ID number that fits the customer kind: resident ID or USCC."""
    if kind == CustomerKind.PERSON:
        return validate_resident_id(value)
    if kind == CustomerKind.ORGANISATION:
        return validate_uscc(value)
    raise InvalidInput(_("客户类型不正确。"), code="invalid_kind", field="kind")


def _parse_cn_number(value, *, code: str, field: str, label):
    text = _normalise_text(value)
    if not text:
        raise InvalidInput(format_lazy(_("请填写{label}。"), label=label), code=code, field=field)
    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(
            format_lazy(_("{label}不正确：请输入数字号码。"), label=label), code=code, field=field
        ) from exc
    if phonenumbers.region_code_for_number(number) != PHONE_REGION:
        raise InvalidInput(
            format_lazy(_("{label}不正确：仅支持中国大陆号码。"), label=label),
            code=code,
            field=field,
        )
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            format_lazy(_("{label}不正确：号码无效，请检查位数和号段。"), label=label),
            code=code,
            field=field,
        )
    return number


def validate_mobile(value) -> str:
    """Validate a mainland China mobile number; return its 11 national digits."""
    label = _("手机号码")
    number = _parse_cn_number(value, code="invalid_mobile", field="mobile", label=label)
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidInput(
            _("手机号码不正确：这不是手机号码。"), code="invalid_mobile", field="mobile"
        )
    return str(number.national_number)


def validate_email_address(value, *, field: str = "email") -> str:
    """An optional e-mail address a customer gives for a matter (where the answer goes):
    stripped; "" when blank; ``InvalidInput`` naming ``field`` when malformed."""
    email = str(value or "").strip()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(_("电子邮箱格式不正确。"), code="invalid_email", field=field) from exc
    return email


def validate_phone(value) -> str:
    """Validate any mainland China phone number (mobile, landline with area code, 400…).

    Mobiles come back as 11 digits, landlines as ``010-12345678``, other numbers as their
    national digits.
    """
    label = _("联系电话")
    number = _parse_cn_number(value, code="invalid_phone", field="phone", label=label)
    if phonenumbers.number_type(number) in _MOBILE_TYPES:
        return str(number.national_number)
    national = "".join(
        ch for ch in phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL) if ch.isdigit()
    )
    area_length = phonenumbers.length_of_geographical_area_code(number)
    if area_length and national.startswith("0"):
        return f"{national[: area_length + 1]}-{national[area_length + 1 :]}"
    return national


def validate_notice_channels(value) -> list[str]:
    """The channels a customer wants notices on, in the order of ``NoticeChannel``."""
    wanted = {str(item) for item in (value or [])}
    if wanted - set(NoticeChannel.values):
        raise InvalidInput(
            _("通知渠道不正确。"), code="invalid_notice_channel", field="notice_channels"
        )
    return [channel for channel in NoticeChannel.values if channel in wanted]


def validate_wechat_openid(value) -> str:
    """A WeChat openid (letters, digits, "-" and "_", at most 64), or ""."""
    text = str(value or "").strip()
    if len(text) > WECHAT_OPENID_MAX_LENGTH or any(
        not (char.isascii() and (char.isalnum() or char in "-_")) for char in text
    ):
        raise InvalidInput(
            _("微信 OpenID 格式不正确。"), code="invalid_wechat_openid", field="wechat_openid"
        )
    return text
