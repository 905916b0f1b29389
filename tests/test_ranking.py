"""Reranking and quoting on small articles: answer type, phrases, proximity, follow-ups, weak answers."""

from __future__ import annotations

import pytest

import askdoc
from askdoc import render
from askdoc.ranking import Weights

BRIDGE = askdoc.Article(
    id="bridge",
    title="City news",
    text=(
        "The harbour bridge design drew praise. Critics said the bridge design was bold, and the design "
        "of the bridge won a prize.\n\n"
        "Maria Lopez led the team that made the bridge design, after a contest.\n\n"
        "The museum reopened after repairs to its roof.\n\n"
        "The museum, closed for repairs, reopened in March 2004 with a new roof.\n\n"
        "Workers at the plant were told that the plant would close and that workers would be paid.\n\n"
        "The plant employed 2,000 workers."
    ),
)
NO_ANSWER = Weights(learned=False, proximity=0.0, title=0.0, article=0.0, answer=0.0)


def index_of(*articles: askdoc.Article) -> askdoc.Index:
    return askdoc.Index.from_articles(list(articles))


def assert_verbatim(hit: askdoc.Hit) -> None:
    assert hit.article.text[hit.quote.start : hit.quote.end] == hit.quote.text
    assert hit.passage.start <= hit.quote.start < hit.quote.end <= hit.passage.end


def test_who_question_prefers_the_passage_with_a_name():
    index = index_of(BRIDGE)
    weights = NO_ANSWER
    assert "Maria Lopez" not in index.search("Who was behind the bridge design?", k=1, weights=weights)[0].passage.text
    weights = Weights(learned=False)
    top = index.search("Who was behind the bridge design?", k=1, weights=weights)[0]
    assert "Maria Lopez" in top.quote.text
    assert_verbatim(top)


@pytest.mark.parametrize(
    ("question", "absent", "quoted"),
    [
        ("When did the museum reopen after repairs?", "2004", "March 2004"),  # when -> a date
        ("How many workers did the plant have?", "2,000", "2,000"),  # how many -> a number
    ],
)
def test_answer_type_prefers_the_passage_with_the_wanted_kind_of_answer(question, absent, quoted):
    index = index_of(BRIDGE)
    weights = NO_ANSWER
    assert absent not in index.search(question, k=1, weights=weights)[0].passage.text
    weights = Weights(learned=False)
    assert quoted in index.search(question, k=1, weights=weights)[0].quote.text


def test_quote_is_the_sentence_with_the_wanted_kind_of_answer():
    text = "The company said profits rose. Profits at the company rose by £40m, the company said. Shares fell."
    (hit,) = index_of(askdoc.Article(id="a", title="T", text=text)).search("How much did company profits rise?")
    assert hit.quote.text == "Profits at the company rose by £40m, the company said."


def test_quoted_phrase_ranks_passages_holding_it_first():
    articles = [
        askdoc.Article(id="loose", title="A", text="The red paint on the line was red, very red, by the line."),
        askdoc.Article(
            id="phrase",
            title="B",
            text="Putin drew a red line over long-range strikes, arms supplies, sanctions and other matters of state.",
        ),
        askdoc.Article(id="other", title="C", text="Nothing here is about colours."),  # so that idf is positive
    ]
    index = index_of(*articles)
    weights = NO_ANSWER
    assert index.search("red line", k=1, weights=weights)[0].article.id == "loose"
    assert index.search('"red line"', k=1, weights=weights)[0].article.id == "phrase"


def test_title_counts_as_context_for_its_passages():
    articles = [
        askdoc.Article(id="eel", title="Eel migration", text="They swim to the Sargasso Sea to spawn."),
        askdoc.Article(id="turtle", title="Turtles", text="Sea turtles swim far. Turtles spawn on beaches."),
    ]
    index = index_of(*articles)
    weights = NO_ANSWER
    assert index.search("where do eels spawn in the sea", k=1, weights=weights)[0].article.id == "turtle"
    weights = Weights(learned=False)
    assert index.search("where do eels spawn in the sea", k=1, weights=weights)[0].article.id == "eel"


def test_terms_close_together_rank_above_scattered_ones():
    articles = [
        askdoc.Article(
            id="far", title="A", text="Nuclear plants were discussed. Later, in another debate, weapons were."
        ),
        askdoc.Article(id="near", title="B", text="He spoke about nuclear weapons today, and about plants."),
    ]
    index = index_of(*articles)
    assert index.search("nuclear weapons plants", k=1)[0].article.id == "near"


