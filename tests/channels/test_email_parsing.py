"""The inbound e-mail parser on small fixtures (tests/channels/eml) and built messages."""

# ruff: noqa: RUF001  # Russian and Czech text is the point of these tests

from __future__ import annotations

import base64
import datetime
import random
from email.parser import BytesParser
from pathlib import Path

import nh3
import pytest

from sladesk.channels.email.parsing import (
    Address,
    InboundMessage,
    MailParseError,
    MessageRejected,
    ParseLimits,
    parse,
)
from sladesk.channels.email.parsing.quotes import visible_text

EML = Path(__file__).resolve().parent / "eml"


def fixture(name: str) -> InboundMessage:
    return parse((EML / name).read_bytes())


def message(headers: str, body: str = "Hello.\n", *, content_type: str = "text/plain") -> bytes:
    """A small message: `headers` are added to From, Content-Type and Message-ID."""
    return (
        "From: Sender <sender@example.org>\n"
        f"Content-Type: {content_type}; charset=utf-8\n"
        "Message-ID: <built@example.org>\n"
        f"{headers}\n\n{body}"
    ).encode()


def nested_multipart(depth: int) -> bytes:
    """`depth` multipart/mixed containers around one text part."""
    raw = "From: a@example.org\nContent-Type: multipart/mixed; boundary=b0\n\n"
    for level in range(1, depth):
        raw += f"--b{level - 1}\nContent-Type: multipart/mixed; boundary=b{level}\n\n"
    return (raw + f"--b{depth - 1}\nContent-Type: text/plain\n\ndeep\n").encode()


def multipart_with_attachments(count: int) -> bytes:
    parts = "".join(
        "--x\nContent-Type: application/octet-stream\n"
        f'Content-Disposition: attachment; filename="f{n}.bin"\n\n{n}\n'
        for n in range(count)
    )
    return (
        "From: a@example.org\nContent-Type: multipart/mixed; boundary=x\n\n"
        f"--x\nContent-Type: text/plain\n\nsee attachments\n{parts}--x--\n"
    ).encode()


# --- charsets -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "subject", "sender", "text"),
    [
        (
            "koi8r.eml",
            "Не работает печать",
            Address("Иван Петров", "ivan@example.ru"),
            "Здравствуйте!\nНе работает печать счетов с 1 марта.",
        ),
        (
            "windows1251.eml",
            "Счет № 42",
            Address("Ольга", "olga@example.ru"),  # raw 8-bit name, decoded by the body charset
            "Добрый день!\nПришлите, пожалуйста, счёт № 42.",
        ),
        (
            "iso88592.eml",
            "Chyba při tisku",
            Address("Jiří Novák", "jiri@example.cz"),
            "Dobrý den,\ntiskárna hlásí chybu při tisku faktur.",
        ),
        (
            "utf8-subject.eml",  # multi-byte characters split across encoded-words
            "Привет, мир 👋 — ошибка",
            Address("Anna", "anna@example.org"),
            "Текст письма ✓",
        ),
    ],
)
def test_charsets_decode(name: str, subject: str, sender: Address, text: str) -> None:
    parsed = fixture(name)
    assert parsed.subject == subject
    assert parsed.from_address == sender
    assert parsed.text == text


def test_rfc2231_file_name_in_a_legacy_charset() -> None:
    (attachment,) = fixture("iso88592.eml").attachments
    assert attachment.filename == "chybové_hlášení.txt"
    assert attachment.payload.decode("iso-8859-2") == "Chyba 42: papír došel"


def test_mislabelled_and_unknown_charsets_fall_back() -> None:
    parsed = fixture("mislabelled-charset.eml")
    # Latin-1 bytes labelled UTF-8, an unknown charset, and a bytes-to-bytes codec as a label.
    assert parsed.text == "Grüße aus München\n\nStraße\n\nplain ascii"
    # An encoded-word in an unknown charset and raw 8-bit bytes in the same header.
    assert parsed.subject == "Grüße aus München"
    assert parsed.from_address == Address("Jürgen", "juergen@example.de")


def test_encoded_word_labelled_latin1_decodes_as_windows_1252() -> None:
    parsed = parse(message("Subject: =?iso-8859-1?Q?=80_5_=93quoted=94?="))
    assert parsed.subject == "€ 5 “quoted”"


