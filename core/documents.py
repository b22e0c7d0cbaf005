"""Scanned documents uploaded with service forms.

Files are stored under ``<data dir>/documents`` (never under the web root), named by a random id,
checked by their content (PDF, JPEG, PNG magic bytes; the browser's claimed type is not trusted)
and size. They are served only to: the operator of the counter that uploaded them, the Society
admin of the district, and an officer of the department the request went to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import unicodedata
from pathlib import Path
from typing import Any

from emitra.core import audit, config, privacy
from emitra.core.forms import FieldMessage, FormErrors, upload_fields
from emitra.core.models import Counter, Document, Role, ServiceRequest, User
from emitra.core.services import Service

MAGIC = {
    "application/pdf": [b"%PDF-"],
    "image/jpeg": [b"\xff\xd8\xff"],
    "image/png": [b"\x89PNG\r\n\x1a\n"],
}
DEFAULT_ACCEPT = list(MAGIC)
DEFAULT_MAX_KB = 2048


def sniff(content: bytes) -> str | None:
    for mime, signatures in MAGIC.items():
        if any(content.startswith(sig) for sig in signatures):
            return mime
    return None


#: characters that reorder text on screen ("scan\u202efdp.exe" shows as "scanexe.pdf"); Hindi's joiners stay
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def display_name(filename: str | None) -> str:
    """The client's file name, kept only to show to people: its last path part, without control or
    bidirectional-override characters, normalised (NFC), at most 200 characters. The stored file is
    named by a random id and never by this."""
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch not in _BIDI_CONTROLS and unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn"))
    return name.strip().strip(".")[-200:]


def is_public_id(text: str) -> bool:
    """Whether ``text`` has the shape of a document id (32 hex digits), the only names files are stored under."""
    return len(text) == 32 and all(ch in "0123456789abcdef" for ch in text)


def _path(public_id: str) -> Path:
    folder = config.private_dir(config.data_dir() / "documents" / public_id[:2])
    return folder / public_id


def limits(spec: dict[str, Any]) -> tuple[list[str], int]:
    """What a document field (its ``x-upload``) accepts: the MIME types and the size limit in KB."""
    return list(spec.get("accept") or DEFAULT_ACCEPT), int(spec.get("max_kb") or DEFAULT_MAX_KB)


def kinds(accept: list[str]) -> str:
    """The file types people know, "PDF, JPEG, PNG", for MIME types."""
    return ", ".join(a.split("/")[-1].upper() for a in accept)


def kinds_either(accept: list[str], lang: str = "en") -> str:
    """The same as a choice in a sentence: "PDF, JPEG or PNG" ("PDF, JPEG या PNG")."""
    names = [a.split("/")[-1].upper() for a in accept]
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + (" या " if lang == "hi" else " or ") + names[-1]


_MB = 1024 * 1024


def size_unit(max_kb: int) -> str:
    """The unit a size limit is written in, and a file's size beside it: MB from 1 MB when the limit
    is a whole tenth of one (1024 KB is "1 MB", 1536 KB "1.5 MB"), else KB ("200 KB", "1000 KB")."""
    return "MB" if max_kb >= 1024 and max_kb * 10 % 1024 == 0 else "KB"


def size_text(size_bytes: int, unit: str | None = None) -> str:
    """A size as people read it, in ``unit`` ("KB" or "MB"; None: MB from 1 MB, else KB), rounded up
    to the last digit shown (a whole KB, a tenth of an MB), so that a file over a limit never reads as
    the limit and a small one never as "0 KB": "1 KB", "3,073 KB", "1 MB", "3.1 MB". The one writer of
    sizes: a field's limit (:func:`size_label`), a refusal (:func:`too_large`), a stored scan's size;
    web/static/upload-limits.js writes a chosen file's size by the same rule."""
    unit = unit or ("MB" if size_bytes >= _MB else "KB")
    if unit == "MB":
        whole, tenth = divmod(-(-size_bytes * 10 // _MB), 10)
        return f"{whole:,}.{tenth} MB" if tenth else f"{whole:,} MB"
    return f"{-(-size_bytes // 1024):,} KB"


def size_label(max_kb: int) -> str:
    """A size limit as people read it: "200 KB", "1 MB", "1.5 MB" (:func:`size_unit`)."""
    return size_text(max_kb * 1024, size_unit(max_kb))


def too_large(max_kb: int, size: int | str | None) -> tuple[str, str]:
    """Why a file is refused for its size (English, Hindi), the file's size in the unit of the limit
    so that the two compare ("The file is 3.1 MB; at most 1 MB is accepted."): ``size`` in bytes, or
    already written (the form page's ``{size}``, which web/static/upload-limits.js fills with the size
    the browser reads), or None when the file is only known to be larger than ``max_kb``."""
    limit = size_label(max_kb)
    shown = size_text(size, size_unit(max_kb)) if isinstance(size, int) else size
    is_en, is_hi = (f"is {shown}", f"{shown} की है") if shown is not None else (f"is larger than {limit}", f"{limit} से बड़ी है")
    return (f"The file {is_en}; at most {limit} is accepted. Scan at a lower resolution.",
            f"फ़ाइल {is_hi}; अधिकतम {limit} स्वीकार है। कम रिज़ॉल्यूशन पर स्कैन करें।")


#: the field of a scan the counter attaches when it resubmits an application sent back for correction
#: (an affidavit the officer asked for, a clearer copy): any service takes one, as PDF, JPEG or PNG
#: of at most 2 MB (core/corrections.py)
CORRECTION_FIELD = "correction"
CORRECTION_SPEC: dict[str, Any] = {"accept": DEFAULT_ACCEPT, "max_kb": DEFAULT_MAX_KB}


def spec_for(service: Service, field: str) -> dict[str, Any] | None:
    """The ``x-upload`` of a document field of the service's form, or of a correction's scan."""
    if field == CORRECTION_FIELD and field not in dict(upload_fields(service.form)):
        return dict(CORRECTION_SPEC)
    return dict(upload_fields(service.form)).get(field)


async def store(actor: audit.Actor, counter: Counter, service: Service, field: str, filename: str, content: bytes,
                size: int | None = None, held_for: str | None = None) -> Document:
    """Check and keep one uploaded file; raise :class:`FormErrors` naming the field when it is refused.

    An upload is read only up to its field's limit and one byte more: ``size`` is then the whole
    file's size as received (Starlette's ``UploadFile.size``), which a refusal names; without it, a
    refusal can only say the file is larger than the limit. ``held_for`` (:func:`hold_key`) binds
    a form's scan to the session and the form it was uploaded in until the form is recorded."""
    spec = spec_for(service, field)
    if spec is None:
        raise FormErrors([FieldMessage(field, "This field does not take a document.", "यह फ़ील्ड दस्तावेज़ नहीं लेता।")])
    accept, max_kb = limits(spec)
    if not content:
        raise FormErrors([FieldMessage(field, "The file is empty; scan the document again.", "फ़ाइल खाली है; दस्तावेज़ फिर से स्कैन करें।")])
    if len(content) > max_kb * 1024:
        # the size received (rounded up: never "1 MB" for a file over 1 MB); when only the start was
        # read, all that is known is that it is over the limit
        raise FormErrors([FieldMessage(field, *too_large(max_kb, size if size is not None and size >= len(content) else None))])
    mime = sniff(content)
    if mime is None or mime not in accept:
        raise FormErrors([FieldMessage(
            field, f"This file is not a {kinds_either(accept)} file. Upload the scan as a {kinds_either(accept)}.",
            f"यह फ़ाइल {kinds_either(accept, 'hi')} फ़ाइल नहीं है। स्कैन को {kinds_either(accept, 'hi')} फ़ाइल के रूप में अपलोड करें।")])
    public_id = secrets.token_hex(16)
    path = _path(public_id)
    config.private_file(path)  # not readable by other local accounts: a citizen's scan
    path.write_bytes(content)
    doc = await Document.create(
        public_id=public_id, district_id=counter.district_id, counter=counter, uploaded_by=actor.user,
        service_code=service.code, field=field, content_type=mime, size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        # kept masked: a scan of an Aadhaar card is often named by its number (docs/security.md)
        original_name=privacy.mask_aadhaar_in_text(display_name(filename)),
        held_for=held_for,
    )
    await audit.record(actor, "document.upload", doc, district_id=counter.district_id, counter_id=counter.id,
                       detail={"service": service.code, "field": field, "bytes": len(content), "type": mime})
    return doc


#: how long a scan of a form not yet recorded is held for its form (decision 149): then it is deleted
HOLD_SECONDS = 3600


def hold_key(session_id: str, form_key: str) -> str:
    """What binds a held scan to the operator's session (its server-side id) and to the form (its
    key, given when the form opens): a hash, so the session's id is not stored with the scan."""
    return hashlib.sha256(f"emitra-held-scan:{session_id}:{form_key}".encode()).hexdigest()


NOT_HELD_EN = "This scan is no longer held for this form (it is held for an hour); choose the file again."
NOT_HELD_HI = "यह स्कैन अब इस फ़ॉर्म के लिए रखा नहीं है (यह एक घंटे तक रखा जाता है); फ़ाइल फिर से चुनें।"


async def held(actor: audit.Actor, counter: Counter, service: Service, field: str, public_id: str, key: str) -> Document:
    """The scan held for ``field`` of this form (``key``: :func:`hold_key`); FormErrors naming the
    field when there is none: expired, dropped, or never this form's. A scan that exists but is held
    for another session or form is refused the same way, and the refusal is audited."""
    doc = await Document.get_or_none(public_id=public_id, request_id=None) if is_public_id(public_id) else None
    if doc is not None and doc.counter_id == counter.id and doc.service_code == service.code and doc.field not in (field, CORRECTION_FIELD):
        raise FormErrors([_other_field(field, doc.field)])  # this counter's scan, named in another field (its own limits)
    if doc is not None and doc.held_for == key and doc.counter_id == counter.id and doc.service_code == service.code \
            and doc.field == field and not _expired(doc):
        return doc
    if doc is not None and doc.held_for is not None and doc.held_for != key:
        await audit.record(actor, "document.held_refused", doc, district_id=counter.district_id, counter_id=counter.id,
                           detail={"service": service.code, "field": field, "reason": "another session or form"})
    raise FormErrors([FieldMessage(field, NOT_HELD_EN, NOT_HELD_HI)])


def _expired(doc: Document, now: dt.datetime | None = None) -> bool:
    now = now or dt.datetime.now(dt.timezone.utc)
    return doc.created_at is not None and doc.created_at <= now - dt.timedelta(seconds=HOLD_SECONDS)


async def drop_held(actor: audit.Actor, doc: Document, action: str = "document.drop") -> None:
    """Delete a held scan, its record and its file (dropped or replaced by the operator, expired, or
    left out of the recorded form), audited."""
    if doc.request_id is not None or doc.held_for is None:
        return
    deleted = await Document.filter(id=doc.id, request_id=None).delete()
    if deleted:
        discard(doc)
        await audit.record(actor, action, doc, district_id=doc.district_id, counter_id=doc.counter_id,
                           detail={"service": doc.service_code, "field": doc.field, "bytes": doc.size_bytes})


def held_too_long(now: dt.datetime) -> Any:
    """The held scans past their hour, 200 at a time: read from the index on (request, held_for,
    created_at) (migration 0038, decision 158), not the table of every scan ever uploaded."""
    return Document.filter(request_id=None, held_for__isnull=False, created_at__lte=now - dt.timedelta(seconds=HOLD_SECONDS)).limit(200)


async def sweep_held(now: dt.datetime | None = None) -> int:
    """Delete the held scans uploaded more than :data:`HOLD_SECONDS` ago and not attached to an
    application (their form was never recorded); how many. Run with every form posted at a counter
    and by ``emitra documents sweep``."""
    stale = await held_too_long(now or dt.datetime.now(dt.timezone.utc))
    for doc in stale:
        await drop_held(audit.Actor(None, via="web"), doc, "document.expire")
    return len(stale)


async def check_held(actor: audit.Actor, counter: Counter, service: Service, data: dict[str, Any], key: str) -> None:
    """Every scan the form names that is not attached yet must be held for this form (``key``);
    FormErrors names each one that is not. One attached already is left to the payment (the same
    form paid again answers with its receipt; another is refused there)."""
    errors: list[FieldMessage] = []
    for path, _spec in upload_fields(service.form):
        value = value_at(data, path)
        if not value or await Document.filter(public_id=str(value), request_id__isnull=False).exists():
            continue
        try:
            await held(actor, counter, service, path, str(value), key)
        except FormErrors as exc:
            errors += exc.errors
    if errors:
        raise FormErrors(errors)


async def release_form(actor: audit.Actor, key: str) -> None:
    """The form was recorded: the scans still held for it (one whose field the recorded form left
    out) are deleted; those it attached are the application's."""
    for doc in await Document.filter(held_for=key, request_id=None):
        await drop_held(actor, doc, "document.expire")


def value_at(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted field path (``address.proof``), or None."""
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


ALREADY_ATTACHED_EN = "This document is already attached to another application; upload it again for this one."
ALREADY_ATTACHED_HI = "यह दस्तावेज़ पहले से किसी अन्य आवेदन से जुड़ा है; इस आवेदन के लिए फिर से अपलोड करें।"


def _other_field(path: str, uploaded_for: str) -> FieldMessage:
    return FieldMessage(
        path, f"This scan was uploaded for another field ({uploaded_for}); upload it again in this field, which has its own "
              "file types and size limit.",
        f"यह स्कैन दूसरे फ़ील्ड ({uploaded_for}) के लिए अपलोड हुआ था; इसे इस फ़ील्ड में फिर से अपलोड करें, जिसके फ़ाइल "
        "प्रकार और आकार की सीमा अपनी हैं।")


async def check_references(counter: Counter, service: Service, data: dict[str, Any]) -> list[Document]:
    """Every document field must name a document uploaded at this counter for this service and for
    this very field: a scan uploaded for another field (one with a larger limit or other types, a
    1 MB PDF proof named as a 200 KB photograph) never skipped this field's checks. Every wrong
    field is named; nothing is attached."""
    docs, errors = [], []
    for path, _spec in upload_fields(service.form):
        value = value_at(data, path)
        if not value:
            continue
        doc = await Document.get_or_none(public_id=str(value))
        if doc is not None and doc.counter_id == counter.id and doc.service_code == service.code and doc.request_id is not None \
                and doc.field != CORRECTION_FIELD:  # this counter's scan, used already (as core.counter says when two race for it)
            errors.append(FieldMessage(path, ALREADY_ATTACHED_EN, ALREADY_ATTACHED_HI))
            continue
        if (doc is None or doc.counter_id != counter.id or doc.service_code != service.code or doc.request_id is not None
                or doc.field == CORRECTION_FIELD):  # a correction's scan goes with its resubmission, not in a form
            errors.append(FieldMessage(path, "This document was not uploaded here for this service; upload it again.",
                                       "यह दस्तावेज़ इस सेवा के लिए यहाँ अपलोड नहीं हुआ; फिर से अपलोड करें।"))
            continue
        if doc.field != path:
            errors.append(_other_field(path, doc.field))
            continue
        doc.form_field = path  # named again if another payment takes it first (core/counter.py)
        docs.append(doc)
    if errors:
        raise FormErrors(errors)
    return docs


async def can_read(user: User, doc: Document) -> bool:
    if user.role == Role.OPERATOR:
        if doc.counter_id == user.counter_id:
            return True
        # an application moved here from a closing counter (decision 70): its scans come with it
        from emitra.core.models import Case

        return doc.request_id is not None and user.counter_id is not None and \
            await Case.filter(request_id=doc.request_id, counter_id=user.counter_id).exists()
    if user.role == Role.SOCIETY_ADMIN:
        return doc.district_id == user.district_id
    if user.role == Role.DEPARTMENT_OFFICER and doc.request_id:
        from emitra.core.models import Case

        request = await ServiceRequest.get(id=doc.request_id)
        if request.district_id != user.district_id:
            return False
        # the department the case was routed to (a grievance's chosen department), else the provider
        case = await Case.get_or_none(request_id=request.id)
        department = case.department if case is not None and case.desk == "department" else request.provider
        return department == user.department
    return False


def discard(doc: Document) -> None:
    """Remove the file of a document whose record was rolled back (its transaction failed)."""
    if is_public_id(doc.public_id):
        _path(doc.public_id).unlink(missing_ok=True)


def read(doc: Document) -> bytes:
    if not is_public_id(doc.public_id):  # stored ids are always random hex; never follow anything else
        raise ValueError(f"not a document id: {doc.public_id!r}")
    return _path(doc.public_id).read_bytes()
