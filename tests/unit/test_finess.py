"""The FINESS parsers (legacy CSV extract and daily JSON flow) and the category mapping."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.categories import (
    CATEGORIES,
    CATEGORY_LABELS_FR,
    FINESS_CATEGORIES,
    category_for_finess,
    category_for_rpps,
)
from directory.finess import attach_geolocation, parse_finess, to_wgs84
from directory.finess_fields import FinessItem
from directory.records import DirectoryRecord, GeoUpdate, ParseError

DATA = Path(__file__).parents[2].parent / "shared" / "data" / "finess"
LEGACY = DATA / "etalab-cs1100502-stock-20260512-0339-excerpt.csv"
DAILY = DATA / "sample-finess-structures-journalier-20260309.json"

STRUCTURE = (
    "structureet;750000001;750000002;CMS PARIS;CENTRE MEDICO SOCIAL DE L'HÔTEL DE VILLE;;;4;PL;"
    "DE L'HOTEL DE VILLE;;;104;75;PARIS;75004 PARIS;01 42 76 40 40;;124;Centre de Santé;2201;"
    "Centres de santé;12345678900011;;99;Indéterminé;;;2000-01-01;2000-01-01;2024-01-01;"
)
OTHER_STRUCTURE = STRUCTURE.replace("750000001", "690000001").replace("75004 PARIS", "69001 LYON")
# Notre-Dame de Paris area, about 48.8566 N 2.3522 E.
PARIS_LAMBERT93 = (
    "geolocalisation;750000001;652469.02;6862035.26;1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93;2024-01-02"
)


def read(path: Path) -> bytes:
    if not path.exists():
        pytest.skip(f"real FINESS sample not found at {path}")
    return path.read_bytes()


def parse(data: bytes, **kwargs: Any) -> list[FinessItem]:
    return list(parse_finess(io.BytesIO(data), **kwargs))


def records(items: list[FinessItem]) -> dict[str, DirectoryRecord]:
    return {i.external_id: i for i in items if isinstance(i, DirectoryRecord)}


def errors(items: list[FinessItem]) -> list[ParseError]:
    return [i for i in items if isinstance(i, ParseError)]


class Trickle(io.RawIOBase):
    """A stream that hands out at most a few bytes per read, to exercise the incremental JSON reader."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data, self.size, self.at = data, size, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        chunk = self.data[self.at : self.at + self.size]
        self.at += len(chunk)
        return chunk


# --- legacy extract ---------------------------------------------------------------------------------------


def test_the_real_legacy_extract_reads_every_establishment_without_errors() -> None:
    items = parse(read(LEGACY))

    assert errors(items) == []
    assert len(records(items)) == 14


def test_a_legacy_hospital_is_normalised_with_its_insee_code_and_phone() -> None:
    fleyriat = records(parse(read(LEGACY)))["010000024"]

    assert fleyriat.name == "CENTRE HOSPITALIER DE BOURG-EN-BRESSE FLEYRIAT"
    assert fleyriat.kind == "structure" and fleyriat.source == "finess"
    assert fleyriat.category == "health_establishments"
    assert (fleyriat.category_code, fleyriat.category_label) == ("355", "Centre Hospitalier (C.H.)")
    assert (fleyriat.postcode, fleyriat.commune, fleyriat.insee_code) == ("01440", "Viriat", "01451")
    assert fleyriat.address == "900 Route de Paris"
    assert fleyriat.phone == "+33474454647"
    assert fleyriat.raw_ref is not None and fleyriat.raw_ref["siret"] == "26010004500012"


