"""What real sites put in front of a page: cookie-consent banners and interstitial modals.

Each replica may show a consent banner (trait ``consent_banner``) and a modal such as "get
the app" or "complete your profile" (trait ``interstitial``), each in the markup of the
consent manager or UI kit that kind of site uses. Both cover the whole page with a
backdrop, so a click on anything under them lands on the backdrop (Playwright reports
"element intercepts pointer events") until they are dismissed; the modal sits above the
banner, as a site's own modal sits above a third-party banner. Dismissing one runs the
page's own script: it stores a cookie (as the real consent managers do) and removes the
overlay; the replica does not show it again to a browser that carries the cookie.

SpareRoom's OneTrust banner predates the traits: it is part of the plain pages
(``replicas/spareroom.py``), so ``consent_banner`` adds nothing there.
"""

from __future__ import annotations

import dataclasses

from platforms.sandbox.render import Renderer
from platforms.sandbox.web import Request, Response

#: Above the page's own content; a modal above a consent banner.
Z_CONSENT = 9000
Z_MODAL = 10000


@dataclasses.dataclass(frozen=True)
class Overlay:
    """One overlay of one site: its markup, the control(s) that dismiss it, and the cookie that does so for good."""

    root_id: str
    markup: str
    #: CSS for the controls the page's script wires to "dismiss" (inside the root).
    dismiss: str
    cookie: str

    def html(self, slug: str, z_index: int) -> str:
        script = (
            "<script>(function(){"
            f"var root=document.getElementById('{self.root_id}');if(!root)return;"
            f'root.querySelectorAll("{self.dismiss}").forEach(function(b){{'
            "b.addEventListener('click',function(e){e.preventDefault();"
            f"document.cookie='{self.cookie}=1;path=/{slug};max-age=31536000;SameSite=Lax';"
            "root.remove();});});})();</script>"
        )
        style = f"position:fixed;inset:0;z-index:{z_index}"
        return f"<div id='{self.root_id}' style='{style}'>{self.markup}</div>{script}"


_BACKDROP = "position:absolute;inset:0;background:rgba(0,0,0,.5)"
_BOTTOM = "position:absolute;left:0;right:0;bottom:0;background:#fff;padding:24px"
_CENTRED = "position:absolute;left:50%;top:20%;transform:translateX(-50%);background:#fff;padding:24px;width:420px"

