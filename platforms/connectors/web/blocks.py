"""Block detection: every page the connector opens goes through the guard and is checked on arrival.

:class:`GuardedPage` is the only way the upper layers navigate, submit, type or click:
each action waits for the guard's pacing and token (after clearing any overlay in the
way: :meth:`GuardedPage.dismiss_overlays`), and each page that comes back is
handed to :meth:`Guard.inspect <platforms.guard.Guard.inspect>` (captcha, block page,
HTTP 429 and its ``Retry-After``) before anything reads it. The check on arrival is cheap
(the response's status and headers, the URL, and one round trip that reads the title and
counts the vendors' challenge markup): only a page that looks wrong by one of those has its
HTML read and judged in full, and so does a page missing what the connector came for
(:meth:`GuardedPage.block_or_none`), where a block page shown with a 200 and no vendor
markup ends up. Playwright's own errors
become :class:`~platforms.connectors.errors.Transient` with a message cleaned of call
logs and secrets.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator
from playwright.sync_api import Response as PlaywrightResponse
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from platforms.connectors.errors import ConnectorError, SessionExpired, Transient
from platforms.connectors.web.driver import PageDriver
from platforms.guard import CHALLENGE_TITLES

#: Markup only challenge and block pages carry (the vendors' own ids and frames, as
#: platforms/guard.py's signals name them): counted in one query on every page that arrives.
BLOCK_MARKERS = ", ".join(
    (
        "#px-captcha",
        "#challenge-stage",
        "#cf-wrapper",
        "iframe[src*='challenges.cloudflare.com']",
        "iframe[src*='captcha-delivery.com']",
        "iframe[data-src*='captcha-delivery.com']",
        "iframe[src*='_Incapsula_Resource']",
        "iframe[data-src*='_Incapsula_Resource']",
        "iframe[src*='recaptcha/api2/bframe']",
        "iframe[src*='hcaptcha.com/captcha']",
    )
)
#: Titles a block page carries (a challenge's are :data:`platforms.guard.CHALLENGE_TITLES`).
BLOCK_TITLES = re.compile(r"^\s*(attention required|access denied)", re.I)

# Runs in the page: the state of one overlay-dismissing control (CSS): absent, hidden, on top
# at its centre (a real click reaches it) or covered by something else.
OVERLAY_STATE_JS = """
(sel) => {
  let el = null;
  try { el = document.querySelector(sel); } catch (e) { return 'absent'; }
  if (!el) return 'absent';
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  if (!box.width || !box.height || style.visibility === 'hidden' || style.display === 'none') return 'hidden';
  const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return top && (top === el || el.contains(top)) ? 'top' : 'covered';
}
"""

# Runs in the page: its title, how many challenge or block markers it holds (a script's
# challenge options included), and the state of each overlay control the connector would
# dismiss next, in one round trip instead of reading the whole HTML and asking again.
_PAGE_CHECK_JS = (
    """
([sel, overlays]) => { let n = 0; try { n = document.querySelectorAll(sel).length; } catch (e) { n = 0; }
  if (typeof window._cf_chl_opt !== 'undefined') n += 1;
  const state = """
    + OVERLAY_STATE_JS.strip()
    + """;
  return [document.title || '', n, overlays.map(state)]; }
"""
)


def clean_error(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """Return a Playwright error's first line without its call log or any secret."""
    text = str(exc).split("Call log:", 1)[0].strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text[:300]


def redirect_chain(response: PlaywrightResponse | None) -> list[str]:
    """Return the URLs a navigation went through, first request to final page."""
    if response is None:
        return []
    chain = [response.url]
    request = response.request.redirected_from
    while request is not None:
        chain.append(request.url)
        request = request.redirected_from
    return list(reversed(chain))


