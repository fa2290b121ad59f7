"""Sessions: reuse the saved one, log in only when the platform asks, and keep the storage state.

A connector first opens the inbox with the cookies the runtime saved for the account; only
when the platform sends it to its login page does it run the full login (the platform's
:meth:`SessionFlow.full_login`), and then it saves the new storage state so the next job,
in any worker, reuses it. Operator-only accounts never log in by themselves
(:class:`~platforms.connectors.errors.NeedsOperatorLogin`); ``operator_login`` runs
:meth:`SessionFlow.interactive_login` with a person at the keyboard.
"""

from __future__ import annotations

import abc
import contextlib
import logging
from collections.abc import Callable, Iterator

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Response as PlaywrightResponse

from platforms.connectors.errors import AuthFailed, NeedsOperatorLogin, SessionExpired, Transient
from platforms.connectors.web.elements import ElementFinder
from platforms.credentials import CredentialUnavailable, resolve_credential

logger = logging.getLogger(__name__)


#: Logins one operation may run to carry on after the site dropped its session midway.
MAX_RESUMED_LOGINS = 3


class SessionFlow(ElementFinder):
    """Log in (or reuse the stored session), and tell a refused login from an incomplete one."""

    #: Logins the running operation may still run to carry on after a dropped session (0: none).
    _resumes_left: int = 0

    @contextlib.contextmanager
    def resuming(self) -> Iterator[None]:
        """Within this block, a session the site drops midway is logged in again where it happened.

        For operations that only read or prepare (ingest, the steps before a send's click,
        a read-back): the page that found the session gone is opened again after the login,
        and the operation carries on with what it has read. Never around a send's click or
        what follows it: an expiry discovered there stays ``SessionExpired`` (an unknown outcome).
        """
        self._resumes_left = MAX_RESUMED_LOGINS
        try:
            yield
        finally:
            self._resumes_left = 0

    def _resume_login(self) -> bool:
        """Log in again to carry on, if the operation allows it and has logins left; return whether it did."""
        if self._resumes_left <= 0:
            return False
        self._resumes_left -= 1
        logger.info(
            "connector: session dropped midway, logging in again",
            extra={"platform": self.platform, "account": self.config.account_id},
        )
        self._login_now()
        return True

    def goto(self, url: str, *, allow_login: bool = False) -> PlaywrightResponse | None:
        """Open a URL; inside :meth:`resuming`, a trip to the login page logs in and opens the URL again."""
        try:
            return super().goto(url, allow_login=allow_login)
        except SessionExpired as exc:
            if exc.extra.get("fresh_login") or not self._resume_login():
                raise
        return super().goto(url, allow_login=allow_login)

    def _password(self) -> str:
        """Resolve the account's password now (never earlier) and remember it for redaction."""
        if not self.config.credential_ref:
            raise AuthFailed(f"{self.platform}: the account has no credential reference", **self._extra())
        try:
            secret = resolve_credential(self.config.credential_ref)
        except CredentialUnavailable as exc:
            raise AuthFailed(f"{self.platform}: {exc.message}", **self._extra()) from None
        self._secrets = (*self._secrets, secret)
        return secret

    def login(self) -> None:
        """Reuse the stored session; run the full login only when it is gone."""
        self.guard.run(self._ensure_session, name="login")

    def _on_inbox(self) -> bool:
        return self._path_of(self.page.url) == self._path_of(self.url("inbox", page=1)) and not self.is_login_url(
            self.page.url
        )

    def _ensure_session(self) -> None:
        """Open the inbox; log in only when the platform sends us to its login page."""
        self.goto(self.url("inbox", page=1), allow_login=True)
        if not self.is_login_url(self.page.url) and self.exists("session.marker", wait=True):
            return
        self._login_now()
        if not self._on_inbox():
            self.goto(self.url("inbox", page=1))

    def _login_now(self) -> None:
        if self.config.login_method == "operator":
            raise NeedsOperatorLogin(
                f"{self.platform}: the saved session lapsed; an operator must log in again", **self._extra()
            )
        self.full_logins += 1
        logger.info("connector: full login", extra={"platform": self.platform, "account": self.config.account_id})
        self.full_login()
        if self.is_login_url(self.page.url) or not self.exists("session.marker", wait=True):
            self.login_failed()
        self.runtime.save_state(self.platform, self.config.account_id, force=True)

    def interactive_login(self, code_provider: Callable[[], str] | None = None) -> None:
        """Run a full login now, for a person at ``operator_login`` (``code_provider`` types e-mailed codes).

        Unlike :meth:`login`, it also runs for operator-only accounts: a person is there.
        """

        def op() -> None:
            self.full_logins += 1
            self.full_login(code_provider=code_provider)
            if self.is_login_url(self.page.url) or not self.exists("session.marker", wait=True):
                self.login_failed()
            self.runtime.save_state(self.platform, self.config.account_id, force=True)

        self.guard.run(op, name="operator login")

    def _refresh(self) -> None:
        """The guard's session refresh: forget the dead cookies, then log in again."""
        self.runtime.forget_session(self.platform, self.config.account_id)
        self._ensure_session()

    @abc.abstractmethod
    def full_login(self, code_provider: Callable[[], str] | None = None) -> None:
        """Run the platform's login flow from its login page (each platform overrides).

        ``code_provider`` answers a one-time code prompt (platforms with e-mailed codes);
        password forms have none and ignore it.
        """

    def login_failed(self) -> None:
        """Raise the right error for a login that did not end logged in."""
        if any(not self.is_login_url(url) for url in self._last_chain[1:-1]):
            # The site accepted the login, sent us on, and bounced us straight back.
            # A refresh would only repeat this login: tell the guard not to try.
            raise SessionExpired(
                f"{self.platform}: the session was dropped right after logging in", **self._extra(fresh_login=True)
            )
        if self.exists("login.error_credentials"):
            self._save_failure("auth-failed")
            raise AuthFailed(f"{self.platform}: the platform refused the credentials", **self._extra())
        self._save_failure("login-incomplete")
        raise Transient(f"{self.platform}: login did not complete", **self._extra(url=self._path_of(self.page.url)))

    def password_login(self) -> None:
        """The common form: fill username and password, submit (platforms add their quirks around it)."""
        self.goto(self.url("login"), allow_login=True)
        if not self.is_login_url(self.page.url) and self.exists("session.marker"):
            return
        password = self._password()
        self.fill(self.require("login.username"), self.config.username)
        self.fill(self.require("login.password"), password, secret=True)
        remember = (
            self.find("login.remember", required=False, wait=False)
            if "login.remember" in self.locators.elements
            else None
        )
        if remember is not None:
            with contextlib.suppress(PlaywrightError):
                remember.check()
        self.submit(self.require("login.submit"), allow_login=True, action="login")
