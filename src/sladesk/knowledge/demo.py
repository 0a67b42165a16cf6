"""The demo's knowledge base: a few shelves, articles for each audience in English and
Russian (translations linked), and what the vendor knows of each demo customer's set-up.
Written through the real services, so that the versions and the search index exist."""

from __future__ import annotations

from sladesk.accounts.models import Organisation, User
from sladesk.knowledge.choices import ArticleStatus, Audience
from sladesk.knowledge.models import Category
from sladesk.knowledge.services import ArticleDraft, article_create, configuration_save

CATEGORIES = ("FAQ", "Instructions", "Troubleshooting")
# (category, audience, organisation code, {language: (title, body)})
ARTICLES = [
    (
        "Troubleshooting",
        Audience.PUBLIC,
        "",
        {
            "en": (
                "The printer does not print",
                "1. Check that the printer is **on-line** and has paper.\n"
                "2. Open the print queue and cancel stuck jobs.\n"
                "3. Restart the *Print Spooler* service.\n\n"
                "If the printers still do not print, register a ticket with the error text.",
            ),
            "ru": (
                "Принтер не печатает",
                "1. Проверьте, что принтер **в сети** и в нём есть бумага.\n"
                "2. Откройте очередь печати и отмените зависшие задания.\n"
                "3. Перезапустите службу *Диспетчер печати*.\n\n"
                "Если принтеры по-прежнему не печатают, зарегистрируйте обращение с текстом "
                "ошибки.",
            ),
        },
    ),
    (
        "FAQ",
        Audience.PUBLIC,
        "",
        {
            "en": (
                "How do I reset my password?",
                "Use **Forgot your password?** on the sign-in page. The link in the mail "
                "works for three days.",
            ),
            "ru": (
                "Как сбросить пароль?",
                "Нажмите **Забыли пароль?** на странице входа. Ссылка в письме действует три дня.",
            ),
        },
    ),
    (
        "Instructions",
        Audience.CUSTOMERS,
        "",
        {
            "en": (
                "Exporting a report to Excel",
                "Open the report, choose **Export** and then **XLSX**. Large reports are "
                "prepared in the background and mailed to you.",
            ),
        },
    ),
    (
        "Instructions",
        Audience.ORGANISATION,
        "alpha",
        {
            "ru": (
                "Подключение к CRM Альфа по VPN",
                "Доступ к стенду Alpha CRM — только через VPN-шлюз `vpn.alpha.example`. "
                "Учётные записи выдаёт отдел ИТ Альфы.",
            ),
        },
    ),
    (
        "Troubleshooting",
        Audience.INTERNAL,
        "",
        {
            "en": (
                "Nightly import: where to look first",
                "Check the importer log on the application server, then the queue of the "
                "message broker. A failed import is restarted with `import --resume`.",
            ),
        },
    ),
]
CONFIGURATIONS = {
    "alpha": {
        "environment": "Alpha CRM 4.2 on two application servers (Linux), PostgreSQL 15.",
        "installed_versions": "Alpha CRM 4.2.7, Web Shop 2.9.1",
        "integrations": "1C:Enterprise (orders, nightly), mail server Exchange 2019",
        "remote_access": "VPN vpn.alpha.example, then SSH to crm-app-1/2",
        "contacts": "IT department: +7 495 000-00-00, it@alpha.example",
        "notes": "Maintenance window: Saturday 22:00-02:00 MSK.",
    },
    "beta": {
        "environment": "Beta ERP 7 in the customer's data centre (Windows Server 2022).",
        "installed_versions": "Beta ERP 7.1.3, Beta Portal 1.4",
        "integrations": "Warehouse scanners (REST), SAP HR export",
        "remote_access": "TeamViewer on request, session opened by Beta's specialist",
        "contacts": "Service desk of Beta: servicedesk@beta.example",
        "notes": "",
    },
}


def demo_knowledge_load(*, author: User) -> None:
    categories = {
        name: Category.objects.create(name=name, position=position)
        for position, name in enumerate(CATEGORIES)
    }
    organisations = {o.code: o for o in Organisation.objects.filter(code__in=CONFIGURATIONS)}
    for category, audience, code, texts in ARTICLES:
        original = None
        for language, (title, body) in texts.items():
            article = article_create(
                actor=author,
                draft=ArticleDraft(
                    title=title,
                    body=body,
                    language=language,
                    audience=audience,
                    organisation_id=organisations[code].pk if code else None,
                    status=ArticleStatus.PUBLISHED,
                    category_id=categories[category].pk,
                    translation_of_id=original.pk if original else None,
                ),
            )
            original = original or article
    for code, data in CONFIGURATIONS.items():
        configuration_save(
            actor=author, organisation_id=organisations[code].pk, expected_version=0, data=data
        )
