"""Online payments: WeChat Pay v3 and Alipay notifications in their real formats, signed with
keys the tests make, verified and posted once; tampered ones refused with nothing posted;
the sandbox pay flow end to end; the cash office's exceptions; reconciliation."""

import json
import time

import pytest
from django.core.management import call_command
from django.test import Client

from tests.payments_support import CommittingClient, D, at
from tests.test_payments_gateways_support import (
    alipay_body,
    alipay_key,
    alipay_params,
    alipay_sign,
    gateway_settings,
    new_key,
    platform_key,
    post_sandbox,
    wechat_notification,
    wechat_transaction,
)
from waterdesk.billing.models import LedgerEntry, LedgerEntryKind
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.core.errors import IllegalTransition
from waterdesk.core.masking import mask_person_name
from waterdesk.payments.gateways.sandbox import sandbox_notification
from waterdesk.payments.models import (
    GatewayNotification,
    OrderStatus,
    Payment,
    PaymentChannel,
    PaymentException,
    PaymentMethod,
    PaymentOrder,
    StatementDiscrepancy,
    StatementImport,
)
from waterdesk.payments.services.gateways import (
    gateway_notifications_post,
    payment_exception_resolve,
    payment_order_create,
    payment_orders_close_expired,
    statement_import,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("beijing", "gateway_settings")]
__all__ = ["alipay_key", "gateway_settings", "platform_key"]

WECHAT_URL = "/api/payments/gateways/wechat/notify/"
ALIPAY_URL = "/api/payments/gateways/alipay/notify/"


def post_wechat(body, headers):
    client = CommittingClient(enforce_csrf_checks=True)
    return client.post(WECHAT_URL, body, content_type="application/json", **headers)


def post_alipay(params):
    client = CommittingClient(enforce_csrf_checks=True)
    return client.post(
        ALIPAY_URL, alipay_body(params), content_type="application/x-www-form-urlencoded"
    )


def outcomes():
    return list(GatewayNotification.objects.order_by("pk").values_list("gateway", "outcome"))


def payments_of(account):
    return LedgerEntry.objects.filter(account=account, kind=LedgerEntryKind.PAYMENT).count()


def assert_nothing_posted(account, order):
    assert Payment.objects.count() == 0
    assert payments_of(account) == 0
    order.refresh_from_db()
    assert (order.status, order.payment) == (OrderStatus.OPEN, None)
    assert account_balance(account) == D("300.00")


# --- WeChat Pay v3 ------------------------------------------------------------------------


def test_a_wechat_notification_is_verified_decrypted_and_posted_once(billed, platform_key):
    account, _bills = billed
    with at(2026, 4, 10):
        order = payment_order_create(account=account, gateway="wechat")
        assert order.amount == D("300.00")
        body, headers = wechat_notification(wechat_transaction(order), platform_key)
        first = post_wechat(body, headers)
        again = post_wechat(body, headers)
    assert (first.status_code, again.status_code) == (204, 204)
    payment = Payment.objects.get()
    assert (payment.source, payment.external_id, payment.amount) == (
        "wechat",
        "4200000123202604100000000001",
        D("300.00"),
    )
    assert (payment.channel, payment.method) == (PaymentChannel.ONLINE, PaymentMethod.WECHAT)
    order.refresh_from_db()
    assert (order.status, order.payment) == (OrderStatus.PAID, payment)
    assert account_balance(account) == D("0.00")
    assert payments_of(account) == 1
    assert outcomes() == [("wechat", "posted"), ("wechat", "duplicate")]


@pytest.mark.parametrize("tamper", ["body", "signature", "serial", "stale", "other_key", "apiv3"])
def test_a_tampered_wechat_notification_is_refused_and_nothing_posted(billed, platform_key, tamper):
    account, _bills = billed
    with at(2026, 4, 10):
        order = payment_order_create(account=account, gateway="wechat")
        transaction = wechat_transaction(order)
        if tamper == "stale":
            six_minutes_ago = int(time.time()) - 360
            body, headers = wechat_notification(
                transaction, platform_key, timestamp=six_minutes_ago
            )
        elif tamper == "other_key":
            body, headers = wechat_notification(transaction, new_key())
        elif tamper == "apiv3":
            body, headers = wechat_notification(transaction, platform_key, apiv3_key="X" * 32)
        else:
            body, headers = wechat_notification(transaction, platform_key)
        if tamper == "body":
            body = body.replace(b'"summary": "', b'"summary": "!')
        elif tamper == "signature":
            headers["HTTP_WECHATPAY_SIGNATURE"] = headers["HTTP_WECHATPAY_SIGNATURE"][::-1]
        elif tamper == "serial":
            headers["HTTP_WECHATPAY_SERIAL"] = "PUB_KEY_ID_SOMEONE_ELSE"
        response = post_wechat(body, headers)
    assert response.status_code == 400
    assert json.loads(response.content) == {"code": "FAIL", "message": "验签失败"}
    assert_nothing_posted(account, order)
    assert outcomes() == [("wechat", "bad_signature")]


