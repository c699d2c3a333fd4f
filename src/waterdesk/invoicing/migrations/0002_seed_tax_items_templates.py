"""The default tax items (one per billing component) and the invoice delivery message on
SMS, e-mail and WeChat. Only what is missing is created: the finance office's and the
administrators' edits are kept.

Defaults: water supply is taxable at the 3 % simple-levy rate (简易计税, 自来水); the
sewage treatment fee, the water-resource fee (tax) and the garbage fee the utility collects
for the government are not taxable (不征税); other surcharges are taxable at 3 %. The tax
classification codes are the commonly used ones; the finance office confirms them with the
local tax bureau (docs/e-invoices.md)."""

from django.db import migrations

TAX_ITEMS = [
    # component, goods name, code, treatment, rate, simple levy
    ("water_supply", "*水冰雪*自来水", "1100301010000000000", "taxable", "0.03", True),
    ("sewage", "*不征税项目*代收污水处理费", "6130300000000000000", "not_taxable", "0", False),
    ("water_resource", "*不征税项目*水资源税（费）", "6130200000000000000", "not_taxable", "0", False),
    ("garbage", "*不征税项目*代收垃圾处理费", "6130100000000000000", "not_taxable", "0", False),
    ("other", "*水冰雪*自来水附加费", "1100301010000000000", "taxable", "0.03", True),
]

SIGNATURE = "【城市水务】"
EMAIL_FOOTER = "\n\n城市水务客户服务中心\n（本邮件由系统自动发送，请勿直接回复。）"
TEMPLATES = {
    "invoice.issued": (
        "电子发票开具通知：customer_name, account_number, kind_label, invoice_number, amount, "
        "pdf_url, ofd_url",
        {
            "sms": (
                "",
                SIGNATURE + "{{ customer_name }}您好，户号{{ account_number }}的{{ kind_label }}"
                "{{ invoice_number }}已开具，金额{{ amount }}元"
                "{% if pdf_url %}，下载：{{ pdf_url }}{% endif %}。",
            ),
            "email": (
                "电子发票（户号{{ account_number }}，发票号码{{ invoice_number }}）",
                "{{ customer_name }}您好：\n\n您的户号{{ account_number }}的{{ kind_label }}已开具。\n"
                "发票号码：{{ invoice_number }}\n价税合计：{{ amount }}元\n"
                "{% if pdf_url %}PDF 版式文件：{{ pdf_url }}\n{% endif %}"
                "{% if ofd_url %}OFD 版式文件：{{ ofd_url }}\n{% endif %}" + EMAIL_FOOTER,
            ),
            "wechat": (
                "电子发票开具通知",
                "{{ customer_name }}您好，户号{{ account_number }}的{{ kind_label }}{{ invoice_number }}"
                "已开具，金额{{ amount }}元{% if pdf_url %}，下载：{{ pdf_url }}{% endif %}。",
            ),
        },
    ),
}


def seed(apps, schema_editor):
    TaxItem = apps.get_model("invoicing", "TaxItem")
    for kind, name, code, treatment, rate, simple_levy in TAX_ITEMS:
        TaxItem.objects.get_or_create(
            component_kind=kind,
            defaults={
                "goods_name": name,
                "tax_code": code,
                "treatment": treatment,
                "rate": rate,
                "simple_levy": simple_levy,
                "unit": "吨",
            },
        )
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    for key, (description, channels) in TEMPLATES.items():
        for channel, (subject, body) in channels.items():
            NotificationTemplate.objects.get_or_create(
                key=key,
                channel=channel,
                defaults={"subject": subject, "body": body, "description": description},
            )


def unseed(apps, schema_editor):
    apps.get_model("notify", "NotificationTemplate").objects.filter(key__in=list(TEMPLATES)).delete()
    apps.get_model("invoicing", "TaxItem").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0001_initial"),
        ("notify", "0005_notification_batch_key"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