def test_legacy_quotes_overseas_codes_and_phones_are_read_right() -> None:
    by_id = records(parse(read(LEGACY)))

    assert by_id["980501506"].name == 'LIEU DE VIE ET D\'ACCUEIL "MAVOUNA MEMA 1"'
    assert by_id["970210126"].insee_code == "97207"  # Ducos, Martinique (department 9B)
    assert by_id["970210126"].phone == "+596596748677"
    assert by_id["980600027"].insee_code == "98613"  # Uvea, Wallis-et-Futuna (9J)
    assert by_id["970300026"].commune == "Cayenne"  # "97306 CAYENNE CEDEX"
    assert by_id["970302287"].category == "retirement_homes"
    assert by_id["970210126"].category == "disability"


def test_the_legacy_filter_sees_postcode_and_insee_code() -> None:
    seen: list[tuple[str | None, str | None]] = []

    def keep(postcode: str | None, insee: str | None) -> bool:
        seen.append((postcode, insee))
        return insee == "01451"

    kept = records(parse(read(LEGACY), keep=keep))

    assert list(kept) == ["010000024"]
    assert ("01440", "01451") in seen and len(seen) == 14


def test_a_latin_1_legacy_file_is_decoded() -> None:
    data = ("finess;etalab;111;2026-05-12\n" + STRUCTURE + "\n").encode("latin-1")

    [record] = records(parse(data)).values()

    assert record.name == "CENTRE MEDICO SOCIAL DE L'HÔTEL DE VILLE"
    assert record.category_label == "Centre de Santé"
    assert record.category == "health_establishments"


def test_geolocation_rows_are_converted_from_lambert_93_and_follow_their_records() -> None:
    data = "\n".join(
        [
            "finess;etalab;111;2026-05-12",
            STRUCTURE,
            OTHER_STRUCTURE,
            PARIS_LAMBERT93,
            PARIS_LAMBERT93.replace("750000001", "690000001").replace("LAMBERT_93", "UNKNOWN_SYSTEM"),
        ]
    ).encode()

    items = parse(data)

    updates = [i for i in items if isinstance(i, GeoUpdate)]
    assert [u.external_id for u in updates] == ["750000001"]
    assert updates[0].latitude == pytest.approx(48.8566, abs=1e-3)
    assert updates[0].longitude == pytest.approx(2.3522, abs=1e-3)
    assert items.index(updates[0]) > items.index(records(items)["750000001"])


def test_geolocation_of_a_filtered_out_establishment_is_not_yielded() -> None:
    data = "\n".join([STRUCTURE, OTHER_STRUCTURE, PARIS_LAMBERT93]).encode()

    items = parse(data, keep=lambda postcode, insee: postcode == "69001")

    assert list(records(items)) == ["690000001"]
    assert not any(isinstance(i, GeoUpdate) for i in items)


def test_attach_geolocation_folds_coordinates_into_the_records() -> None:
    data = "\n".join([STRUCTURE, OTHER_STRUCTURE, PARIS_LAMBERT93]).encode()

    folded = list(attach_geolocation(parse_finess(io.BytesIO(data))))

    by_id = {r.external_id: r for r in folded if isinstance(r, DirectoryRecord)}
    assert by_id["750000001"].latitude == pytest.approx(48.8566, abs=1e-3)
    assert by_id["690000001"].latitude is None


def test_overseas_utm_coordinates_convert_and_unknown_systems_give_none() -> None:
    # Saint-Denis de La Réunion in RGR92 / UTM 40S.
    reunion = to_wgs84(338500.0, 7690500.0, "3,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,UTM_S40")

    assert reunion is not None
    assert reunion[0] == pytest.approx(-20.88, abs=0.05) and reunion[1] == pytest.approx(55.45, abs=0.05)
    assert to_wgs84(1.0, 2.0, "MYSTERY") is None


