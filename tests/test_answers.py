"""The answer inside the quote: the name, figure, date or place that answers, verbatim."""

from __future__ import annotations

import pytest

import askdoc
from askdoc.answers import answer_span
from askdoc.model import Quote
from askdoc.question import question_words

FERRY = askdoc.Article(
    id="ferry",
    title="Ferry news",
    text=(
        "The ferry company said on Monday that its chief executive, Anna Berg, would step down.\n\n"
        "Profits at the ferry company rose to £12.5m in 2004, up from £9m, on 1.2 million passengers.\n\n"
        "The new route to Bilbao opens on 3 March, the company said.\n\n"
        "Fares rose because fuel costs doubled."
    ),
)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who is the chief executive of the ferry company?", "Anna Berg"),
        ("How much did profits at the ferry company rise to?", "£12.5m"),
        ("How many passengers did the ferry carry?", "1.2 million"),
        ("When does the new route to Bilbao open?", "3 March"),
        ("Where does the new route go?", "Bilbao"),
        ("bilbao route opening date", "3 March"),  # a search typed without a question word
        ("ferry company chief executive", None),  # its last noun says nothing of the answer's kind
    ],
)
def test_the_answer_is_marked_inside_the_quote_verbatim(question, expected):
    hit = askdoc.Index.from_articles([FERRY]).search(question, k=1)[0]
    if expected is None:
        assert hit.answer is None
        return
    assert hit.answer is not None and hit.answer.text == expected
    assert hit.article.text[hit.answer.start : hit.answer.end] == hit.answer.text
    assert hit.quote.start <= hit.answer.start < hit.answer.end <= hit.quote.end
    assert hit.to_json()["answer"] == {"start": hit.answer.start, "end": hit.answer.end, "text": expected}


def test_a_why_or_say_question_has_no_answer_span_the_quote_is_the_answer():
    index = askdoc.Index.from_articles([FERRY])
    assert index.search("Why did fares rise?", k=1)[0].answer is None
    assert index.search("What did the ferry company say about Bilbao?", k=1)[0].answer is None


def test_what_the_question_already_says_is_not_its_answer():
    text = "Berlin said the talks in Paris would resume."
    quote = Quote(0, len(text), text)
    found = answer_span(text, quote, "place", question_words("Where will the Berlin talks resume?"), [(24, 29)])
    assert found is not None and found.text == "Paris"
    assert answer_span(text, quote, "place", question_words("Did Berlin and Paris talk?"), []) is None


def test_of_two_candidates_the_one_nearest_the_question_words_answers():
    text = "Smith chaired the board, while the audit was led by Jones."
    spans = [(35, 40)]  # "audit"
    found = answer_span(text, Quote(0, len(text), text), "person", question_words("Who led the audit?"), spans)
    assert found is not None and found.text == "Jones"


def test_the_answer_is_underlined_in_the_quote_on_a_terminal_and_in_the_chat():
    from askdoc import render
    from askdoc.tui.content import ANSWER_STYLE, quote_content

    hit = askdoc.Index.from_articles([FERRY]).search("When does the new route to Bilbao open?", k=1)[0]
    shown = render.quote_text(hit)
    underlined = {shown.plain[span.start : span.end] for span in shown.spans if "underline" in str(span.style)}
    assert underlined == {"3 March"}
    chat = quote_content(hit)
    assert {chat.plain[span.start : span.end] for span in chat.spans if span.style == ANSWER_STYLE} == {"3 March"}


REVIEWED = askdoc.Article(
    id="reviewed",
    title="Local business",
    text=(
        "Brazilian midfielder Lucas Ferreira joined the club from Porto last summer.\n\n"
        "The chip factory, a £1.2bn investment, will create 900 jobs by 2027.\n\n"
        "Turnout rose to 53% in the ward.\n\n"
        "The firm was founded by Ostrander & Vale in 1911.\n\n"
        "A dealer found the stolen painting in Antwerp, Belgium."
    ),
)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which club did Ferreira come from?", "Porto"),  # not "Lucas Ferreira", the question's subject
        ("How many jobs will the chip factory create?", "900"),  # a count, not the £1.2bn sum
        ("What percentage was the turnout in the ward?", "53%"),
        ("Who founded the firm?", "Ostrander & Vale"),
        ("Where was the stolen painting found?", "Antwerp, Belgium"),  # not "A" opening the sentence
    ],
)
def test_answers_a_user_review_found_wrong(question, expected):
    hit = askdoc.Index.from_articles([REVIEWED]).search(question, k=1)[0]
    assert hit.answer is not None and hit.answer.text == expected, hit.quote.text
