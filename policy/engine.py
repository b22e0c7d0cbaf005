"""Decisions: allow, deny or restricted, each with the rule that decided it.

Asked at plugin load (the rules files and rules in code), when an LSP enables a service at a
counter, and at every transaction (adding the district's own rules and the Society's approvals),
always for a given date, so a ban that takes effect tomorrow removes the service tomorrow.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from emitra.policy import matching
from emitra.policy.rules import CodeRule, Rule, load_files

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from emitra.core.services import Service

SEVERITY = {"allow": 0, "restricted": 1, "deny": 2}


@dataclass(frozen=True)
class Decision:
    decision: str  # allow, deny or restricted
    rule: str | None = None
    citation: str | None = None
    authority: str | None = None
    reason: str = ""
    approved_by: str | None = None  # a restricted service approved for this LSP

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"

    def as_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "rule": self.rule, "citation": self.citation, "authority": self.authority,
                "reason": self.reason, "approved_by": self.approved_by}

    def explain(self) -> str:
        if self.rule is None:
            return "allowed: no rule matches"
        head = {"deny": "prohibited", "restricted": "restricted (needs the district Society's approval)", "allow": "allowed"}[self.decision]
        if self.approved_by:
            head = f"restricted, approved for this LSP by {self.approved_by}"
        return f"{head} by rule {self.rule} ({self.authority}): {self.citation}. Matched: {self.reason}"


ALLOW = Decision("allow")


def _form_texts(schema: dict[str, Any]) -> list[str]:
    """Every label, description and option label a form shows (a disguise may hide there)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("title", "x-title-hi", "description", "x-description-hi"):
                if isinstance(node.get(key), str):
                    out.append(node[key])
            for key in ("x-enum-labels", "x-enum-labels-hi", "enum"):
                if isinstance(node.get(key), list):
                    out.extend(str(v) for v in node[key])
            for value in node.values():
                if isinstance(value, (dict, list)):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return out


def texts_of(service: "Service") -> list[tuple[str, str]]:
    """(where, text) of everything a service says about itself."""
    value = getattr(service.category, "value", service.category)
    return [
        ("code", service.code.replace(".", " ").replace("_", " ")),
        ("title_en", service.title_en), ("title_hi", service.title_hi),
        ("description_en", service.description_en), ("description_hi", service.description_hi),
        ("provider", service.provider), ("category", str(value)),
    ] + [("form", t) for t in _form_texts(service.form)]


def said_by(service: "Service") -> tuple[list[tuple[str, str]], matching.Texts]:
    """(where, text) of everything a service says about itself, and the texts prepared for matching."""
    texts = texts_of(service)
    return texts, matching.Texts([text for _, text in texts])


def evaluate(rule: Rule, service: "Service", said: "tuple[list[tuple[str, str]], matching.Texts] | None" = None) -> Decision | None:
    """What ``rule`` says of ``service`` (regardless of dates), or None when it does not match.
    ``said``: :func:`said_by` of the service, when several rules are asked of it (its texts read
    and normalised once)."""
    category = str(getattr(service.category, "value", service.category)).lower()
    if category in rule.categories:
        return Decision(rule.decision, rule.id, rule.citation, rule.authority, f"category {category!r}")
    for pattern in rule.codes:
        if fnmatch.fnmatch(service.code, pattern) or service.code.startswith(pattern.rstrip("*") + "."):
            return Decision(rule.decision, rule.id, rule.citation, rule.authority, f"service code {service.code!r}")
    if rule.providers:
        hit = matching.find(list(rule.providers), service.provider)
        if hit and hit.exact:
            return Decision(rule.decision, rule.id, rule.citation, rule.authority, f"provider names {hit.term!r}")
    texts, shown = said or said_by(service)
    if not (matching.may_name(rule.terms, shown) or matching.may_name(rule.doubtful, shown)):
        return None  # none of its words is or is near a term or a doubtful word: the common case, in one pass
    # only the texts that may name one are asked one by one, in order (the others name none: the
    # same decision, without a find() per option of a long list)
    maybe = set(matching.candidates(rule.terms, shown)) | set(matching.candidates(rule.doubtful, shown))
    near: Decision | None = None
    for k, (where, text) in enumerate(texts):
        if k not in maybe:
            continue
        hit = matching.find(list(rule.terms), text) if rule.terms else None
        if hit and hit.exact:
            return Decision(rule.decision, rule.id, rule.citation, rule.authority, f"{where} names {hit.term!r} ({hit.found!r} in {text!r})")
        if near is None:
            if hit:  # a near spelling of a prohibited term: a person decides
                near = Decision("restricted", rule.id, rule.citation, rule.authority,
                                f"{where}: {hit.found!r} is close to {hit.term!r} (in {text!r}); a person must decide")
            else:
                doubt = matching.find(list(rule.doubtful), text) if rule.doubtful else None
                if doubt and doubt.exact:  # doubtful words are doubtful enough: no near spellings of them
                    near = Decision("restricted", rule.id, rule.citation, rule.authority,
                                    f"{where}: {doubt.found!r} may be {doubt.term!r} (in {text!r}); a person must decide")
    return near


