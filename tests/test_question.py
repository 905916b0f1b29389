"""Reading a question: the answer it wants, its quoted phrases, and what a follow-up borrows."""

from __future__ import annotations

import pytest

from askdoc.question import answer_type_of, borrowed_text, holds_answer, phrases_of, question_words, read_question


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Who designed the bridge?", "person"),
        ("Whose idea was it?", "person"),
        ("When did the museum reopen?", "date"),
        ("In what year was the treaty signed?", "date"),
        ("How many workers lost their jobs?", "number"),
        ("How much did Deutsche Boerse offer?", "number"),
        ("What percentage of voters agreed?", "number"),
        ("Where is the factory?", "place"),
        ("In which country is Normandy?", "place"),
        ("How long did the strike last?", "duration"),
        ("What did Volodin warn?", "speech"),
        ("What did the LSE say about the approach?", "speech"),
        ("What odds did the bookmaker give him?", "number"),
        ("Which band won the award?", "name"),
        ("What did Southampton offer for Reid?", None),
        ("Why did prices rise?", None),
        ("hendrix guitar auction price", "number"),  # typed as a search: its last noun asks
        ("t in the park venue", "place"),
        ("worcester v sale kick off time", "date"),
        ("super bowl set length", "duration"),
        ("exhibitor relations president", "person"),
        ("volodin nuclear weapons", None),
        ("Did Putin visit the country?", None),  # a yes-or-no question, not a search for a place
        ("did putin visit the country", None),
    ],
)
def test_answer_type_comes_from_the_question_word(question, kind):
    assert answer_type_of(question) == kind


def test_an_answer_must_be_new_to_the_question():
    words = question_words("Who met Putin in Minsk?")
    assert not holds_answer("person", "Putin met him in Minsk.", words)
    assert holds_answer("person", "Putin met Lukashenko in Minsk.", words)
    assert holds_answer("date", "It reopened in March 2004.", frozenset())
    assert not holds_answer("date", "It reopened last spring.", frozenset())
    assert holds_answer("number", "The plant employs 2,000 people.", frozenset())
    assert holds_answer("number", "They paid £1.3bn for it.", frozenset())
    assert holds_answer("duration", "The strike lasted three weeks.", frozenset())
    assert not holds_answer(None, "Anything at all, 2004.", frozenset())
    assert holds_answer("date", "The deal should go through in the next two to three months.", frozenset())
    assert holds_answer("speech", 'The approach is at "an early stage", it said.', frozenset())
    assert holds_answer("speech", "The minister warned that talks could fail.", frozenset())
    assert not holds_answer("speech", "Talks could fail.", frozenset())


def test_a_possessive_in_the_question_is_not_a_new_name():
    words = question_words("Who is Mia Hamm's husband?")
    assert not holds_answer("person", "Women's football legend Mia Hamm has played her final game.", words)
    assert not holds_answer("person", "Fans cheered Hamm's last game.", words)
    assert holds_answer("person", "Hamm will now live with husband Nomar Garciaparra.", words)


def test_quoted_phrases_are_found_in_straight_and_curly_quotes():
    assert phrases_of('Who said "red line" about “cruise missiles”?') == ("red line", "cruise missiles")
    assert phrases_of('What does "Brexit" mean?') == ()  # one word is not a phrase


def test_a_pronoun_borrows_the_names_of_the_newest_question_that_has_some():
    context = ["What did Volodin warn?", "what else did the council decide?"]
    assert borrowed_text(read_question("what did he say about nuclear weapons?"), context) == "Volodin"


def test_an_elliptical_follow_up_borrows_the_rest_of_the_previous_question():
    borrowed = borrowed_text(read_question("And Putin?"), ["What did Volodin warn about?"])
    assert "warn" in borrowed and "Volodin" not in borrowed


def test_a_question_that_names_its_subject_borrows_nothing():
    assert borrowed_text(read_question("What did Putin say about his army?"), ["Who is Volodin?"]) == ""
    assert borrowed_text(read_question("what did he say?"), []) == ""


def test_an_elliptical_follow_up_with_a_pronoun_borrows_the_names():
    assert borrowed_text(read_question("and what did he say?"), ["what did Volodin warn?"]) == "Volodin"


def test_an_elliptical_follow_up_without_a_name_borrows_the_whole_previous_question_as_it_was_read():
    """ "and the budget?" keeps the subject and the topic; "and michael howard?" typed in lower case shows
    no name, so it keeps the thread ("apologise") rather than only the old names, which dropped it."""
    assert borrowed_text(read_question("And the budget?"), ["What did Brown promise?"]) == "What did Brown promise?"
    harry = ["Why did Prince Harry apologise?"]
    assert "apologise" in borrowed_text(read_question("and michael howard?"), harry)
    chain = [*harry, "And Michael Howard?"]
    assert borrowed_text(read_question("And Tony Blair?"), chain).split() == ["And", "Why", "did", "apologise"]
    deep = borrowed_text(read_question("and more?"), [f"and {n}?" for n in "abcdefgh"])
    assert deep.count("and") <= 4, "a long chain of follow-ups borrows a few questions, not all"
