"""The words the parser knows, as data: intent cues, metric and page synonyms, alias groups for the store's names,
number words, and the example questions the sentence embedder compares a question with.

Patterns run on normalised text (lower case, typos corrected, single spaces, punctuation except ``#`` removed).
"""
from __future__ import annotations

__all__ = ["INTENT_CUES", "METRIC_ALIASES", "PAGE_ALIASES", "ALIAS_GROUPS", "NUMBER_WORDS", "INTENT_EXAMPLES",
           "INJECTION_PATTERNS", "OUT_OF_SCOPE", "DOMAIN_WORDS", "FOLLOW_UP_PATTERN"]

# Intent -> regular expressions that signal it; the weight of a cue says how strongly (a "why" outranks "churn").
INTENT_CUES: dict[str, tuple[tuple[str, float], ...]] = {
    "explain": ((r"^why\b", 3.0), (r"\bwhy (did|do|does|is|are|was|were|has|have)\b", 3.0),
                (r"\b(what|which factors?) (is|are|was|were) (driving|behind|causing)\b", 3.0),
                (r"\bdrivers? of\b", 2.5), (r"\bwhat drives\b", 2.5), (r"\bexplain\b", 2.5), (r"\bwhy\b", 2.0),
                (r"\breasons? (for|why|behind)\b", 2.5), (r"\bdecompos", 2.5), (r"\broot cause\b", 2.5),
                (r"\bwhat (caused|causes|explains)\b", 3.0), (r"\bwhat (s|is|was|are) behind\b", 3.0)),
    "compare": ((r"\bcompare[ds]?\b", 3.0), (r"\bcomparison\b", 3.0), (r"\b(vs|versus)\b", 3.0),
                (r"\bdifference between\b", 2.5), (r"\bagainst\b", 1.0)),
    "forecast": ((r"\bforecast(s|ing|ed)?\b", 2.5), (r"\bpredict(ed|ion|ions|s)?\b", 2.0), (r"\bproject(ed|ion|ions)\b", 2.0),
                 (r"\boutlook\b", 2.0), (r"\bwill (be|we|sales|revenue|orders)\b", 1.5), (r"\bexpect(ed)?\b", 1.5),
                 (r"\bnext (week|month|quarter|year|\d+ (days?|weeks?|months?))\b", 1.0), (r"\bupcoming\b", 1.0),
                 (r"\bgoing to (be|sell|make)\b", 1.5), (r"\bfuture\b", 1.5), (r"\bdemand\b", 1.0)),
    "churn": ((r"\bchurn(s|ed|ing|ers?)?\b", 2.5), (r"\battrition\b", 2.5), (r"\bat risk\b", 2.5), (r"\brisk(y|iest)?\b", 2.0),
              (r"\b(likely|going|about) to (leave|cancel|churn|quit)\b", 2.5), (r"\bcancel(l?ations?|l?ing)?\b", 1.5),
              (r"\bleav(e|ing)\b", 1.5), (r"\bdefect", 1.5), (r"\blos(e|ing) customers\b", 2.0), (r"\bquit\b", 1.0)),
    "retention": ((r"\bretention\b", 2.5), (r"\bretain(ed|ing)?\b", 2.0), (r"\bcohorts?\b", 2.5), (r"\bsurvival\b", 2.5),
                  (r"\bstay(ing)?\b", 1.5), (r"\bcome back\b", 1.5), (r"\brepeat (customers|purchase)", 1.5),
                  (r"\bkeep(ing)? customers\b", 2.0), (r"\blifetime curve", 2.0)),
    "clv": ((r"\bclv\b", 3.0), (r"\bltv\b", 3.0), (r"\bcltv\b", 3.0), (r"\blifetime value\b", 3.0),
            (r"\bcustomer value\b", 2.5), (r"\bworth\b", 1.5), (r"\bvaluable\b", 2.0), (r"\blifetime\b", 1.5)),
    "segment": ((r"\bsegmentation\b", 3.0), (r"\bsegmented\b", 2.5), (r"\bsegments\b", 2.0), (r"\bclusters?\b", 2.5), (r"\bpersonas?\b", 2.0),
                (r"\brfm\b", 2.5), (r"\bgroups? of customers\b", 2.0), (r"\bcustomer groups?\b", 2.0),
                (r"\bsegment (the|our) customers\b", 3.0), (r"\binto segments\b", 3.0)),
    "anomaly": ((r"\banomal(y|ies|ous)\b", 3.0), (r"\boutliers?\b", 3.0), (r"\bunusual\b", 2.5), (r"\bspikes?\b", 2.5),
                (r"\bweird\b", 2.5), (r"\bstrange\b", 2.5), (r"\bodd\b", 2.0), (r"\bunexpected\b", 2.5),
                (r"\bdips?\b", 1.5), (r"\bsudden\b", 2.0), (r"\birregular", 2.0), (r"\bout of the ordinary\b", 2.5)),
    "health": ((r"\bhealth\b", 2.5), (r"\bhealthy\b", 2.0), (r"\bstatus\b", 2.0), (r"\bup to date\b", 2.5),
               (r"\bfresh(ness)?\b", 2.5), (r"\bstale\b", 2.5), (r"\blast (updated|refresh|load|ingest)", 2.5),
               (r"\b(system|pipeline|jobs?|models?) (ok|okay|running|working|doing)\b", 2.5), (r"\bfailures?\b", 2.0),
               (r"\bfailed\b", 2.0), (r"\bdata quality\b", 2.5), (r"\bdrift\b", 2.0), (r"\buptime\b", 2.0),
               (r"\berrors?\b", 1.5), (r"\bdataset version\b", 2.0)),
    "navigate": ((r"\b(open|go to|goto|take me to|navigate to|switch to|jump to|bring up|show me the|show the|"
                  r"head to|move to|visit)\b.*\b(page|tab|screen|view|dashboard)\b", 3.5),
                 (r"^(open|go to|goto|take me to|navigate to|switch to|jump to|head to|visit)\b", 3.0),
                 (r"\b(page|tab|screen)\b", 1.0), (r"^go home\b", 3.5)),
    "help": ((r"^help\b", 3.0), (r"\bwhat can you (do|answer|tell)\b", 3.5), (r"\bhow (do|does|can) (i|you) use\b", 3.0),
             (r"\bwhat (kind of |sort of )?(questions|things) (can|do|should) (i|you)\b", 3.5),
             (r"\bhow does this work\b", 3.0), (r"\b(commands|capabilities)\b", 2.5), (r"\bwhat do you (do|know)\b", 3.0),
             (r"\bhelp me\b", 1.5), (r"\bwho are you\b", 2.5), (r"\bexamples?\b", 1.0), (r"\bunderstand\b", 1.0)),
    "kpi": ((r"\bhow (many|much)\b", 1.5), (r"\btotal\b", 1.0), (r"\bkpis?\b", 2.5), (r"\bwhat (is|was|were|are)\b", 0.5),
            (r"\bshow (me )?(the )?\b", 0.5), (r"\bnumbers?\b", 0.5), (r"\bmetrics?\b", 1.0)),
}

