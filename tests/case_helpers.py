"""Shared by the workflow, office, certificate, citizen and dispatch tests: paid applications at the demo counter."""

from __future__ import annotations

from typing import Any

from emitra.core import counter as counter_core
from emitra.core import documents
from emitra.core.audit import Actor
from emitra.core.models import Case, Citizen, Counter, User
from emitra.core.plugins import get_host

CASTE = "gov.rj.revenue.caste_certificate"
DOMICILE = "gov.rj.revenue.domicile_certificate"
GRIEVANCE = "gov.rj.sampark.grievance"
ADDRESS = {"house": "14, Bairwa Mohalla", "village_ward": "Phagi", "tehsil": "phagi", "district": "Jaipur", "pin": "303005"}


async def actor(username: str) -> Actor:
    return Actor(await User.get(username=username))


async def upload(code: str, field: str, username: str = "operator1") -> str:
    user = await User.get(username=username)
    counter = await Counter.get(id=user.counter_id)
    doc = await documents.store(Actor(user), counter, get_host().registry.get(code), field, "card.pdf", b"%PDF-1.4 test")
    return doc.public_id


async def pay(code: str, form: dict[str, Any], key: str, username: str = "operator1", citizen: str = "Ramesh Kumar Sharma"):
    user = await User.get(username=username)
    counter = await Counter.get(id=user.counter_id)
    who = await Citizen.get(name=citizen)
    return await counter_core.record_cash(Actor(user), counter, who, code, form, key)


async def caste_case(key: str = "caste-1", username: str = "operator1", mobile: str = "9829012345") -> Case:
    """A paid SC caste certificate application; its case is forwarded to the Revenue Department."""
    scan = await upload(CASTE, "ration_card_scan", username)
    form = {"applicant_name": "Lakshmi Narayan Bairwa", "father_name": "Gheesa Lal Bairwa", "caste_category": "SC",
            "caste": "Bairwa", "address": dict(ADDRESS), "ration_card_scan": scan, "mobile": mobile}
    request = await pay(CASTE, form, key, username)
    return await Case.get(request_id=request.id)


async def grievance_case(key: str = "grv-1", department: str = "phed") -> Case:
    form = {"department": department, "subject": "No water supply in ward 12 for a week",
            "description": "The PHED tap supply in ward 12, Chomu has been off since 20 November.", "mobile": "9414098765"}
    request = await pay(GRIEVANCE, form, key)
    return await Case.get(request_id=request.id)


async def domicile_case(key: str = "dom-1", username: str = "operator1") -> Case:
    """A paid domicile certificate application (personal verification before approval), its example
    form (born 2006-08-15, the declaration ticked); its case is forwarded to the Revenue Department."""
    from emitra.core.forms import upload_fields

    service = get_host().registry.get(DOMICILE)
    form = dict(service.example)
    for path, _ in upload_fields(service.form):
        form[path] = await upload(DOMICILE, path, username)
    request = await pay(DOMICILE, form, key, username)
    return await Case.get(request_id=request.id)


def refused(web, fn, field: str) -> str:
    """Run ``fn`` (a core call of core/onboarding.py) expecting its refusal naming ``field``; the message."""
    import pytest

    from emitra.core.onboarding import Refused

    with pytest.raises(Refused) as caught:
        web.run(fn)
    assert caught.value.field == field, caught.value
    return caught.value.message


async def as_user(who: str, fn, *args, **kwargs):
    """``fn(actor, ...)`` as the user ``who``."""
    return await fn(Actor(await User.get(username=who)), *args, **kwargs)


CLI_DRIVER = """
import json, sys
from click.testing import CliRunner
from emitra.core.cli import main
out = []
for args in json.loads(sys.argv[1]):
    result = CliRunner().invoke(main, args)
    out.append([result.exit_code, result.output])
print(json.dumps(out))
"""


def run_commands(tmp_path, calls: list[list[str]], timeout: int = 120, database_url: str = "") -> list[list]:
    """``emitra`` commands run one after another in one fresh process (to keep it fast), on a SQLite
    database in ``tmp_path``, or on ``database_url`` (the tests' database, SQLite or PostgreSQL, that a
    ``web`` or ``demo_db`` fixture loaded): each one's [exit code, output]."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "EMITRA_DATA_DIR": str(tmp_path / "data"), "EMITRA_DATABASE_URL": database_url}
    done = subprocess.run([sys.executable, "-c", CLI_DRIVER, json.dumps(calls)], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
