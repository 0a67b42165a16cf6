"""Knowledge base search and suggestions over 10,000 articles, on PostgreSQL and SQLite.

Run: `python benchmarks/knowledge_search.py [--articles N] [--queries N] [--no-sqlite]`.
PostgreSQL at `postgres://postgres@127.0.0.1:5432/sladesk_bench_kb` (`--postgres URL`;
created if missing, migrated and emptied), SQLite in a temporary directory, which is also
the data directory. A generated support corpus in English, Russian and Czech (printers,
VPN, mail, backups, licences, installation, error codes; Russian in varied word forms,
Czech with its diacritics), bodies of a few hundred to a few thousand words, mixed
audiences and statuses, is bulk-inserted; the search entries are then filled set-wise with
the very expression `knowledge.search.index` writes (one article is then indexed through
`index` itself and must come out the same). Every timed call is what a request does:
`knowledge.search.search` or `suggest` over `selectors.article_readable` of a reader signed
out, a customer or an agent. Median of 3 runs; writes benchmarks/RESULTS.md under
"## Knowledge base search"."""

# ruff: noqa: RUF001  # Russian and Czech text is the point of the corpus
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HEADING = "## Knowledge base search"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/sladesk_bench_kb"
DATE = "2026-12-04"
RUNS = 3
TARGET_MS = 50.0
CHILD_TIMEOUT = 3600  # seconds: one backend's load and measurement, then it is stopped
WARM_UP = 20  # queries per reader and operation before the first timed run

# --- the corpus ----------------------------------------------------------------------------

# The codes the queries ask for, and many more: an error code is in a few articles only.
CODES = [
    "0x80070005", "0x80070643", "0x8007045D", "0x800CCC0E", "0x80004005", "0xC004F074",
    "0x80240017", "0x80070002", "ORA-12154", "ERR-4012", "HTTP 502", "SMTP 550",
    *(f"0x8007{number:04X}" for number in range(0, 4000, 11)),
    *(f"ERR-{number}" for number in range(1000, 1300)),
]  # fmt: skip
PRODUCTS = ["Outlook", "Thunderbird", "Veeam", "Acronis", "OpenVPN", "WireGuard", "Kyocera",
            "HP LaserJet", "Canon", "Windows 11", "Windows Server 2022", "Ubuntu 24.04",
            "Exchange", "1C", "PostgreSQL", "Active Directory"]  # fmt: skip
HOSTS = [
    f"{role}-{site}-{number:02d}"
    for role in ("srv-app", "srv-db", "print", "vpn-gw", "mail-relay", "backup-nas", "dc")
    for site in ("msk", "prg", "ber")
    for number in range(1, 9)
]

