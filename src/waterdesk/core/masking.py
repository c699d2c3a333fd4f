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
