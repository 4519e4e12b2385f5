"""Keys made from titles: whole words, whole transliterations, dashes kept as separators."""

from evidence.core.keys import MAX_KEY_LENGTH, slugify_key

TITLE = (
    "Beatings of detainees in the Sovetsky district police station of Minsk in the August protests"
)


def nothing_taken(key: str) -> bool:
    return False


def test_long_title_is_cut_after_a_whole_word():
    key = slugify_key(TITLE, nothing_taken)
    assert key == "beatings-of-detainees-in-the-sovetsky-district-police-station-of-minsk-in-the"
    assert len(key) <= MAX_KEY_LENGTH


def test_numbered_key_of_a_long_title_is_cut_after_a_whole_word_too():
    first = slugify_key(TITLE, nothing_taken)
    key = slugify_key(TITLE, lambda k: k == first)
    assert key == "beatings-of-detainees-in-the-sovetsky-district-police-station-of-minsk-in-the-2"


def test_en_dash_separates_the_years_it_joins():
    assert slugify_key("Belarus 2000–2001", nothing_taken) == "belarus-2000-2001"


def test_cyrillic_and_lacinka_are_transliterated_whole():
    assert slugify_key("Жодино", nothing_taken) == "zhodino"
    assert slugify_key("Łukašenka", nothing_taken) == "lukasenka"


def test_one_long_word_is_still_cut_to_the_limit():
    assert slugify_key("a" * 100, nothing_taken) == "a" * MAX_KEY_LENGTH