def test_adjacent_encoded_words_join_in_names_too() -> None:
    # RFC 2047 §6.2: the space between encoded-words is not text, and a character may be split
    # between them; the stdlib gets both wrong in display names unless the words are merged.
    word = "Жанна".encode()
    first = base64.b64encode(word[:3]).decode()
    second = base64.b64encode(word[3:]).decode()
    parsed = parse(
        message(f"To: =?utf-8?b?{first}?=\n =?utf-8?b?{second}?= <z@example.org>").replace(
            b"Sender", b"=?iso-8859-1?q?J=FC?= =?iso-8859-1?q?rgen?="
        )
    )
    assert parsed.to == [Address("Жанна", "z@example.org")]
    assert parsed.from_address == Address("Jürgen", "sender@example.org")


def test_crlf_and_lf_forms_parse_alike() -> None:
    lf = (EML / "inline-image.eml").read_bytes().replace(b"\r\n", b"\n")
    from_crlf = parse(lf.replace(b"\n", b"\r\n"))
    assert from_crlf == parse(lf)
    assert "\r" not in from_crlf.text


# --- addresses ----------------------------------------------------------------------------


def test_display_names_never_become_addresses() -> None:
    parsed = fixture("spoofed-names.eml")
    # An encoded-word in the name decodes to text that looks like an address: it stays a name.
    assert parsed.from_address == Address("attacker@evil.example", "victim@good.example")
    # An unquoted address as a name: the angle-addr is the address, the rest only a name.
    assert parsed.to == [Address("alice@example.org", "bob@evil.example")]
    assert parsed.cc == [
        Address("<bob@evil.example>", "carol@good.example"),
        Address("dave@good.example", "mallory@evil.example"),
    ]
    assert parsed.reply_to == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("alice@example.org <bob@evil.example>", Address("alice@example.org", "bob@evil.example")),
        ("alice@example.org)<bob@example.org>", None),  # the CVE-2023-27043 report's example
        ("alice@example.org<bob@example.org>", Address("alice@example.org", "bob@example.org")),
        ("=?utf-8?q?J=C3=BCrgen?= <j@example.org> (x)", Address("Jürgen", "j@example.org")),
        ("=?utf-8?q?a@b?= c@d <j@example.org>", Address("a@b c@d", "j@example.org")),
        ("<a@example.org> =?utf-8?q?Doe?=", None),
        ("a@example.org <b@example.org>, c@example.org", None),
        ('"Alice" <alice@example.org> <bob@evil.example>', None),
        ("alice@good.example@evil.example", None),
        ("Alice <alice@example.org", None),
        ("Whomever", None),
        ("<>", None),
        ("(" * 5000 + "a@example.org", None),  # RecursionError inside the stdlib parser
        # An encoded line break in a name cannot reach a reply's header lines.
        (
            "=?utf-8?q?a=0D=0ABcc:_x@evil.example?= <a@example.org>",
            Address("a Bcc: x@evil.example", "a@example.org"),
        ),
        ("a@example.org (b@evil.example)", Address("", "a@example.org")),
        (
            '"=?utf-8?q?x@evil.example?=" <v@good.example>',
            Address("x@evil.example", "v@good.example"),
        ),
        (
            "=?utf-8?b?PGJAZXZpbC5leGFtcGxlPg==?= <a@good.example>",
            Address("<b@evil.example>", "a@good.example"),
        ),
        ("John Q. Public <jqp@example.org>", Address("John Q. Public", "jqp@example.org")),
        (
            '"very.unusual.@.unusual.com"@example.com',
            Address("", '"very.unusual.@.unusual.com"@example.com'),
        ),
        ("Test <test@[192.0.2.1]>", Address("Test", "test@[192.0.2.1]")),
        (
            "Mallory =?utf-8?q?=E2=80=AEmoc.elgoog?= <m@evil.example>",
            Address("Mallory moc.elgoog", "m@evil.example"),
        ),
    ],
)
def test_sender_is_parsed_strictly(value: str, expected: Address | None) -> None:
    assert (
        parse(
            message("").replace(b"From: Sender <sender@example.org>", f"From: {value}".encode())
        ).from_address
        == expected
    )