def test_a_wechat_amount_that_differs_from_the_order_is_refused_and_flagged(billed, platform_key):
    account, _bills = billed
    with at(2026, 4, 10):
        order = payment_order_create(account=account, gateway="wechat")
        body, headers = wechat_notification(wechat_transaction(order, fen=29900), platform_key)
        response = post_wechat(body, headers)
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == "FAIL"
    assert_nothing_posted(account, order)
    assert outcomes() == [("wechat", "amount_mismatch")]
    flagged = PaymentException.objects.get()
    assert (flagged.kind, flagged.source, flagged.reference, flagged.amount) == (
        "amount_mismatch",
        "wechat",
        "4200000123202604100000000001",
        D("299.00"),
    )


# --- Alipay -------------------------------------------------------------------------------


def test_an_alipay_notification_is_verified_and_posted_once(billed, alipay_key):
    account, bills = billed
    with at(2026, 4, 10):
        order = payment_order_create(account=account, gateway="alipay", bills=bills[:2])
        assert order.amount == D("250.00")
        params = alipay_sign(alipay_params(order), alipay_key)
        first = post_alipay(params)
        again = post_alipay(params)
    assert (first.status_code, first.content, again.content) == (200, b"success", b"success")
    payment = Payment.objects.get()
    assert (payment.source, payment.external_id, payment.method) == (
        "alipay",
        "2026041022001412341234567890",
        PaymentMethod.ALIPAY,
    )
    assert set(payment.bills.all()) == set(bills[:2])
    assert account_balance(account) == D("50.00")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert outcomes() == [("alipay", "posted"), ("alipay", "duplicate")]


@pytest.mark.parametrize("tamper", ["amount", "signature", "app_id", "other_key"])
def test_a_tampered_alipay_notification_is_refused(billed, alipay_key, tamper):
    account, _bills = billed
    with at(2026, 4, 10):
        order = payment_order_create(account=account, gateway="alipay")
        if tamper == "other_key":
            params = alipay_sign(alipay_params(order), new_key())
        elif tamper == "app_id":
            params = alipay_sign(alipay_params(order, app_id="2021000999999999"), alipay_key)
        else:
            params = alipay_sign(alipay_params(order), alipay_key)
        if tamper == "amount":
            params["total_amount"] = "3.00"
        elif tamper == "signature":
            params["sign"] = params["sign"][:-8] + "AAAAAAA="
        response = post_alipay(params)
    assert response.content == b"failure"
    assert_nothing_posted(account, order)
    assert outcomes() == [("alipay", "bad_signature")]
    assert PaymentException.objects.count() == 0


def test_an_unpaid_alipay_state_is_acknowledged_and_not_posted(billed, alipay_key):
    account, _bills = billed
    with at(2026, 4, 10):
        order = payment_order_create(account=account, gateway="alipay")
        params = alipay_sign(alipay_params(order, trade_status="WAIT_BUYER_PAY"), alipay_key)
        response = post_alipay(params)
    assert response.content == b"success"
    assert_nothing_posted(account, order)
    assert outcomes() == [("alipay", "not_success")]


def test_a_notification_for_an_unknown_order_is_refused_and_flagged(billed, alipay_key):
    account, _bills = billed
    with at(2026, 4, 10):
        order = payment_order_create(account=account, gateway="alipay")
        params = alipay_sign(alipay_params(order, out_trade_no="WD-NOT-OURS"), alipay_key)
        response = post_alipay(params)
    assert response.content == b"failure"
    assert_nothing_posted(account, order)
    assert outcomes() == [("alipay", "unknown_order")]
    assert PaymentException.objects.get().kind == "unknown_order"


