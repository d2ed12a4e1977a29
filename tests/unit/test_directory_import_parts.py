"""The import's small parts: the seen-ids bitmap, the record digest, column lengths, counting lines read."""

from __future__ import annotations

import io
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from directory.import_rows import imported_values, record_digest
from directory.importing import SeenIds, insee_codes
from directory.reading import counted
from directory.records import DirectoryRecord
from orientation.core.models import Territory

RECORD = DirectoryRecord(
    source="rpps",
    external_id="810001/S1",
    kind="professional",
    name="Dr Hélène Lefèvre",
    profession="medecin",
    general_practice=True,
    category="liberal_professionals",
    category_code="SA07",
    category_label="Cabinet",
    address="3 Rue Pasteur",
    postcode="01000",
    commune="Bourg-en-Bresse",
    insee_code="01053",
    phone="+33474000000",
    email=None,
    raw_ref={"line": "12", "siret": "123"},
)


@settings(max_examples=200)
@given(
    added=st.sets(st.integers(min_value=1, max_value=5_000_000), max_size=50),
    probes=st.lists(st.integers(min_value=0, max_value=6_000_000), max_size=50),
)
def test_seen_ids_holds_exactly_the_ids_added(added: set[int], probes: list[int]) -> None:
    seen = SeenIds()
    for entry_id in added:
        seen.add(entry_id)
    assert all(entry_id in seen for entry_id in added)
    assert all((probe in seen) == (probe in added) for probe in probes)


def test_the_digest_ignores_the_line_number_but_not_a_changed_phone() -> None:
    moved = replace(RECORD, raw_ref={"line": "4012", "siret": "123"})
    changed = replace(RECORD, phone="+33474000001")

    assert record_digest(moved) == record_digest(RECORD)
    assert record_digest(changed) != record_digest(RECORD)
    assert record_digest(replace(RECORD, raw_ref={"line": "12", "siret": "124"})) != record_digest(RECORD)


def test_imported_values_never_touch_the_cpts_fields_and_fit_the_columns() -> None:
    values = imported_values(replace(RECORD, address="x" * 1000))

    assert not {"accepting_new_patients", "accepting_since", "cpts_member", "languages", "notes"} & set(values)
    assert len(values["address"]) == 400
    assert values["search_key"] == "dr helene lefevre"
    assert values["source_ref"] == {"siret": "123"}


def test_lines_are_counted_with_or_without_a_final_newline() -> None:
    for content, lines in ((b"", 0), (b"a\n", 1), (b"a\nb", 2), (b"a\nb\n", 2)):
        reported: list[int] = []
        stream, counter = counted(io.BytesIO(content), reported.append)
        assert stream.read() == content
        assert (counter.lines, sum(reported)) == (lines, len(content))


def test_insee_codes_typed_as_one_text_are_split_not_read_letter_by_letter() -> None:
    territory = Territory(name="CPTS Ain", settings={"insee_codes": "01004, 01053;01093 "})
    assert insee_codes(territory) == ["01004", "01053", "01093"]
    assert insee_codes(Territory(name="CPTS Ain", settings={"insee_codes": ["2a004"]})) == ["2A004"]
