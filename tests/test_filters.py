"""Filters: by article or folder, by source or site, by date — from the API and from the question itself."""

from __future__ import annotations

import pytest

import askdoc
from askdoc.filters import Filter, split_question


def article(id, date=None, source=None, url=None, text=None):
    # Each text its own: a passage that repeats another word for word is shown once (test_ranking).
    text = text or f"The minister spoke about the budget, said {id.replace('/', ' ')}."
    return askdoc.Article(id=id, title=id, text=text, date=date, source=source, url=url)


@pytest.fixture
def index():
    return askdoc.Index.from_articles(
        [
            article("uk/a", "2024-08-30", "BBC News", "https://www.bbc.co.uk/news/a"),
            article("uk/b", "2024-09-01", "BBC News", "https://www.bbc.co.uk/news/b"),
            article("us/c", "2024-09-15", "Example Times", "https://news.example.com/c"),
            article("us/d", None, "Example Times"),
            article("other", "2025-01-02", text="Zeppelin budget talks."),
        ]
    )


def ids(hits):
    return sorted(hit.article.id for hit in hits)


def test_question_syntax_is_split_from_the_words():
    rest, where = split_question('budget site:bbc.co.uk after:2024-09-01 before:2024-10 in:"uk" minister')
    assert rest == "budget minister"
    assert where == Filter(within=("uk",), sites=("bbc.co.uk",), since="2024-09-01", before="2024-10")
    assert where.describe() == "in:uk site:bbc.co.uk after:2024-09-01 before:2024-10"


def test_site_matches_subdomains_and_source_names(index):
    assert ids(index.search("budget site:bbc.co.uk", k=10)) == ["uk/a", "uk/b"]
    assert ids(index.search("budget site:example", k=10)) == ["us/c", "us/d"]


def test_date_range_is_inclusive_for_after_and_until_exclusive_for_before(index):
    assert ids(index.search("budget after:2024-09-01", k=10)) == ["other", "uk/b", "us/c"]
    assert ids(index.search("budget after:2024-09 before:2024-09-15", k=10)) == ["uk/b"]
    assert ids(index.search("budget until:2024-09", k=10)) == ["uk/a", "uk/b", "us/c"]
    assert ids(index.search("budget", k=10, where=Filter(since="2024", until="2024"))) == ["uk/a", "uk/b", "us/c"]


def test_in_takes_a_folder_or_an_article(index):
    assert ids(index.search("budget in:us", k=10)) == ["us/c", "us/d"]
    assert ids(index.search("budget in:uk/b", k=10)) == ["uk/b"]
    assert ids(index.search("budget in:u", k=10)) == []  # a folder, not a prefix of a name


def test_filter_applies_before_top_k(index):
    # "other" scores best overall; inside the filter the k answers still come back.
    assert index.search("zeppelin budget", k=1)[0].article.id == "other"
    hits = index.search("zeppelin budget in:uk", k=2)
    assert ids(hits) == ["uk/a", "uk/b"] and hits.scope == "in:uk"


def test_api_filter_and_question_filter_combine(index):
    hits = index.search("budget site:bbc", k=10, where=Filter(since="2024-09-01"))
    assert ids(hits) == ["uk/b"]
    assert hits.to_json()["filter"] == "site:bbc after:2024-09-01"


def test_nothing_inside_the_filter_gives_no_hits_and_says_so(index):
    from askdoc.render import no_match_message

    hits = index.search("budget site:nowhere.org", k=3)
    assert not hits and hits.matched and hits.scope_empty
    assert no_match_message(hits) == "no article of this corpus is within site:nowhere.org"
    assert hits.to_json()["filter_empty"] is True
    hits = index.search("zeppelin in:uk", k=3)  # articles are there, but none answers
    assert not hits and not hits.scope_empty and hits.to_json()["filter_empty"] is False
    assert no_match_message(hits) == "no passage answers this question within in:uk"
    hits = index.search("qwertyzz in:nowhere", k=3)  # no word matches either: the filter is still the news
    assert hits.scope_empty and hits.to_json()["filter_empty"] is True
    assert no_match_message(hits) == "no article of this corpus is within in:nowhere"
    hits = index.search("qwertyzz in:uk", k=3)
    assert hits.to_json()["filter_empty"] is False and no_match_message(hits) == "no passage mentions: qwertyzz"