def test_an_order_is_refused_when_nothing_is_due(billed, alipay_key):
    account, _bills = billed
    with at(2026, 4, 10):
        order = payment_order_create(account=account, gateway="alipay")
        post_alipay(alipay_sign(alipay_params(order), alipay_key))
        with pytest.raises(IllegalTransition) as refused:
            payment_order_create(account=account, gateway="alipay")
    assert refused.value.code == "nothing_due"
    assert PaymentOrder.objects.count() == 1


# --- sandbox ------------------------------------------------------------------------------


def test_the_sandbox_pay_flow_from_the_bill_qr_page_to_paid(billed):
    account, _bills = billed
    client = CommittingClient(enforce_csrf_checks=False)
    pay_url = f"/pay/{account.public_id}/"
    with at(2026, 4, 10):
        page = client.get(pay_url)
        assert page.status_code == 200
        text = page.content.decode()
        assert "300.00" in text and account.customer.name not in text
        assert mask_person_name(account.customer.name) in text
        started = client.post(pay_url)
        order = PaymentOrder.objects.get()
        assert started["Location"] == f"/pay/sandbox/{order.public_id}/"
        sandbox = client.get(started["Location"])
        assert (
            "确认支付" in sandbox.content.decode()
            and order.out_trade_no in sandbox.content.decode()
        )
        confirmed = client.post(started["Location"])
        assert confirmed["Location"] == f"/pay/orders/{order.public_id}/"
        done = client.get(confirmed["Location"])
        again = client.post(pay_url)
    assert "缴费成功" in done.content.decode()
    payment = Payment.objects.get()
    assert (payment.source, payment.method, payment.amount) == ("sandbox", "sandbox", D("300.00"))
    order.refresh_from_db()
    assert (order.status, order.payment) == (OrderStatus.PAID, payment)
    assert account_balance(account) == D("0.00")
    assert again.status_code == 400 and "没有应缴金额" in again.content.decode()
    assert outcomes() == [("sandbox", "posted")]


def test_a_sandbox_notification_with_a_wrong_signature_is_refused(billed):
    account, _bills = billed
    with at(2026, 4, 10):
        order = payment_order_create(account=account, gateway="sandbox")
        body, headers = sandbox_notification(
            out_trade_no=order.out_trade_no,
            transaction_id="SBX1",
            amount=order.amount,
            paid_at=order.created_at,
        )
        response = Client().post(
            "/api/payments/gateways/sandbox/notify/",
            body.replace(b"300.00", b"3.00"),
            content_type="application/json",
            HTTP_X_SANDBOX_SIGNATURE=headers["X-Sandbox-Signature"],
        )
    assert response.status_code == 400
    assert_nothing_posted(account, order)
    assert outcomes() == [("sandbox", "bad_signature")]


def test_an_unknown_gateway_is_not_found():
    assert (
        Client()
        .post("/api/payments/gateways/paypal/notify/", b"{}", content_type="application/json")
        .status_code
        == 404
    )


# --- reconciliation -----------------------------------------------------------------------


def _sandbox_paid(account, transaction_id, *, client):
    order = payment_order_create(account=account, gateway="sandbox")
    assert post_sandbox(client, order, transaction_id).status_code == 200
    return order