def test_several_senders_are_ambiguous() -> None:
    two_mailboxes = message("").replace(
        b"<sender@example.org>", b"<sender@example.org>, b@example.org"
    )
    two_fields = message("From: other@evil.example")
    assert parse(two_mailboxes).from_address is None
    assert parse(two_fields).from_address is None


def test_groups_are_flattened_and_empty_groups_are_empty() -> None:
    parsed = parse(
        message("To: Team: a@example.org, B <b@example.org>;\nCc: undisclosed-recipients:;")
    )
    assert parsed.to == [Address("", "a@example.org"), Address("B", "b@example.org")]
    assert parsed.cc == []


# --- other headers ------------------------------------------------------------------------


def test_identifiers_dates_and_references() -> None:
    parsed = fixture("reply-en.eml")
    assert parsed.message_id == "reply-en@example.org"
    assert parsed.in_reply_to == ["ticket-123@support.example.com"]
    assert parsed.references == [
        "ticket-123-root@support.example.com",
        "ticket-123@support.example.com",
    ]
    assert parsed.date == datetime.datetime(2024, 3, 9, 10, 0, tzinfo=datetime.UTC)
    # "-0000" means UTC with the sender's zone unknown (RFC 5322 §3.3): still aware.
    assert fixture("utf8-subject.eml").date == datetime.datetime(
        2024, 3, 6, 8, 0, tzinfo=datetime.UTC
    )


def test_obsolete_syntax_in_dates_and_identifiers() -> None:
    parsed = parse(
        message(
            "Date: Tue, 1 Jul 2003 ((tricky) comment) 10:52:37 +0200\n"
            "In-Reply-To: <1234   @   local(blah)  .machine .example> <>"
        )
    )
    offset = datetime.timezone(datetime.timedelta(hours=2))
    assert parsed.date == datetime.datetime(2003, 7, 1, 10, 52, 37, tzinfo=offset)
    assert parsed.in_reply_to == ["1234@local.machine.example"]


def test_missing_and_broken_headers() -> None:
    parsed = parse(
        b"Date: the day after tomorrow\nMessage-ID: no-brackets@example.org (comment)\n\nbody"
    )
    assert parsed.date is None
    assert parsed.message_id == "no-brackets@example.org"
    assert parsed.from_address is None
    assert parsed.subject == ""
    bare = parse(b"\n")
    assert (bare.message_id, bare.text, bare.attachments) == (None, "", [])


def test_long_reference_chains_keep_root_and_nearest_ancestors() -> None:
    references = " ".join(f"<r{n}@example.org>" for n in range(500))
    parsed = parse(message(f"References: {references}"))
    assert len(parsed.references) == 100
    assert parsed.references[0] == "r0@example.org"
    assert parsed.references[-1] == "r499@example.org"


def test_header_values_cannot_inject_lines() -> None:
    parsed = fixture("spoofed-names.eml")
    assert parsed.subject == "Invoice Bcc: all@example.org"


def test_content_hash_ignores_line_ends_and_tells_messages_apart() -> None:
    raw = (EML / "reply-en.eml").read_bytes()
    assert parse(raw).content_hash == parse(raw.replace(b"\n", b"\r\n")).content_hash
    assert parse(raw).content_hash != parse(raw + b"more\n").content_hash
    assert len(parse(raw).content_hash) == 64


# --- loop detection -----------------------------------------------------------------------


def test_auto_reply_is_auto_generated() -> None:
    parsed = fixture("auto-reply.eml")
    assert parsed.headers_of_interest.auto_submitted == "auto-replied"
    assert parsed.headers_of_interest.precedence == "bulk"
    assert parsed.headers_of_interest.x_auto_response_suppress == "All"
    assert parsed.headers_of_interest.return_path == "eve@example.org"
    assert parsed.is_auto_generated


