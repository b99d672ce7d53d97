"""Models of the improvement work (PDSA cycles and improvement areas); see migrations 0006+.

Kept apart from ``models.py`` so the contract tables stay easy to read; they
share ``Base`` and are registered on its metadata by the import at the end of
``models.py``.
"""

from __future__ import annotations
