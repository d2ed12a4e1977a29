"""The RPPS "Annuaire Santé" parser against the real sample and crafted files."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.records import DirectoryRecord, ParseError
from directory.rpps import parse_rpps

DATA = Path(__file__).parents[2].parent / "shared" / "data"
SAMPLE = DATA / "rpps" / "PS_LibreAcces_Personne_activite_sample.txt"

HEADER_52 = [
    "Type d'identifiant PP",
    "Identifiant PP",
    "Identification nationale PP",
    "Code civilité d'exercice",
    "Libellé civilité d'exercice",
    "Code civilité",
    "Libellé civilité",
    "Nom d'exercice",
    "Prénom d'exercice",
    "Code profession",
    "Libellé profession",
    "Code catégorie professionnelle",
    "Libellé catégorie professionnelle",
    "Code type savoir-faire",
    "Libellé type savoir-faire",
    "Code savoir-faire",
    "Libellé savoir-faire",
    "Code mode exercice",
    "Libellé mode exercice",
    "Numéro SIRET site",
    "Numéro SIREN site",
    "Numéro FINESS site",
    "Numéro FINESS établissement juridique",
    "Identifiant technique de la structure",
    "Raison sociale site",
    "Enseigne commerciale site",
    "Complément destinataire (coord. structure)",
    "Complément point géographique (coord. structure)",
    "Numéro Voie (coord. structure)",
    "Indice répétition voie (coord. structure)",
    "Code type de voie (coord. structure)",
    "Libellé type de voie (coord. structure)",
    "Libellé Voie (coord. structure)",
    "Mention distribution (coord. structure)",
    "Bureau cedex (coord. structure)",
    "Code postal (coord. structure)",
    "Code commune (coord. structure)",
    "Libellé commune (coord. structure)",
    "Code pays (coord. structure)",
    "Libellé pays (coord. structure)",
    "Téléphone (coord. structure)",
    "Téléphone 2 (coord. structure)",
    "Télécopie (coord. structure)",
    "Adresse e-mail (coord. structure)",
    "Code Département (structure)",
    "Libellé Département (structure)",
    "Ancien identifiant de la structure",
    "Autorité d'enregistrement",
    "Code secteur d'activité",
    "Libellé secteur d'activité",
    "Code section tableau pharmaciens",
    "Libellé section tableau pharmaciens",
]
HEADER_56 = [*HEADER_52, "Code rôle", "Libellé rôle", "Code genre activité", "Libellé genre activité"]


def line(header: list[str], **values: str) -> str:
    """One data line of the given layout, with a trailing pipe, from column-name keywords."""
    by_name = {
        "pp": "Identification nationale PP",
        "title": "Code civilité d'exercice",
        "last": "Nom d'exercice",
        "first": "Prénom d'exercice",
        "profession": "Code profession",
        "profession_label": "Libellé profession",
        "skill": "Code savoir-faire",
        "mode": "Code mode exercice",
        "siret": "Numéro SIRET site",
        "finess": "Numéro FINESS site",
        "structure": "Identifiant technique de la structure",
        "number": "Numéro Voie (coord. structure)",
        "street_type": "Libellé type de voie (coord. structure)",
        "street": "Libellé Voie (coord. structure)",
        "postcode": "Code postal (coord. structure)",
        "insee": "Code commune (coord. structure)",
        "commune": "Libellé commune (coord. structure)",
        "phone": "Téléphone (coord. structure)",
        "email": "Adresse e-mail (coord. structure)",
        "sector": "Code secteur d'activité",
        "activity_kind": "Code genre activité",
    }
    cells = [""] * len(header)
    for key, value in values.items():
        cells[header.index(by_name[key])] = value
    return "|".join(cells) + "|"


def rpps_file(header: list[str], *lines: str, bom: bool = False) -> io.BytesIO:
    text = "\n".join(["|".join(header) + "|", *lines]) + "\n"
    return io.BytesIO(("\ufeff" if bom else "").encode() + text.encode("utf-8"))


def records(items: list[DirectoryRecord | ParseError]) -> list[DirectoryRecord]:
    return [i for i in items if isinstance(i, DirectoryRecord)]


def errors(items: list[DirectoryRecord | ParseError]) -> list[ParseError]:
    return [i for i in items if isinstance(i, ParseError)]


@pytest.fixture
def sample() -> Iterator[io.BufferedReader]:
    if not SAMPLE.exists():
        pytest.skip(f"real RPPS sample not found at {SAMPLE}")
    with SAMPLE.open("rb") as stream:
        yield stream


def test_the_real_sample_gives_one_record_per_professional_without_errors(sample: io.BufferedReader) -> None:
    items = list(parse_rpps(sample))

    assert errors(items) == []
    assert len(records(items)) == 21
    assert len({r.external_id for r in records(items)}) == 21


def test_a_laboratory_technician_of_the_sample_is_fully_normalised(sample: io.BufferedReader) -> None:
    by_id = {r.external_id: r for r in records(list(parse_rpps(sample)))}

    marquet = by_id["0018602292/48992865500104"]
    assert marquet.name == "Vanessa Marquet"
    assert marquet.kind == "professional" and marquet.source == "rpps"
    assert marquet.profession == "technicien_labo"
    assert marquet.phone == "+33474346567"
    assert marquet.postcode == "01500"
    assert marquet.insee_code == "01004"
    assert marquet.commune == "Ambérieu-en-Bugey"
    assert marquet.address == "1 Rue du Professeur Christian Cab, Za en Pragnat Nord"
    assert marquet.category_code == "SA25"
    assert marquet.raw_ref is not None and marquet.raw_ref["finess_site"] == "010010288"


def test_sample_professions_map_to_the_api_slugs(sample: io.BufferedReader) -> None:
    slugs = {r.profession for r in records(list(parse_rpps(sample)))}

    assert {
        "audioprothesiste",
        "opticien_lunetier",
        "assistant_dentaire",
        "orthoptiste",
        "psychologue",
        "ergotherapeute",
        "dieteticien",
        "psychomotricien",
        "manipulateur_erm",
        "osteopathe",
    } <= slugs


def test_a_salaried_professional_in_a_disability_establishment_is_filed_under_disability(
    sample: io.BufferedReader,
) -> None:
    by_id = {r.external_id: r for r in records(list(parse_rpps(sample)))}

    assert by_id["0019401140/77554408300386"].category == "disability"
    assert by_id["0019401140/77554408300386"].email == "maslesmontaines@adapei01.asso.fr"
    assert by_id["0019200575/C01920057500"].category == "liberal_professionals"


def test_a_professional_without_any_identifier_of_structure_is_keyed_by_an_address_hash(
    sample: io.BufferedReader,
) -> None:
    by_pp = {r.external_id.split("/")[0]: r for r in records(list(parse_rpps(sample)))}

    assert by_pp["0010001949"].external_id.startswith("0010001949/adr-")
    assert by_pp["0019200575"].external_id == "0019200575/C01920057500"


def test_the_territory_filter_keeps_only_rows_of_its_postcodes(sample: io.BufferedReader) -> None:
    seen: list[tuple[str | None, str | None]] = []

    def keep(postcode: str | None, insee: str | None) -> bool:
        seen.append((postcode, insee))
        return postcode == "01500"

    kept = records(list(parse_rpps(sample, keep)))

    assert sorted(r.name for r in kept) == ["Vanessa Marquet", "Vivien Troesch"]
    assert (None, None) in seen  # empty fields reach the filter as None, not ""
    assert ("01500", "01004") in seen


def test_the_56_column_layout_with_a_bom_is_read_by_header_names() -> None:
    stream = rpps_file(
        HEADER_56,
        line(
            HEADER_56,
            pp="810000000001",
            title="DR",
            first="JEANNE",
            last="MARTIN",
            profession="10",
            skill="SM54",
            mode="L",
            siret="12345678900011",
            number="3",
            street_type="Rue",
            street="DES LILAS",
            postcode="75020",
            insee="75120",
            commune="Paris 20e",
            phone="01 43 66 77 88",
            sector="SA07",
            activity_kind="GENR01",
        ),
        bom=True,
    )

    [record] = parse_rpps(stream)

    assert isinstance(record, DirectoryRecord)
    assert record.external_id == "810000000001/12345678900011"
    assert record.name == "Dr Jeanne Martin"
    assert record.profession == "medecin"
    assert record.general_practice is True
    assert record.phone == "+33143667788"
    assert record.address == "3 Rue des Lilas"
    assert record.raw_ref is not None and record.raw_ref["genre_activite"] == "GENR01"


def test_savoir_faire_rows_of_one_professional_at_one_site_merge_into_one_record() -> None:
    site = {"siret": "12345678900011", "postcode": "75020", "mode": "L"}
    stream = rpps_file(
        HEADER_52,
        line(HEADER_52, pp="810000000001", profession="10", skill="SM04", **site),
        line(HEADER_52, pp="810000000001", profession="10", skill="SM54", **site),
        line(
            HEADER_52,
            pp="810000000001",
            profession="10",
            skill="SM04",
            siret="98765432100022",
            postcode="75011",
            mode="L",
        ),
        line(HEADER_52, pp="810000000002", profession="10", skill="SM04", **site),
    )

    items = list(parse_rpps(stream))

    assert errors(items) == []
    by_id = {r.external_id: r for r in records(items)}
    assert sorted(by_id) == [
        "810000000001/12345678900011",
        "810000000001/98765432100022",
        "810000000002/12345678900011",
    ]
    # General practice belongs to the person: both sites of the first doctor say so, not the second doctor.
    assert by_id["810000000001/12345678900011"].general_practice is True
    assert by_id["810000000001/98765432100022"].general_practice is True
    assert by_id["810000000002/12345678900011"].general_practice is False
    assert by_id["810000000001/12345678900011"].raw_ref == {
        "line": "2",
        "profession_code": "10",
        "mode_exercice": "L",
        "savoir_faire": "SM04,SM54",
        "siret": "12345678900011",
    }


def test_a_general_practice_row_outside_the_territory_still_marks_the_professional() -> None:
    stream = rpps_file(
        HEADER_52,
        line(HEADER_52, pp="810000000001", profession="10", skill="SM54", siret="1", postcode="69001"),
        line(HEADER_52, pp="810000000001", profession="10", skill="", siret="2", postcode="75020"),
    )

    [record] = parse_rpps(stream, keep=lambda postcode, insee: postcode == "75020")

    assert isinstance(record, DirectoryRecord) and record.general_practice is True


def test_bad_lines_are_reported_with_their_line_number_and_parsing_goes_on() -> None:
    good = line(HEADER_52, pp="810000000001", profession="60", siret="12345678900011")
    text = "\n".join(
        [
            "|".join(HEADER_52) + "|",
            good,
            "0|too|few|fields|",
            line(HEADER_52, pp="", profession="60"),
            line(HEADER_52, pp="810000000003", profession="60"),
        ]
    ).encode()
    invalid_utf8 = line(HEADER_52, pp="810000000002", last="X").encode().replace(b"X", b"\xff\xfe")
    lines = text.split(b"\n")
    stream = io.BytesIO(b"\n".join([*lines[:2], invalid_utf8, *lines[2:]]) + b"\n")

    items = list(parse_rpps(stream))

    assert [(e.line_number, e.reason.split(" ")[0]) for e in errors(items)] == [
        (3, "invalid"),
        (4, "expected"),
        (5, "missing"),
    ]
    assert "53 fields, found 5" in errors(items)[1].reason
    assert [r.external_id.split("/")[0] for r in records(items)] == ["810000000001", "810000000003"]


def test_a_file_without_the_identifier_column_yields_one_error_on_the_header() -> None:
    stream = io.BytesIO(b"Nom|Prenom|\nMARTIN|JEANNE|\n")

    assert list(parse_rpps(stream)) == [ParseError(1, "header has no 'Identification nationale PP' column")]


def test_an_empty_file_yields_nothing() -> None:
    assert list(parse_rpps(io.BytesIO(b""))) == []


def test_unknown_profession_codes_become_a_slug_of_their_label_and_bad_phones_none() -> None:
    stream = rpps_file(
        HEADER_52,
        line(HEADER_52, pp="1", profession="77", profession_label="Conseiller en génétique", phone="12 34", siret="1"),
        line(HEADER_52, pp="2", profession="60", phone="+33 4 74 45 46 47", siret="1"),
    )

    first, second = records(list(parse_rpps(stream)))

    assert first.profession == "conseiller_en_genetique"
    assert first.phone is None
    assert second.phone == "+33474454647"


def test_names_keep_french_particles_and_hyphens() -> None:
    stream = rpps_file(
        HEADER_52,
        line(HEADER_52, pp="1", title="PR", first="JEAN-PIERRE", last="DE LA FONTAINE", siret="1"),
        line(HEADER_52, pp="2", first="Anaïs", last="LEBRUN-CARPENTIER", siret="1"),
    )

    names = [r.name for r in records(list(parse_rpps(stream)))]

    assert names == ["Pr Jean-Pierre de La Fontaine", "Anaïs Lebrun-Carpentier"]


class CountingLines:
    """A byte stream that counts the lines handed out, to check the parser does not read ahead."""

    def __init__(self, lines: list[bytes]) -> None:
        self.lines = lines
        self.read = 0

    def __iter__(self) -> Iterator[bytes]:
        for item in self.lines:
            self.read += 1
            yield item


def test_records_are_yielded_as_soon_as_the_next_professional_starts() -> None:
    header = ("|".join(HEADER_52) + "|\n").encode()
    rows = [(line(HEADER_52, pp=str(pp), siret="1") + "\n").encode() for pp in range(1, 1001)]
    stream = CountingLines([header, *rows])

    first = next(iter(parse_rpps(stream)))  # type: ignore[arg-type]

    assert isinstance(first, DirectoryRecord) and first.external_id == "1/1"
    assert stream.read == 3  # header, professional 1, first row of professional 2


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=400), max_size=20))
def test_random_garbage_lines_only_ever_give_parse_errors_or_records(garbage: list[bytes]) -> None:
    header = ("|".join(HEADER_52) + "|").encode()
    stream = io.BytesIO(b"\n".join([header, *garbage]) + b"\n")

    items = list(parse_rpps(stream))

    assert all(isinstance(i, DirectoryRecord | ParseError) for i in items)
    assert all(e.line_number >= 2 for e in errors(items))


CELL_CHARACTERS = st.characters(codec="utf-8", blacklist_characters="|\n\r")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=CELL_CHARACTERS, max_size=12), min_size=53, max_size=53))
def test_well_shaped_lines_of_random_text_never_raise(cells: list[str]) -> None:
    stream = rpps_file(HEADER_52, "|".join(cells[:52]) + "|")

    items = list(parse_rpps(stream))

    assert len(items) <= 1
