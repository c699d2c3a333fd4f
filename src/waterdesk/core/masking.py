"""Masked display of personal identifiers: what lists, logs and other staff see."""


def mask_id_number(value) -> str:
    """``11010519491231002X`` → ``110105********002X``: first 6 and last 4 kept."""
    text = str(value or "")
    if len(text) > 10:
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    if len(text) > 2:
        return text[0] + "*" * (len(text) - 2) + text[-1]
    return "*" * len(text)


def mask_mobile(value) -> str:
    """``13812345678`` → ``138****5678``: first 3 and last 4 kept."""
    text = str(value or "")
    if len(text) > 7:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    if len(text) > 2:
        return "*" * (len(text) - 2) + text[-2:]
    return "*" * len(text)


def mask_email(value) -> str:
    """``zhang.san@example.com`` → ``z***@example.com``."""
    text = str(value or "")
    local_part, at, domain = text.partition("@")
    if not at:
        return mask_mobile(text)
    return f"{local_part[:1]}***@{domain}"


def mask_address(value) -> str:
    """Keep the first 6 characters (city and district), hide the street and the house."""
    text = str(value or "")
    if len(text) <= 6:
        return text[:2] + "*" * max(len(text) - 2, 0)
    return text[:6] + "****"


def mask_contact(value) -> str:
    """An address of either kind: an e-mail address or a phone number."""
    return mask_email(value) if "@" in str(value or "") else mask_mobile(value)


def mask_bank_account(value) -> str:
    """``6222020200112233445`` → ``************3445``: only the last 4 digits kept."""
    text = str(value or "")
    if len(text) > 4:
        return "*" * (len(text) - 4) + text[-4:]
    return "*" * len(text)


def mask_person_name(value) -> str:
    """A person's name on a document others may see: ``张三`` → ``张*``, ``李建国`` →
    ``李*国``, ``欧阳建华`` → ``欧**华``."""
    text = str(value or "")
    if len(text) <= 2:
        return text[:1] + "*" * (len(text) - 1) if text else ""
    return text[0] + "*" * (len(text) - 2) + text[-1]
