"""Log hygiene: no full mobile or ID number reaches a log line.

``PersonalDataFilter`` sits on the root handler (``settings.LOGGING``) and rewrites each
record before it is written: mainland mobile numbers and resident ID numbers (18
characters, and the old 15-digit ones) in the message, its arguments and the formatted
traceback are masked the way the desk shows them (``138****5678``,
``110105********002X``).
"""

import logging
import re

from waterdesk.core.masking import mask_id_number, mask_mobile

# Digits (or letters) right next to a match mean it is part of a longer code, not a number.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])((?:\+?86[ -]?)?)(1[3-9]\d{9})(?![0-9A-Za-z])")


def mask_personal_data(text: str) -> str:
    """``text`` with every mobile and resident ID number masked."""
    text = _ID_NUMBER.sub(lambda match: mask_id_number(match.group(1)), text)
    return _MOBILE.sub(lambda match: match.group(1) + mask_mobile(match.group(2)), text)


class PersonalDataFilter(logging.Filter):
    """Masks personal numbers in a record; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: mask what was passed
            message = f"{record.msg} {record.args}"
        # The message is formatted here, once, so no argument is written unmasked later.
        record.msg = mask_personal_data(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True
