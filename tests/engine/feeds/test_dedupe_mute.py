"""Dedupe fingerprints and mute rules, as pure functions."""

from datetime import UTC, datetime, timedelta

from engine.articles import Article
from engine.feeds.dedupe import title_key, unique_articles
from engine.feeds.mute import MuteRule, is_muted

DAY = datetime(2026, 11, 24, tzinfo=UTC)


def article(
    title: str, link: str = "", when: datetime = DAY, source: str = "Wire", summary: str = ""
) -> Article:
    return Article(
        title=title,
        link=link or f"https://e.org/{abs(hash(title))}",
        source=source,
        published=when,
        summary=summary,
    )


def test_title_key_ignores_case_accents_punctuation_and_source_suffix():
    assert title_key("Zürich Café Re-opens!") == title_key("zurich cafe re opens") == "zurich cafe re open"
    assert title_key("Storm hits the coast - BBC News") == title_key("Storm hits the coast | Reuters")
    assert title_key("Photos") == "", "too short to call two items the same story"


def test_near_identical_headlines_share_a_key_and_other_stories_do_not():
    same = [
        "Central bank raises interest rates to fight inflation",
        "Central Bank Raises the Interest Rate to Fight Inflation - Wire",
        "Central bank raises interest rates to fight inflation | The Daily",
    ]
    assert len({title_key(t) for t in same}) == 1
    different = [
        "Central bank cuts interest rates to fight recession",
        "Central bank raises interest rates to fight inflation again",
        "Regional bank raises interest rates to fight inflation",
    ]
    assert all(title_key(t) != title_key(same[0]) for t in different)
    assert title_key("Dog bites man") != title_key("Man bites dog"), "word order still tells stories apart"
    assert title_key("Feed 3 item 7") != title_key("Feed 7 item 3")


def test_unique_articles_by_link_and_by_title_within_three_days():
    kept = unique_articles(
        [
            article("Moon landing planned for spring", "https://a.org/moon"),
            article("Another headline entirely", "https://a.org/moon"),  # same link
            article("MOON LANDING PLANNED FOR SPRING - The Daily", "https://b.org/x"),  # same title
            article(
                "Moon landing planned for spring", "https://c.org/y", when=DAY + timedelta(days=10)
            ),  # later story
        ]
    )
    assert [a.link for a in kept] == ["https://a.org/moon", "https://c.org/y"]


def test_keyword_mutes_match_whole_words_in_title_or_summary():
    war = MuteRule("keyword", "war")
    assert war.matches(article("War games begin"))
    assert war.matches(article("Talks begin", summary="Ten years of WAR ended."))
    assert not war.matches(article("Award for Warsaw's best baker"))
    assert MuteRule("keyword", "royal family").matches(article("The Royal Family visits"))
    assert not MuteRule("keyword", "  ").matches(article("Anything"))


def test_source_mutes_match_feed_names_and_sites():
    rules = [MuteRule("source", "Gossip Daily"), MuteRule("source", "www.tabloid.example")]
    assert is_muted(article("Story", source="gossip daily"), rules)
    assert is_muted(article("Story", link="https://news.tabloid.example/x"), rules)
    assert not is_muted(article("Story", link="https://nottabloid.example/x"), rules)
    assert not is_muted(article("Story", source="Harbour Times"), rules)
