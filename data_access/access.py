"""The viewer's access context. Every query in ``data_access`` takes one.

Issue 7 (login, roles) builds on this; until then the CLI and the
placeholder page use :data:`SYSTEM`, which sees everything.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccessContext:
    user: str
    roles: frozenset[str] = frozenset()
    municipalities: frozenset[str] | None = None  # None = every municipality
    person_level: bool = False  # may see pseudonymous person-level rows
    entitled_small_numbers: bool = False  # may see unsuppressed small numbers

    def allows_municipality(self, code: str) -> bool:
        return self.municipalities is None or code in self.municipalities


SYSTEM = AccessContext(user="system", roles=frozenset({"admin"}), person_level=True, entitled_small_numbers=True)