def test_bad_legacy_rows_are_reported_with_their_line_number() -> None:
    data = "\n".join(
        [
            "finess;etalab;111;2026-05-12",
            "structureet;too;few",
            STRUCTURE.replace("structureet;750000001", "structureet;"),
            "equipementsocial;x;y",
            "geolocalisation;750000001;abc;def;LAMBERT_93;2024",
            STRUCTURE,
        ]
    ).encode()

    items = parse(data)

    assert [(e.line_number, e.reason) for e in errors(items)] == [
        (2, "structureet row has 3 fields, expected 32"),
        (3, "missing nofinesset"),
        (4, "unknown row type 'equipementsocial'"),
    ]
    assert list(records(items)) == ["750000001"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_random_garbage_in_a_legacy_file_never_raises(garbage: list[bytes]) -> None:
    data = b"\n".join([b"finess;etalab;111;2026-05-12", *garbage]) + b"\n"

    items = parse(data)

    assert all(isinstance(i, DirectoryRecord | ParseError | GeoUpdate) for i in items)


# --- daily JSON flow ----------------------------------------------------------------------------------------


def test_the_daily_json_flow_yields_open_establishments_with_wgs84_coordinates() -> None:
    by_id = records(parse(read(DAILY)))

    assert len(by_id) == 15
    convert = by_id["010780195"]
    assert convert.name == "CLINIQUE DOCTEUR CONVERT"
    assert (convert.category, convert.category_code) == ("health_establishments", "365")
    assert convert.category_label == "Etablissement de soins pluridisciplinaire"
    assert (convert.postcode, convert.insee_code, convert.commune) == ("01000", "01053", "Bourg en Bresse")
    assert convert.address == "62 Avenue de Jasseron"
    assert (convert.latitude, convert.longitude) == (46.211257, 5.254203)
    assert convert.phone == "+33428631234"
    assert convert.raw_ref is not None and convert.raw_ref["nofinessej"] == "010000156"
    assert by_id["010006401"].category == "home_care"
    assert "010787190" not in by_id  # SMUR closed in 1993


def test_closed_establishments_are_included_on_request() -> None:
    by_id = records(parse(read(DAILY), include_closed=True))

    assert len(by_id) == 27
    assert by_id["010787190"].raw_ref is not None and by_id["010787190"].raw_ref["etat"] == "I"


def test_the_json_flow_read_a_few_bytes_at_a_time_gives_the_same_records() -> None:
    data = read(DAILY)

    trickled = list(parse_finess(Trickle(data, 7)))  # type: ignore[arg-type]

    assert trickled == parse(data)


def test_json_records_carry_the_line_where_their_legal_entity_starts() -> None:
    data = read(DAILY)
    lines = data.decode().splitlines()

    convert = records(parse(data))["010780195"]

    assert convert.raw_ref is not None
    start = int(convert.raw_ref["line"])
    assert lines[start - 1].strip().endswith("{")
    assert '"informationsGeneralesPMEJ"' in lines[start]
    assert '"numFinessPm" : "010000156"' in "\n".join(lines[start : start + 12])


def test_line_numbers_stay_exact_across_the_reading_chunks_of_a_large_flow() -> None:
    # The legal entities of the sample, repeated until the flow spans several 1 MB reading chunks.
    entities = json.loads(read(DAILY))["pmej"]
    repeated = [entity for _ in range(40) for entity in entities]
    data = json.dumps({"pmej": repeated}, indent=2, ensure_ascii=False).encode()
    assert len(data) > 3 * 1024 * 1024
    lines = data.decode().splitlines()
    # Where each legal entity starts, found independently: the line before its first key.
    starts = [number for number, line in enumerate(lines, 1) if line.strip().startswith('"informationsGeneralesPMEJ"')]

    items = [i for i in parse(data, include_closed=True) if isinstance(i, DirectoryRecord)]

    assert len(items) == 27 * 40
    seen = sorted({int(i.raw_ref["line"]) for i in items if i.raw_ref is not None})
    assert set(seen) <= {start - 1 for start in starts}
    assert seen[-1] == starts[-1] - 1 and len(seen) > 40


def test_schema_style_json_with_coded_objects_is_read() -> None:
    document = {
        "gcc": {"gccId": "1"},
        "gco": [],
        "pmej": [
            {
                "informationsGeneralesPmej": {"numFinessPm": "750000002"},
                "etatObjet": {"code": "A"},
                "ege": [
                    {
                        "informationsGeneralesEGE": {"numFinessEge": "750000001", "nomEgeLong": "EHPAD LES LILAS"},
                        "etatObjet": {"code": "A"},
                        "categorieEntiteGeographiqueExercice": {"code": "500", "system": "https://mos.esante.gouv.fr"},
                        "adresse": [
                            {
                                "numeroVoie": "3",
                                "typeVoie": "R",
                                "libelleVoie": "DES LILAS",
                                "codePostal": "75020",
                                "cogCommune": "75120",
                                "ligneAcheminement": "PARIS",
                                "coordonneesGeographique": {"directionLatitude": "48.87", "directionLongitude": "2.40"},
                            }
                        ],
                        "contact": [{"telecom": {"telephone": "0143667788", "courriel": "Contact@Lilas.fr"}}],
                    }
                ],
            }
        ],
    }

    [record] = parse(json.dumps(document).encode())

    assert isinstance(record, DirectoryRecord)
    assert (record.external_id, record.category) == ("750000001", "retirement_homes")
    assert record.address == "3 Rue des Lilas"
    assert (record.latitude, record.longitude) == (48.87, 2.40)
    assert (record.phone, record.email) == ("+33143667788", "contact@lilas.fr")


def test_truncated_json_gives_a_parse_error_after_the_complete_entities() -> None:
    data = read(DAILY)
    cut = data[: data.index(b'"numFinessEge" : "010780906"')]

    items = parse(cut)

    assert isinstance(items[-1], ParseError) and "invalid JSON" in items[-1].reason
    assert "010780575" in records(items)


def test_an_establishment_without_number_is_an_error_and_the_others_still_come() -> None:
    document = {
        "pmej": [
            {
                "ege": [
                    {"informationsGeneralesEGE": {}},
                    "nonsense",
                    {"informationsGeneralesEGE": {"numFinessEge": "750000001"}},
                ]
            }
        ]
    }

    items = parse(json.dumps(document, indent=1).encode())

    assert [e.reason for e in errors(items)] == ["establishment without numFinessEge", "ege item is not an object"]
    assert list(records(items)) == ["750000001"]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_after_an_opening_brace_never_raise(garbage: bytes) -> None:
    items = parse(b'{"pmej": [' + garbage)

    assert all(isinstance(i, DirectoryRecord | ParseError) for i in items)


# --- categories ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("500", "retirement_homes"),
        ("202", "retirement_homes"),
        ("354", "home_care"),
        ("209", "home_care"),
        ("460", "home_care"),
        ("127", "health_establishments"),
        ("183", "disability"),
        ("246", "disability"),
        ("255", "disability"),
        ("437", "disability"),
        ("182", "disability"),
        ("214", "social_action"),
        ("603", "health_establishments"),
        ("604", "health_establishments"),
        ("620", "health_establishments"),
        ("156", "health_establishments"),
        ("124", "health_establishments"),
        ("699", "other"),
        ("", "other"),
        ("999", "other"),
    ],
)
def test_finess_categories_map_to_directory_categories(code: str, category: str) -> None:
    assert category_for_finess(code) == category


def test_every_category_has_a_french_label_and_every_mapping_targets_a_category() -> None:
    assert set(CATEGORY_LABELS_FR) == set(CATEGORIES)
    assert {category for category, _ in FINESS_CATEGORIES.values()} <= set(CATEGORIES)


def test_rpps_practice_mode_and_sector_choose_the_category() -> None:
    assert category_for_rpps("L", "SA01") == "liberal_professionals"
    assert category_for_rpps("S", "SA01") == "health_establishments"
    assert category_for_rpps("S", "SA17") == "retirement_homes"
    assert category_for_rpps("S", "SA48") == "other"
    assert category_for_rpps(None, None) == "other"