def _worst(decisions: Iterable[Decision]) -> Decision:
    best = ALLOW
    for d in decisions:
        if SEVERITY[d.decision] > SEVERITY[best.decision]:
            best = d
    return best


class Policy:
    """The rules in force: the files (Union, State, district files) and the rules in code."""

    def __init__(self, rules: list[Rule] | None = None, code_rules: list[CodeRule] | None = None):
        self.rules = load_files() if rules is None else rules
        self.code_rules = code_rules or []
        self._cache: dict[tuple[Any, ...], Decision] = {}

    def _code_decisions(self, service: "Service", on: dt.date) -> list[Decision]:
        """What each rule in code says of ``service``. A rule that raises, or answers anything but
        "deny", "restricted" or None, refuses the service it was asked about (decision 82): a
        prohibition that cannot say must not let the service be sold, nor stop anything else."""
        out = []
        for rule in self.code_rules:
            where = f"rule in code of plugin {rule.plugin!r}"
            try:
                verdict = rule.check(service, on)
            except Exception as exc:
                log.error("policy rule %s of plugin %s failed for %s", rule.id, rule.plugin, service.code, exc_info=exc)
                out.append(Decision("deny", rule.id, rule.citation, rule.authority,
                                    f"{where} failed ({type(exc).__name__}: {exc}); the service is refused until the rule is corrected"))
                continue
            if isinstance(verdict, str) and verdict in ("deny", "restricted"):
                out.append(Decision(verdict, rule.id, rule.citation, rule.authority, where))
            elif verdict is not None:
                log.error("policy rule %s of plugin %s answered %r for %s", rule.id, rule.plugin, verdict, service.code)
                out.append(Decision("deny", rule.id, rule.citation, rule.authority,
                                    f"{where} returned {verdict!r}, not 'deny', 'restricted' or None; the service is refused until "
                                    "the rule is corrected"))
        return out

    def static(self, service: "Service", on: dt.date, district_code: str | None = None, extra: Iterable[Rule] = ()) -> Decision:
        """The decision from the files, the code rules and ``extra`` rules, on date ``on``.

        Rules are immutable, so a decision is cached per service, date and set of rules in force;
        rules in code are asked every time (they may depend on anything)."""
        in_force = tuple(r for r in list(self.rules) + list(extra) if r.in_force(on) and (r.district is None or r.district == district_code))
        key = (id(service), service.code, in_force)
        decision = self._cache.get(key)
        if decision is None:
            matching.prepare([words for r in in_force for words in (r.terms, r.doubtful)])  # every list in one union first
            said = said_by(service) if in_force else None  # read once for every rule
            decision = _worst(d for d in (evaluate(r, service, said) for r in in_force) if d)
            if len(self._cache) > 20000:
                self._cache.clear()
            self._cache[key] = decision
        return _worst([decision] + self._code_decisions(service, on))


def district_rule(row: Any, district_code: str) -> Rule:
    """A database ``PolicyRule`` row as a :class:`Rule`."""
    match = row.match or {}
    return Rule(
        id=row.rule_id, authority=f"District e-Mitra Society {district_code}", citation=row.citation, decision=row.decision,
        effective_from=row.effective_from, effective_to=row.effective_to,
        categories=tuple(c.lower() for c in match.get("categories", [])), providers=tuple(match.get("providers", [])),
        codes=tuple(match.get("codes", [])),
        terms=tuple(match.get("terms_en", [])) + tuple(match.get("terms_hi", [])),
        doubtful=tuple(match.get("doubtful_en", [])) + tuple(match.get("doubtful_hi", [])),
        district=district_code, source="database",
    )
