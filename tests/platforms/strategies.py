"""Hypothesis strategies for what people type and how the sites show it (shared by the matcher and outbox tests)."""

from __future__ import annotations

from hypothesis import strategies as st

from platforms.sandbox.render import Profile, Renderer, SiteRendering, visible_text

EMOJI = [
    "\U0001f600",
    "\U0001f44d\U0001f3fd",
    "\u2764\ufe0f",
    "\U0001f1fa\U0001f1f8",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "1\ufe0f\u20e3",
    "\u2b50",
    "\u2600\ufe0f",
    "\U0001f3e0",
]
SEPARATORS = [" ", "  ", "\n", "\n\n", "\n\n\n", ", ", ". ", "! ", "\u00a0", " -- ", "... ", " - "]

words = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=12)
plain_words = st.from_regex(r"[A-Za-z]{2,10}", fullmatch=True)
quoted = st.builds(lambda w, q: f"{q}{w}{q}", plain_words, st.sampled_from(["'", '"']))
contractions = st.builds(lambda a, b: f"{a}'{b}", plain_words, st.sampled_from(["s", "t", "re", "ll"]))
money = st.integers(0, 99_999).map(lambda n: f"${n:,}")
markdown = st.builds(lambda w, m: f"{m}{w}{m}", plain_words, st.sampled_from(["*", "**", "_"]))


@st.composite
def urls(draw: st.DrawFn) -> str:
    """URLs as people type them: with or without scheme and www., paths, tracking, trailing slash."""
    scheme = draw(st.sampled_from(["https://", "http://", "", ""]))
    www = draw(st.sampled_from(["www.", ""])) if scheme else "www."
    host = draw(st.from_regex(r"[a-z][a-z0-9]{0,11}", fullmatch=True)) + draw(
        st.sampled_from([".com", ".org", ".net", ".io", ".co.uk"])
    )
    segments = draw(st.lists(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,7}", fullmatch=True), max_size=3))
    path = "".join(f"/{s}" for s in segments) + draw(st.sampled_from(["", "/"]))
    query = draw(st.sampled_from(["", "?utm_source=sr", "?id=42", "?id=42&utm_medium=email", "?fbclid=AbC"]))
    return f"{scheme}{www}{host}{path}{query}"


pieces = st.one_of(
    words, plain_words, plain_words, quoted, contractions, money, markdown, urls(), st.sampled_from(EMOJI)
)


@st.composite
def typed_texts(draw: st.DrawFn, min_pieces: int = 1) -> str:
    parts = draw(st.lists(pieces, min_size=min_pieces, max_size=18))
    out = ""
    for index, part in enumerate(parts):
        out += part + (draw(st.sampled_from(SEPARATORS)) if index < len(parts) - 1 else "")
    return out


@st.composite
def profiles(draw: st.DrawFn, *, short_links: bool = True) -> Profile:
    """Any composition of the sandbox's text transforms (the delay and the preview aside)."""
    traits: dict[str, dict[str, object]] = {}
    for name in ("curly_quotes", "paragraphs", "collapse_blank_lines", "entities", "nbsp", "markdown"):
        if draw(st.booleans()):
            traits[name] = {}
    if draw(st.booleans()):
        displays = ["as_typed", "no_scheme", "host_path"] + (["short"] if short_links else [])
        traits["linkify"] = {"display": draw(st.sampled_from(displays)), "short_chars": draw(st.integers(24, 40))}
    if draw(st.booleans()):
        traits["emoji_images"] = {"alt": draw(st.sampled_from(["emoji", "none"]))}
    if draw(st.booleans()):
        traits["unicode_form"] = {"form": draw(st.sampled_from(["NFC", "NFD", "NFKC"]))}
    if draw(st.booleans()):
        signature = draw(st.sampled_from(["--\nSent via RentHop", "Sent from my iPhone", "\u2014\nSam at Acme"]))
        traits["signature"] = {"text": signature}
    return Profile(name="custom", traits=traits)


def render(typed: str, profile: Profile, markup: str, *, img_alt: bool) -> str:
    """What a connector reads back: the replica's HTML for the body, read as ``innerText``."""
    site = SiteRendering(markup=markup, preview_chars=80, realistic={})  # type: ignore[arg-type]
    renderer = Renderer(site, profile)
    if markup == "text":
        return renderer.text(typed, "out")
    pre = markup == "pre" and not profile.on("paragraphs")
    return visible_text(renderer.body(typed, "out"), pre=pre, img_alt=img_alt)
