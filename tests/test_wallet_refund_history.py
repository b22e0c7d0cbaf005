"""Every wallet refund to an LSP, not only the latest 5 (decision 72): the page
/network/lsps/{id}/wallet-refunds (50 a page, newest first, the totals at the top, who recorded
each) and `emitra wallet refunds LSP`. The Society reads any LSP of its district, an LSP admin its
own; anyone else is refused."""

from __future__ import annotations

import re

from emitra.core import dayend, ledger
from emitra.core.models import LSP, Counter, District, Role, User
from emitra.core.onboarding import add_lsp, add_user, close_counter
from tests.case_helpers import actor, run_commands
from tests.conftest import DB_URL

KIOSK = "JP-JM-001"
REFUNDS = 52  # more than a page of 50


async def _refunded_52_times() -> int:
    """Pink City prepaid, its kiosk closed with ₹5,000.00 in the wallet (owed back to it), then 52
    refunds of ₹10.00 .. ₹61.00 recorded by the Society (R01 the first, R52 the latest); another LSP
    of Jaipur with its admin, and an LSP of another district."""
    lsp = await LSP.get(name="Pink City e-Services Pvt Ltd")
    lsp.mode = "prepaid"
    await lsp.save()
    await dayend.top_up(await actor("lsp"), await Counter.get(code=KIOSK), 5_000_00, "NEFT-K1")
    society = await actor("society")
    await close_counter(society, KIOSK)
    for n in range(1, REFUNDS + 1):
        await dayend.refund_wallets(society, lsp, (9 + n) * 100, f"R{n:02d}")
    other = await add_lsp(society, name="Dhundhar Digital", district_code="JP")
    await add_user(society, username="dhundhar_admin", full_name="D. Admin", role="lsp_admin", password="dhundhar-1", lsp_id=other.id)
    ajmer = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
    await LSP.create(district=ajmer, name="Ajmer e-Seva", mode="prepaid")
    return lsp.id


REFUNDED = sum((9 + n) * 100 for n in range(1, REFUNDS + 1))  # ₹1,846.00


