"""The directory's search index: accents and typos forgiven, filters combined, best matches first."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from directory.normalize import fold
from directory.search import IndexedEntry, Query, SearchIndex, allowed_typos


def entry(id_: int, name: str, **fields: object) -> IndexedEntry:
    return IndexedEntry(id_, fold(name), **fields)  # type: ignore[arg-type]


INDEX = SearchIndex(
    [
        entry(
            1,
            "Dr Hélène Lefèvre",
            profession="medecin",
            general_practice=True,
            postcode="01000",
            commune="Bourg-en-Bresse",
            accepting_new_patients=True,
            category="liberal_professionals",
        ),
        entry(
            2,
            "Dr Jérôme Lefebvre",
            profession="medecin",
            general_practice=True,
            postcode="01000",
            commune="Bourg-en-Bresse",
            accepting_new_patients=False,
            category="liberal_professionals",
        ),
        entry(
            3,
            "Dr Anaïs Martin",
            profession="medecin",
            general_practice=False,
            postcode="01500",
            commune="Ambérieu-en-Bugey",
            category="liberal_professionals",
        ),
        entry(
            4,
            "Camille Martinez",
            profession="infirmier",
            postcode="01500",
            commune="Ambérieu-en-Bugey",
            accepting_new_patients=True,
            category="liberal_professionals",
        ),
        entry(5, "SSIAD de l'Ain", postcode="01000", commune="Bourg-en-Bresse", category="home_care"),
        entry(
            6, "EHPAD Résidence Fontelune", postcode="01500", commune="Ambérieu-en-Bugey", category="retirement_homes"
        ),
        entry(
            7,
            "Dr Paul Martin",
            profession="medecin",
            general_practice=True,
            postcode="01300",
            commune="Belley",
            category="liberal_professionals",
            gone=True,
        ),
    ]
)


def ids(query: Query) -> list[int]:
    return INDEX.search(query).ids


def test_a_name_typed_without_accents_finds_the_accented_one() -> None:
    assert ids(Query(text="helene lefevre")) == [1]


def test_a_name_typed_in_capitals_with_accents_finds_the_same_entry() -> None:
    assert ids(Query(text="HÉLÈNE")) == [1]


def test_one_typing_error_in_a_surname_still_finds_it() -> None:
    assert ids(Query(text="lefebvra")) == [2, 1]  # one error from Lefebvre, two from Lefèvre


def test_two_swapped_letters_count_as_one_error() -> None:
    assert ids(Query(text="matrin")) == [3]


def test_an_exact_word_ranks_before_a_longer_word_it_begins() -> None:
    assert ids(Query(text="martin")) == [3, 4]


def test_the_beginning_of_a_word_finds_the_entries_as_one_types() -> None:
    assert ids(Query(text="fontel")) == [6]


def test_short_words_are_not_matched_loosely() -> None:
    assert ids(Query(text="ain")) == [5]
    assert ids(Query(text="aim")) == []


def test_every_word_of_the_query_must_match() -> None:
    assert ids(Query(text="martin camille")) == [4]
    assert ids(Query(text="martin helene")) == []


def test_gone_entries_are_left_out_unless_asked_for() -> None:
    assert 7 not in ids(Query(text="paul"))
    assert ids(Query(text="paul", include_gone=True)) == [7]


def test_filters_combine_with_the_name() -> None:
    assert ids(Query(text="lefevre", accepting=True)) == [1]
    assert ids(Query(profession="medecin", general_practice=True)) == [1, 2]
    assert ids(Query(profession="medecin", general_practice=False)) == [3]
    assert ids(Query(postcode="01500", category="retirement_homes")) == [6]


def test_a_commune_filter_forgives_accents_and_hyphens() -> None:
    assert ids(Query(commune="amberieu en bugey")) == [4, 3, 6]


def test_accepting_false_means_said_no_not_unknown() -> None:
    assert ids(Query(accepting=False)) == [2]


def test_without_words_entries_come_in_alphabetical_order() -> None:
    assert ids(Query()) == [4, 3, 1, 2, 6, 5]


def test_pages_follow_each_other_and_the_total_counts_them_all() -> None:
    first = INDEX.search(Query(limit=2))
    second = INDEX.search(Query(limit=2, offset=2))
    assert (first.ids, second.ids, first.total) == ([4, 3], [1, 2], 6)


def test_an_unknown_filter_value_matches_nothing() -> None:
    assert INDEX.search(Query(profession="astronaute")).total == 0


def test_typos_allowed_grow_with_the_word() -> None:
    assert [allowed_typos(w) for w in ("dr", "ain", "lyon", "martin", "lefebvre")] == [0, 0, 1, 1, 2]


NAMES = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèàç", min_size=5, max_size=10), min_size=1, max_size=3)


@settings(max_examples=150, deadline=None)
@given(names=st.lists(NAMES, min_size=1, max_size=20), pick=st.integers(min_value=0), cut=st.integers(min_value=0))
def test_any_entry_is_found_by_its_name_and_by_one_letter_dropped(names: list[list[str]], pick: int, cut: int) -> None:
    index = SearchIndex([entry(i + 1, " ".join(words)) for i, words in enumerate(names)])
    target = pick % len(names)
    words = names[target]
    assert target + 1 in index.search(Query(text=" ".join(words), limit=200)).ids
    word = fold(words[0])
    position = cut % len(word)
    typo = word[:position] + word[position + 1 :]
    assert target + 1 in index.search(Query(text=typo, limit=200)).ids


@settings(max_examples=100, deadline=None)
@given(postcodes=st.lists(st.sampled_from(["01000", "01300", "01500", None]), min_size=1, max_size=30))
def test_a_filter_returns_exactly_the_entries_that_satisfy_it(postcodes: list[str | None]) -> None:
    index = SearchIndex([entry(i + 1, f"entry {i}", postcode=p) for i, p in enumerate(postcodes)])
    result = index.search(Query(postcode="01000", limit=200))
    assert sorted(result.ids) == [i + 1 for i, p in enumerate(postcodes) if p == "01000"]
    assert result.total == postcodes.count("01000")


# --- what coordinators type: professions, categories, places ---------------------------------------------

PARIS = SearchIndex(
    [
        entry(
            11,
            "Dr Claire Dubois",
            profession="medecin",
            general_practice=True,
            postcode="75020",
            commune="Paris",
            category="liberal_professionals",
        ),
        entry(
            12,
            "Sophie Bernard",
            profession="infirmier",
            postcode="75020",
            commune="Paris",
            category="liberal_professionals",
        ),
        entry(
            13,
            "Marc Petit",
            profession="masseur_kinesitherapeute",
            postcode="75019",
            commune="Paris",
            category="liberal_professionals",
        ),
        entry(
            14,
            "Julie Moreau",
            profession="sage_femme",
            postcode="75020",
            commune="Paris",
            category="liberal_professionals",
        ),
        entry(
            15,
            "Pharmacie des Pyrénées",
            postcode="75020",
            commune="Paris",
            category="health_establishments",
            category_label="Pharmacie d'Officine",
        ),
        entry(
            16,
            "Luc Garnier",
            profession="pharmacien",
            postcode="93100",
            commune="Montreuil",
            category="liberal_professionals",
        ),
        entry(17, "EHPAD Les Lilas", postcode="93260", commune="Les Lilas", category="retirement_homes"),
        entry(18, "Médecins du Monde", postcode="75011", commune="Paris", category="social_action"),
        entry(
            19,
            "Dr Ali Haddad",
            profession="medecin",
            postcode="93100",
            commune="Montreuil",
            category="liberal_professionals",
        ),
    ]
)


def found(text: str) -> list[int]:
    return PARIS.search(Query(text=text)).ids


def test_a_profession_word_finds_the_professionals_not_only_names_that_contain_it() -> None:
    assert set(found("médecin")) == {11, 18, 19}
    assert set(found("MEDECINS")) == {11, 18, 19}  # plural and capitals


def test_the_feminine_and_the_short_names_of_professions_find_them() -> None:
    assert found("infirmière") == [12]
    assert found("infirmieres") == [12]
    assert found("kiné") == [13]
    assert found("kinés") == [13]


def test_sage_femme_is_found_with_or_without_its_hyphen_and_in_the_plural() -> None:
    assert found("sage-femme") == [14]
    assert found("sages-femmes") == [14]
    assert found("sage femme") == [14]


def test_pharmacie_finds_pharmacies_and_pharmacists() -> None:
    assert set(found("pharmacie")) == {15, 16}
    assert set(found("pharmacies")) == {15, 16}


def test_an_arrondissement_finds_the_entries_of_its_postcode() -> None:
    assert set(found("Paris 20")) == {11, 12, 14, 15}
    assert set(found("paris 20e")) == {11, 12, 14, 15}
    assert set(found("75019")) == {13}


def test_a_commune_name_finds_its_entries_even_written_without_capitals() -> None:
    assert set(found("montreuil")) == {16, 19}
    assert found("les lilas") == [17]


def test_profession_and_place_words_combine() -> None:
    assert found("médecin montreuil") == [19]
    assert found("infirmière paris 20") == [12]
    assert found("kiné paris 20") == []


def test_a_category_word_finds_the_category() -> None:
    assert found("ehpad") == [17]


def test_exact_matches_of_any_kind_come_first_then_alphabetical_order() -> None:
    # Profession (11, 19) and plural of a name word (18) are all exact; "medec" only begins them.
    assert found("medecin") == [19, 11, 18]
    assert PARIS.search(Query(text="paris pharm")).ids == [15]


def test_postcodes_are_not_matched_within_a_typing_error() -> None:
    assert found("75021") == []
