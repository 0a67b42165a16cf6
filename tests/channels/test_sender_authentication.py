"""Reading Authentication-Results (RFC 8601) for the From domain: pure, no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sladesk.channels.email.parsing import parse, sender_authentication
from sladesk.channels.email.parsing.authentication import Verdict, aligned, parse_field
from tests.channels.conftest import build_mail

OURS = "mx.vendor.example"
PASS, FAIL, NONE = Verdict.PASS, Verdict.FAIL, Verdict.NONE
# As OpenDKIM and OpenDMARC behind Postfix write them, and as a large mail provider does.
POSTFIX_PASS = (
    "mx.vendor.example; dkim=pass (2048-bit key; unprotected) header.d=alpha.example "
    'header.i=@alpha.example header.b="Xy1+Zq7a"; dmarc=pass (p=reject dis=none) '
    "header.from=alpha.example; spf=pass smtp.mailfrom=alpha.example"
)
PROVIDER_PASS = (
    "mx.vendor.example;\r\n       dkim=pass header.i=@alpha.example header.s=s1 header.b=Qw2;\r\n"
    "       spf=pass (mx.vendor.example: domain of user@alpha.example designates 192.0.2.1 as"
    " permitted sender) smtp.mailfrom=user@alpha.example;\r\n"
    "       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=alpha.example"
)
FORGED = (
    "mx.vendor.example; spf=softfail (domain of transitioning user@alpha.example does not "
    "designate 203.0.113.9 as permitted sender) smtp.mailfrom=user@alpha.example; dkim=none; "
    "dmarc=fail (p=none dis=none) header.from=alpha.example"
)


def verdict(*blocks: str | tuple[str, ...], from_domain: str = "alpha.example") -> str:
    """The verdict on fields grouped as they stand (a string: a field with other headers
    around it; a tuple: fields directly one below the other)."""
    grouped = [(block,) if isinstance(block, str) else block for block in blocks]
    return sender_authentication(grouped, authserv_id=OURS, from_domain=from_domain).verdict


@pytest.mark.parametrize("value", [POSTFIX_PASS, PROVIDER_PASS])
def test_a_dmarc_pass_of_the_from_domain_authenticates_the_sender(value: str) -> None:
    assert verdict(value) == PASS


def test_a_dmarc_failure_is_not_outweighed_by_a_signature_of_another_domain() -> None:
    value = f"{OURS}; dkim=pass header.d=mailer.example; dmarc=fail header.from=alpha.example"
    assert verdict(value) == FAIL
    assert verdict(FORGED) == FAIL


def test_a_dmarc_pass_for_another_from_domain_proves_nothing_of_this_one() -> None:
    assert verdict(f"{OURS}; dmarc=pass header.from=beta.example") == FAIL


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ("dkim=pass header.d=alpha.example", PASS),
        ("dkim=pass header.d=mail.alpha.example", PASS),  # relaxed: a subdomain signs
        ("dkim=pass header.i=@alpha.example", PASS),
        ("spf=pass smtp.mailfrom=bounces@alpha.example", PASS),
        ("dkim=pass header.d=mailer.example", FAIL),  # a newsletter service's own signature
        ("spf=pass smtp.mailfrom=bounce@mailer.example", FAIL),
        ("dkim=fail header.d=alpha.example; spf=neutral smtp.mailfrom=alpha.example", FAIL),
        ("none", FAIL),
    ],
)
def test_without_dmarc_an_aligned_dkim_or_spf_pass_authenticates(
    results: str, expected: str
) -> None:
    assert verdict(f"{OURS}; {results}") == expected


def test_only_the_topmost_field_of_our_own_server_is_believed() -> None:
    forged_below = f"{OURS}; dmarc=pass header.from=alpha.example"
    other_server = "mx.attacker.example; dmarc=pass header.from=alpha.example"
    assert verdict(other_server, FORGED, forged_below) == FAIL
    assert verdict(POSTFIX_PASS, FORGED) == PASS  # the forger's field below is not read
    assert verdict(other_server) == NONE
    assert verdict() == NONE
    found = sender_authentication([[other_server]], authserv_id=OURS, from_domain="alpha.example")
    assert found.summary == "no Authentication-Results from mx.vendor.example"


def test_a_field_without_an_authserv_id_is_not_taken_for_ours() -> None:
    # Some servers write the results with no authserv-id first; that names no server of ours.
    assert verdict("dmarc=pass header.from=alpha.example; spf=pass") == NONE


def test_comments_and_quoted_strings_hide_nothing_and_add_nothing() -> None:
    in_comment = f"{OURS}; dkim=none (dmarc=pass header.from=alpha.example); spf=none"
    assert verdict(in_comment) == FAIL
    quoted = f'{OURS}; dkim=pass header.d=alpha.example header.b="a;dmarc=fail"'
    assert verdict(quoted) == PASS


def test_the_server_name_version_and_case_are_read_as_rfc_8601_writes_them() -> None:
    assert verdict("MX.Vendor.Example 1; DMARC=Pass header.from=Alpha.Example") == PASS
    server, results = parse_field(f"{OURS} 1; none")
    assert (server, results) == (OURS, [])
    assert verdict(POSTFIX_PASS, from_domain="ALPHA.example") == PASS


def test_the_summary_lists_what_the_server_found() -> None:
    found = sender_authentication([[FORGED]], authserv_id=OURS, from_domain="alpha.example")
    assert found.summary == "mx.vendor.example: spf=softfail dkim=none dmarc=fail"
    assert not found.passed


@pytest.mark.parametrize(
    ("domain", "from_domain", "expected"),
    [
        ("alpha.example", "alpha.example", True),
        ("alpha.example", "support.alpha.example", True),
        ("eu.alpha.example", "alpha.example", True),
        ("example", "alpha.example", False),  # a bare top-level name aligns with nothing
        ("notalpha.example", "alpha.example", False),
        ("", "alpha.example", False),
    ],
)
def test_alignment_is_the_domain_or_a_parent_or_subdomain_of_it(
    domain: str, from_domain: str, expected: bool
) -> None:
    assert aligned(domain, from_domain) is expected


def test_the_parser_hands_every_field_on_top_first_grouped_as_they_stand() -> None:
    raw = (
        f"Authentication-Results: {POSTFIX_PASS}\r\n".encode()
        + f"Authentication-Results: {FORGED}\r\n".encode()
        + b"Received: from relay.alpha.example by mx.vendor.example\r\n"
        + f"Authentication-Results: {FORGED}\r\n".encode()
        + build_mail()
    )
    assert parse(raw).headers_of_interest.authentication_results == (
        (POSTFIX_PASS, FORGED),
        (FORGED,),
    )
    assert parse(build_mail()).headers_of_interest.authentication_results == ()


@given(st.text(max_size=300))
def test_any_field_value_gives_a_verdict_and_never_an_error(value: str) -> None:
    assert verdict(value) in (PASS, FAIL, NONE)
    assert verdict(f"{OURS};{value}") in (PASS, FAIL)


# --- what a forger controls: the envelope sender, HELO, DKIM tags, quoted in the server's field


def test_a_value_the_forger_wrote_stays_one_value_however_it_is_quoted_or_bracketed() -> None:
    local = '"x smtp.mailfrom=victim.example ("@evil.example'
    written = (
        f"{OURS}; dkim=none; spf=pass (mx.vendor.example: domain of {local} designates "
        f"192.0.2.7 as permitted sender) smtp.mailfrom={local}; dmarc=fail "
        'reason="SPF not aligned (relaxed), No valid DKIM" header.from=victim.example '
        "(policy=none)"
    )
    assert verdict(written, from_domain="victim.example") == FAIL
    plain = f'{OURS}; spf=pass smtp.mailfrom="x smtp.mailfrom=victim.example y"@evil.example'
    assert verdict(plain, from_domain="victim.example") == FAIL
    glued = f"{OURS}; dkim=pass header.b=abc=header.d=victim.example header.d=evil.example"
    assert verdict(glued, from_domain="victim.example") == FAIL


@pytest.mark.parametrize(
    "results",
    [
        "dkim=pass header.d=evil.example header.d=alpha.example",  # a property twice
        "dmarc=pass header.from=alpha.example; dmarc=fail header.from=alpha.example",
        "dkim=pass header.d=alpha.example (unclosed",
        "dkim=pass header.d=alpha.example) stray",
        'dkim=pass header.d="alpha.example',
        "dkim pass header.d=alpha.example",
        "dkim=pass d=alpha.example",  # not type.property
        "; ".join(["dkim=neutral header.d=junk.example"] * 60)
        + "; dkim=pass header.d=alpha.example",
        "dkim=pass header.d=alpha.example header.b=" + "A" * 9000,
    ],
)
def test_a_field_past_the_grammar_or_the_limits_is_believed_in_nothing(results: str) -> None:
    assert verdict(f"{OURS}; {results}") == FAIL


@pytest.mark.parametrize("dmarc", ["none", "bestguesspass", "temperror"])
def test_where_dmarc_decided_nothing_an_aligned_signature_still_counts(dmarc: str) -> None:
    assert verdict(f"{OURS}; dkim=pass header.d=alpha.example; dmarc={dmarc}") == PASS
    assert verdict(f"{OURS}; dkim=pass header.d=mailer.example; dmarc={dmarc}") == FAIL


def test_separate_fields_the_server_writes_one_below_the_other_are_read_together() -> None:
    opendmarc = f"{OURS}; dmarc=pass (p=reject dis=none) header.from=alpha.example"
    opendkim = f"{OURS}; dkim=none"
    assert verdict((opendmarc, opendkim)) == PASS
    assert verdict((opendkim, opendmarc)) == PASS
    # A forger's own pass sits below other headers: not part of the server's run.
    assert verdict(opendkim, opendmarc) == FAIL
