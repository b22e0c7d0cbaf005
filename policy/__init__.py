"""Prohibited and restricted services: policy as data, enforced at plugin load, at counter
enablement and at every transaction.

- ``policy/rules/*.toml``: one file per authority (Government of India, Government of Rajasthan),
  ``policy/rules/districts/<CODE>.toml`` for a district; more files in ``EMITRA_POLICY_DIR``;
- a district Society's own rules and approvals live in the database (its Policy page);
- plugins and deployments add rules in code with the ``emitra_register_policy_rules`` hook.

See docs/policy.md.
"""

from emitra.policy.engine import Decision, Policy
from emitra.policy.rules import CodeRule, PolicyFileError, Rule

__all__ = ["CodeRule", "Decision", "Policy", "PolicyFileError", "Rule"]