class GuardedPage(PageDriver):
    """Navigation and input through the guard, with every arriving page checked for blocks."""

    @contextlib.contextmanager
    def _browser_errors(self, action: str) -> Iterator[None]:
        """Turn Playwright's errors into the taxonomy (message cleaned of call logs and secrets)."""
        try:
            yield
        except ConnectorError:
            raise
        except PlaywrightTimeoutError:
            raise Transient(f"{self.platform}: {action} timed out", **self._extra(action=action)) from None
        except PlaywrightError as exc:
            raise Transient(
                f"{self.platform}: {action} failed: {clean_error(exc, self._secrets)}", **self._extra(action=action)
            ) from None

    def _inspect(self, response: PlaywrightResponse | None, *, allow_login: bool) -> list[str]:
        """Let the guard judge the page on screen (captcha, block, 429); a login page is an expired session.

        The HTML is read only when the status, the title or the markers say something is wrong.
        Return the state of each of :meth:`overlay_selectors` (read in the same round trip).
        """
        page = self.page
        status = response.status if response is not None else None
        headers = response.headers if response is not None else {}
        try:
            title, markers, overlays = page.evaluate(_PAGE_CHECK_JS, [BLOCK_MARKERS, self.overlay_selectors()])
        except PlaywrightError as exc:
            raise Transient(f"{self.platform}: page unreadable: {clean_error(exc)}", **self._extra()) from None
        suspect = (
            (status is not None and status >= 400)
            or bool(markers)
            or bool(CHALLENGE_TITLES.search(title) or BLOCK_TITLES.search(title))
        )
        html = ""
        if suspect:
            try:
                html = page.content()
            except PlaywrightError as exc:
                raise Transient(f"{self.platform}: page unreadable: {clean_error(exc)}", **self._extra()) from None
        self._judge(status=status, headers=headers, title=title, html=html)
        if not allow_login and self.is_login_url(page.url):
            raise SessionExpired(f"{self.platform}: sent back to the login page", **self._extra())
        return [str(state) for state in overlays]

    def _judge(self, *, status: int | None, headers: dict[str, str], title: str, html: str) -> None:
        try:
            self.guard.inspect(status=status, headers=headers, title=title, html=html, url=self.page.url)
        except ConnectorError as exc:
            if not isinstance(exc, Transient):
                self._save_failure(exc.error_class)
            exc.extra.update(self._extra())
            raise

    def block_or_none(self) -> None:
        """Judge the page on screen in full (its HTML): raise if it is a captcha or block page.

        For a page that lacks what the connector came for: a block page served with a 200 and
        none of the vendor markup the cheap check counts is told apart from drift here.
        """
        try:
            html, title = self.page.content(), self.page.title()
        except PlaywrightError:
            return  # Unreadable: the caller's own error stands.
        self._judge(status=None, headers={}, title=title, html=html)

    def overlay_selectors(self) -> list[str]:
        """The CSS of the controls that dismiss overlays, in the order they are tried (none here)."""
        return []

    def dismiss_overlays(self, states: list[str] | None = None) -> None:
        """Dismiss what covers the page (consent banners, modals); :class:`~platforms.connectors.web.elements.ElementFinder` does it by the map.

        ``states``: the controls' states as the page check just read them (saves a round trip).
        """

    def goto(self, url: str, *, allow_login: bool = False) -> PlaywrightResponse | None:
        """Open a URL through the guard and check what came back."""
        self.guard.before_action(request=True)
        with self._browser_errors("navigation"):
            response = self.page.goto(url, wait_until="domcontentloaded")
        self.dismiss_overlays(self._inspect(response, allow_login=allow_login))
        return response

    def submit(
        self, target: Locator, *, allow_login: bool = False, action: str = "submit"
    ) -> PlaywrightResponse | None:
        """Click something that navigates (a form's submit), through the guard, and check the result."""
        self.dismiss_overlays()
        self.guard.before_action(request=True)
        with self._browser_errors(action), self.page.expect_navigation(wait_until="domcontentloaded") as navigation:
            target.click()
        response = navigation.value
        self._last_chain = redirect_chain(response)
        self.dismiss_overlays(self._inspect(response, allow_login=allow_login))
        return response

    def fill(self, target: Locator, value: str, *, secret: bool = False) -> None:
        """Type into a field through the guard's pacing (no request, so no token)."""
        self.dismiss_overlays()
        self.guard.before_action(request=False)
        try:
            target.fill(value)
        except PlaywrightError:
            what = "a secret field" if secret else "a field"
            raise Transient(f"{self.platform}: could not fill {what}", **self._extra()) from None

    def click(self, target: Locator, *, action: str = "click") -> None:
        self.dismiss_overlays()
        self.guard.before_action(request=False)
        with self._browser_errors(action):
            target.click()
