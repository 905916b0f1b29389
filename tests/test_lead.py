"""A passage read in its article: the lead paragraph as context for the paragraphs after it, in ranking and quotes."""

from __future__ import annotations

import pytest

import askdoc
from askdoc.quotes import best_quote
from askdoc.ranking import PROMOTED_BY, Weights
from askdoc.sentences import sentence_spans

HAMM = askdoc.Article(
    id="hamm",
    title="Football legend bows out",
    text=(
        "Women's football legend Mia Hamm has played her final game.\n\n"
        "Hamm ends her career with 158 international goals, more than any other player. She will now start a "
        "new life with her husband, the baseball player Nomar Garciaparra, who watched from the stands.\n\n"
        "The United States beat Mexico 5-0 in the farewell match in California."
    ),
)
BUDGET = askdoc.Article(
    id="budget",
    title="Date set for the spring statement",
    text=(
        "Chancellor Gordon Brown will deliver his Budget on 16 March, the Treasury has announced.\n\n"
        "Mr Brown will deliver the Budget to the Commons just after Prime Minister's questions, and it is "
        "expected to set out much of the tax and spending battleground for the election."
    ),
)
OTHERS = [
    askdoc.Article(id="tennis", title="Tennis", text="The tennis final was played in the rain on a grass court."),
    askdoc.Article(id="farm", title="Farming", text="Farmers sold grain and wool at the market on Friday."),
    askdoc.Article(id="film", title="Cinema", text="The film opened in cinemas across the country last week."),
]


def index_of(*articles: askdoc.Article) -> askdoc.Index:
    return askdoc.Index.from_articles([*articles, *OTHERS])


def test_a_later_paragraph_that_answers_takes_the_place_of_the_lead_that_restates_the_question():
    index = index_of(HAMM, BUDGET)
    weights = Weights(learned=False, lead=False)
    assert (
        index.search("Who is Mia Hamm's husband?", k=1, weights=weights)[0].passage.paragraph == 1
    )  # short, and says "Mia Hamm"
    weights = Weights(learned=False)
    first, second = index.search("Who is Mia Hamm's husband?", k=2, weights=weights)
    assert (first.article.id, first.passage.paragraph) == ("hamm", 2)
    assert "Nomar Garciaparra" in first.quote.text
    assert first.article.text[first.quote.start : first.quote.end] == first.quote.text
    assert (second.article.id, second.passage.paragraph) == ("hamm", 1)  # the lead comes right after it
    assert first.score == pytest.approx(second.score + PROMOTED_BY)  # the lead's place, no more, shown above it


def test_the_lead_stays_first_when_it_holds_the_answer_the_later_paragraph_lacks():
    index = index_of(HAMM, BUDGET)
    # the second paragraph holds every word of the question and more ("Commons"), but no date
    top = index.search("When will Gordon Brown deliver his Budget to the Commons?", k=1)[0]
    assert (top.article.id, top.passage.paragraph) == ("budget", 1)
    assert "16 March" in top.quote.text


def test_the_article_order_does_not_change():
    index = index_of(HAMM, BUDGET)
    for question in ("Who is Mia Hamm's husband?", "How many international goals did Hamm score in the final?"):
        weights = Weights(learned=False, lead=False, feedback=0.0)  # (feedback widens from each article's best passage)
        before = [hit.article.id for hit in index.search(question, k=10, max_per_article=1, weights=weights)]
        weights = Weights(learned=False, feedback=0.0)
        after = [hit.article.id for hit in index.search(question, k=10, max_per_article=1, weights=weights)]
        assert after == before


def test_a_sentence_is_quoted_as_read_in_its_article():
    text = (
        "The disco band beat the Red Hot Chili Peppers, who came second for their Hyde Park show. "
        "The crowd of 50,000 stayed until dawn. A disc jockey said the Scissor Sisters came to the gig as newcomers and left as the Scissor Sisters."
    )
    sentences = sentence_spans(text)
    weights = {"came": 1.0, "second": 1.5, "scissor": 3.0, "sister": 2.5}
    spans = [
        (term, m, m + len(word))
        for term, word in (("came", "came"), ("second", "second"), ("scissor", "Scissor"), ("sister", "Sisters"))
        for m in _all(text, word)
    ]
    alone = best_quote(text, sentences, spans, weights, "person", frozenset({"who", "came", "second"}))
    assert alone.text.startswith("A disc jockey")  # the band's name outweighs "came second"
    assert "Chili Peppers" not in alone.text
    # the lead and title name the band: every sentence of the paragraph after the lead carries it
    read = best_quote(text, sentences, spans, weights, "person", frozenset({"who", "came", "second"}),
                      {"scissor": 1.0, "sister": 1.0})  # fmt: skip
    assert read.text == "The disco band beat the Red Hot Chili Peppers, who came second for their Hyde Park show."


def test_what_did_x_say_prefers_what_was_said():
    articles = [
        askdoc.Article(
            id="tour", title="Port", text="The minister toured the harbour plan site and spoke on the harbour plan."
        ),
        askdoc.Article(
            id="said", title="Port", text='"The harbour plan will flood the town," the minister told reporters.'
        ),
    ]
    index = index_of(*articles)
    weights = Weights(learned=False, answer=0.0)
    assert (
        index.search("What did the minister say about the harbour plan?", k=1, weights=weights)[0].article.id == "tour"
    )
    weights = Weights(learned=False)
    assert (
        index.search("What did the minister say about the harbour plan?", k=1, weights=weights)[0].article.id == "said"
    )


def _all(text: str, word: str) -> list[int]:
    out, start = [], text.find(word)
    while start >= 0:
        out.append(start)
        start = text.find(word, start + 1)
    return out


def test_a_passage_taking_its_leads_place_shows_a_score_above_the_leads():
    """Reordered hits printed identical scores (60.16 / 60.16): each hit shows the score that ordered it."""
    index = index_of(HAMM, BUDGET)
    weights = Weights(learned=False)
    hits = index.search("Who is Mia Hamm's husband?", k=2, weights=weights)
    assert hits[0].passage.paragraph > hits[1].passage.paragraph  # the later passage took the lead's place
    assert f"{hits[0].score:.2f}" != f"{hits[1].score:.2f}" and hits[0].score > hits[1].score
