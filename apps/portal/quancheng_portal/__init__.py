"""数字保险箱 — the owner portal of 泉城链, served by the identity authority (济南市大数据局).

Owners sign in by signing a challenge with the SM2 key bound to them on chain, which they keep
in their browser (binding or re-binding it takes a one-time enrollment code the authority issues
after its real-name check; development keeps a demo list), and approve, reject, pause, resume
and revoke grants by signing in the browser;
the portal verifies each signature against the key attested on chain and relays it. It also
shows every access to the owner's data, each receipt verified against the gateway's signature
and its batch anchored on chain.

    from quancheng_portal import PortalSettings, create_app
    app = create_app(PortalSettings(environment="development"))
"""

from quancheng_portal.core.config import PortalSettings
from quancheng_portal.main import create_app

__all__ = ["PortalSettings", "create_app"]
