"""Kept for rules not yet switched: test code is defined once in `errlint.knowledge.testcode`.

Import `in_test_code` from `errlint.rules._helpers` and `is_test_path` from
`errlint.knowledge.testcode` instead.
"""

from __future__ import annotations

from errlint.knowledge.testcode import is_test_path
from errlint.rules._helpers import in_test_code

__all__ = ["in_test_code", "is_test_path"]
