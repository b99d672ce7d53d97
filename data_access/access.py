"""The viewer's access context, the roles that build it and the page rules. Every query in ``data_access`` takes one.

Pure: no Streamlit, no SQL. ``ui.auth`` builds the context of a logged-in
user with :func:`access_for` from the roles and scopes kept in the store
(``user_roles``), the navigation and each page's own guard use
:data:`PAGE_RULES`, and the data layer checks :func:`require` and filters by
the context's municipalities and care centres.

Roles (a user may hold several, each with its own scope; see ``docs/access.md``):

============== ======================= =================================================
role           scope                   may
============== ======================= =================================================
politiker      –  (all municipalities) indicators, aggregated and suppressed; read only
ledningsgrupp  municipality code       indicators of its municipality; PDSA read/write
processledare  municipality code(s)    as ledningsgrupp, plus exports and packs
vardcentral    care centre(s)          the frequent-attender list of its care centre(s)
akutmottagning –  (the whole area)     the frequent-attender list of the whole area
kommun_hsl     municipality code       the target-group worklist of its municipality (no indicator pages)
admin          –                       users, roles, targets, imports, access log; PDSA read and audit
============== ======================= =================================================

Nobody but :data:`SYSTEM` (the CLI and recompute) is entitled to small
numbers or to the raw person-level tables: the frequent-attender list is a
permission of its own (``frequent_attender_list``), bounded by care centre
in the one query that serves it (``data_access.person_queries``). So is the
target-group worklist (``worklist``): vardcentral sees the persons whose
latest primary care contact is at its care centre(s), akutmottagning the
whole area, kommun_hsl the persons placed in its municipality
(:meth:`AccessContext.allows_worklist_row`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

# --- roles -----------------------------------------------------------------

POLITIKER = "politiker"
LEDNINGSGRUPP = "ledningsgrupp"
PROCESSLEDARE = "processledare"
VARDCENTRAL = "vardcentral"
AKUTMOTTAGNING = "akutmottagning"
KOMMUN_HSL = "kommun_hsl"  # municipal health-care staff (hälso- och sjukvård): the worklist of its municipality
ADMIN = "admin"
PUBLIC = "public"  # pseudo-role of the visitor who is not logged in, while the public view is on

ROLES: tuple[str, ...] = (POLITIKER, LEDNINGSGRUPP, PROCESSLEDARE, VARDCENTRAL, AKUTMOTTAGNING, KOMMUN_HSL, ADMIN)
ROLE_LABELS_SV: dict[str, str] = {
    POLITIKER: "Politiker",
    LEDNINGSGRUPP: "Ledningsgrupp",
    PROCESSLEDARE: "Processledare",
    VARDCENTRAL: "Vårdcentral",
    AKUTMOTTAGNING: "Akutmottagning",
    KOMMUN_HSL: "Kommunal hälso- och sjukvård",
    ADMIN: "Administratör",
    PUBLIC: "Allmänheten",
}

# What the scope of a role names: a municipality code, a care centre, or nothing (the whole area).
MUNICIPALITY, CARE_CENTRE = "municipality", "care_centre"
SCOPE_KIND: dict[str, str | None] = {
    POLITIKER: None,
    LEDNINGSGRUPP: MUNICIPALITY,
    PROCESSLEDARE: MUNICIPALITY,
    VARDCENTRAL: CARE_CENTRE,
    AKUTMOTTAGNING: None,
    KOMMUN_HSL: MUNICIPALITY,
    ADMIN: None,
}
# Roles that see the indicators of every municipality (and the area total).
_AREA_WIDE = frozenset({POLITIKER, AKUTMOTTAGNING, ADMIN})


class AccessDenied(PermissionError):
    """The viewer asked for something outside their access context."""


@dataclass(frozen=True)
class AccessContext:
    """What one viewer may see. Frozen and hashable: it is part of every cache key.

    The defaults are the least a context can grant, except ``municipalities``
    (``None`` = every municipality), kept for the public view; contexts of
    logged-in users always come from :func:`access_for`.
    """

    user: str
    roles: frozenset[str] = frozenset()
    municipalities: frozenset[str] | None = None  # aggregated figures: None = every municipality and the area
    person_level: bool = False  # may read the raw person-level tables (SYSTEM only)
    entitled_small_numbers: bool = False  # may see unsuppressed small numbers
    frequent_attender_list: bool = False  # may read the pseudonymous frequent-attender list ...
    care_centres: frozenset[str] | None = frozenset()  # ... of these care centres (None = every one)
    worklist: bool = False  # may read the pseudonymous target-group worklist: rows whose latest care centre is
    # in ``care_centres`` or whose municipality is in ``worklist_municipalities`` (None = the whole area)
    worklist_municipalities: frozenset[str] | None = frozenset()
    can_export: bool = False  # exports and packs
    can_read_pdsa: bool = False
    can_edit_pdsa: bool = False
    is_admin: bool = False  # users, roles, targets, imports, access log

    def allows_municipality(self, code: str) -> bool:
        return self.municipalities is None or code in self.municipalities

    def indicator_scope(self) -> AccessContext:
        """The part of this context that the aggregated indicator queries read (``load_indicator_results``,
        ``load_targets``): the municipalities and the small-number entitlement. Viewers with the same scope
        get the same rows, so the pages cache one copy per scope instead of one per user (a test checks
        that the queries give every role the same answer for its scope as for itself)."""
        return AccessContext(user="scope", municipalities=self.municipalities,
                             entitled_small_numbers=self.entitled_small_numbers)  # fmt: skip

    def allows_care_centre(self, name: str) -> bool:
        return self.frequent_attender_list and (self.care_centres is None or name in self.care_centres)

    def allows_worklist_row(self, municipality_code: object, care_centre: object) -> bool:
        """Whether a worklist row (a person placed in a municipality, latest contact at a care centre) is visible."""
        if not self.worklist:
            return False
        if self.worklist_municipalities is None or self.care_centres is None:
            return True
        return (isinstance(municipality_code, str) and municipality_code in self.worklist_municipalities) or (
            isinstance(care_centre, str) and care_centre in self.care_centres
        )


SYSTEM = AccessContext(
    user="system",
    roles=frozenset({ADMIN}),
    person_level=True,
    entitled_small_numbers=True,
    frequent_attender_list=True,
    care_centres=None,
    worklist=True,
    worklist_municipalities=None,
    can_export=True,
    can_read_pdsa=True,
    can_edit_pdsa=True,
    is_admin=True,
)
"""The CLI and recompute: sees everything. Never a page viewer."""

PUBLIC_VIEWER = AccessContext(user="public", roles=frozenset({PUBLIC}))
"""Not logged in, public view on: every municipality's indicators, aggregated and suppressed."""