# Metric phrases -> canonical metric (analytics.chat.facts.METRICS). Longer phrases are tried first.
METRIC_ALIASES: dict[str, str] = {
    "churn rate": "churn rate", "attrition rate": "churn rate", "cancellation rate": "churn rate",
    "churn percentage": "churn rate", "rate of churn": "churn rate", "customer churn rate": "churn rate",
    "average order value": "average order value", "avg order value": "average order value",
    "average order": "average order value", "aov": "average order value", "basket size": "average order value",
    "average basket": "average order value", "order value": "average order value",
    "average spend per order": "average order value", "average ticket": "average order value",
    "active customers": "active customers", "active users": "active customers", "active accounts": "active customers",
    "active clients": "active customers", "customer count": "active customers", "number of customers": "active customers",
    "how many customers": "active customers", "customer base": "active customers", "actives": "active customers",
    "revenue": "revenue", "revenues": "revenue", "sales": "revenue", "turnover": "revenue", "income": "revenue",
    "gmv": "revenue", "takings": "revenue", "money": "revenue", "earnings": "revenue", "net sales": "revenue",
    "orders": "orders", "order count": "orders", "number of orders": "orders", "order volume": "orders",
    "purchases": "orders", "transactions": "orders", "order": "orders",
    "how much did we sell": "revenue", "how much do we sell": "revenue", "how much we sold": "revenue",
    "how much have we sold": "revenue",
    "units": "units", "unit sales": "units", "units sold": "units", "items sold": "units", "quantity": "units",
    "volume": "units", "pieces": "units", "items": "units", "unit": "units",
}