# Each topic: per language, titles and sentences ({code}, {product}, {host}, {version}
# are filled in). The Russian sentences use a word in several of its forms.
TOPICS: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    "printer": {
        "en": (
            [
                "Printer shows offline",
                "Printing stops after a Windows update",
                "{product} printer prints blank pages",
                "Print queue is stuck on {host}",
                "Printers missing after login",
                "Printer driver installation fails with {code}",
            ],
            [
                "The printer shows offline although it is switched on and connected.",
                "Jobs stay in the print queue and nothing is printed.",
                "Restart the print spooler service on {host} and send the job again.",
                "Remove the old printer driver and install version {version} from the vendor.",
                "Printers that were mapped by group policy disappear after the user logs in.",
                "Check that the printer has paper and toner before opening a ticket.",
                "When the printer prints blank pages, clean the drum and print a test page.",
                "Network printers need a fixed IP address; a changed address breaks printing.",
                "Printing from {product} fails while other programs print fine.",
                "The spooler crashes when a corrupted job is in the queue; delete the job.",
            ],
        ),
        "ru": (
            [
                "Принтер не печатает",
                "Принтеры пропали после входа в систему",
                "Принтер {product} печатает пустые листы",
                "Зависла очередь печати на {host}",
                "Ошибка {code} при установке драйвера принтера",
                "Печать не работает после обновления",
            ],
            [
                "Принтер не печатает, хотя он включён и подключён к сети.",
                "Документы висят в очереди печати, но ничего не печатается.",
                "Перезапустите службу диспетчера печати на {host} и отправьте задание снова.",
                "Удалите старый драйвер принтера и установите версию {version}.",
                "Сетевые принтеры пропадают у пользователей после входа в систему.",
                "Проверьте, есть ли в принтере бумага и тонер, прежде чем создавать заявку.",
                "Если принтер печатает пустые страницы, почистите барабан и напечатайте тест.",
                "Сетевым принтерам нужен постоянный IP-адрес, иначе печать прерывается.",
                "Из {product} документы не печатаются, а из других программ печатают нормально.",
                "Настройки принтеров хранятся в групповой политике, список принтеров обновляется.",
                "У нескольких принтеров одновременно перестала работать печать по сети.",
            ],
        ),
        "cs": (
            [
                "Tiskárna je offline",
                "Tisk se zastaví po aktualizaci Windows",
                "Tiskárna {product} tiskne prázdné stránky",
                "Fronta tisku na {host} se zasekla",
                "Instalace ovladače tiskárny selhává s chybou {code}",
            ],
            [
                "Tiskárna se hlásí jako offline, přestože je zapnutá a připojená.",
                "Úlohy zůstávají ve frontě tisku a nic se nevytiskne.",
                "Restartujte službu zařazování tisku na {host} a odešlete úlohu znovu.",
                "Odinstalujte starý ovladač tiskárny a nainstalujte verzi {version}.",
                "Síťové tiskárny po přihlášení uživatele zmizí.",
                "Před založením požadavku zkontrolujte papír a toner v tiskárně.",
                "Když tiskárna tiskne prázdné stránky, vyčistěte válec.",
                "Tisk z aplikace {product} selhává, z ostatních programů se tiskne správně.",
            ],
        ),
    },
    "vpn": {
        "en": (
            [
                "VPN disconnects every hour",
                "Cannot connect to the VPN from home",
                "{product} client reports {code}",
                "VPN connected but no access to {host}",
                "Split tunnelling for the VPN",
            ],
            [
                "The VPN connection drops every hour and has to be established again.",
                "Connecting to the VPN from a home network fails with a timeout.",
                "Check that the VPN certificate has not expired and import the new one.",
                "After the VPN connects, internal servers such as {host} do not answer.",
                "Update the {product} client to version {version}; older clients lose the tunnel.",
                "Two-factor authentication is required for every VPN login.",
                "A hotel or mobile network may block the VPN port; try the TCP profile.",
                "The VPN gateway {host} logs every failed attempt with the user name.",
            ],
        ),
        "ru": (
            [
                "VPN отключается каждый час",
                "Не удаётся подключиться к VPN из дома",
                "Клиент {product} выдаёт ошибку {code}",
                "VPN подключён, но нет доступа к {host}",
                "Настройка подключения к VPN",
            ],
            [
                "Подключение к VPN обрывается каждый час, приходится подключаться заново.",
                "При подключении к VPN из домашней сети возникает тайм-аут.",
                "Проверьте срок действия сертификата VPN и импортируйте новый сертификат.",
                "После подключения VPN внутренние серверы, например {host}, не отвечают.",
                "Обновите клиент {product} до версии {version}: старые клиенты теряют туннель.",
                "Для каждого входа в VPN нужна двухфакторная аутентификация.",
                "Мобильные сети иногда блокируют порт VPN; попробуйте профиль TCP.",
                "Удалённые сотрудники подключаются к сети офиса через VPN.",
            ],
        ),
        "cs": (
            [
                "VPN se každou hodinu odpojí",
                "Nelze se připojit k VPN z domova",
                "Klient {product} hlásí chybu {code}",
                "Připojení k VPN bez přístupu na {host}",
            ],
            [
                "Připojení k VPN každou hodinu spadne a musí se navázat znovu.",
                "Připojení k VPN z domácí sítě končí vypršením časového limitu.",
                "Zkontrolujte platnost certifikátu VPN a naimportujte nový certifikát.",
                "Po připojení k VPN neodpovídají interní servery, například {host}.",
                "Aktualizujte klienta {product} na verzi {version}.",
                "Pro každé přihlášení do VPN je nutné dvoufázové ověření.",
            ],
        ),
    },
    "mail": {
        "en": (
            [
                "Outlook does not receive new mail",
                "Mailbox quota exceeded",
                "Sending mail fails with {code}",
                "Shared mailbox missing in {product}",
                "Mail stuck in the outbox",
            ],
            [
                "New messages do not arrive in the inbox although the webmail shows them.",
                "The mailbox is over its quota; archive old messages or ask for more space.",
                "Sending fails with {code} when the relay {host} refuses the sender.",
                "A shared mailbox appears in {product} a few hours after access is granted.",
                "Messages stay in the outbox when the mail profile is damaged.",
                "Large attachments over 25 MB are refused by the mail server.",
                "Check the spam folder and the mail rules before reporting lost mail.",
                "IMAP synchronisation stops after the password is changed.",
            ],
        ),
        "ru": (
            [
                "Не приходит почта в Outlook",
                "Почтовый ящик переполнен",
                "Ошибка {code} при отправке письма",
                "Общий почтовый ящик не виден в {product}",
                "Письма застревают в исходящих",
            ],
            [
                "Новые письма не приходят во входящие, хотя в веб-почте они есть.",
                "Почтовый ящик превысил квоту; заархивируйте старые письма или запросите место.",
                "Отправка писем падает с ошибкой {code}, если {host} отклоняет отправителя.",
                "Общий почтовый ящик появляется в {product} через пару часов после выдачи прав.",
                "Письма остаются в исходящих, если повреждён профиль почты.",
                "Почтовый сервер не принимает вложения больше 25 МБ.",
                "Проверьте папку спама и правила почты, прежде чем сообщать о потере писем.",
                "Синхронизация почты по IMAP прекращается после смены пароля.",
            ],
        ),
        "cs": (
            [
                "Outlook nepřijímá novou poštu",
                "Poštovní schránka je plná",
                "Odeslání e-mailu selhává s chybou {code}",
                "Sdílená schránka chybí v {product}",
            ],
            [
                "Nové zprávy nepřicházejí do doručené pošty, i když je webová pošta zobrazuje.",
                "Poštovní schránka překročila kvótu; archivujte staré zprávy.",
                "Odesílání selhává s chybou {code}, když server {host} odmítne odesílatele.",
                "Zprávy zůstávají v pošťe k odeslání, když je poškozený profil; vytvořte nový.",
                "Poštovní server odmítá přílohy větší než 25 MB.",
                "Synchronizace pošty přes IMAP se po změně hesla zastaví.",
            ],
        ),
    },
    "backup": {
        "en": (
            [
                "Nightly backup failed",
                "Restoring a deleted file from the backup",
                "{product} backup job reports {code}",
                "Backup storage {host} is full",
            ],
            [
                "The nightly backup job failed and the report shows {code}.",
                "Deleted files can be restored from the backup of the previous night.",
                "The backup storage on {host} is full; old restore points go after 30 days.",
                "A backup that runs during working hours slows down the file server.",
                "Verify each backup with a test restore at least once a month.",
                "The {product} agent must be version {version} or newer to back up the database.",
            ],
        ),
        "ru": (
            [
                "Ночное резервное копирование не выполнено",
                "Восстановление файла из резервной копии",
                "Задание {product} завершилось ошибкой {code}",
                "Хранилище резервных копий {host} заполнено",
            ],
            [
                "Ночное резервное копирование не выполнено, в отчёте ошибка {code}.",
                "Удалённые файлы можно восстановить из резервной копии за прошлую ночь.",
                "Хранилище резервных копий на {host} заполнено; копии старше 30 дней удаляются.",
                "Резервное копирование в рабочее время замедляет файловый сервер.",
                "Раз в месяц проверяйте резервные копии пробным восстановлением.",
                "Агент {product} версии {version} и новее умеет копировать базы данных.",
            ],
        ),
        "cs": (
            [
                "Noční záloha selhala",
                "Obnovení smazaného souboru ze zálohy",
                "Úloha zálohování {product} hlásí {code}",
                "Úložiště záloh {host} je plné",
            ],
            [
                "Noční zálohování selhalo a zpráva uvádí chybu {code}.",
                "Smazané soubory lze obnovit ze zálohy z předchozí noci.",
                "Úložiště záloh na {host} je plné; staré body obnovení se mažou po 30 dnech.",
                "Zálohování v pracovní době zpomaluje souborový server.",
                "Alespoň jednou měsíčně ověřte zálohu zkušebním obnovením.",
            ],
        ),
    },
    "licence": {
        "en": (
            [
                "Licence expired",
                "Activation fails with {code}",
                "Moving a licence to a new computer",
                "{product} asks for a licence key again",
            ],
            [
                "The licence expired at the end of the contract period; renew it in the portal.",
                "Activation fails with {code} when the licence server cannot be reached.",
                "To move a licence, deactivate it on the old computer first.",
                "{product} asks for the licence key after a hardware change.",
                "A floating licence is returned to the pool when the program is closed.",
                "The licence report lists every activated seat with its last use.",
            ],
        ),
        "ru": (
            [
                "Лицензия истекла",
                "Активация завершается ошибкой {code}",
                "Перенос лицензии на новый компьютер",
                "{product} снова запрашивает лицензионный ключ",
            ],
            [
                "Срок действия лицензии истёк вместе с договором; продлите лицензию в портале.",
                "Активация завершается ошибкой {code}, если сервер лицензий недоступен.",
                "Чтобы перенести лицензию, сначала деактивируйте её на старом компьютере.",
                "{product} запрашивает лицензионный ключ после замены оборудования.",
                "Плавающая лицензия возвращается в пул при закрытии программы.",
                "В отчёте по лицензиям видны все активированные места.",
            ],
        ),
        "cs": (
            [
                "Licence vypršela",
                "Aktivace selhává s chybou {code}",
                "Přesun licence na nový počítač",
                "{product} znovu žádá licenční klíč",
            ],
            [
                "Licence vypršela s koncem smluvního období; obnovte ji v portálu.",
                "Aktivace selhává s chybou {code}, když není dostupný licenční server.",
                "Před přesunem licence ji nejprve deaktivujte na starém počítači.",
                "{product} po výměně hardwaru znovu požaduje licenční klíč.",
            ],
        ),
    },
    "install": {
        "en": (
            [
                "Installation of {product} fails",
                "Installer stops with {code}",
                "Silent installation for many computers",
                "Upgrading to version {version}",
            ],
            [
                "The installation stops with {code} when the user is not a local administrator.",
                "Run the installer as administrator and close every running program first.",
                "For a silent installation pass the answer file to the installer.",
                "Upgrading to version {version} keeps the settings and the database.",
                "The installation log is written to the temporary folder of the user.",
                "Antivirus software may block the installer; add an exception for it.",
            ],
        ),
        "ru": (
            [
                "Не устанавливается {product}",
                "Установка прерывается с ошибкой {code}",
                "Тихая установка на много компьютеров",
                "Обновление до версии {version}",
            ],
            [
                "Установка прерывается с ошибкой {code}, если у пользователя нет прав.",
                "Запустите установщик от имени администратора и закройте все программы.",
                "Для тихой установки передайте установщику файл ответов.",
                "При обновлении до версии {version} настройки и база данных сохраняются.",
                "Журнал установки записывается во временную папку пользователя.",
                "Антивирус может блокировать установщик; добавьте исключение.",
            ],
        ),
        "cs": (
            [
                "Instalace {product} selhává",
                "Instalátor skončí s chybou {code}",
                "Tichá instalace na mnoho počítačů",
                "Přechod na verzi {version}",
            ],
            [
                "Instalace skončí s chybou {code}, když uživatel není místní správce.",
                "Spusťte instalátor jako správce a nejprve zavřete všechny programy.",
                "Pro tichou instalaci předejte instalátoru soubor odpovědí.",
                "Při přechodu na verzi {version} zůstane nastavení i databáze zachována.",
                "Antivirový program může instalátor zablokovat; přidejte výjimku.",
            ],
        ),
    },
    "access": {
        "en": (
            [
                "Access denied ({code}) when opening a shared folder",
                "Password reset",
                "Account locked after failed logins",
                "Cannot sign in to the portal",
            ],
            [
                "Access is denied with {code} when the user is not in the right group.",
                "Reset the password in the self-service portal; the new one works within minutes.",
                "The account is locked for 15 minutes after five failed logins.",
                "Signing in to the portal needs the e-mail address, not the user name.",
                "Permissions on the shared folder are granted by the owner of the data.",
                "A changed password must also be entered on the phone for mail to work.",
            ],
        ),
        "ru": (
            [
                "Отказано в доступе ({code}) к общей папке",
                "Сброс пароля",
                "Учётная запись заблокирована после неудачных входов",
                "Не удаётся войти в портал",
            ],
            [
                "Доступ запрещён с ошибкой {code}, если пользователь не состоит в нужной группе.",
                "Сбросьте пароль в портале самообслуживания; новый работает через минуту.",
                "После пяти неудачных попыток входа учётная запись блокируется на 15 минут.",
                "Для входа в портал нужен адрес электронной почты, а не имя пользователя.",
                "Права на общую папку выдаёт владелец данных.",
                "После смены пароля введите новый пароль и на телефоне, иначе почта не работает.",
            ],
        ),
        "cs": (
            [
                "Přístup odepřen ({code}) ke sdílené složce",
                "Obnovení hesla",
                "Účet zablokován po neúspěšném přihlášení",
                "Přihlášení do portálu selhává",
            ],
            [
                "Přístup je odepřen s chybou {code}, když uživatel není ve správné skupině.",
                "Heslo obnovíte na samoobslužném portálu; nové heslo funguje během několika minut.",
                "Po pěti neúspěšných pokusech o přihlášení se účet na 15 minut zablokuje.",
                "K přihlášení do portálu je potřeba e-mailová adresa, ne uživatelské jméno.",
                "Oprávnění ke sdílené složce uděluje vlastník dat.",
            ],
        ),
    },
    "network": {
        "en": (
            [
                "Wi-Fi keeps dropping in the meeting room",
                "No network after docking the laptop",
                "Slow connection to {host}",
                "Proxy blocks the update server",
            ],
            [
                "The wireless network drops in the meeting room when many people connect.",
                "After docking the laptop there is no network until the cable is plugged again.",
                "The connection to {host} is slow during the backup window.",
                "The proxy blocks the update server; ask for the address to be allowed.",
                "Forget the Wi-Fi network and connect again with the new certificate.",
                "Run the network diagnostics and attach the result to the ticket.",
            ],
        ),
        "ru": (
            [
                "Wi-Fi в переговорной постоянно отключается",
                "Нет сети после подключения к док-станции",
                "Медленное соединение с {host}",
                "Прокси блокирует сервер обновлений",
            ],
            [
                "Беспроводная сеть в переговорной пропадает, когда подключается много людей.",
                "После подключения ноутбука к док-станции сети нет, пока кабель не переподключить.",
                "Соединение с {host} медленное во время резервного копирования.",
                "Прокси-сервер блокирует сервер обновлений; попросите разрешить адрес.",
                "Забудьте сеть Wi-Fi и подключитесь заново с новым сертификатом.",
                "Запустите диагностику сети и приложите результат к заявке.",
            ],
        ),
        "cs": (
            [
                "Wi-Fi v zasedačce vypadává",
                "Po připojení k dokovací stanici není síť",
                "Pomalé připojení k {host}",
                "Proxy blokuje aktualizační server",
            ],
            [
                "Bezdrátová síť v zasedací místnosti vypadává, když se připojí hodně lidí.",
                "Po připojení notebooku k dokovací stanici není síť, dokud se kabel nepřipojí.",
                "Připojení k {host} je během zálohování pomalé.",
                "Proxy blokuje aktualizační server; požádejte o povolení adresy.",
            ],
        ),
    },
    "update": {
        "en": (
            [
                "Windows update fails with {code}",
                "Updates are not installed on {host}",
                "Computer restarts during working hours for updates",
                "{product} update {version}",
            ],
            [
                "The update fails with {code}; run the update troubleshooter and try again.",
                "Updates are approved on Tuesdays and installed during the night.",
                "A computer that was off overnight installs its updates at the next start.",
                "Version {version} of {product} fixes the crash when opening large reports.",
                "Free at least 10 GB on the system disk before a feature update.",
            ],
        ),
        "ru": (
            [
                "Обновление Windows завершается ошибкой {code}",
                "Обновления не устанавливаются на {host}",
                "Компьютер перезагружается для обновлений в рабочее время",
                "Обновление {product} {version}",
            ],
            [
                "Обновление завершается ошибкой {code}; запустите средство устранения неполадок.",
                "Обновления одобряются по вторникам и устанавливаются ночью.",
                "Компьютер, выключенный на ночь, устанавливает обновления при следующем запуске.",
                "Версия {version} {product} исправляет сбой при открытии больших отчётов.",
                "Перед крупным обновлением освободите не меньше 10 ГБ на системном диске.",
            ],
        ),
        "cs": (
            [
                "Aktualizace Windows selhává s chybou {code}",
                "Aktualizace se neinstalují na {host}",
                "Počítač se kvůli aktualizacím restartuje v pracovní době",
            ],
            [
                "Aktualizace selhává s chybou {code}; spusťte poradce při potížích.",
                "Aktualizace se schvalují v úterý a instalují se v noci.",
                "Verze {version} aplikace {product} opravuje pád při otevírání velkých sestav.",
            ],
        ),
    },
}
GENERAL = {
    "en": ["If the problem persists, open a ticket and attach a screenshot.",
           "This article applies to every supported version.",
           "Write down the exact time when the error appeared.",
           "The support team answers within the hours of your contract.",
           "Ask your administrator if you are not allowed to change the setting.",
           "Most users can solve this without help in a few minutes.",
           "Save your work before you restart the computer.",
           "The steps below were checked on the current release."],
    "ru": ["Если проблема не исчезла, создайте заявку и приложите снимок экрана.",
           "Статья относится ко всем поддерживаемым версиям.",
           "Запишите точное время, когда появилась ошибка.",
           "Служба поддержки отвечает в часы, указанные в договоре.",
           "Обратитесь к администратору, если у вас нет прав на изменение настройки.",
           "Большинство пользователей справляются с этим самостоятельно за несколько минут.",
           "Сохраните документы перед перезагрузкой компьютера.",
           "Шаги ниже проверены на текущем выпуске."],
    "cs": ["Pokud problém přetrvává, založte požadavek a přiložte snímek obrazovky.",
           "Tento článek platí pro všechny podporované verze.",
           "Zapište si přesný čas, kdy se chyba objevila.",
           "Podpora odpovídá v hodinách podle vaší smlouvy.",
           "Požádejte správce, pokud nemáte oprávnění nastavení změnit.",
           "Většina uživatelů to vyřeší sama během několika minut.",
           "Před restartem počítače uložte rozdělanou práci."],
}  # fmt: skip
HEADINGS = {
    "en": ("Symptoms", "Cause", "Solution", "More information"),
    "ru": ("Симптомы", "Причина", "Решение", "Дополнительно"),
    "cs": ("Příznaky", "Příčina", "Řešení", "Další informace"),
}
LANGUAGES = ("en", "en", "en", "ru", "ru", "ru", "cs", "cs")  # 3/8 English, Russian; 1/4 Czech
AUDIENCES = ["public"] * 4 + ["customers"] * 3 + ["organisation"] + ["internal"] * 2
STATUSES = ["published"] * 16 + ["draft"] * 2 + ["archived"] * 2