def test_a_statement_lists_what_is_missing_on_either_side_and_imports_once(billed, billing_clerk):
    account, _bills = billed
    client = CommittingClient()
    with at(2026, 4, 10, 9):
        first = _sandbox_paid(account, "SBX-A", client=client)  # 300.00, the whole balance
    from waterdesk.billing.services.ledger import ledger_post_adjustment

    with at(2026, 4, 10, 10):
        ledger_post_adjustment(
            actor=billing_clerk, account=account, amount=D("80.00"), reason="补收", bill=None,
            idempotency_key="adj-1",
        )  # fmt: skip
        second = _sandbox_paid(account, "SBX-B", client=client)  # 80.00
        ledger_post_adjustment(
            actor=billing_clerk, account=account, amount=D("20.00"), reason="补收", bill=None,
            idempotency_key="adj-2",
        )  # fmt: skip
        _sandbox_paid(account, "SBX-C", client=client)  # 20.00, not in the statement
    content = (
        "transaction_id,out_trade_no,amount,paid_at\n"
        f"SBX-A,{first.out_trade_no},300.00,2026-04-10T09:00:00+08:00\n"
        f"SBX-B,{second.out_trade_no},81.00,2026-04-10T10:00:00+08:00\n"
        "SBX-Z,WD-ELSEWHERE,12.50,2026-04-10T11:00:00+08:00\n"
    ).encode()
    with at(2026, 4, 11):
        imported = statement_import(
            actor=billing_clerk, gateway="sandbox", file_name="sandbox-0410.csv", content=content
        )
        again = statement_import(
            actor=billing_clerk, gateway="sandbox", file_name="copy.csv", content=content
        )
    statement = imported.statement
    assert (imported.created, again.created, again.statement) == (True, False, statement)
    assert str(statement.statement_date) == "2026-04-10"
    assert (statement.lines, statement.matched, statement.missing_here) == (3, 1, 1)
    assert (statement.missing_there, statement.amount_differs) == (1, 1)
    assert sorted(
        StatementDiscrepancy.objects.values_list(
            "kind", "transaction_id", "gateway_amount", "our_amount"
        )
    ) == [
        ("amount_differs", "SBX-B", D("81.00"), D("80.00")),
        ("missing_here", "SBX-Z", D("12.50"), None),
        ("missing_there", "SBX-C", None, D("20.00")),
    ]
    assert StatementImport.objects.count() == 1
    assert sorted(PaymentException.objects.values_list("kind", "reference")) == [
        ("amount_differs", "SBX-B"),
        ("missing_here", "SBX-Z"),
        ("missing_there", "SBX-C"),
    ]
    page = Client()
    page.force_login(billing_clerk)
    result = page.get(f"/payments/statements/{statement.public_id}/").content.decode()
    assert "SBX-Z" in result and "SBX-C" in result


def test_the_wechat_and_alipay_statement_files_are_read_in_their_formats():
    from waterdesk.payments.gateways import gateway_get

    wechat = (
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
        "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
        "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,"
        "费率备注\n"
        "`2026-04-10 10:00:05,`wxd678efh567hg6787,`1900000109,`0,`,`4200000123202604100000000001,"
        "`WD20260410100000a1b2c3d4,`oUpF8uMuAJO,`NATIVE,`SUCCESS,`CMC,`CNY,`300.00,`0.00,`0,`0,"
        "`0.00,`0.00,`,`,`水费,`,`1.80000,`0.60%,`300.00,`0.00,`\n"
        "`2026-04-10 11:00:00,`wxd678efh567hg6787,`1900000109,`0,`,`4200000123202604100000000002,"
        "`WD20260410110000a1b2c3d5,`oUpF8uMuAJO,`NATIVE,`REFUND,`CMC,`CNY,`0.00,`0.00,`5030,`R1,"
        "`10.00,`0.00,`ORIGINAL,`SUCCESS,`水费,`,`-0.06,`0.60%,`0.00,`10.00,`\n"
        "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n"
        "`2,`300.00,`10.00,`0.00,`1.74000,`300.00,`10.00\n"
    ).encode()
    alipay = (
        "#支付宝业务明细查询\n#账号：[20881021196858380156]\n#起始日期：[2026年04月10日 00:00:00]\n"
        "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,"
        "终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,"
        "商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,"
        "服务费（元）,分润（元）,备注\n"
        "2026041022001412341234567890,WD20260410100000a1b2c3d4,交易,水费,2026-04-10 09:59:50,"
        "2026-04-10 10:00:05,,,,,159****5620,250.00,250.00,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,,"
        "-1.50,0.00,\n"
        "#-----------------------------------------业务明细列表结束\n#交易合计：1笔，商家实收共250.00元\n"
    ).encode("gbk")
    [wx] = gateway_get("wechat").parse_statement(wechat)
    assert (wx.transaction_id, wx.out_trade_no, wx.amount) == (
        "4200000123202604100000000001",
        "WD20260410100000a1b2c3d4",
        D("300.00"),
    )
    [ali] = gateway_get("alipay").parse_statement(alipay)
    assert (ali.transaction_id, ali.amount, ali.paid_at.isoformat()) == (
        "2026041022001412341234567890",
        D("250.00"),
        "2026-04-10T10:00:05+08:00",
    )