def test_follow_ups_borrow_names_and_predicates():
    articles = [
        askdoc.Article(id="volodin", title="A", text="Volodin warned of a tough response with powerful weapons."),
        askdoc.Article(id="putin-warn", title="B", text="Putin warned the West about a direct war."),
        askdoc.Article(id="putin-farm", title="C", text="Putin visited a farm and spoke about grain."),
        askdoc.Article(id="nuclear", title="D", text="Nuclear doctrine was changed by the Kremlin, he said."),
    ]
    index = index_of(*articles)
    assert index.search("And Putin?", k=1, context=["What did Volodin warn?"])[0].article.id == "putin-warn"
    hits = index.search("what did he say about grain?", k=1, context=["Who is Putin?"])
    assert hits[0].article.id == "putin-farm" and "putin" in hits.matched


def test_question_about_a_missing_name_is_weak_but_still_answered():
    index = index_of(BRIDGE)
    hits = index.search("What did Macron tell the museum about its roof?")
    assert hits and hits.weak and hits.missing == ("macron",)
    assert hits.to_json()["weak"] is True
    sure = index.search("When did the museum reopen?")
    assert sure and not sure.weak


def test_overlong_sentence_is_quoted_by_its_clauses():
    clauses = [f"the committee {word} its report on page {n}" for n, word in enumerate(["read", "wrote", "filed"], 1)]
    long_sentence = ", ".join(clauses + ["and the harbour toll rose to 40 cents"] + clauses) + "."
    text = long_sentence + " " + "Nothing else happened that year in the town at all. " * 3
    (hit,) = index_of(askdoc.Article(id="a", title="T", text=text)).search("How much did the harbour toll rise to?")
    assert "harbour toll rose to 40 cents" in hit.quote.text
    assert len(hit.quote.text) <= max(250, len(hit.passage.text) // 2)
    assert_verbatim(hit)


def test_cli_answers_a_weak_question_with_a_warning_and_exit_0(tmp_path):
    from click.testing import CliRunner

    from askdoc.cli import cli
    from conftest import write_corpus

    root = write_corpus(tmp_path / "c", {"city.txt": "City news\n\n" + BRIDGE.text})
    result = CliRunner().invoke(cli, ["query", "--corpus", str(root), "What did Macron tell the museum?"])
    assert result.exit_code == 0
    assert "no passage mentions macron; these passages match only the rest of the question" in result.stderr
    assert "museum" in result.stdout


def test_quote_starting_with_a_pronoun_brings_the_sentence_that_names_who():
    text = "The 2004 winner was Paul Cavanagh. He lifted the Lit Idol prize after reading from his novel. Rain fell."
    (hit,) = index_of(askdoc.Article(id="a", title="T", text=text)).search("Who lifted the Lit Idol prize?")
    assert (
        hit.quote.text
        == "The 2004 winner was Paul Cavanagh. He lifted the Lit Idol prize after reading from his novel."
    )


def test_a_why_quote_takes_the_neighbouring_sentence_that_gives_the_reason():
    text = (
        "Drinks giant Kelso said its turnover fell to 8.9bn pounds in the half year, from 9.3bn a year earlier. "
        "It blamed a weaker dollar. Its shares closed higher in London. Analysts expect the new gin to sell well."
    )
    index = index_of(askdoc.Article(id="a", title="Kelso results", text=text))
    (hit,) = index.search("Why did Kelso's turnover fall?")
    assert "It blamed a weaker dollar." in hit.quote.text
    assert hit.quote.text.startswith("Drinks giant Kelso said its turnover fell")
    (plain,) = index.search("How much did Kelso's turnover fall to?")  # not a why: the figure's sentence alone
    assert "blamed" not in plain.quote.text
    assert_verbatim(hit)


def test_a_say_quote_takes_the_quotation_beside_the_sentence_that_names_the_speaker():
    text = (
        "Harbour master Ann Lowe said on Monday that she had heard enough about the ferry queues. "
        '"Nobody should wait two hours for a boat," she told reporters. The toll starts in May.'
    )
    (hit,) = index_of(askdoc.Article(id="a", title="Toll", text=text)).search(
        "What did Ann Lowe say about the ferry queues?"
    )
    assert hit.quote.text.startswith("Harbour master Ann Lowe said on Monday")
    assert '"Nobody should wait two hours for a boat," she told reporters.' in hit.quote.text
    assert_verbatim(hit)


@pytest.mark.parametrize("opening, closing", [('"', '"'), ("\u201c", "\u201d")])
def test_a_quote_does_not_begin_inside_a_quotation(opening, closing):
    said = f"{opening}We will not give in to threats. The budget stays as it is and nothing will change that,{closing}"
    text = f"The minister spoke on Monday. {said} she told reporters in Brussels. Rain fell."
    (hit,) = index_of(askdoc.Article(id="a", title="T", text=text)).search("what did the minister tell reporters?")
    assert hit.quote.text == f"{said} she told reporters in Brussels."
    closed = (
        f"The minister said {opening}no{closing} twice. Aides told reporters in Brussels about the budget. Rain fell."
    )
    (hit,) = index_of(askdoc.Article(id="b", title="T", text=closed)).search(
        "what did aides tell reporters in Brussels?"
    )
    assert hit.quote.text.startswith("Aides told reporters")  # a quotation closed before is no reason to go back


@pytest.mark.parametrize("opening, closing", [('"', '"'), ("\u201c", "\u201d")])
def test_a_quotation_reopened_paragraph_by_paragraph_is_followed_to_the_opening_the_quote_is_in(opening, closing):
    """News copy opens each paragraph of a long quotation again without closing the last: "A. "B. C." """
    text = (
        f"{opening}Maybe when I turn 60 and have been managing in the same league for twenty years and have the "
        f"respect of everybody I will have the power to make them tremble. {opening}The referee controlled the game "
        "one way in the first half and another way in the second. Fault followed fault and dive followed dive, "
        f"said nobody.{closing} Rain fell on the stadium all evening."
    )
    (hit,) = index_of(askdoc.Article(id="a", title="T", text=text)).search("fault followed fault, dive followed dive")
    assert hit.quote.text.startswith(f"{opening}The referee controlled the game"), hit.quote.text
    (hit,) = index_of(askdoc.Article(id="b", title="T", text=text)).search("referee controlled the game")
    assert hit.quote.text.startswith(f"{opening}The referee controlled"), "a quote opening a paragraph of it stays"


def test_a_quotation_broken_off_or_never_closed_is_no_reason_to_go_back():
    cut = (
        'The keeper shouted at the linesman for most of the second half. "I was going to say -" the goalkeeper '
        "stopped. The referee then booked the goalkeeper for dissent in the final minute of the match. Rain fell."
    )
    (hit,) = index_of(askdoc.Article(id="a", title="T", text=cut)).search("referee booked the goalkeeper for dissent")
    assert hit.quote.text.startswith("The referee then booked"), hit.quote.text
    unclosed = (
        'The coach said: "So I am now used to the fact that this happens at every ground we visit in the league. '
        'Meanwhile, the FA spokesman said the case was closed, "as far as we are concerned". Rain fell.'
    )
    (hit,) = index_of(askdoc.Article(id="b", title="T", text=unclosed)).search("what did the FA spokesman say?")
    assert hit.quote.text.startswith("Meanwhile, the FA spokesman"), hit.quote.text


def test_an_exported_answer_says_what_the_chat_says_above_it_and_its_quotes_stay_text():
    from askdoc.render import hits_markdown

    for marker in ("#", "-", ">"):
        text = f"Intro line here.\n\n{marker} not a heading: the museum roof was mended in May."
        index = index_of(askdoc.Article(id="a", title="T", text=text))
        markdown = hits_markdown(index.search("The museum roof narwhal"))
        assert "*Not in any article: narwhal*" in markdown
        assert f"> \\{marker} not a heading: the museum roof" in markdown  # not a heading, list or quote
    assert "*Filtered: in:a*" in hits_markdown(index.search("museum roof in:a"))


def test_a_sentence_without_a_word_of_the_question_is_not_quoted_for_its_articles_title():
    """The title's terms count for a sentence only beside words of its own: with a name (the wanted
    answer) and no question word, "Babyshambles played…" outweighed the sentence naming Doherty."""
    text = (
        "Rocker Doherty in on-stage fight\n\nPete Doherty was involved in an on-stage fight at a gig in London.\n\n"
        "Babyshambles played for 5,000 fans at London's Brixton Academy on Tuesday. The former Libertines singer "
        "traded blows with guitarist Patrick Walden. On Monday Doherty faced blackmail charges in court.\n"
    )
    index = index_of(askdoc.article_from_text("a", text))
    second = index.search("Who did Pete Doherty fight on stage?", k=2)[1]
    assert second.passage.paragraph == 2 and "Doherty" in second.quote.text, second.quote.text


def test_weak_answer_names_only_the_missing_names_and_rare_words():
    from askdoc.render import hits_markdown, weak_message

    index = index_of(BRIDGE)
    hits = index.search("What did Macron think about the museum roof?")  # "think": missing, but no news
    assert hits.weak and hits.missing == ("macron", "think") and hits.weak_words == ("macron",)
    assert weak_message(hits).startswith("no passage mentions macron; ")
    assert "*No passage mentions macron; these passages match only the rest of the question.*" in hits_markdown(hits)
    assert "no passage mentions" not in hits_markdown(index.search("When did the museum reopen?"))
    rare = index.search("What did Macron say to the zeitgeber about the museum roof?")
    assert rare.weak and rare.weak_words == ("macron", "zeitgeber")
    assert not index.search("Did the zeitgeber shut the museum?").weak  # only names and numbers make it weak
    lower = index.search("what did macron say about the museum roof?")  # typed in lower case: no name shows
    assert lower.weak and lower.weak_words == ("macron",)
    assert index.search("When did the museum reopen?").weak_words == ()


def test_a_missing_name_with_an_inner_capital_counts_as_a_name():
    """ "iPhone" begins in lower case but is a name all the same: a question about it that no article
    mentions is flagged and says so, as "Macron" would be (a lower-case rare word in such a question is not)."""
    from askdoc.render import weak_message

    index = index_of(BRIDGE)
    hits = index.search("How much did the museum pay for its iPhone?")
    assert hits.weak and hits.weak_words == ("iphone",)
    assert weak_message(hits).startswith("no passage mentions iphone; ")


@pytest.mark.parametrize("max_per_article", [None, 1])
def test_a_passage_saved_twice_is_shown_once_naming_the_copy_and_the_next_answer_takes_its_place(max_per_article):
    story = "Ministers agreed the harbour budget.\n\nThe harbour budget rose to 4 million pounds, the council said."
    copy = story.replace("the council said", "the council  said").replace("The harbour", "THE harbour")
    other = "The harbour budget was cut in 2003, the mayor said."
    index = index_of(
        askdoc.Article(id="wire/original", title="Budget", text=story),
        askdoc.Article(id="paper/copy", title="Budget agreed", text=copy),  # same words, other spacing and case
        askdoc.Article(id="other", title="Earlier", text=other),
    )
    hits = index.search("How much did the harbour budget rise?", k=3, max_per_article=max_per_article)
    texts = [" ".join(hit.passage.text.split()).casefold() for hit in hits]
    assert len(texts) == len(set(texts))  # no quote twice
    assert hits[0].quote.text.startswith(("The harbour budget rose", "THE harbour budget rose"))
    assert "other" in {hit.article.id for hit in hits}  # the slot a copy would have taken
    top = hits[0]
    assert {top.article.id, *top.also_in} == {"wire/original", "paper/copy"}  # the copy is named, not lost
    assert top.to_json()["also_in"] == list(top.also_in)
    assert f"also in {top.also_in[0]}" in render.hits_plain(hits).splitlines()[0]
    assert next(hit for hit in hits if hit.article.id == "other").also_in == ()
    for hit in hits:
        assert_verbatim(hit)
    # Both copies stay in the index and are found on their own.
    assert index.search("harbour budget rose in:paper")[0].article.id == "paper/copy"


def test_question_weight_of_terms_does_not_depend_on_the_order_the_set_holds_them():
    from askdoc.quotes import weight_of

    # Float sums depend on order: 0.1 + 0.2 + 0.3 != 0.3 + 0.2 + 0.1. A set's order changes with
    # each process's string hashing, so summing in it gave a quote one run and another the next.
    weights = {"a": 0.1, "b": 0.2, "c": 0.3, "d": 5.0}
    in_question_order = 0.1 + 0.2 + 0.3
    assert in_question_order != 0.3 + 0.2 + 0.1
    for held in (["c", "b", "a"], ["a", "b", "c"], ("b", "c", "a"), {"c", "a", "b"}):
        assert weight_of(weights, held) == in_question_order