NOBODY = AccessContext(user="", roles=frozenset(), municipalities=frozenset())
"""Not logged in, public view off (or no valid viewer): sees nothing."""


def access_for(user: str, grants: Iterable[tuple[str, str | None]]) -> AccessContext:
    """The access context of ``user`` holding ``grants`` — (role, scope) pairs as kept in ``user_roles``.

    Fails closed: an unknown role, or a role that needs a scope but has none
    (or has one it must not have), grants nothing.
    """
    roles: set[str] = set()
    munis: set[str] = set()
    worklist_munis: set[str] = set()
    area_wide = False
    centres: set[str] = set()
    all_centres = False
    for role, scope in grants:
        kind = SCOPE_KIND.get(role, "unknown")
        scope = (scope or "").strip() or None
        if kind == "unknown" or (kind is None) != (scope is None):
            continue
        roles.add(role)
        if role in _AREA_WIDE:
            area_wide = True
        if kind == MUNICIPALITY:
            munis.add(scope)
        if role == KOMMUN_HSL:
            worklist_munis.add(scope)
        if role == VARDCENTRAL:
            centres.add(scope)
        if role == AKUTMOTTAGNING:
            all_centres = True
    listing = bool(roles & {VARDCENTRAL, AKUTMOTTAGNING})
    return AccessContext(
        user=user,
        roles=frozenset(roles),
        municipalities=None if area_wide else frozenset(munis),
        person_level=False,
        entitled_small_numbers=False,
        frequent_attender_list=listing,
        care_centres=None if all_centres else frozenset(centres),
        worklist=bool(roles & {VARDCENTRAL, AKUTMOTTAGNING, KOMMUN_HSL}),
        worklist_municipalities=None if all_centres else frozenset(worklist_munis),
        can_export=PROCESSLEDARE in roles,
        can_read_pdsa=bool(roles & {LEDNINGSGRUPP, PROCESSLEDARE, ADMIN}),  # admin: the audit trail
        can_edit_pdsa=bool(roles & {LEDNINGSGRUPP, PROCESSLEDARE}),
        is_admin=ADMIN in roles,
    )


