"""Names in what judges read: a team's, its members' and its school's names blacked out, whole words only,
links and pictures in a card left whole, and whether an address spells a name."""

from __future__ import annotations

from aigc_contest.web.judging.blind import NAME_MARK, address_names, blind_card, without_names


def test_names_go_as_whole_words_whatever_their_case_and_spacing() -> None:
    names = ["Ink Bots", "amy", "聖保羅小學"]
    text = "By INK  BOTS (Amy) at 聖保羅小學; inkwell and Amyas stay."
    assert without_names(text, names) == f"By {NAME_MARK} ({NAME_MARK}) at {NAME_MARK}; inkwell and Amyas stay."
    assert without_names("Nothing to hide", []) == "Nothing to hide"
    assert without_names("A x b", ["x"]) == "A x b"  # one letter is not a name


def test_a_card_keeps_its_links_and_pictures() -> None:
    card = ('<h1>Amy&#x27;s app</h1><a href="https://git.example.org/amy/app" rel="noopener">amy/app</a>'
            '<img src="data:image/png;base64,QW15QW15" alt="Amy drawing">')
    blinded = blind_card(card, ["Amy"])
    assert blinded.startswith(f"<h1>{NAME_MARK}&#x27;s app</h1>")
    assert '<a href="https://git.example.org/amy/app" rel="noopener">amy/app</a>' in blinded
    assert "data:image/png;base64,QW15QW15" in blinded and f'alt="{NAME_MARK} drawing"' in blinded


def test_an_address_spelling_a_name_is_noticed() -> None:
    assert address_names("https://github.com/lisbon-makers/app", ["Lisbon Makers"])
    assert address_names("https://example.org/u/ada_l/", ["ada.l"])
    assert not address_names("https://ink.example.org/", ["Lisbon Makers", "Bo"])