def test_bounce_is_detected() -> None:
    parsed = fixture("bounce.eml")
    assert parsed.headers_of_interest.is_bounce
    assert parsed.headers_of_interest.return_path == ""
    assert parsed.is_auto_generated
    assert parsed.text == "Your message could not be delivered to nobody@example.net."
    status, original = parsed.attachments
    assert status.content_type == "message/delivery-status"
    assert b"Status: 5.1.1" in status.payload
    assert original.content_type == "message/rfc822"
    assert original.payload == (
        b"From: support@example.com\nTo: nobody@example.net\n"
        b"Subject: [#125] Your request\n\nHello\n"
    )


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-generated",
        "Precedence: junk",
        "Precedence: list",
        "X-Auto-Response-Suppress: DR, OOF",
        "List-Id: <users.lists.example.org>",
        "Return-Path: <>",
    ],
)
def test_each_loop_signal_counts(header: str) -> None:
    assert parse(message(header)).is_auto_generated


@pytest.mark.parametrize(
    "header", ["Auto-Submitted: no", "Precedence: first-class", "Return-Path: <a@example.org>"]
)
def test_person_written_mail_is_not_auto_generated(header: str) -> None:
    parsed = parse(message(header))
    assert not parsed.is_auto_generated
    assert not parsed.headers_of_interest.is_bounce


# --- bodies -------------------------------------------------------------------------------


def test_html_only_is_sanitised_and_rendered_as_text() -> None:
    parsed = fixture("html-only-script.eml")
    assert parsed.html is not None
    for forbidden in (
        "<script",
        "alert",
        "onload",
        "onerror",
        "javascript:",
        "style",
        "<iframe",
        "tracker.example",
        "Ignore me",
    ):
        assert forbidden not in parsed.html
    assert '<img src="cid:logo@example.org" alt="logo">' in parsed.html
    assert '<a href="https://example.org/kb" rel="noopener noreferrer">kb</a>' in parsed.html
    assert (
        parsed.text
        == "Printer problem\n\nThe printer & the scanner fail.\n\nclick kb\n\nfirst\nsecond"
    )


def test_plain_text_only_has_no_html() -> None:
    assert fixture("koi8r.eml").html is None


def test_empty_plain_alternative_falls_back_to_the_html_rendering() -> None:
    raw = (
        b'From: a@example.org\nContent-Type: multipart/alternative; boundary="a"\n\n'
        b"--a\nContent-Type: text/plain\n\n\n"
        b"--a\nContent-Type: text/html\n\n<p>Only <i>here</i></p>\n--a--\n"
    )
    parsed = parse(raw)
    assert parsed.text == "Only here"
    assert parsed.html == "<p>Only <i>here</i></p>"


def test_inline_image_is_an_inline_attachment() -> None:
    parsed = fixture("inline-image.eml")
    assert parsed.text == "See the screenshot: [image]"
    assert parsed.html == '<p>See the screenshot:</p><img src="cid:shot%231@example.org">'
    (image,) = parsed.attachments
    assert image.filename == "screenshot.png"
    assert image.content_type == "image/png"
    assert image.content_id == "shot#1@example.org"
    assert image.inline
    assert image.payload == b"\x89PNG\r\n\x1a\nfake-image-bytes"


def test_text_and_html_bodies_are_stored_without_control_characters() -> None:
    parsed = parse(message("", "a\x00b\x07c\r\nd\x1b\n"))
    assert parsed.text == "abc\nd"


def test_attachment_names_are_made_safe() -> None:
    names = [attachment.filename for attachment in fixture("unsafe-names.eml").attachments]
    assert names[0] == "passwd"  # no directories
    assert names[1] == "invoicefdp.exe"  # the right-to-left override is gone
    assert names[2] == "bashrc"  # no Windows directories, no hidden file
    assert names[3] == "attachment-4.jpg"  # none given: ordinal and type
    assert len(names[4].encode()) <= 200
    assert names[4].endswith("x.txt")
    assert names[5] == "Приложение.txt"  # an encoded-word in quotes, as Outlook writes it


def test_attachment_content_type_is_a_clean_media_type() -> None:
    raw = (
        b"From: a@example.org\nContent-Type: multipart/mixed; boundary=x\n\n--x\n"
        b'Content-Type: application/pdf\tname="a.pdf"\n'
        b"Content-Disposition: attachment\n\n%PDF\n--x--\n"
    )
    (attachment,) = parse(raw).attachments
    assert attachment.content_type == "application/pdf"