# --- permissions -------------------------------------------------------------

PERMISSIONS: dict[str, Callable[[AccessContext], bool]] = {
    "admin": lambda a: a.is_admin,
    "frequent_attender_list": lambda a: a.frequent_attender_list,
    # The pseudonymous target-group worklist, rows bounded by allows_worklist_row.
    "worklist": lambda a: a.worklist,
    # Per-care-centre trend counts (aggregated, suppressed): any logged-in role, never the public.
    "care_centre_trends": lambda a: bool(a.roles & set(ROLES)),
    "export": lambda a: a.can_export,
    "read_pdsa": lambda a: a.can_read_pdsa,
    "edit_pdsa": lambda a: a.can_edit_pdsa,
    "person_level": lambda a: a.person_level,
    "small_numbers": lambda a: a.entitled_small_numbers,
}


def check_viewer(access: object) -> AccessContext:
    """``access`` itself if it is an access context; :class:`AccessDenied` otherwise (no viewer, no data)."""
    if not isinstance(access, AccessContext):
        raise AccessDenied("no valid viewer")
    return access


def allowed(access: object, permission: str) -> bool:
    rule = PERMISSIONS.get(permission)
    return isinstance(access, AccessContext) and rule is not None and bool(rule(access))


def require(access: object, permission: str) -> AccessContext:
    """The access context, if it holds ``permission``; raises :class:`AccessDenied` otherwise."""
    if permission not in PERMISSIONS:
        raise KeyError(permission)
    if not allowed(access, permission):
        raise AccessDenied(f"permission {permission!r} refused")  # no user name: messages reach the logs
    return access  # type: ignore[return-value]


# --- pages -------------------------------------------------------------------

ANYONE = "*"
_INDICATORS = frozenset({PUBLIC, POLITIKER, LEDNINGSGRUPP, PROCESSLEDARE, ADMIN})

PAGE_RULES: dict[str, frozenset[str]] = {
    "oversikt": _INDICATORS,
    "trender": _INDICATORS,
    "jamfor": _INDICATORS,
    "malgrupper": _INDICATORS,  # the target-group cohorts, aggregated and suppressed
    "om_indikatorerna": _INDICATORS,
    # Improvement areas, PDSA cycles and the monthly review of one municipality.
    "forbattringsarbete": frozenset({LEDNINGSGRUPP, PROCESSLEDARE, ADMIN}),
    "manadsuppfoljning": frozenset({LEDNINGSGRUPP, PROCESSLEDARE, ADMIN}),
    # Row counts per table and municipality (ui/loaded.py reads them for every
    # municipality), so only for viewers of every municipality.
    "datastatus": frozenset({PUBLIC, POLITIKER, ADMIN}),
    "dataimport": frozenset({ADMIN}),  # upload of source files and indicator values
    # The list for vardcentral/akutmottagning; suppressed trend counts per care centre for the others.
    "mangsokare": frozenset({VARDCENTRAL, AKUTMOTTAGNING, POLITIKER, LEDNINGSGRUPP, PROCESSLEDARE, ADMIN}),
    # The person-level target-group worklist (pseudonymous), each role bounded by its scope.
    "arbetslista": frozenset({VARDCENTRAL, AKUTMOTTAGNING, KOMMUN_HSL}),
    "admin_anvandare": frozenset({ADMIN}),
    "logga_in": frozenset({ANYONE}),
}
"""Page id → the roles that may use it. The navigation and every page's own guard read this."""

PAGE_ORDER: tuple[str, ...] = tuple(PAGE_RULES)


def may_see_page(access: object, page_id: str) -> bool:
    """Whether the viewer may use the page (unknown page ids: nobody)."""
    rule = PAGE_RULES.get(page_id)
    if rule is None or not isinstance(access, AccessContext):
        return False
    return ANYONE in rule or bool(access.roles & rule)


def pages_for(access: object) -> list[str]:
    """The page ids the viewer may use, in navigation order."""
    return [p for p in PAGE_ORDER if may_see_page(access, p)]