def test_the_reconcile_command_imports_a_file_once(billed, tmp_path, capsys):
    path = tmp_path / "sandbox.csv"
    path.write_text(
        "transaction_id,out_trade_no,amount,paid_at\nSBX-Q,WD-Q,9.00,2026-04-10T09:00:00+08:00\n"
    )
    with at(2026, 4, 11):
        call_command("payments_reconcile", "sandbox", str(path))
        call_command("payments_reconcile", "sandbox", str(path))
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "imported: lines=1 matched=0 missing_here=1 missing_there=0 amount_differs=0",
        "already imported, nothing changed: lines=1 matched=0 missing_here=1 missing_there=0 "
        "amount_differs=0",
    ]


# --- the cash office ----------------------------------------------------------------------


def test_the_billing_office_resolves_an_exception_on_its_page(
    billed, platform_key, billing_clerk, supervisor
):
    account, _bills = billed
    with at(2026, 4, 10):
        order = payment_order_create(account=account, gateway="wechat")
        post_wechat(*wechat_notification(wechat_transaction(order, fen=100), platform_key))
    flagged = PaymentException.objects.get()
    viewer = Client()
    viewer.force_login(supervisor)
    assert "4200000123202604100000000001" in viewer.get("/payments/exceptions/").content.decode()
    refused = viewer.post(f"/payments/exceptions/{flagged.public_id}/resolve/", {"note": "x"})
    assert refused.status_code == 403
    office = Client()
    office.force_login(billing_clerk)
    with at(2026, 4, 11):
        done = office.post(
            f"/payments/exceptions/{flagged.public_id}/resolve/", {"note": "已原路退款 1.00 元"}
        )
    assert done.status_code == 302
    flagged.refresh_from_db()
    assert (flagged.resolved_by, flagged.resolution_note) == (billing_clerk, "已原路退款 1.00 元")
    with pytest.raises(IllegalTransition):
        payment_exception_resolve(actor=billing_clerk, exception=flagged, note="again")
    assert (
        "4200000123202604100000000001" not in office.get("/payments/exceptions/").content.decode()
    )


def test_the_bill_qr_code_opens_the_accounts_pay_page(billed, settings):
    from waterdesk.core.pdf import payment_url

    account, _bills = billed
    settings.WATERDESK_PAYMENT_QR_URL = ""
    settings.WATERDESK_SITE_URL = "https://water.example.cn"
    url = payment_url(account=account.number, amount=D("1"), account_public_id=account.public_id)
    assert url == f"https://water.example.cn/pay/{account.public_id}/"


def test_expired_orders_close_and_a_late_notification_still_posts(billed, settings):
    settings.WATERDESK_PAYMENT_ORDER_MINUTES = 30
    account, _bills = billed
    with at(2026, 4, 10, 9):
        late = payment_order_create(account=account, gateway="sandbox")
    with at(2026, 4, 10, 9, 20):
        fresh = payment_order_create(account=account, gateway="sandbox")
    with at(2026, 4, 10, 9, 45):
        assert payment_orders_close_expired() == 1
        assert payment_orders_close_expired() == 0
    late.refresh_from_db()
    fresh.refresh_from_db()
    assert (late.status, fresh.status) == (OrderStatus.CLOSED, OrderStatus.OPEN)
    # The customer's money was taken before the order closed: the gateway's late
    # notification posts it and the order becomes paid.
    with at(2026, 4, 10, 9, 50):
        response = post_sandbox(CommittingClient(), late, "SBX-LATE")
    assert (response.status_code, outcomes()) == (200, [("sandbox", "posted")]), response.content
    late.refresh_from_db()
    assert (late.status, late.payment.external_id, account_balance(account)) == (
        OrderStatus.PAID,
        "SBX-LATE",
        D("0.00"),
    )


def test_a_closed_order_offers_to_pay_again(billed, settings):
    account, _bills = billed
    with at(2026, 4, 10, 9):
        order = payment_order_create(account=account, gateway="sandbox")
    with at(2026, 4, 10, 12):
        payment_orders_close_expired()
        page = Client().get(f"/pay/sandbox/{order.public_id}/", follow=True)
    text = page.content.decode()
    assert "订单已超时关闭" in text
    assert f'href="/pay/{account.public_id}/"' in text
    assert Payment.objects.count() == 0


# --- accepted, then posted ----------------------------------------------------------------


