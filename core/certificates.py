"""Certificates issued for approved applications, and their public verification.

A certificate carries a number and an unguessable token; its QR code opens
``/verify/certificate/<token>``, which says whether it is authentic and whether it has been
revoked. The certified content is frozen at issue (``rows`` and their SHA-256), so what the
verification page shows is what was issued, whatever happens to the plugin later.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from typing import Any

from emitra.core import audit, clock
from emitra.core.models import Case, Certificate, District, ServiceRequest


def content_hash(number: str, holder: str, title_en: str, rows: list[dict[str, str]], issued_at: Any) -> str:
    canonical = json.dumps({"number": number, "holder": holder, "title": title_en, "rows": rows,
                            "issued_at": int(issued_at.timestamp())},
                           sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _content(case: Case) -> dict[str, Any]:
    from emitra.core.plugins import get_host

    host = get_host()
    service = host.registry.get(case.service_code) or host.all_declared.get(case.service_code)
    request = await ServiceRequest.get_or_none(id=case.request_id) if case.request_id else None
    data = dict(request.form_data) if request else {}
    details = list(request.quote_details) if request else []
    if service is None:
        return {"title_en": case.title_en, "title_hi": case.title_hi, "holder": case.applicant_name, "rows": details}
    try:
        content = service.certificate(data, details)
    except Exception as exc:  # a partner's code: its failure refuses the step, named, and is logged for the partner
        log.exception("service %s: certificate() failed for case %s", case.service_code, case.number)
        raise CertificateRefused(case, f"{type(exc).__name__} raised by its certificate()") from exc
    problem = _malformed(content)
    if problem:
        log.error("service %s: certificate() for case %s returned %s", case.service_code, case.number, problem)
        raise CertificateRefused(case, f"its certificate() returned {problem}")
    content = dict(content)
    content["holder"] = content.get("holder") or case.applicant_name
    return content


log = logging.getLogger("emitra.plugins")


class CertificateRefused(ValueError):
    """The service's plugin could not write the certificate (its ``certificate()`` raised, or
    returned something that is not a certificate): the step that issues it is refused, in English
    and Hindi, and nothing is issued (the caller's transaction rolls back)."""

    def __init__(self, case: Case, why: str):
        self.field = "action"
        self.message_en = (f"The certificate could not be written: the plugin of service {case.service_code} failed ({why}). "
                           "Nothing was issued and the case stays where it was. Tell the Society, whose partner fixes the plugin; "
                           "then issue it again.")
        self.message_hi = (f"प्रमाण पत्र नहीं बन सका: सेवा {case.service_code} का प्लगइन विफल रहा ({why})। कुछ जारी नहीं हुआ और प्रकरण "
                           "जहाँ था वहीं है। सोसायटी को बताएँ, जिसका साझेदार प्लगइन ठीक करेगा; फिर दोबारा जारी करें।")
        super().__init__(self.message_en)


def _malformed(content: Any) -> str:
    """What is wrong with a plugin's certificate content ('' when nothing): a dict with a title in
    English and Hindi and a list of rows, each a dict."""
    if not isinstance(content, dict):
        return f"a {type(content).__name__}, not a dict"
    for key in ("title_en", "title_hi"):
        if not isinstance(content.get(key), str) or not content[key].strip():
            return f"no {key}"
    rows = content.get("rows", [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return "rows that are not a list of dicts"
    return ""


def _row(row: dict[str, Any]) -> dict[str, str]:
    """A certified particular as stored: its labels, its value, and its value in Hindi when the
    plugin gives one that differs (``value_hi``, as on the receipt); a row without one is stored as
    before, so the hash of a certificate issued before Hindi values were kept is unchanged."""
    out = {"label_en": str(row.get("label_en", "")), "label_hi": str(row.get("label_hi", "")), "value": str(row.get("value", ""))}
    value_hi = str(row.get("value_hi") or "")
    if value_hi and value_hi != out["value"]:
        out["value_hi"] = value_hi
    return out


async def issue(actor: audit.Actor, case: Case) -> Certificate:
    """Issue the certificate for an approved case (inside the caller's transaction). Once per case."""
    existing = await Certificate.get_or_none(case_id=case.id)
    if existing is not None:
        return existing
    content = await _content(case)
    at = clock.now()
    rows = [_row(r) for r in content.get("rows", [])]
    cert = await Certificate.create(
        district_id=case.district_id, case=case, number=f"tmp-{secrets.token_hex(8)}", token=secrets.token_urlsafe(18),
        service_code=case.service_code, title_en=str(content["title_en"])[:200], title_hi=str(content["title_hi"])[:200],
        holder_name=str(content["holder"])[:200], rows=rows, sha256="", issued_by=actor.user,
        issued_by_name=(actor.user.full_name if actor.user else "e-Mitra")[:200], issued_at=at)
    code = (await District.get(id=case.district_id)).code
    cert.number = f"{code}-C-{at:%Y}-{cert.id:06d}"
    cert.sha256 = content_hash(cert.number, cert.holder_name, cert.title_en, rows, at)
    await cert.save(update_fields=["number", "sha256"])
    await audit.record(actor, "certificate.issued", cert, district_id=case.district_id, counter_id=case.counter_id,
                       detail={"number": cert.number, "case": case.number})
    return cert


async def revoke(actor: audit.Actor, case: Case, reason: str) -> Certificate | None:
    cert = await Certificate.get_or_none(case_id=case.id)
    if cert is None or cert.revoked_at is not None:
        return cert
    cert.revoked_at, cert.revoked_reason = clock.now(), reason[:500]
    await cert.save(update_fields=["revoked_at", "revoked_reason"])
    await audit.record(actor, "certificate.revoked", cert, district_id=case.district_id, counter_id=case.counter_id,
                       detail={"number": cert.number, "case": case.number, "reason": reason[:300]})
    return cert


def verification_status(cert: Certificate) -> str:
    """``authentic``, ``revoked`` or ``altered`` (the stored content no longer matches its hash)."""
    if content_hash(cert.number, cert.holder_name, cert.title_en, cert.rows, cert.issued_at) != cert.sha256:
        return "altered"
    return "revoked" if cert.revoked_at is not None else "authentic"