def _rows(html: str) -> list[str]:
    table = html.split('id="refund-list"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<code>(R\d\d)</code>", table)


def test_the_society_reads_every_refund_fifty_a_page_newest_first(web):
    lsp_id = web.run(_refunded_52_times)
    url = f"/network/lsps/{lsp_id}/wallet-refunds"
    web.login("society")
    network = web.get("/network")
    assert f'<a href="{url}" id="refund-{lsp_id}-history">' in network.text  # beside the latest 5

    first = web.get(url)
    assert first.status_code == 200, first.text
    assert 'id="refunded-total">₹1,846.00<' in first.text and 'id="owed-total">₹3,154.00<' in first.text
    assert 'id="refund-count">52<' in first.text
    assert _rows(first.text) == [f"R{n:02d}" for n in range(52, 2, -1)]  # 50, the latest first
    assert "<td class=\"num\">₹61.00</td>" in first.text and "Nodal officer, Jaipur e-Mitra Society (society)" in first.text
    assert "Refunds 1 to 50 of 52, newest first" in first.text
    pager = first.text.split('class="pager no-print"', 1)[1].split("</p>", 1)[0]  # not printed
    assert f'href="{url}?page=2"' in pager and "Page 1 of 2" in pager and 'rel="prev"' not in pager

    second = web.get(f"{url}?page=2")
    assert _rows(second.text) == ["R02", "R01"] and "Refunds 51 to 52 of 52" in second.text
    assert f'href="{url}?page=1"' in second.text and 'rel="next"' not in second.text
    assert _rows(web.get(f"{url}?page=40").text) == ["R02", "R01"]  # past the last: the last
    bad = web.get(f"{url}?page=two")
    assert bad.status_code == 400 and 'role="alert"' in bad.text and _rows(bad.text)[0] == "R52"

    hindi = web.get(f"{url}?lang=hi")
    assert hindi.status_code == 200 and "₹1,846.00" in hindi.text and "Total refunded" not in hindi.text
    assert "Still owed back to the LSP" not in hindi.text
    web.get(f"{url}?lang=en")

    # another district's LSP, or none: not found
    ajmer = web.run(lambda: LSP.get(name="Ajmer e-Seva"))
    assert web.get(f"/network/lsps/{ajmer.id}/wallet-refunds").status_code == 404
    assert web.get("/network/lsps/99999999999/wallet-refunds").status_code == 404
    # an LSP with none yet: the totals, and no list
    dhundhar = web.run(lambda: LSP.get(name="Dhundhar Digital"))
    empty = web.get(f"/network/lsps/{dhundhar.id}/wallet-refunds")
    assert empty.status_code == 200 and 'id="refunded-total">₹0.00<' in empty.text and "No refund has been recorded" in empty.text
    assert web.run(ledger.check)["balanced"]


def test_an_lsp_admin_reads_its_own_refunds_only_and_others_are_refused(web):
    lsp_id = web.run(_refunded_52_times)
    url = f"/network/lsps/{lsp_id}/wallet-refunds"
    dhundhar = web.run(lambda: LSP.get(name="Dhundhar Digital"))

    web.login("lsp")
    assert f'href="{url}"' in web.get("/network").text
    own = web.get(url)
    assert own.status_code == 200 and _rows(own.text)[0] == "R52" and 'id="owed-total">₹3,154.00<' in own.text
    assert web.get(f"/network/lsps/{dhundhar.id}/wallet-refunds").status_code == 404
    web.logout()

    web.login("dhundhar_admin", "dhundhar-1")
    assert web.get(url).status_code == 404  # another LSP's: not found
    web.logout()

    for username in ("operator1", "officer", "state"):
        web.login(username)
        assert web.get(url).status_code == 403, username
        web.logout()


def test_the_command_lists_an_lsps_refunds_by_page_or_all(web, tmp_path):
    lsp_id = web.run(_refunded_52_times)
    first, second, every, own, other, operator, both, unknown = run_commands(tmp_path, [
        ["wallet", "refunds", str(lsp_id)],
        ["wallet", "refunds", str(lsp_id), "--page", "2", "--as", "society"],
        ["wallet", "refunds", str(lsp_id), "--all"],
        ["wallet", "refunds", str(lsp_id), "--as", "lsp"],
        ["wallet", "refunds", str(lsp_id), "--as", "dhundhar_admin"],
        ["wallet", "refunds", str(lsp_id), "--as", "operator1"],
        ["wallet", "refunds", str(lsp_id), "--page", "2", "--all"],
        ["wallet", "refunds", "999"],
    ], database_url=DB_URL)

    def refs(text: str) -> list[str]:
        return re.findall(r"\s(R\d\d)\s", text)

    head = f"LSP {lsp_id} Pink City e-Services Pvt Ltd: 52 refunds, ₹1,846.00 refunded; still owed back ₹3,154.00"
    assert first[0] == 0 and first[1].startswith(head) and "page 1 of 2" in first[1], first
    assert refs(first[1]) == [f"R{n:02d}" for n in range(52, 2, -1)]
    assert "₹61.00  R52" in first[1] and "Nodal officer, Jaipur e-Mitra Society (society)" in first[1]
    assert second[0] == 0 and refs(second[1]) == ["R02", "R01"] and "page 2 of 2" in second[1], second
    assert every[0] == 0 and refs(every[1]) == [f"R{n:02d}" for n in range(52, 0, -1)] and "page " not in every[1], every
    assert own[0] == 0 and own[1].startswith(head), own
    assert other[0] == 1 and "Error: --as: dhundhar_admin may not read LSP" in other[1], other
    assert operator[0] == 1 and "Error: --as: operator1 may not read LSP" in operator[1], operator
    assert both[0] == 2 and "give --page N or --all, not both" in both[1], both
    assert unknown[0] == 1 and "Error: LSP_ID: no LSP with number 999" in unknown[1], unknown