def _fill(generator: random.Random, text: str) -> str:
    return text.format(
        code=generator.choice(CODES),
        product=generator.choice(PRODUCTS),
        host=generator.choice(HOSTS),
        version=f"{generator.randint(2, 12)}.{generator.randint(0, 9)}.{generator.randint(0, 30)}",
    )


def _article(generator: random.Random) -> dict[str, Any]:
    """One article's title, Markdown body, language, audience and status."""
    topic = generator.choice(list(TOPICS))
    language = generator.choice(LANGUAGES)
    titles, sentences = TOPICS[topic][language]
    # An article mentions one neighbouring topic now and then (a backup over the network).
    related = TOPICS[generator.choice([name for name in TOPICS if name != topic])][language][1]
    title = _fill(generator, generator.choice(titles))
    target = int(min(3000, max(200, generator.lognormvariate(6.6, 0.6))))  # words
    parts: list[str] = [f"# {title}"]
    count = 0
    section = 0
    while count < target:
        heading = HEADINGS[language][min(section, 3)]
        parts.append(f"## {heading}")
        section += 1
        paragraphs = []
        for _paragraph in range(generator.randint(1, 4)):
            chosen = []
            for _sentence in range(generator.randint(2, 6)):
                draw = generator.random()
                pool = sentences if draw < 0.6 else GENERAL[language] if draw < 0.9 else related
                chosen.append(_fill(generator, generator.choice(pool)))
            paragraphs.append(" ".join(chosen))
        if heading == HEADINGS[language][2]:
            steps = [_fill(generator, generator.choice(sentences)) for _ in range(5)]
            paragraphs.append("\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1)))
            paragraphs.append(f"`{generator.choice(HOSTS)}> {generator.choice(CODES)}`")
        parts.extend(paragraphs)
        count += sum(len(paragraph.split()) for paragraph in paragraphs)
    audience = generator.choice(AUDIENCES)
    return {
        "title": title[:200],
        "body": "\n\n".join(parts),
        "language": language,
        "audience": audience,
        "status": generator.choice(STATUSES),
        "topic": topic,
    }


def _rendered(body: str) -> tuple[str, str]:
    from sladesk.knowledge import markdown

    return markdown.render(body), markdown.plain(body)


# --- the queries ---------------------------------------------------------------------------

SEARCHES: dict[str, list[str]] = {
    "one word": ["printer", "vpn", "backup", "licence", "outlook", "certificate", "proxy",
                 "mailbox", "spooler", "activation", "installer", "принтер", "почта", "лицензия",
                 "сертификат", "tiskárna", "heslo", "záloha", "Wi-Fi", "quota"],
    "two words": ["printer offline", "vpn disconnects", "backup failed", "mailbox quota",
                  "licence expired", "silent installation", "password reset", "shared folder",
                  "print queue", "update fails", "access denied", "0x80070005 access",
                  "ошибка установки", "пароль почты", "очередь печати", "сертификат vpn",
                  "záloha selhala", "sdílená složka", "restore file", "docking station"],
    "error code": ["0x80070005", "0x800CCC0E", "0xC004F074", "ORA-12154", "0x80070643",
                   "SMTP 550", "ERR-4012"],
    "Russian word form": ["принтеры", "печатает", "принтеров", "почты", "паролем",
                          "резервные копии", "лицензии", "установке", "подключения",
                          "обновлений", "печати", "письма не приходят", "учётную запись"],
    "Czech without diacritics": ["tiskarna", "prihlaseni", "zalohovani", "instalace",
                                 "pripojeni k vpn", "aktualizace selhava", "heslo portal",
                                 "postovni schranka", "licence vyprsela", "tisk"],
    "typo": ["pritner", "pasword reset", "bakcup", "instalation", "certficate", "outlok",
             "принтр", "лицензя", "tiskarma", "licnce expired", "VPN disconects"],
}  # fmt: skip
SUGGEST_PARTS = {
    "en": (
        ["Hello,", "Hi team,", "Good morning,", "Dear support,", ""],
        ["since this morning our printer in accounting shows offline and nothing prints",
         "the VPN keeps disconnecting every hour when I work from home",
         "Outlook stopped receiving new mail and the mailbox says it is full",
         "last night's backup failed with an error and we need a deleted file back",
         "the licence of the program expired and activation fails with 0xC004F074",
         "installation of the new version stops with error 0x80070643",
         "I get access denied 0x80070005 when opening the shared folder",
         "my account is locked after I changed the password on my phone",
         "the Wi-Fi in the meeting room drops all the time",
         "Windows update fails on several computers with 0x80240017"],
        ["We restarted it twice already.", "Other colleagues have the same problem.",
         "It worked fine yesterday.", "This blocks our work, please help.",
         "What should we do?", "Could you check it today?", ""],
    ),
    "ru": (
        ["Здравствуйте!", "Добрый день,", "Коллеги,", ""],
        ["с утра принтер в бухгалтерии не печатает, документы висят в очереди",
         "VPN постоянно отключается, когда я работаю из дома",
         "в Outlook не приходят новые письма, пишет что ящик переполнен",
         "ночью не выполнилось резервное копирование, нужно восстановить удалённый файл",
         "истекла лицензия программы, активация выдаёт ошибку",
         "не устанавливается новая версия, установка прерывается с ошибкой 0x80070643",
         "при открытии общей папки пишет отказано в доступе",
         "учётная запись заблокирована после смены пароля",
         "в переговорной всё время пропадает Wi-Fi",
         "обновления Windows не устанавливаются на нескольких компьютерах"],
        ["Перезагружали уже два раза.", "У коллег то же самое.", "Вчера всё работало.",
         "Работа стоит, помогите пожалуйста.", "Что делать?", ""],
    ),
    "cs": (
        ["Dobrý den,", "Ahoj,", ""],
        ["od rána tiskárna v účtárně netiskne a úlohy zůstávají ve frontě",
         "VPN se mi z domova neustále odpojuje",
         "do Outlooku nechodí nová pošta a schránka je prý plná",
         "noční záloha selhala a potřebujeme obnovit smazaný soubor",
         "licence programu vypršela a aktivace hlásí chybu",
         "instalace nové verze skončí s chybou 0x80070643",
         "při otevření sdílené složky se zobrazí přístup odepřen",
         "po změně hesla mám zablokovaný účet"],
        ["Restartovali jsme to dvakrát.", "Kolegové mají stejný problém.",
         "Včera to fungovalo.", "Prosím o pomoc, nemůžeme pracovat.", ""],
    ),
}  # fmt: skip


def search_queries(generator: random.Random, count: int) -> list[tuple[str, str]]:
    """(kind, query), every kind about equally often."""
    kinds = list(SEARCHES)
    return [
        (kind, generator.choice(SEARCHES[kind]))
        for kind in (kinds[number % len(kinds)] for number in range(count))
    ]


def suggest_texts(generator: random.Random, count: int) -> list[str]:
    """Drafts of 10-40 words, as a customer writes a new request."""
    texts = []
    while len(texts) < count:
        language = generator.choice(("en", "en", "ru", "ru", "cs"))
        greetings, problems, endings = SUGGEST_PARTS[language]
        chosen = generator.sample(problems, generator.choice((1, 1, 2)))
        text = " ".join(
            [generator.choice(greetings), ". ".join(chosen) + ".", generator.choice(endings)]
        ).strip()
        if 10 <= len(text.split()) <= 40:
            texts.append(text)
    return texts


def percentiles(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"median": statistics.median(samples), "p95": cuts[94], "p99": cuts[98]}


# --- one backend (a child process) ---------------------------------------------------------


def _load(arguments: argparse.Namespace) -> dict[str, Any]:
    """The demo's people and `arguments.articles` articles with their search entries."""
    from django.db import connection, transaction

    from sladesk.accounts.models import Organisation, User
    from sladesk.core.demo import demo_people_load
    from sladesk.knowledge import search
    from sladesk.knowledge.models import Article, ArticleSearch

    demo_people_load(password="bench-password")  # a throw-away database
    author = User.objects.get(email="agent1@vendor.example")
    # The demo's own articles are indexed already: the load fills in the ones after them.
    last_demo_id = Article.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    organisations = list(Organisation.objects.filter(code__in=["alpha", "beta"]))
    generator = random.Random(2026)  # reproducible corpus, not secrets
    began = time.perf_counter()
    drafts = [_article(generator) for _ in range(arguments.articles)]
    with ProcessPoolExecutor() as pool:
        rendered = list(pool.map(_rendered, [draft["body"] for draft in drafts], chunksize=64))
    words = sum(len(text.split()) for _html, text in rendered)
    now = dt.datetime.now(dt.UTC)
    with transaction.atomic():
        for start in range(0, len(drafts), 500):
            batch = []
            for draft, (body_html, _text) in zip(
                drafts[start : start + 500], rendered[start : start + 500], strict=True
            ):
                organisation = (
                    generator.choice(organisations) if draft["audience"] == "organisation" else None
                )
                moment = now - dt.timedelta(minutes=generator.randrange(720 * 24 * 60))
                batch.append(
                    Article(
                        title=draft["title"],
                        body=draft["body"],
                        body_html=body_html,
                        language=draft["language"],
                        status=draft["status"],
                        audience=draft["audience"],
                        organisation=organisation,
                        owner=author,
                        created_by=author,
                        created_at=moment,
                        updated_at=moment,
                        published_at=moment if draft["status"] == "published" else None,
                    )
                )
            created = Article.objects.bulk_create(batch)
            ArticleSearch.objects.bulk_create(
                ArticleSearch(article=article, title=article.title, text=text)
                for article, (_html, text) in zip(
                    created, rendered[start : start + 500], strict=True
                )
            )
        with connection.cursor() as cursor:
            # The expression and the table `search.index` writes, for all rows at once.
            if connection.vendor == "postgresql":
                cursor.execute(f"{search.PG_INDEX} AND s.article_id > %s", [last_demo_id])
            else:
                cursor.execute(
                    f"INSERT INTO {search.FTS_TABLE} (rowid, title, body) "  # noqa: S608
                    "SELECT article_id, title, text FROM knowledge_articlesearch"
                    " WHERE article_id > %s",
                    [last_demo_id],
                )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, as autovacuum would give
    seconds = time.perf_counter() - began
    _check_index_agrees()
    return {"load_seconds": seconds, "words": words}


def _entry(article_id: int) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT title, text, document::text FROM knowledge_articlesearch "
                "WHERE article_id = %s",
                [article_id],
            )
        else:
            cursor.execute(
                "SELECT title, body FROM knowledge_article_fts WHERE rowid = %s", [article_id]
            )
        return cursor.fetchone()


