"""General English words that shape a question, never words of any particular catalog.

A word may be passed over only if no reading of any catalog could use it: articles, pronouns,
prepositions, auxiliaries, question words and the verbs of asking. Nouns and adjectives that carry
meaning (company, amount, new, recent, only, distinct) are not here: the catalog gives them a
meaning (a synonym, a glossary term, a vocabulary entry) or the question is refused.
"""

from __future__ import annotations

ARTICLES = {"a", "an", "the"}
PRONOUNS = {"it", "its", "they", "them", "their", "theirs", "our", "ours", "we", "us", "me", "my", "mine", "i", "you",
            "your", "yours", "he", "she", "his", "her", "hers", "him", "itself", "themselves", "ourselves", "one", "ones"}
# ("each" and "every" are not here: "for each region" asks for a grouping, so they must be placed.)
DETERMINERS = {"this", "that", "these", "those", "all", "any", "some", "such", "both", "either"}
# ("per" is not here: "per X" always asks for a grouping or a rate, so it must be placed.)
PREPOSITIONS = {"of", "in", "on", "at", "to", "for", "from", "by", "with", "into", "onto", "about", "as", "via",
                "through", "within", "among", "amongst", "across", "than", "over", "under", "between",
                "during", "since", "until", "before", "after", "against", "along", "upon"}
CONJUNCTIONS = {"and", "or", "but", "nor", "so", "then", "also", "plus"}
AUXILIARIES = {"is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "done", "have", "has",
               "had", "having", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "get",
               "gets", "got", "there", "here", "whats", "what's", "who's", "there's", "it's", "that's", "let's", "we've",
               "who've", "they've", "you've", "i've", "we're", "they're", "you're", "i'm", "we'd", "we'll", "how's",
               "where's", "when's"}
QUESTION_WORDS = {"what", "which", "who", "whom", "whose", "how", "where", "when", "why", "whether"}
# Verbs and phrases of asking: "show me", "give me the list of", "I want to know".
ASKING = {"show", "list", "give", "tell", "display", "find", "return", "see", "let", "please", "need", "want", "know",
          "fetch", "retrieve", "provide", "name", "identify", "get", "pull", "lookup", "look", "up", "report", "kindly",
          "hey", "hi", "hello", "thanks", "thank", "ok", "okay", "just", "pls", "plz"}
# Words that restate "everything in the table": they may leave the SQL unchanged. A catalog adds
# its own ("in the us" for data about one country) under `nl: {all_rows: [...]}`.
ALL_ROWS = {"all", "total", "overall", "altogether", "combined", "entire", "whole", "ever", "exist", "exists", "there",
            "recorded", "stored", "listed", "known", "database", "db", "dataset", "system"}
# Words of the present ("currently", "still"): they restate a condition on the rows' state ('still
# open'), and without one they ask for one the catalog must define ('customers we currently have').
PRESENT = {"currently", "still", "now", "presently", "today", "existing", "current"}

FUNCTION_WORDS = ARTICLES | PRONOUNS | DETERMINERS | PREPOSITIONS | CONJUNCTIONS | AUXILIARIES | QUESTION_WORDS | ASKING
# Verbs that only say a row belongs to, or was made by, another: the relationship between the two
# tables says the same thing ("tickets filed by enterprise customers", "orders placed in 1997").
RELATION_VERBS = {"have", "has", "had", "having", "own", "owns", "owned", "hold", "holds", "held", "belong",
                  "belongs", "belonging", "make", "makes", "made", "file", "files", "filed", "filing", "submit",
                  "submits", "submitted", "place", "places", "placed", "raise", "raises", "raised", "open", "opens",
                  "opened", "create", "creates", "created", "write", "writes", "wrote", "written", "send", "sends",
                  "sent", "log", "logs", "logged", "come", "comes", "came", "coming", "based", "located", "situated",
                  "associated", "linked", "related", "connected", "attached", "involve", "involves", "involved",
                  "involving", "contain", "contains", "contained", "include", "includes", "included", "manage",
                  "manages", "managed", "managing", "handle", "handles", "handled", "handling", "run", "runs",
                  "oversee", "oversees", "bring", "brings", "brought", "generate", "generates", "generated",
                  "produce", "produces", "produced", "serve", "serves", "served", "serving", "offer", "offers",
                  "offered", "offering", "publish", "publishes", "published", "present", "presents", "presented",
                  "post", "posts", "posted", "teach", "teaches", "taught", "teaching", "take", "takes", "took",
                  "taken", "attend", "attends", "attended", "receive", "receives", "received", "provide", "provides",
                  "provided", "sell", "sells", "sold", "buy", "buys", "bought", "appear", "appears", "appeared",
                  "feature", "features", "featured", "host", "hosts", "hosted", "operate", "operates", "operated",
                  "work", "works", "worked", "employ", "employs", "employed", "get", "got", "give", "gives", "given",
                  "gave", "hold", "holding", "keep", "keeps", "kept", "occur", "occurs", "occurred", "happen",
                  "happens", "happened", "carry", "carries", "carried", "sit", "sits", "sitting", "sat"}
# Verbs that create the row they describe: a time window after them is the row's time column
# ("tickets filed last month"). Other verbs ("cancelled in 2025") need the catalog to say which date they mean.
CREATION_VERBS = {"filed", "made", "submitted", "placed", "raised", "opened", "created", "written", "sent", "logged",
                  "added", "registered", "recorded", "entered", "received", "came", "issued", "published", "posted",
                  "file", "make", "submit", "place", "raise", "open", "create", "write", "send", "log", "add",
                  "register", "record", "enter", "receive", "come", "issue", "publish", "post"}
# Words a column holding a place is named with: what "where" asks for.
PLACE_WORDS = {"city", "country", "state", "location", "address", "place", "region", "room",
               "building", "area", "province", "county", "neighbourhood", "neighborhood", "street", "zip",
               "postcode", "postal", "located", "town", "continent", "nation", "campus"}
