"""Documents as sources: read news articles (plain text or HTML), record each as a
``Source`` and link it to the entities of the graph it mentions.

    with kb.connect() as k:
        k.load()
        report = ingest(k, ["2012-11-17-japan-india.txt"], publisher="The Straits Times")

The pipeline, per article: read (HTML → text lines) → drop boilerplate lines (ad-blocker
and browser notices, cookie banners, navigation words) → take the first title-like line
as the title and a short date line as the date → match the graph's own names and aliases
(plus demonyms and common forms) with one Aho-Corasick automaton per letter case → link
agreements whose parties are mentioned next to a word like *memorandum* → turn quantities
in sentences that mention an entity into candidate claims → write.

What is written, all by MERGE on natural keys (ingesting again changes nothing):

* ``(:Source {id: 'article-<date>-<slug>', kind: 'news', origin: 'ingest', text, sha256, ...})``;
* ``(:Source)-[:MENTIONS {count, offsets, forms, sources}]->(entity)``; ``offsets`` are
  character offsets into the Source's ``text`` and ``forms`` the text found at each;
* ``(:Source)-[:SUGGESTS]->(:CandidateClaim {status: 'candidate', text, quantity, unit, subject,
  becomes, ...})``, the claim ``SOURCED_FROM`` the Source and ``ABOUT`` the entities of its
  sentence (``role: 'subject'`` for the one the figure is about, ``'context'`` for the others; see
  `kb.ingest.claims`). Candidate claims are for review; they never change curated figures.

`kb.ingest.watch` (``kb watch``) brings articles in by itself: one polite pass over RSS, Atom and
sitemap feeds, each new article through `ingest`.

How names are matched (deliberately, so short names do not fire on ordinary words):

* Element, Commodity, Use and Technology names are common nouns: matched ignoring case and
  accents. So are multi-word names of anything ("Toyota Tsusho", "European Union").
* A one-word name of a Country, Organisation, Facility, Dispute, Measure, Agreement or Event
  ("Japan", "Lynas", "Commission") is a proper noun: matched with its capital (or in
  capitals, "TOKYO:"), not as a lower-case word.
* An acronym ("WTO", "REE", "DoD", "US") must appear in capitals and is never matched in a
  line written all in capitals, where case says nothing ("LET US KNOW").
* Forms with fewer than three letters (element symbols "Nd", "Y"; ISO codes "IN", "IT") and
  numbers (stock tickers) are never matched, except the few in `EXTRA_FORMS` ("US", "EU",
  "UK"). The names come from each entity node's ``name``/``title`` and ``aliases`` (its
  ``names_lc`` also holds keys and ISO2 codes, which are not names people write). A form
  naming two entities is dropped (`Lexicon.ambiguous`).
* Matches are whole words; the longest wins where they overlap ("Indian Rare Earths" is
  IREL, not India; "Indian Ocean" is nothing).
"""

from kb.ingest.claims import candidate_claims
from kb.ingest.errors import IngestError
from kb.ingest.lexicon import EXTRA_FORMS, Lexicon, load_lexicon
from kb.ingest.match import Mention, agreement_mentions, find_mentions
from kb.ingest.read import Article, article_paths, parse_date, read_article
from kb.ingest.write import ArticleReport, IngestReport, ingest

__all__ = ["EXTRA_FORMS", "Article", "ArticleReport", "IngestError", "IngestReport", "Lexicon", "Mention",
           "agreement_mentions", "article_paths", "candidate_claims", "find_mentions", "ingest", "load_lexicon",
           "parse_date", "read_article"]