def test_in_takes_a_folder_as_a_shell_spells_it(index):
    assert ids(index.search("budget in:./us/", k=10)) == ["us/c", "us/d"]
    assert len(index.search("budget in:.", k=10)) == 5  # the corpus folder itself


def test_a_script_may_give_one_folder_or_site_as_a_string(index):
    assert ids(index.search("budget", k=10, where=Filter(within="us"))) == ["us/c", "us/d"]
    assert ids(index.search("budget", k=10, where=Filter(sites="bbc.co.uk", within=["uk/b"]))) == ["uk/b"]
    assert not Filter(within=None, sites=None)  # None: no filter of that kind


def test_a_script_may_give_paths_dates_a_web_address_or_filter_words(index):
    import datetime as dt
    from pathlib import Path

    assert ids(index.search("budget", k=10, where=Filter(within=Path("us")))) == ["us/c", "us/d"]
    assert ids(index.search("budget", k=10, where=Filter(within=[Path("uk/b")]))) == ["uk/b"]
    assert ids(
        index.search("budget", k=10, where=Filter(since=dt.date(2024, 9, 1), until=dt.datetime(2024, 9, 2)))
    ) == ["uk/b"]
    assert Filter(since=2025) == Filter(since="2025")
    assert ids(index.search("budget", k=10, where=Filter(sites="https://www.bbc.co.uk/news"))) == ["uk/a", "uk/b"]
    assert ids(index.search("budget", k=10, where="in:us after:2024-09")) == ["us/c"]
    assert [row["id"] for row in index.catalog("site:example")] == ["us/c", "us/d"]
    with pytest.raises(askdoc.FilterError, match="where takes filter words"):
        index.search("budget", where="budget in:us")
    with pytest.raises(TypeError, match="takes a string or a list of strings"):
        Filter(within=[3])


def test_two_until_values_keep_the_narrower_whatever_their_shape(index):
    assert split_question("budget until:2024 until:2024-08")[1].until == "2024-08"
    assert (Filter(until="2024-08") & Filter(until="2024")).until == "2024-08"
    assert (Filter(until="2024-08-31") & Filter(until="2024-09")).until == "2024-08-31"
    assert ids(index.search("budget until:2024 until:2024-08", k=10)) == ["uk/a"]
    assert ids(index.search("budget until:2024", k=10, where=Filter(until="2024-08"))) == ["uk/a"]


def test_slips_in_filter_words_get_the_meant_filter_or_a_clear_error(index):
    assert split_question('budget in:"uk')[1].within == ("uk",)  # the closing quote forgotten
    assert len(index.search("budget", k=10, where="   ")) == 5  # no words: no filter, every article answers
    with pytest.raises(TypeError, match="takes a string or a list of strings, not 123"):
        Filter(within=123)


@pytest.mark.parametrize("bad", ["2024-13", "2024-02-30", "yesterday", "24"])
def test_unreadable_dates_are_a_clear_error(index, bad):
    with pytest.raises(askdoc.FilterError, match="a date filter needs a date like"):
        index.search(f"budget after:{bad}")
    for kind in ("until", "before", "after"):  # a second value is read too, not dropped for the first
        with pytest.raises(askdoc.FilterError, match="a date filter needs a date like"):
            index.search(f"budget {kind}:2024 {kind}:{bad}")


def test_dates_a_script_gives_in_other_shapes_are_no_dates_to_filter_by():
    index = askdoc.Index.from_articles(
        [
            article("iso", "2024-09-05T10:00:00"),
            article("short", "2024-9-5"),
            article("us", "05/09/2024"),
            article("words", "September 5, 2024"),
            article("year", "2024"),
        ]
    )
    assert ids(index.search("budget after:2024-09-01", k=10)) == ["iso"]
    assert ids(index.search("budget until:2024", k=10)) == ["iso", "year"]
    assert len(index.search("budget", k=10)) == 5  # unfiltered, every article answers