def test_attached_message_is_kept_byte_for_byte_and_base64_decoded() -> None:
    inner = b"From: x@example.org\nSubject:  two  spaces\n\nbody\n"
    raw = (
        b"From: a@example.org\nContent-Type: multipart/mixed; boundary=x\n\n"
        b"--x\nContent-Type: text/plain\n\nsee\n"
        b"--x\nContent-Type: message/rfc822\n\n" + inner + b"--x\nContent-Type: message/rfc822\n"
        b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(inner) + b"--x--\n"
    )
    plain, encoded = parse(raw).attachments
    assert plain.payload == inner.removesuffix(b"\n")  # the last line end belongs to the boundary
    assert encoded.payload == inner


# --- visible text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("reply-en.eml", "Thanks, the printer works again.\n\nDave"),
        ("reply-ru.eml", "Спасибо, всё заработало."),
        ("reply-cs.eml", "Děkuji, tiskárna už funguje."),
    ],
)
def test_replies_lose_quoted_history_and_signature(name: str, expected: str) -> None:
    parsed = fixture(name)
    assert parsed.visible_text == expected
    assert len(parsed.text) > len(parsed.visible_text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Done.\n\n-----Original Message-----\nFrom: a\nSent: b\n\nold", "Done."),
        ("Готово.\n\n-----Исходное сообщение-----\nОт: a\n", "Готово."),
        (
            "Done.\n________________________________\nFrom: ACME\nSent: Friday\nTo: me\n\nold",
            "Done.",
        ),
        ("Hotovo.\n\nOd: ACME\nOdesláno: pátek\nKomu: já\n\nstaré", "Hotovo."),
        ("Ok.\n\nпн, 4 мар. 2024 г. в 10:00, Иван <ivan@example.ru>:\n> старое", "Ok."),
        (
            "Ok.\n\nOn Mon, 4 Mar 2024 at 10:00, Bob Example <\nbob@example.org> wrote:\n> old",
            "Ok.",
        ),
        ("Ok.\n\nDne 4. 3. 2024 v 10:00 Jan Novák napsal:\n> staré", "Ok."),
        ("Ок.\n\n01.03.2024 10:00, Иван Петров писал(а):\n> старое", "Ок."),
        ("> question?\nanswer\n> second?\nsecond answer", "answer\nsecond answer"),
        ("Ok.\n\nSent from my iPhone", "Ok."),
        ("Ok.\n\nOdesláno z iPhonu", "Ok."),
        (
            "Call me at 555 1234.\nThe onwards plan: none.",
            "Call me at 555 1234.\nThe onwards plan: none.",
        ),
        ("On Mon, Bob wrote:\n> everything quoted", "On Mon, Bob wrote:\n> everything quoted"),
    ],
)
def test_visible_text_cuts(text: str, expected: str) -> None:
    assert visible_text(text) == expected


HOSTILE_TEXTS = [
    "\n" * 200_000,
    " \t" * 200_000,
    "On " + "x " * 200_000,
    "<" * 200_000 + "a@b>:",
    "From: x\n" * 50_000,
    "> " * 200_000,
]


def test_visible_text_of_hostile_text_is_a_part_of_it() -> None:
    # How long it takes is measured in benchmarks/hostile_parsing.py, not asserted here.
    for text in HOSTILE_TEXTS:
        shown = visible_text(text)
        assert len(shown) <= len(text)
        assert shown == shown.strip() or not shown.strip()


# --- limits and failures ------------------------------------------------------------------


def test_size_limit_is_checked_before_parsing() -> None:
    with pytest.raises(MessageRejected, match="larger than 100 bytes") as caught:
        parse(message("", "x" * 200), limits=ParseLimits(max_raw_bytes=100))
    assert caught.value.reason == "message larger than 100 bytes"


def test_depth_limit() -> None:
    assert parse(nested_multipart(20)).text == "deep"
    with pytest.raises(MessageRejected, match="deeper than 20"):
        parse(nested_multipart(22))


