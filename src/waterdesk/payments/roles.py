"""What each role may do with payments (granted from ``PaymentsConfig.ready``)."""

from waterdesk.core.roles import Role, role_grant


def grant_roles() -> None:
    # Cashiers take money at the counter, print receipts, ask for a void and close their day;
    # they find the account and see its bills.
    role_grant(
        Role.CASHIER,
        "payments.take_payment",
        "payments.view_payment",
        "customers.view_customer",
        "customers.view_account",
        "billing.view_bill",
    )
    # Supervisors approve voids, reversals and refunds (never their own) and sign off the
    # cashiers' daily closes; they read the cash-office reports.
    role_grant(
        Role.SUPERVISOR,
        "payments.view_payment",
        "payments.approve_correction",
        "payments.sign_off_close",
        "payments.view_cash_report",
    )
    # The billing office reads every payment and the cash-office reports.
    role_grant(
        Role.BILLING_CLERK,
        "payments.view_payment",
        "payments.view_cash_report",
    )
    # The billing office runs bank direct debit: mandates, debit files, the banks' results.
    role_grant(Role.BILLING_CLERK, "payments.manage_bank_debit")
    # Administrators register kiosks and partner agents and issue or revoke their tokens.
    role_grant(
        Role.ADMINISTRATOR,
        "payments.view_paymentdevice",
        "payments.add_paymentdevice",
        "payments.change_paymentdevice",
    )
    role_grant(
        Role.ADMINISTRATOR,
        "payments.view_office",
        "payments.add_office",
        "payments.change_office",
        "payments.view_cashierpost",
        "payments.add_cashierpost",
        "payments.change_cashierpost",
        "payments.delete_cashierpost",
        "payments.view_payment",
    )
    # Payment notices: administrators set the days before the due date (or turn them off);
    # refunds are read in the admin by supervisors and the billing office.
    role_grant(
        Role.ADMINISTRATOR,
        "payments.view_paymentnoticepolicy",
        "payments.add_paymentnoticepolicy",
        "payments.change_paymentnoticepolicy",
    )
    role_grant(Role.SUPERVISOR, "payments.view_refund")
    role_grant(Role.BILLING_CLERK, "payments.view_refund")
    # Online payments: the billing office resolves the cash office's exceptions and imports
    # the gateways' statements (supervisors and the billing office read them).
    role_grant(Role.BILLING_CLERK, "payments.resolve_paymentexception")