#: Consent banners: the consent manager each site (plausibly) runs.
CONSENT: dict[str, Overlay] = {
    # Laravel's spatie/laravel-cookie-consent: its class names and its cookie.
    "roomies": Overlay(
        root_id="cookie-consent-root",
        markup=(
            f"<div class='bg-black opacity-50' style='{_BACKDROP}'></div>"
            f"<div class='js-cookie-consent cookie-consent fixed bottom-0 inset-x-0 pb-2' style='{_BOTTOM}'>"
            "<span class='cookie-consent__message text-sm text-grey-darker'>Your experience on this site will be "
            "improved by allowing cookies.</span> "
            "<button type='button' class='js-cookie-consent-agree cookie-consent__agree bg-teal text-white "
            "font-bold py-2 px-4 rounded'>Allow cookies</button></div>"
        ),
        dismiss=".js-cookie-consent-agree",
        cookie="laravel_cookie_consent",
    ),
    # Cookiebot's dialog (ids as Cookiebot renders them) and its CookieConsent cookie.
    "leasebreak": Overlay(
        root_id="CybotCookiebotDialogRoot",
        markup=(
            f"<div id='CybotCookiebotDialogBodyUnderlay' style='{_BACKDROP}'></div>"
            "<div id='CybotCookiebotDialog' name='CybotCookiebotDialog' role='dialog' aria-modal='true' "
            f"aria-label='Cookie consent' class='CybotCookiebotDialogActive' style='{_BOTTOM}'>"
            "<h2 id='CybotCookiebotDialogBodyContentTitle'>This website uses cookies</h2>"
            "<div id='CybotCookiebotDialogBodyContentText'>We use cookies to personalise content and to analyse "
            "our traffic.</div>"
            "<button id='CybotCookiebotDialogBodyButtonDecline' class='CybotCookiebotDialogBodyButton'>Deny</button> "
            "<button id='CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll' "
            "class='CybotCookiebotDialogBodyButton'>Allow all</button></div>"
        ),
        dismiss="#CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll, #CybotCookiebotDialogBodyButtonDecline",
        cookie="CookieConsent",
    ),
    # Osano's consent manager (its osano-cm-* classes) and its cookie.
    "renthop": Overlay(
        root_id="osano-cm-root",
        markup=(
            f"<div class='osano-cm-window__backdrop' style='{_BACKDROP}'></div>"
            "<div class='osano-cm-window'><div class='osano-cm-dialog osano-cm-dialog--position_bottom "
            f"osano-cm-dialog--type_bar' role='dialog' aria-label='Cookie Consent Banner' style='{_BOTTOM}'>"
            "<span class='osano-cm-content'><span class='osano-cm-message'>This website utilizes technologies such "
            "as cookies to enable essential site functionality, as well as for analytics.</span></span>"
            "<div class='osano-cm-dialog__buttons'>"
            "<button class='osano-cm-accept-all osano-cm-buttons__button osano-cm-button'>Accept All</button> "
            "<button class='osano-cm-deny osano-cm-buttons__button osano-cm-button'>Deny</button></div></div></div>"
        ),
        dismiss=".osano-cm-accept-all, .osano-cm-deny",
        cookie="osano_consentmanager",
    ),
    # The newer Radix-based front end: a banner with test ids, like the rest of that UI.
    "furnishedfinder": Overlay(
        root_id="ff-cookie-banner-root",
        markup=(
            f"<div class='rt-Box' style='{_BACKDROP}'></div>"
            f"<div data-testid='cookie-banner' class='rt-Box cookie-banner' role='region' "
            f"aria-label='Cookie consent' style='{_BOTTOM}'>"
            "<p class='rt-Text'>We use cookies to keep you signed in and to improve Furnished Finder.</p>"
            "<button type='button' data-testid='cookie-banner-decline' class='rt-reset rt-BaseButton rt-Button "
            "rt-variant-soft'>Decline</button> "
            "<button type='button' data-testid='cookie-banner-accept' class='rt-reset rt-BaseButton rt-Button'>"
            "Accept</button></div>"
        ),
        dismiss="[data-testid='cookie-banner-accept'], [data-testid='cookie-banner-decline']",
        cookie="ff_cookie_consent",
    ),
}