def test_nesting_beyond_the_stdlib_recursion_limit_is_rejected() -> None:
    with pytest.raises(MessageRejected, match="more than 500 MIME parts"):
        parse(nested_multipart(3000))  # seen in the bytes, before the stdlib parser runs
    with pytest.raises(MessageRejected, match="nested too deeply"):
        parse(nested_multipart(3000), limits=ParseLimits(max_parts=10_000))


def test_part_and_attachment_limits() -> None:
    assert len(parse(multipart_with_attachments(100)).attachments) == 100
    with pytest.raises(MessageRejected, match="more than 100 attachments"):
        parse(multipart_with_attachments(101))
    with pytest.raises(MessageRejected, match="more than 50 MIME parts"):
        parse(multipart_with_attachments(60), limits=ParseLimits(max_parts=50))


def test_non_bytes_input_is_a_parse_error() -> None:
    with pytest.raises(MailParseError, match="not str"):
        parse("From: a@example.org\n\nx")  # type: ignore[arg-type]  # the wrong type on purpose


def test_an_unexpected_failure_becomes_a_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: BytesParser, text: bytes, headersonly: bool = False) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(BytesParser, "parsebytes", explode)
    with pytest.raises(MailParseError, match="unexpected KeyError") as caught:
        parse(message(""))
    assert not isinstance(caught.value, MessageRejected)


def test_a_sanitiser_panic_becomes_a_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    class PanicException(BaseException):  # what pyo3 raises for a Rust panic
        pass

    def panic(*arguments: object, **options: object) -> str:
        raise PanicException("boom")

    monkeypatch.setattr(nh3, "clean", panic)
    with pytest.raises(MailParseError, match="sanitiser"):
        fixture("html-only-script.eml")


HOSTILE_HEADER_VALUES = [
    "=?utf-8?q?a?= " * 20_000 + "<a@example.org>",
    "(" * 20_000 + "a@example.org",
    '"' + '\\"' * 20_000 + '" <a@example.org>',
    "a@example.org," * 20_000,
]


def test_hostile_headers_parse() -> None:
    # How long it takes is measured in benchmarks/hostile_parsing.py, not asserted here.
    for value in HOSTILE_HEADER_VALUES:
        headers = f"From: {value}\nTo: {value}\nSubject: {value}\n"
        parsed = parse(f"{headers}Content-Type: text/plain; name={value}\n\nx".encode())
        assert parsed.text.strip() == "x"


def test_mangled_messages_never_raise_anything_else() -> None:
    """Truncations, dropped and flipped bytes and duplicated lines of every fixture."""
    generator = random.Random(20240301)
    seeds = [path.read_bytes() for path in sorted(EML.glob("*.eml"))]
    reasons = []
    for original in seeds:
        for _ in range(60):
            mangled = bytearray(original)
            for _ in range(generator.randint(1, 8)):
                position = generator.randrange(len(mangled))
                operation = generator.choice(("flip", "drop", "cut", "repeat"))
                if operation == "flip":
                    mangled[position] = generator.choice(b'\x00\xff\n\r:;"<>=?-\\ ')
                elif operation == "drop":
                    del mangled[position : position + generator.randint(1, 40)]
                elif operation == "cut":
                    del mangled[position:]
                else:
                    end = mangled.find(b"\n", position) + 1 or len(mangled)
                    mangled[position:position] = mangled[position:end] * generator.randint(2, 50)
                if not mangled:
                    break
            try:
                parse(bytes(mangled))
            except MailParseError as error:
                reasons.append(error.reason)
    assert all(reasons)


def test_a_close_delimiter_glued_to_the_last_line_ends_the_message() -> None:
    from sladesk.channels.email.parsing import parse

    raw = (
        b"From: a@example.org\nSubject: glued\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="1"\n\n--1\nContent-Type: text/plain\n\n'
        b"first\n--1\nContent-Type: text/plain\n\nlast--1--"
    )
    assert parse(raw).text.split() == ["first", "last"]


def test_a_glued_delimiter_before_the_end_stays_text() -> None:
    from sladesk.channels.email.parsing import parse

    raw = (
        b"From: a@example.org\nSubject: glued\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="1"\n\n--1\nContent-Type: text/plain\n\n'
        b"keep--1-- this\n--1--\n"
    )
    assert parse(raw).text == "keep--1-- this"
