"""The tax-platform adapter interface: what an e-invoice platform (数电发票 through the
tax bureau's digital account / 乐企, or a service provider) is asked, and what it answers.

An adapter has two calls, each given a request that carries a ``request_id`` the platform
dedupes on (the same id again returns the invoice issued the first time, never a second):

- ``issue(request) -> IssueResult``: a blue invoice;
- ``reverse(request) -> IssueResult``: the red-letter invoice (红字发票) of
  ``request.original_number``.

They raise ``TemporaryPlatformError`` (timeout, platform busy: the same request is sent
again later) or ``PermanentPlatformError`` (refused: a wrong tax id, an unknown tax code;
the invoice fails with the reason until someone fixes it). The adapter in use is
``settings.WATERDESK_INVOICE_ADAPTER`` (a dotted path; the sandbox by default). See
docs/e-invoices.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_ADAPTER = "waterdesk.invoicing.adapters.sandbox.SandboxAdapter"


class PlatformError(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class TemporaryPlatformError(PlatformError):
    """Try the same request again later (timeout, unavailable, rate-limited)."""


class PermanentPlatformError(PlatformError):
    """The platform refused the request; sending it again changes nothing."""


@dataclass(frozen=True)
class Party:
    name: str
    tax_id: str = ""
    address_phone: str = ""
    bank: str = ""
    email: str = ""
    is_organisation: bool = False


@dataclass(frozen=True)
class RequestItem:
    name: str  # "*水冰雪*自来水"
    tax_code: str  # 19 digits
    treatment: str  # taxable / exempt / not_taxable
    rate: Decimal  # 0.03
    simple_levy: bool
    unit: str
    quantity: Decimal  # m³
    amount_with_tax: Decimal
    amount_without_tax: Decimal
    tax: Decimal


@dataclass(frozen=True)
class IssueRequest:
    request_id: str
    seller: Party
    buyer: Party
    items: tuple[RequestItem, ...]
    amount_with_tax: Decimal
    amount_without_tax: Decimal
    tax: Decimal
    remark: str = ""
    # A red-letter request: the platform number of the blue invoice and why.
    original_number: str = ""
    reason: str = ""


@dataclass(frozen=True)
class IssueResult:
    number: str  # the platform's invoice number (数电票号码, 20 digits)
    issued_at: datetime
    pdf_url: str = ""
    ofd_url: str = ""
    extra: dict = field(default_factory=dict)


class InvoiceAdapter(Protocol):
    def issue(self, request: IssueRequest) -> IssueResult: ...

    def reverse(self, request: IssueRequest) -> IssueResult: ...


def adapter_get() -> InvoiceAdapter:
    """The configured adapter (``WATERDESK_INVOICE_ADAPTER``), a new instance per call."""
    return import_string(getattr(settings, "WATERDESK_INVOICE_ADAPTER", DEFAULT_ADAPTER))()


def seller_party() -> Party:
    """The utility as the seller (``WATERDESK_INVOICE_SELLER_*``; the name defaults to the
    company's)."""
    return Party(
        name=getattr(settings, "WATERDESK_INVOICE_SELLER_NAME", "")
        or getattr(settings, "WATERDESK_COMPANY_NAME", ""),
        tax_id=getattr(settings, "WATERDESK_INVOICE_SELLER_TAX_ID", "91330100MA2CFL7J8F"),
        address_phone=getattr(settings, "WATERDESK_INVOICE_SELLER_ADDRESS_PHONE", ""),
        bank=getattr(settings, "WATERDESK_INVOICE_SELLER_BANK", ""),
        is_organisation=True,
    )