def test_a_callback_is_answered_once_stored_and_its_posting_follows(billed):
    account, _bills = billed
    with at(2026, 4, 10, 9):
        order = payment_order_create(account=account, gateway="sandbox")
    with at(2026, 4, 10, 9, 2):
        # A plain client: what the callback enqueued after its commit does not run.
        response = post_sandbox(Client(), order, "SBX-INBOX")
        page = Client().get(f"/pay/orders/{order.public_id}/")
    assert (response.status_code, json.loads(response.content)) == (200, {"code": "SUCCESS"})
    assert outcomes() == [("sandbox", "received")]
    assert_nothing_posted(account, order)
    text = page.content.decode()
    assert 'id="pay-posting"' in text and '<meta http-equiv="refresh" content="5">' in text
    with at(2026, 4, 10, 9, 3):
        assert gateway_notifications_post() == 1
        assert gateway_notifications_post() == 0
    payment = Payment.objects.get()
    assert (payment.external_id, payment.amount, payment.received_at) == (
        "SBX-INBOX",
        D("300.00"),
        order.created_at,
    )
    order.refresh_from_db()
    assert (order.status, order.payment) == (OrderStatus.PAID, payment)
    assert account_balance(account) == D("0.00")
    assert outcomes() == [("sandbox", "posted")]
    assert GatewayNotification.objects.get().payment == payment
    done = Client().get(f"/pay/orders/{order.public_id}/").content.decode()
    assert 'id="pay-done"' in done and "refresh" not in done


def test_a_transaction_id_used_again_for_another_amount_is_refused_when_posted(
    billed, billing_clerk
):
    from waterdesk.billing.services.ledger import ledger_post_adjustment

    account, _bills = billed
    client = CommittingClient()
    with at(2026, 4, 10, 9):
        first = payment_order_create(account=account, gateway="sandbox")
        assert post_sandbox(client, first, "SBX-TWICE").status_code == 200
        ledger_post_adjustment(
            actor=billing_clerk, account=account, amount=D("80.00"), reason="补收", bill=None,
            idempotency_key="adj-1",
        )  # fmt: skip
        second = payment_order_create(account=account, gateway="sandbox")
        response = post_sandbox(client, second, "SBX-TWICE")
    # Accepted (its order and amount match), then refused by payment_record and flagged.
    assert response.status_code == 200
    assert outcomes() == [("sandbox", "posted"), ("sandbox", "refused")]
    refused = GatewayNotification.objects.get(outcome="refused")
    assert refused.detail.startswith("transaction_id_reused: ") and refused.payment is None
    flagged = PaymentException.objects.get()
    assert (flagged.kind, flagged.reference, flagged.amount) == ("refused", "SBX-TWICE", D("80.00"))
    second.refresh_from_db()
    assert (second.status, second.payment) == (OrderStatus.OPEN, None)
    assert Payment.objects.count() == 1
    assert account_balance(account) == D("80.00")


def test_a_notification_that_fails_to_post_is_left_received_and_the_others_go_on(
    billed, monkeypatch, caplog
):
    from waterdesk.payments.services import gateways

    account, bills = billed
    with at(2026, 4, 10, 9):
        broken = payment_order_create(account=account, gateway="sandbox", bills=bills[:1])
        fine = payment_order_create(account=account, gateway="sandbox", bills=bills[1:])
        assert (broken.amount, fine.amount) == (D("100.00"), D("200.00"))
        post_sandbox(Client(), broken, "SBX-BROKEN")
        post_sandbox(Client(), fine, "SBX-FINE")
    real_record = gateways.payment_record

    def record(**fields):
        if fields["external_id"] == "SBX-BROKEN":
            raise RuntimeError("the database went away")
        return real_record(**fields)

    monkeypatch.setattr(gateways, "payment_record", record)
    with at(2026, 4, 10, 9, 5):
        assert gateway_notifications_post() == 1
    assert "gateway notification" in caplog.text and "the database went away" in caplog.text
    assert outcomes() == [("sandbox", "received"), ("sandbox", "posted")]
    assert list(Payment.objects.values_list("external_id", flat=True)) == ["SBX-FINE"]
    broken.refresh_from_db()
    assert (broken.status, broken.payment) == (OrderStatus.OPEN, None)
    assert account_balance(account) == D("100.00")
    # Repaired: the next run (the sweep) posts it.
    monkeypatch.setattr(gateways, "payment_record", real_record)
    with at(2026, 4, 10, 9, 6):
        assert gateway_notifications_post() == 1
    assert outcomes() == [("sandbox", "posted"), ("sandbox", "posted")]
    assert account_balance(account) == D("0.00")
    assert list(Payment.objects.get(external_id="SBX-BROKEN").bills.all()) == bills[:1]