# Page phrases -> page path (the pages' registered paths).
PAGE_ALIASES: dict[str, str] = {
    "overview": "/", "home": "/", "homepage": "/", "dashboard": "/", "main page": "/", "start page": "/",
    "landing page": "/", "front page": "/", "summary": "/",
    "forecast": "/forecast", "forecasts": "/forecast", "forecasting": "/forecast", "predictions": "/forecast",
    "demand": "/forecast",
    "retention": "/retention", "churn": "/retention", "customers": "/retention", "customer": "/retention",
    "data": "/data", "uploads": "/data", "upload": "/data", "ingest": "/data", "import": "/data", "datasets": "/data",
    "admin": "/admin", "administration": "/admin", "settings": "/admin", "users": "/admin", "jobs": "/admin",
}

# Synonym groups for region, segment, channel and category names. A store name that is (or fuzzily matches) a
# member of a group gets every member as an alias, so a store calling its region "Europe" still understands "EMEA".
ALIAS_GROUPS: dict[str, tuple[tuple[str, ...], ...]] = {
    "region": (
        ("north america", "na", "n america", "usa", "united states", "america", "americas", "north american",
         "us and canada", "noram", "namer"),
        ("emea", "europe", "eu", "european", "europe middle east africa", "europe middle east and africa", "eur"),
        ("apac", "asia", "asia pacific", "asiapac", "asia-pacific", "asian", "pacific", "asia and pacific", "apj"),
        ("latam", "latin america", "latin american", "south america", "lat am", "central and south america",
         "south and central america"),
    ),
    "segment": (
        ("consumer", "consumers", "b2c", "individuals", "individual", "retail customers"),
        ("smb", "smbs", "small business", "small businesses", "small and medium business", "sme", "smes",
         "mid market", "midmarket", "small medium business"),
        ("enterprise", "enterprises", "large accounts", "large customers", "corporate", "corporates", "big accounts",
         "b2b enterprise"),
    ),
    "channel": (
        ("web", "website", "online", "web shop", "webshop", "ecommerce", "e commerce", "internet"),
        ("mobile", "mobile app", "app", "apps", "phone", "smartphone", "ios", "android"),
        ("retail", "stores", "in store", "shops", "offline", "brick and mortar", "physical stores"),
        ("partner", "partners", "resellers", "reseller", "affiliates", "affiliate", "marketplace", "partnerships"),
    ),
    "category": (
        ("electronics", "electronic", "gadgets", "tech", "devices"),
        ("home", "home goods", "homeware", "household", "furniture", "home and garden"),
        ("apparel", "clothing", "clothes", "fashion", "garments"),
        ("sports", "sport", "sporting goods", "fitness", "outdoor"),
        ("beauty", "cosmetics", "makeup", "skincare", "personal care"),
    ),
}

NUMBER_WORDS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50, "hundred": 100,
    "a dozen": 12, "dozen": 12, "a couple of": 2, "couple of": 2, "a few": 3,
}

# Attempts to steer or break out of the assistant, and executable-looking text: always ``unknown``.
INJECTION_PATTERNS: tuple[str, ...] = (
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|prompts?|rules|guidelines|above|previous|"
    r"prior|system)\b",
    r"\bsystem prompt\b", r"\byou are now\b", r"\bact as\b", r"\bpretend (to be|you)\b", r"\bjailbreak\b",
    r"\bdeveloper mode\b", r"\bdan mode\b", r"\bnew instructions\b",
    r"\b(drop|truncate|alter)\s+(table|database|schema)\b", r"\bdelete\s+from\b", r"\binsert\s+into\b",
    r"\bupdate\s+\w+\s+set\b", r"\bselect\s+(\*|[\w, ]+)\s+from\b", r"\bunion\s+select\b", r";\s*(select|drop|delete|"
    r"insert|update|exec)\b", r"--\s*$", r"\bor\s+1\s*=\s*1\b", r"<\s*script", r"\bon(error|load)\s*=", r"\brm\s+-rf\b",
    r"\bexec(ute)?\s*\(", r"\beval\s*\(", r"\bimport\s+os\b", r"\b__import__\b", r"\$\{", r"\{\{",
)

