"""A catalogue resource whose gateway publishes Chinese labels, for the pages' names.

The world's test department publishes titles but no labels of its fields. The real 车管所
plug-in (:mod:`quancheng_insurance.departments.jinan_vmo`) has labels for every field and
indicator of ``traffic.violation``; this serves that resource's listing as a gateway publishes
it, plus ``field_labels`` and ``indicator_labels`` (taken from the plug-in), from a small HTTP
server registered in the catalogue as the resource's endpoint. Its receipt log is empty.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import urlsplit

from quancheng.chain.types import code32, purposes_mask
from quancheng.committee import schema_digest
from quancheng_insurance.departments.jinan_vmo import violation
from tests.portal.support import World

TV = "traffic.violation"
#: Fields a test grant asks of it, and their labels as the plug-in has them.
TV_FIELDS = ("fine_fen", "occurred_at", "points")
TV_LABELS = {name: violation.field_labels[name] for name in TV_FIELDS}
#: Indicators a DERIVED test grant asks of it, and their labels.
TV_INDICATORS = ("accidents_count", "drink_driving_count")
TV_INDICATOR_LABELS = {name: violation.indicator_labels[name] for name in TV_INDICATORS}


def listing(provider: str) -> dict[str, Any]:
    """``GET /v1/resources`` as a gateway serving ``traffic.violation`` publishes it."""
    spec = violation.spec
    return {
        "provider": provider,
        "name": "车管所（测试）",
        "resources": [
            {
                "resource_id": spec.resource_id,
                "subject_kind": spec.subject_kind,
                "fields": list(spec.fields),
                "indicators": list(spec.indicators),
                "title": spec.title,
                "in_catalogue": True,
                "field_labels": dict(violation.field_labels),
                "indicator_labels": dict(violation.indicator_labels),
            }
        ],
    }


class _Handler(BaseHTTPRequestHandler):
    body_of: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.body_of.get(urlsplit(self.path).path)
        self.send_response(200 if body is not None else 404)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body or b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class LabelledGateway:
    """The running listing server and the endpoint the catalogue names."""

    server: ThreadingHTTPServer
    url: str

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_labelled_gateway(world: World) -> LabelledGateway:
    """Serve the listing and register ``traffic.violation`` at it (provider: the world's)."""
    provider = world.sc.provider
    bodies = {
        "/v1/resources": json.dumps(listing(provider.code), ensure_ascii=False).encode(),
        "/v1/receipts": json.dumps({"receipts": [], "next_index": 0, "total": 0}).encode(),
    }
    handler = type("Handler", (_Handler,), {"body_of": bodies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    spec = violation.spec
    names = sorted({*spec.fields, *spec.indicators})
    world.sc.net.send(
        world.sc.net.committee[0],
        world.sc.net.catalogue.functions.register(
            code32(TV), provider.id, [code32(n) for n in names],
            schema_digest(TV, spec.fields, spec.indicators), 3,
            purposes_mask(*(int(p) for p in violation.purposes)), url,
        ),
    )  # fmt: skip
    return LabelledGateway(server, url)