#: Interstitial modals, by site and kind. A site shows its own kind whatever kind is pinned.
INTERSTITIALS: dict[str, dict[str, Overlay]] = {
    "spareroom": {
        "app_download": Overlay(
            root_id="app-download-modal",
            markup=(
                f"<div class='modal__overlay' style='{_BACKDROP}'></div>"
                "<div class='modal modal--app-promo is-open' role='dialog' aria-modal='true' "
                f"aria-labelledby='app-promo-title' style='{_CENTRED}'>"
                "<button type='button' class='modal__close' aria-label='Close'>&times;</button>"
                "<h2 id='app-promo-title'>Get the SpareRoom app</h2>"
                "<p>Reply to messages on the go and get new ads first.</p>"
                "<a class='button app-store' href='#'>Download on the App Store</a> "
                "<a class='button google-play' href='#'>Get it on Google Play</a> "
                "<button type='button' class='modal__dismiss link-button'>Not now</button></div>"
            ),
            dismiss=".modal__close, .modal__dismiss",
            cookie="sr_app_promo_dismissed",
        ),
    },
    "roomies": {
        "complete_profile": Overlay(
            root_id="verify-modal",
            markup=(
                f"<div class='bg-grey-darkest opacity-75' style='{_BACKDROP}'></div>"
                "<div class='relative bg-white rounded-lg max-w-md mx-auto p-6' role='dialog' aria-modal='true' "
                f"aria-labelledby='verify-title' style='{_CENTRED}'>"
                "<h3 id='verify-title' class='text-lg font-bold'>Complete your profile</h3>"
                "<p class='text-grey-darker'>Verified members with a photo get more replies.</p>"
                "<a href='/roomies/verifications' class='bg-teal text-white font-bold py-2 px-4 rounded'>Get verified</a> "
                "<button type='button' class='text-grey-dark ml-4' data-dismiss='modal'>Maybe later</button></div>"
            ),
            dismiss="[data-dismiss='modal']",
            cookie="profile_nag_dismissed",
        ),
    },
    "leasebreak": {
        # A Bootstrap 4 modal, shown open (``show``, ``display:block``) with its backdrop.
        "complete_profile": Overlay(
            root_id="completeProfileModalRoot",
            markup=(
                f"<div class='modal-backdrop fade show' style='{_BACKDROP}'></div>"
                "<div class='modal fade show' id='completeProfileModal' tabindex='-1' role='dialog' "
                "aria-modal='true' style='display:block'>"
                f"<div class='modal-dialog' role='document' style='{_CENTRED}'><div class='modal-content'>"
                "<div class='modal-header'><h5 class='modal-title'>Complete your profile</h5>"
                "<button type='button' class='close' data-dismiss='modal' aria-label='Close'>"
                "<span aria-hidden='true'>&times;</span></button></div>"
                "<div class='modal-body'>Add a phone number so renters can reach you faster.</div>"
                "<div class='modal-footer'><a class='btn btn-primary' href='/leasebreak/users/edit'>Complete profile</a> "
                "<button type='button' class='btn btn-secondary' data-dismiss='modal'>Not now</button></div>"
                "</div></div></div>"
            ),
            dismiss="[data-dismiss='modal']",
            cookie="profile_prompt_dismissed",
        ),
    },
    "renthop": {
        "app_download": Overlay(
            root_id="app-promo",
            markup=(
                f"<div class='rh-modal-backdrop' style='{_BACKDROP}'></div>"
                f"<div class='rh-modal-box' role='dialog' aria-modal='true' style='{_CENTRED}'>"
                "<button type='button' class='rh-modal-close' aria-label='Close'>&times;</button>"
                "<h3>RentHop is better in the app</h3><p>Get instant alerts when a lead writes to you.</p>"
                "<button type='button' class='btn btn-default rh-get-app'>Get the app</button> "
                "<button type='button' class='rh-modal-dismiss'>Continue on web</button></div>"
            ),
            dismiss=".rh-modal-close, .rh-modal-dismiss",
            cookie="rh_app_promo",
        ),
    },
    "furnishedfinder": {
        # A Radix Themes dialog, rendered into its portal.
        "complete_profile": Overlay(
            root_id="radix-portal-profile",
            markup=(
                f"<div data-state='open' class='rt-DialogOverlay' style='{_BACKDROP}'></div>"
                "<div role='dialog' aria-modal='true' data-state='open' class='rt-DialogContent' "
                f"aria-labelledby='radix-r2' style='{_CENTRED}'>"
                "<h2 id='radix-r2' class='rt-Heading'>Finish setting up your account</h2>"
                "<p class='rt-Text'>Add a profile photo and verify your phone so travelers trust your listing.</p>"
                "<a class='rt-reset rt-BaseButton rt-Button' href='/furnishedfinder/members/profile'>Complete profile</a> "
                "<button type='button' data-testid='dialog-close' aria-label='Close' class='rt-reset rt-BaseButton "
                "rt-IconButton'>&times;</button></div>"
            ),
            dismiss="[data-testid='dialog-close']",
            cookie="ff_profile_prompt",
        ),
    },
}


def furnish(slug: str, req: Request, shows: Renderer, response: Response) -> Response:
    """Put the profile's overlays in front of an HTML page, unless the browser dismissed them already."""
    if response.status != 200 or not response.content_type.startswith("text/html"):
        return response
    extra = []
    consent = CONSENT.get(slug)
    if shows.consent_banner() and consent is not None and consent.cookie not in req.cookies:
        extra.append(consent.html(slug, Z_CONSENT))
    kind = shows.interstitial()
    kinds = INTERSTITIALS.get(slug, {})
    if kind is not None and kinds:
        modal = kinds.get(kind) or next(iter(kinds.values()))
        if modal.cookie not in req.cookies:
            extra.append(modal.html(slug, Z_MODAL))
    if not extra:
        return response
    body = response.body.decode("utf-8")
    at = body.rfind("</body>")
    if at < 0:
        return response
    response.body = (body[:at] + "".join(extra) + body[at:]).encode("utf-8")
    return response