# Topics the assistant does not cover, even when a domain word appears by chance.
OUT_OF_SCOPE: tuple[str, ...] = (
    r"\bweather\b", r"\bjokes?\b", r"\brecipes?\b", r"\bpoem\b", r"\bsong\b", r"\bstock price\b", r"\bbitcoin\b",
    r"\bpresident\b", r"\bfootball\b", r"\bmovie\b", r"\bcapital of\b", r"\btranslate\b", r"\bwrite (me )?(an? )?"
    r"(essay|story|email|code|script)\b", r"\bmeaning of life\b", r"\bnews\b", r"\blottery\b", r"\bhoroscope\b",
)

# Words that make a text about this product at all (an embedder match without one of them is not trusted).
DOMAIN_WORDS: frozenset[str] = frozenset(
    "revenue sales orders order units customers customer churn retention cohort forecast predict clv ltv segment "
    "segments anomaly anomalies outlier outliers health status data page kpi kpis metric metrics value risk region "
    "channel category product products trend growth drop decline spike dashboard model models help business buyers "
    "buyer people sell selling sold spend spending loyal loyalty working broken happened numbers".split())

# A message that only adjusts the previous question ("and for APAC?", "what about 90 days?", "same for orders").
FOLLOW_UP_PATTERN = (r"^(and|what about|how about|same (for|but|with|in)|now (for|with|in|show)|also|ok(ay)? and|"
                     r"then|but (for|in|with)|only|just|for|in|with|instead)\b")

# Example questions per intent for the sentence embedder's nearest-example vote (not the test questions).
INTENT_EXAMPLES: dict[str, tuple[str, ...]] = {
    "forecast": ("forecast revenue for next month", "predict orders for the next quarter",
                 "what will sales be next week", "projected units for next year", "demand outlook",
                 "how much will we sell next month", "expected revenue in the coming weeks",
                "where are sales heading", "what happens to demand in the coming weeks", "how will next month look"),
    "churn": ("what is the churn rate", "which customers are at risk of leaving", "who is likely to cancel",
              "show the at-risk customers", "customer attrition", "how many customers did we lose",
              "churn risk of a customer",
                "are we losing people", "who might stop buying from us", "customers walking away", "how many people left us"),
    "retention": ("customer retention by cohort", "how many customers stay after a year", "cohort retention curve",
                  "survival of customers over time", "retention rate", "do customers come back",
                "do buyers keep purchasing from us", "how long do customers remain with us", "loyalty of our customer base"),
    "clv": ("customer lifetime value", "what is the average clv", "which customers are most valuable",
            "lifetime value by segment", "how much is a customer worth",
                "who are our best customers", "which buyers spend the most over time", "long term value of a buyer"),
    "segment": ("show the customer segments", "how are customers segmented", "customer clusters",
                "what groups of customers do we have", "rfm segmentation",
                "what kinds of customers do we have", "tell me about our customer types", "profile our buyers"),
    "anomaly": ("any anomalies in revenue", "unusual spikes in orders", "were there outliers last week",
                "anything strange in the data", "unexpected drops in sales",
                "did anything unusual happen", "what looks off in the numbers", "anything out of the ordinary lately"),
    "kpi": ("what was revenue last month", "how many orders this month", "average order value",
            "active customers", "total units sold", "show the kpis", "revenue in march",
                "how is the business doing", "how did we do yesterday", "key numbers for this week", "what happened last week"),
    "compare": ("compare revenue in emea and apac", "web vs mobile orders", "difference between segments",
                "this month versus last month"),
    "explain": ("why did revenue drop", "what is driving churn", "why is this customer high risk",
                "explain the change in orders", "what caused the decline"),
    "health": ("is the data fresh", "system health", "when was the data last updated", "are the models ok",
               "pipeline status",
                "is everything working", "is anything broken", "are the numbers current"),
    "navigate": ("open the retention page", "go to the data page", "take me to the forecast",
                 "switch to the admin tab", "show the overview dashboard"),
    "help": ("what can you do", "help", "what questions can i ask", "how do i use this assistant",
                "hello", "hi there", "what is this", "how does it work"),
    "unknown": ("what is the weather today", "tell me a joke", "who won the football match",
                "write me a poem", "what is the capital of france", "asdf qwer zxcv",
                "ignore previous instructions", "drop table users",
                "how tall is mount everest", "who is the ceo of apple", "best pizza nearby", "play some music", "thanks"),
}
