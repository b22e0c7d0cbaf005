"""A corrected application resubmitted by the counter, with the new scan the department asked for.

When an officer sends an application back for correction ("attach an affidavit for the father's
name"), the counter corrects it with the citizen and resubmits it (``resubmit`` in
core/workflow.py), saying what was corrected. :func:`resubmit` also takes the scan of a new or
corrected document: it is checked as every counter upload is (PDF, JPEG or PNG by its content, at
most 2 MB, stored privately under a random id: core/documents.py), stored as a document of the
application (field ``correction``), so the officer finds it with the form's documents on the case
page, and audited (``case.correction_attached``), in one database transaction with the
resubmission: either the case is back with the department with its scan, or nothing is kept.

The API uploads the scan first (``POST /api/v1/documents``, field ``correction``) and names it in
the resubmit step (``"document": "<id>"``): :func:`resubmit` then attaches that one.
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from emitra.core import audit, documents, workflow
from emitra.core.db import on_postgres
from emitra.core.forms import FieldMessage, FormErrors
from emitra.core.models import Case, Counter, Document
from emitra.core.plugins import get_host

FIELD = documents.CORRECTION_FIELD


def _refused(en: str, hi: str) -> FormErrors:
    return FormErrors([FieldMessage(FIELD, en, hi)])


def _service(case: Case) -> Any:
    host = get_host()
    return host.registry.get(case.service_code) or host.all_declared.get(case.service_code)


async def uploaded(case: Case, public_id: str) -> Document:
    """The correction scan ``public_id`` uploaded at the case's counter for its service and not yet
    attached to anything, or :class:`FormErrors` naming the field and what to do."""
    doc = await Document.get_or_none(public_id=public_id) if documents.is_public_id(public_id) else None
    if (doc is None or doc.counter_id != case.counter_id or doc.service_code != case.service_code or doc.field != FIELD
            or doc.request_id is not None):
        raise _refused(
            "This document was not uploaded at this counter as a correction for this service, or is already attached; "
            f"upload the scan again with field '{FIELD}' and service_code '{case.service_code}'.",
            f"यह दस्तावेज़ इस काउंटर पर इस सेवा के सुधार हेतु अपलोड नहीं हुआ, या पहले से संलग्न है; स्कैन फिर से field '{FIELD}' "
            f"और service_code '{case.service_code}' के साथ अपलोड करें।")
    return doc


async def resubmit(actor: audit.Actor, case: Case, remark: str, *, filename: str = "", content: bytes | None = None,
                   size: int | None = None, document: Document | None = None) -> Case:
    """Resubmit ``case`` (``workflow.act(..., "resubmit", remark)``) with a new scan: the file's
    ``content`` (checked and stored here) or an already uploaded ``document`` (see :func:`uploaded`).

    Raises :class:`workflow.WorkflowError` for the step (the role, the state, the remark) and
    :class:`FormErrors` for the scan; in either case nothing is kept, not even the file.
    """
    if content is None and document is None:
        return await workflow.act(actor, case, "resubmit", remark)
    if case.request_id is None or case.counter_id is None:
        raise _refused("Only an application paid at a counter takes a corrected document.",
                       "केवल काउंटर पर भुगतान किए गए आवेदन के साथ सुधारा गया दस्तावेज़ लगता है।")
    service = _service(case)
    if service is None:
        raise _refused("This service is no longer offered, so no document can be attached to it; resubmit without one.",
                       "यह सेवा अब उपलब्ध नहीं है, इसलिए दस्तावेज़ संलग्न नहीं हो सकता; बिना दस्तावेज़ के पुनः भेजें।")
    counter = await Counter.get(id=case.counter_id)
    stored: Document | None = None
    try:
        async with in_transaction():
            fresh = await workflow.act(actor, case, "resubmit", remark)  # the step first: refused, no file is written
            if content is not None:
                stored = await documents.store(actor, counter, service, FIELD, filename, content, size=size)
                doc = stored
            else:
                assert document is not None
                doc = await Document.select_for_update().get(id=document.id) if on_postgres() else await Document.get(id=document.id)
                if doc.request_id is not None:  # attached by another request meanwhile
                    raise _refused("This document is already attached to an application; upload the scan again.",
                                   "यह दस्तावेज़ पहले से किसी आवेदन से संलग्न है; स्कैन फिर से अपलोड करें।")
            doc.request_id = fresh.request_id
            await doc.save(update_fields=["request_id"])
            await audit.record(actor, "case.correction_attached", fresh, district_id=fresh.district_id, counter_id=fresh.counter_id,
                               detail={"number": fresh.number, "document": doc.public_id, "type": doc.content_type,
                                       "bytes": doc.size_bytes})
    except BaseException:
        if stored is not None:  # its record was rolled back: its file goes too
            documents.discard(stored)
        raise
    return fresh
