"""The typed-versus-shown matcher: examples per rendering transform, properties over their compositions."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from platforms.sandbox.render import Renderer, SiteRendering, visible_text
from platforms.textmatch import (
    PREFIX_MIN_CHARS,
    MatchKind,
    ThreadMessage,
    Verdict,
    canonical,
    check_sent,
    match,
)
from tests.platforms.strategies import profiles, render, typed_texts, urls

# --- examples, one transform at a time ------------------------------------------------------

TYPED = 'Hi Dana, it\'s free from May 1st -- rent is $1,200/mo. "Viewings" on Saturday...'


@pytest.mark.parametrize(
    ("shown", "kind"),
    [
        (TYPED, MatchKind.EXACT),
        ("  " + TYPED + "\r\n", MatchKind.EXACT),
        # Smart typography: curly quotes and apostrophe, en dash, ellipsis character.
        (
            "Hi Dana, it\u2019s free from May 1st \u2013 rent is $1,200/mo. \u201cViewings\u201d on Saturday\u2026",
            MatchKind.CANONICAL,
        ),
        # Entities left visible, once or twice escaped.
        (
            "Hi Dana, it&#39;s free from May 1st -- rent is $1,200/mo. &quot;Viewings&quot; on Saturday...",
            MatchKind.CANONICAL,
        ),
        (
            "Hi Dana, it&amp;#x27;s free from May 1st -- rent is $1,200/mo. &amp;quot;Viewings&amp;quot; on Saturday...",
            MatchKind.CANONICAL,
        ),
        # Non-breaking and odd spaces, line breaks where spaces were, other case.
        (
            'Hi\u00a0Dana,\u202fit\'s free from May 1st --\nrent is $1,200/mo.\n\n"Viewings" on Saturday...',
            MatchKind.CANONICAL,
        ),
        ('HI DANA, IT\'S FREE FROM MAY 1ST -- RENT IS $1,200/MO. "VIEWINGS" ON SATURDAY...', MatchKind.CANONICAL),
        # Zero-width characters and soft hyphens a rich-text editor leaves behind.
        (
            'Hi Da\u200bna, it\'s free from May 1st -- rent is $1,200/mo. "View\u00adings" on Satur\u2060day...',
            MatchKind.CANONICAL,
        ),
        # Fullwidth forms (NFKC).
        ('Hi Dana, it\'s free from May 1st -- rent is \uff041,200/mo. "Viewings" on Saturday...', MatchKind.CANONICAL),
    ],
)
def test_typography_entities_spaces_case(shown, kind):
    assert match(TYPED, shown) is kind


def test_unicode_normalisation_forms():
    typed = "Caf\u00e9 near the \ufb01tness center, \u2460 block"
    assert match(typed, "Cafe\u0301 near the \ufb01tness center, \u2460 block") is MatchKind.CANONICAL  # NFD
    assert match(typed, "Caf\u00e9 near the fitness center, 1 block") is MatchKind.CANONICAL  # NFKC


@pytest.mark.parametrize(
    "shown",
    [
        "See www.example.com/listing/42 or call",  # Scheme dropped.
        "See example.com/listing/42/ or call",  # www. dropped, trailing slash added.
        "See http://www.example.com/listing/42/ or call",  # Scheme changed.
        "See https://www.example.com/listing/42?utm_source=sr&utm_medium=email or call",  # Tracking added.
        "See https://www.example.com/listing/42#photos or call",  # A fragment.
        "See https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.example.com%2Flisting%2F42&h=AT0 or call",  # Redirector.
        "See www.example.com/listing/4\u2026 or call",  # Link text shortened.
        "See example.com/listing\u2026 or call",
        "See bit.ly/3xYzAb or call",  # A shortener in place of the URL.
    ],
)
def test_linkified_urls(shown):
    assert match("See https://example.com/listing/42 or call", shown) is MatchKind.CANONICAL


def test_a_shortened_link_stands_only_for_a_url_and_a_shortener_only_for_itself():
    assert match("See the room or call", "See bit.ly/3xYzAb or call") is MatchKind.NONE
    assert match("See bit.ly/aaa or call", "See bit.ly/bbb or call") is MatchKind.NONE
    assert match("See https://example.com/a or call", "See other.org/listing\u2026 or call") is MatchKind.NONE


def test_emoji_as_images_with_or_without_alt():
    typed = "Call me \U0001f600\U0001f44d\U0001f3fd any time \u2764\ufe0f \U0001f1fa\U0001f1f8 \U0001f468\u200d\U0001f469\u200d\U0001f467 1\ufe0f\u20e3"
    assert match(typed, "Call me any time") is MatchKind.CANONICAL  # Images without alt: nothing left.
    assert match(typed, "Call me \U0001f600\U0001f44d any time \u2764 \U0001f1fa\U0001f1f8") is MatchKind.CANONICAL
    assert match(typed, 'Call me <img class="emoji" alt="\U0001f600"> any time') is MatchKind.CANONICAL


def test_emoji_only_messages():
    assert match("\U0001f44d", "") is MatchKind.CANONICAL
    assert match("\U0001f44d", "\U0001f44d\ufe0f") is MatchKind.CANONICAL
    assert match("\U0001f44d", "\U0001f622") is MatchKind.NONE
    assert match("\U0001f44d", "ok") is MatchKind.NONE


def test_line_breaks_paragraphs_and_blank_lines():
    typed = "Line one\nLine two\n\n\n\nLine three"
    assert match(typed, "Line one Line two Line three") is MatchKind.CANONICAL
    assert match(typed, "Line one<br>Line two<br><br>Line three") is MatchKind.CANONICAL
    assert match(typed, "<p>Line one<br />Line two</p><p>Line three</p>") is MatchKind.CANONICAL
    assert match(typed, "Line one\nLine two\n\nLine three") is MatchKind.CANONICAL


def test_markdown_markers_hidden():
    assert (
        match("It's *really* **free** _now_, `see` ~~not~~ it", "It's really free now, see not it")
        is MatchKind.CANONICAL
    )


@pytest.mark.parametrize(
    "signature",
    ["\n\n--\nSent via RentHop", "\n-- \nSam Agent\nAcme Lettings", "\n\nSent from my iPhone", "\n\u2013\nSam"],
)
def test_trailing_signatures(signature):
    assert match("The room is still available.", "The room is still available." + signature) is MatchKind.CANONICAL


def test_a_named_signature_and_a_message_that_merely_continues():
    assert match("Yes, it is.", "Yes, it is.\n\nSam at Acme", signatures=["Sam at Acme"]) is MatchKind.CANONICAL
    assert match("Yes, it is.", "Yes, it is.\n\nSam at Acme") is MatchKind.NONE
    assert match("Yes, it is.", "Yes, it is. Would you like to view it?") is MatchKind.NONE


LONG = (
    "The room is available from May 1st and the rent is $1,200 a month including utilities. "
    "Viewings are on Saturday: https://www.example.com/listing/42 (reply to book)."
)


@pytest.mark.parametrize(
    "preview",
    [
        LONG[:80] + "\u2026",
        LONG[:80],  # Cut without a marker (CSS or a hard cut).
        LONG[:80].rsplit(" ", 1)[0] + " \u2026",
        LONG[:118] + "...",  # Cut inside the URL's "www.".
        LONG[:124] + "\u2026",  # Cut inside the host name.
    ],
)
def test_truncated_previews_are_prefix(preview):
    assert match(LONG, preview) is MatchKind.PREFIX


def test_a_link_cut_at_the_very_end_is_a_shortened_link_not_a_preview():
    typed = "Viewings are on Saturday: https://www.example.com/listing/42"
    assert match(typed, "Viewings are on Saturday: www.example.com/lis\u2026") is MatchKind.CANONICAL
    assert match(typed, "Viewings are on Saturday: https://ww\u2026") is MatchKind.CANONICAL
    assert match("Viewings are on Saturday: soon", "Viewings are on Saturday: https://ww\u2026") is MatchKind.NONE


def test_short_previews_are_not_enough():
    assert len(canonical(LONG[:30])) < PREFIX_MIN_CHARS
    assert match(LONG, LONG[:30] + "\u2026") is MatchKind.NONE
    assert match("Short note", "Short note\u2026") is MatchKind.PREFIX  # The whole text, plus an ellipsis.
    assert match(LONG, "The room is available from May 2nd and the rent is $1,2\u2026") is MatchKind.NONE


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("The rent is $1,200 a month.", "The rent is $1,300 a month."),
        ("The rent is $1,200 a month.", "The rent is $12,00 a month."),
        ("Viewings on Saturday at 11.", "Viewings on Sunday at 11."),
        ("See https://example.com/listing/42 now", "See https://example.com/listing/43 now"),
        ("See https://example.com/listing/42 now", "See https://example.org/listing/42 now"),
        ("See https://example.com/listing?id=42 now", "See https://example.com/listing?id=43 now"),
        ("It's free.", "It's not free."),
    ],
)
def test_different_texts_do_not_match(typed, shown):
    assert match(typed, shown) is MatchKind.NONE


def test_canonical_form():
    assert canonical(
        "  It\u2019s  FREE\u00a0\u2014 see\nhttps://WWW.Example.com/a/?utm_source=x&id=3#top \U0001f600 "
    ) == ("it's free - see example.com/a?id=3")


# --- check_sent ---------------------------------------------------------------------------------

CLAIM = datetime(2026, 3, 12, 18, 0, tzinfo=UTC)


def _msg(ref: str, body: str, minutes: float, direction: str = "out") -> ThreadMessage:
    return ThreadMessage(ref, body, CLAIM + timedelta(minutes=minutes), direction)  # type: ignore[arg-type]


def test_check_sent_confirms_one_full_match():
    thread = [_msg("1", "Is it free?", -10, "in"), _msg("2", "Earlier reply", -5), _msg("3", "Yes it\u2019s free", 0.1)]
    check = check_sent("Yes it's free", thread, claimed_at=CLAIM, outbound_before=1)
    assert check.verdict is Verdict.CONFIRMED
    assert check.ref == "3"
    assert [(e.ref, e.kind) for e in check.evidence] == [("3", MatchKind.CANONICAL)]
    assert (check.outbound_before, check.outbound_now) == (1, 2)


def test_check_sent_is_unknown_when_ambiguous_or_partial():
    twice = [_msg("2", "Yes it's free", 0.1), _msg("3", "Yes it&#39;s free", 0.2)]
    assert check_sent("Yes it's free", twice, claimed_at=CLAIM).verdict is Verdict.UNKNOWN
    preview = [_msg("2", LONG[:70] + "\u2026", 0.1)]
    check = check_sent(LONG, preview, claimed_at=CLAIM)
    assert check.verdict is Verdict.UNKNOWN
    assert check.matched[0].kind is MatchKind.PREFIX
    mixed = [_msg("2", LONG, 0.1), _msg("3", LONG[:70], 0.2)]
    assert check_sent(LONG, mixed, claimed_at=CLAIM).verdict is Verdict.UNKNOWN


def test_check_sent_counts_outbound_messages_when_no_text_matches():
    grown = [_msg("1", "Old", -5), _msg("2", "Something we cannot read", 0.1)]
    assert check_sent("Yes", grown, claimed_at=CLAIM, outbound_before=1).verdict is Verdict.UNKNOWN
    same = [_msg("1", "Old", -5)]
    check = check_sent("Yes", same, claimed_at=CLAIM, outbound_before=1)
    assert check.verdict is Verdict.ABSENT
    assert check.ref is None
    shrunk = [_msg("1", "Old", -5)]
    assert check_sent("Yes", shrunk, claimed_at=CLAIM, outbound_before=2).verdict is Verdict.UNKNOWN
    # Without a count, an unexplained outbound message after the claim is doubt, not absence.
    assert check_sent("Yes", grown, claimed_at=CLAIM).verdict is Verdict.UNKNOWN
    assert check_sent("Yes", same, claimed_at=CLAIM).verdict is Verdict.ABSENT


def test_check_sent_ignores_older_and_inbound_messages_and_honours_tolerance():
    thread = [_msg("1", "Yes it's free", -30), _msg("2", "Yes it's free", 0.5, "in")]
    assert check_sent("Yes it's free", thread, claimed_at=CLAIM, outbound_before=1).verdict is Verdict.ABSENT
    minute_precision = [_msg("3", "Yes it's free", -0.5)]  # Shown as 17:59 for a send at 18:00:20.
    assert check_sent("Yes it's free", minute_precision, claimed_at=CLAIM).verdict is Verdict.ABSENT
    tolerant = check_sent("Yes it's free", minute_precision, claimed_at=CLAIM, tolerance=timedelta(minutes=2))
    assert tolerant.verdict is Verdict.CONFIRMED


def test_check_sent_wants_an_aware_claim_time():
    with pytest.raises(ValueError, match="timezone-aware"):
        check_sent("x", [], claimed_at=datetime(2026, 3, 12))  # noqa: DTZ001 - the point of the test.


# --- properties over compositions of the sandbox's rendering transforms -------------------------

markups = st.sampled_from(["br", "paragraphs", "pre", "text"])
#: ``TEXTMATCH_EXAMPLES=5000`` for a longer hunt than the suite's default.
PROPERTY = settings(
    max_examples=int(os.environ.get("TEXTMATCH_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY
@given(typed=typed_texts(), profile=profiles(), markup=markups, img_alt=st.booleans())
def test_any_rendering_of_a_text_matches_it_in_full(typed, profile, markup, img_alt):
    shown = render(typed, profile, markup, img_alt=img_alt)
    note(f"shown={shown!r}\ncanonical typed={canonical(typed)!r}\ncanonical shown={canonical(shown)!r}")
    assert match(typed, shown).full


@PROPERTY
@given(typed=typed_texts(min_pieces=4), profile=profiles(), chars=st.integers(50, 120))
def test_any_inbox_preview_of_a_text_is_a_prefix_match_when_long_enough(typed, profile, chars):
    profile.traits["preview"] = {"chars": chars}
    site = SiteRendering(markup="br", preview_chars=chars, realistic={})
    shown = visible_text(Renderer(site, profile).preview(typed, "out"))
    kind = match(typed, shown)
    visible = canonical(shown).removesuffix("...").rstrip()
    note(f"shown={shown!r} kind={kind}\ncanonical typed={canonical(typed)!r}\nvisible={visible!r}")
    if not shown.endswith("\u2026"):
        assert kind.full
    elif len(visible.rsplit(" ", 1)[0]) >= PREFIX_MIN_CHARS:
        assert kind in (MatchKind.PREFIX, MatchKind.CANONICAL)


@st.composite
def differing_tokens(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(["word", "number", "url"]))
    if kind == "word":
        a, b = draw(st.from_regex(r"[a-z]{3,9}", fullmatch=True)), draw(st.from_regex(r"[a-z]{3,9}", fullmatch=True))
        return a, b
    if kind == "number":
        a, b = draw(st.integers(0, 999_999)), draw(st.integers(0, 999_999))
        return f"${a:,}", f"${b:,}"
    base = draw(urls())
    host_end = base.find("/", base.find("//") + 2 if "//" in base else 0)
    host = base if host_end < 0 else base[:host_end]
    host = host.split("?")[0]
    one, two = (
        draw(st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True)),
        draw(st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True)),
    )
    return f"{host}/listing/{one}", f"{host}/listing/{two}"


@PROPERTY
@given(
    head=typed_texts(),
    tail=typed_texts(),
    tokens=differing_tokens(),
    profile=profiles(short_links=False),
    markup=markups,
    img_alt=st.booleans(),
)
def test_a_different_word_number_or_url_path_never_matches(head, tail, tokens, profile, markup, img_alt):
    typed_token, other_token = tokens
    assume(canonical(typed_token) != canonical(other_token))
    typed = f"{head} {typed_token} tail {tail}"
    shown = render(f"{head} {other_token} tail {tail}", profile, markup, img_alt=img_alt)
    note(f"shown={shown!r}\ncanonical typed={canonical(typed)!r}\ncanonical shown={canonical(shown)!r}")
    assert match(typed, shown) is MatchKind.NONE


def test_whole_bodies_that_differ_in_their_last_words_are_two_replies_not_a_preview():
    first = "Thanks for asking! The room is still available and viewings run all week. (ref 1)"
    second = "Thanks for asking! The room is still available and viewings run all week. (ref 12)"
    assert match(second, first) is MatchKind.PREFIX  # As an inbox preview it could be a cut.
    assert match(second, first, previews=False) is MatchKind.NONE  # As a thread's whole message it is not.
    assert match(second, first[:60] + "\u2026", previews=False) is MatchKind.PREFIX  # A cut that says so.
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    thread = [ThreadMessage("a", first, now, "out"), ThreadMessage("b", second, now, "out")]
    for typed, ref in ((first, "a"), (second, "b")):
        check = check_sent(typed, thread, claimed_at=now, outbound_before=0, previews=False)
        assert (check.verdict, check.ref) == (Verdict.CONFIRMED, ref)