def _check_index_agrees() -> None:
    """The set-wise load wrote what `search.index` writes for an article."""
    from django.db import transaction

    from sladesk.knowledge import search
    from sladesk.knowledge.models import Article

    article = Article.objects.order_by("?").first()
    assert article is not None  # noqa: S101
    before = _entry(article.pk)
    with transaction.atomic():
        search.index(article)
    if _entry(article.pk) != before:
        raise SystemExit("the bulk-loaded search entry differs from what search.index writes")


def _plans(readers: dict[str, Any]) -> dict[str, str]:
    """EXPLAIN ANALYZE of the ranking query of one search and one suggestion (an agent:
    the most articles to look at)."""
    from django.db import connection, transaction

    from sladesk.knowledge import search, selectors

    if connection.vendor != "postgresql":
        return {}
    plans = {}
    readable = selectors.article_readable(user=readers["agent"])
    for name, call, text in (
        ("search", search.search, "printer offline"),
        ("suggest", search.suggest, SUGGEST_PARTS["en"][1][0]),
    ):
        captured: list[tuple[str, Any]] = []

        def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            captured.append((sql, params))  # noqa: B023  # used before the loop goes on
            return execute(sql, params, many, context)

        with connection.execute_wrapper(capture):
            call(readable, text)
        ranking = next(n for n, (sql, _params) in enumerate(captured) if "ORDER BY rank" in sql)
        with transaction.atomic(), connection.cursor() as cursor:
            for sql, params in captured[:ranking]:  # the settings and the words, as search runs
                if not sql.startswith("SAVEPOINT"):
                    cursor.execute(sql, params)
            sql, params = captured[ranking]
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plans[name] = "\n".join(row[0] for row in cursor.fetchall())
    return plans


