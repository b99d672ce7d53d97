"""Reference values (indicator_values) are read within the viewer's scope; nation and region rows for all."""

from __future__ import annotations

from data_access.access import AccessContext
from data_access.importer import import_paths
from data_access.reference import load_reference_values

VALUES = (
    "indicator_id,indicator_name,municipality_code,period,value,source\n"
    "readmission_30d_65,,1490,2024,14.0,Vårdanalys\n"
    "readmission_30d_65,,1463,2024,17.7,Vårdanalys\n"
    "readmission_30d_65,,0000,2024,16.1,Kolada N00000\n"
    "readmission_30d_65,,0014,2024,15.2,Kolada N00000\n"
    "ext_x,Något annat,1490,2024,3.0,Kolada N1\n"
)


def test_reference_values_by_indicator_and_scope(store, tmp_path):
    (tmp_path / "indicator_values.csv").write_text(VALUES, encoding="utf-8")
    assert import_paths([tmp_path], engine=store).ok
    everyone = load_reference_values(access=AccessContext(user="p"), indicator_id="readmission_30d_65", engine=store)
    assert sorted(everyone["municipality_code"]) == ["0000", "0014", "1463", "1490"]
    boras = AccessContext(user="b", municipalities=frozenset({"1490"}))
    scoped = load_reference_values(access=boras, indicator_id="readmission_30d_65", engine=store)
    assert sorted(scoped["municipality_code"]) == ["0000", "0014", "1490"]
    assert scoped.set_index("municipality_code").loc["0000", "source"] == "Kolada N00000"