def _measure(arguments: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection

    from sladesk.accounts.models import User
    from sladesk.knowledge import search, selectors

    readers = {
        "signed out": None,
        "customer": User.objects.get(email="user@alpha.example"),
        "agent": User.objects.get(email="agent1@vendor.example"),
    }
    readable_counts = {
        name: selectors.article_readable(user=user).count() for name, user in readers.items()
    }
    generator = random.Random(4)  # reproducible queries, not secrets
    operations = {
        "search": (search.search, [query for _kind, query in search_queries(generator, 60)]),
        "suggest": (search.suggest, suggest_texts(generator, 60)),
    }
    for user in readers.values():  # warm the caches and the connection
        for call, texts in operations.values():
            for text in texts[:WARM_UP]:
                call(selectors.article_readable(user=user), text)
    runs: list[dict[str, Any]] = []
    for run in range(RUNS):
        queries = search_queries(random.Random(100 + run), arguments.queries)
        drafts = suggest_texts(random.Random(200 + run), arguments.queries)
        result: dict[str, Any] = {}
        for reader, user in readers.items():
            for operation, texts in (("search", queries), ("suggest", drafts)):
                call = search.search if operation == "search" else search.suggest
                times, hits, kinds = [], [], []
                for item in texts:
                    kind, text = item if isinstance(item, tuple) else ("draft", item)
                    started = time.perf_counter()
                    found = call(selectors.article_readable(user=user), text)
                    times.append((time.perf_counter() - started) * 1000)
                    hits.append(len(found))
                    kinds.append(kind)
                result[f"{reader}|{operation}"] = {"times": times, "hits": hits, "kinds": kinds}
        runs.append(result)
    version = ""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
    return {
        "runs": runs,
        "readable": readable_counts,
        "plans": _plans(readers),
        "server_version": version,
    }


def child(arguments: argparse.Namespace) -> None:
    """One backend: create the database, load the corpus, measure; the result as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sladesk.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import fresh_postgres_database

    if connection.vendor == "postgresql":
        fresh_postgres_database()
    else:
        call_command("migrate", verbosity=0)
    loaded = _load(arguments)
    measured = _measure(arguments)
    print(json.dumps({"vendor": connection.vendor, **loaded, **measured}))


# --- the report ----------------------------------------------------------------------------


def _summary(result: dict[str, Any], key: str) -> dict[str, float]:
    """Median over the runs of each run's median, p95 and p99, and the mean hit count."""
    per_run = [percentiles(run[key]["times"]) for run in result["runs"]]
    summary = {name: statistics.median(p[name] for p in per_run) for name in per_run[0]}
    hits = [count for run in result["runs"] for count in run[key]["hits"]]
    summary["hits"] = statistics.mean(hits)
    summary["found"] = sum(1 for count in hits if count) / len(hits)
    return summary


def _by_kind(result: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Search by kind of query, all readers together: median over the runs."""
    table: dict[str, list[dict[str, float]]] = {}
    for run in result["runs"]:
        pooled: dict[str, list[float]] = {}
        for key, measured in run.items():
            if key.endswith("|search"):
                for kind, elapsed in zip(measured["kinds"], measured["times"], strict=True):
                    pooled.setdefault(kind, []).append(elapsed)
        for kind, samples in pooled.items():
            table.setdefault(kind, []).append(percentiles(samples))
    return {
        kind: {name: statistics.median(p[name] for p in values) for name in values[0]}
        for kind, values in table.items()
    }


def _plan_nodes(plan: str) -> str:
    """The scans of a plan and its execution time, in one line."""
    keep = [
        line.strip().lstrip("-> ").split("  (")[0]
        for line in plan.splitlines()
        if "Scan" in line or "Execution Time" in line
    ]
    return "; ".join(dict.fromkeys(keep))


def report(results: list[dict[str, Any]], arguments: argparse.Namespace) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import machine, publish

    first = results[0]
    postgres = next((r for r in results if r["vendor"] == "postgresql"), None)
    version = (
        f"; PostgreSQL {postgres['server_version'].split()[0]} on loopback" if postgres else ""
    )
    counts = first["readable"]
    lines = [
        HEADING,
        "",
        f"- Machine: {machine()}{version}",
        f"- Date: {DATE}; `python benchmarks/knowledge_search.py --articles {arguments.articles}`;"
        f" each figure the median of {RUNS} runs of {arguments.queries} queries per reader and"
        " operation, after a warm-up",
        f"- Corpus: {arguments.articles:,} generated support articles (3/8 English, 3/8 Russian,"
        f" 1/4 Czech; {first['words'] / arguments.articles:,.0f} words each on average,"
        " 200 to 3,000), 80 % published; audiences public 40 %, signed-in customers 30 %,"
        " one organisation 10 %, internal 20 %. Readable: signed out"
        f" {counts['signed out']:,}, a customer of Alpha {counts['customer']:,}, an agent"
        f" {counts['agent']:,}. Load (bulk insert, Markdown rendering, set-wise index):"
        + ", ".join(f" {r['vendor']} {r['load_seconds']:.0f} s" for r in results)
        + ".",
        "- Timed: one call of `knowledge.search.search` (limit 20) or `suggest` (limit 5) over"
        " `selectors.article_readable(user=...)`, as a request makes it: the ranking query, the"
        " snippets of the page, the articles loaded. Search queries: single words, two words,"
        " error codes, Russian word forms, Czech without diacritics, typos, in turn; suggestions:"
        " customers' drafts of 10-40 words in the three languages.",
        "",
        "| database | reader | operation | median | p95 | p99 | hits (mean) | found something |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    worst = 0.0
    for result in results:
        label = "PostgreSQL" if result["vendor"] == "postgresql" else "SQLite"
        for reader in ("signed out", "customer", "agent"):
            for operation in ("search", "suggest"):
                s = _summary(result, f"{reader}|{operation}")
                if result["vendor"] == "postgresql":
                    worst = max(worst, s["p95"])
                lines.append(
                    f"| {label} | {reader} | `{operation}` | {s['median']:.1f} ms |"
                    f" {s['p95']:.1f} ms | {s['p99']:.1f} ms | {s['hits']:.1f} |"
                    f" {s['found']:.0%} |"
                )
    if postgres:
        verdict = "met" if worst < TARGET_MS else "NOT met"
        lines += [
            "",
            f"- Target: p95 under {TARGET_MS:.0f} ms on PostgreSQL for both operations and"
            f" every reader; slowest p95 {worst:.1f} ms: {verdict}.",
        ]
    lines += [
        "",
        "Search by kind of query (all three readers together):",
        "",
        "| database | kind | median | p95 | p99 |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for result in results:
        label = "PostgreSQL" if result["vendor"] == "postgresql" else "SQLite"
        for kind, s in _by_kind(result).items():
            lines.append(
                f"| {label} | {kind} | {s['median']:.1f} ms | {s['p95']:.1f} ms |"
                f" {s['p99']:.1f} ms |"
            )
    if postgres:
        lines.append("")
        for name, plan in postgres["plans"].items():
            lines.append(f"- Plan of the ranking query, agent, `{name}`: {_plan_nodes(plan)}")
    publish(HEADING, [*lines, ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300, help="per reader, operation, run")
    parser.add_argument("--postgres", default=POSTGRES_URL, help="a database of its own")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments)
        return
    results = []
    with tempfile.TemporaryDirectory() as directory:
        backends = {"PostgreSQL": arguments.postgres}
        if not arguments.no_sqlite:
            backends["SQLite"] = f"sqlite:///{directory}/bench.sqlite3"
        for label, url in backends.items():
            print(f"{label}: loading {arguments.articles:,} articles and measuring", flush=True)
            environment = {
                **os.environ,
                "SLADESK_DATA_DIR": directory,
                "SLADESK_DATABASE_URL": url,
                "SLADESK_LOG_LEVEL": "ERROR",
            }
            output = subprocess.run(
                [sys.executable, __file__, "--child", *sys.argv[1:]],
                env=environment,
                check=True,
                stdout=subprocess.PIPE,
                text=True,
                timeout=CHILD_TIMEOUT,
            ).stdout
            result = json.loads(output.strip().splitlines()[-1])
            for name, plan in result["plans"].items():
                print(f"EXPLAIN ANALYZE, agent, {name}:\n{plan}\n", flush=True)
            results.append(result)
    report(results, arguments)


if __name__ == "__main__":
    main()
