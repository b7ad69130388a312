"""A small curated table of given-name equivalences (English and Spanish).

Each group is one formal name followed by its common nicknames / diminutives. A name can sit in
several groups ("alex" is short for Alexander and Alexandra; "chris" for Christopher and
Christina), so a name maps to a *set* of roots and two names are nickname-equivalent when their
root sets intersect. Names are written already folded (lower case ASCII, no spaces) because they
are compared after ``standardise.fold``.

The table is deliberately small and hand-checked: a wrong equivalence here makes two different
children look alike, which costs precision. Add entries only with a reason.
"""

from __future__ import annotations

from functools import lru_cache

#: root -> nicknames / diminutives / spelling variants
GROUPS: dict[str, tuple[str, ...]] = {
    # English, girls
    "elizabeth": ("liz", "lizzie", "lizzy", "beth", "betty", "bettie", "betsy", "eliza", "elisa", "libby",
                  "lisa", "liza", "ellie", "elisabeth", "isabel"),
    "jessica": ("jess", "jessie", "jessy"),
    "alexandra": ("alex", "alexa", "alexis", "sasha", "sandra", "sandy", "lexi", "lexie", "ali", "allie"),
    "katherine": ("kate", "katie", "kathy", "kat", "kathryn", "catherine", "cathy", "katy", "kitty",
                  "katelyn", "kaitlyn", "caitlin"),
    "margaret": ("maggie", "meg", "peggy", "margie", "marge", "greta", "megan"),
    "jennifer": ("jen", "jenny", "jenn", "jenni", "jennie"),
    "rebecca": ("becky", "becca", "beck"),
    "victoria": ("vicky", "vicki", "tori", "toria", "vic"),
    "samantha": ("sam", "sammy", "sammie"),
    "christina": ("chris", "christy", "tina", "kristina", "christine", "kristy", "kris", "chrissy"),
    "patricia": ("pat", "patty", "tricia", "trish", "patsy", "paty"),
    "stephanie": ("steph", "stephy", "stefanie", "stefani"),
    "abigail": ("abby", "abbie", "abi", "gail"),
    "deborah": ("debbie", "deb", "debra", "debby"),
    "gabriela": ("gabby", "gabi", "gaby", "gabriella", "gabrielle"),
    "natalie": ("nat", "natalia", "nati", "talia"),
    "destiny": ("destinee", "destini", "desi", "dez"),
    "jasmine": ("jazz", "jazzy", "jaz", "yasmin", "jasmin", "yazmin"),
    "angela": ("angie", "angel", "angelica"),
    "kimberly": ("kim", "kimmy", "kimberley"),
    "amanda": ("mandy", "manda"),
    "veronica": ("ronnie", "vero", "roni"),
    "danielle": ("dani", "danni", "daniela", "daniella"),
    "michelle": ("shelly", "shelley", "micky", "michele"),
    "vanessa": ("nessa", "nessie", "van"),
    "madison": ("maddie", "maddy", "madi"),
    "emily": ("em", "emmy", "emi", "emmie"),
    "evelyn": ("evie", "eve", "evy"),
    "nevaeh": ("vaeh", "neveah"),
    "ebony": ("eb", "ebby"),
    "ciara": ("cici", "ci", "cece"),
    "kennedy": ("kenni", "kenny", "kenzie"),
    "zaria": ("zee", "zari"),
    "makayla": ("kayla", "kay"),
    "brianna": ("bri", "bree", "breanna"),
    "leilani": ("lani",),
    "dakota": ("kody", "cody", "kota"),
    "alexis": ("lexi", "lexie", "lex"),
    # Spanish, girls
    "guadalupe": ("lupe", "lupita", "lupita"),
    "maria": ("mari", "mary", "maruca", "marisa"),
    "alondra": ("ali", "alo"),
    "rosa": ("rosita", "rosie", "chayo"),
    "esmeralda": ("esme", "mera"),
    "valeria": ("vale", "vali"),
    "dolores": ("lola", "lolita"),
    "mercedes": ("meche", "merche"),
    "consuelo": ("chelo",),
    "rosario": ("chayo", "charo"),
    "concepcion": ("concha", "conchita", "chona"),
    "graciela": ("chela", "grace", "gracie"),
    "soledad": ("sole", "chole"),
    "isabel": ("isa", "chabela", "isabella", "bella", "izzy"),
    "ana": ("anita", "anna", "ann", "anne", "annie", "nana"),
    "esperanza": ("espe", "lanza"),
    "josefina": ("josie", "fina", "pepa", "chepa"),
    "teresa": ("tere", "terry", "tess", "tessa", "theresa"),
    "yolanda": ("yoli", "yoly"),
    "beatriz": ("bea", "betty", "beatrice", "trixie"),
    "leticia": ("lety", "leti", "tisha"),
    "alejandra": ("ale", "alex", "jandra", "sandra", "sasha"),
    "fernanda": ("fer", "nanda"),
    "valentina": ("vale", "tina"),
    "ximena": ("jimena", "xime", "jime"),
    # English, boys
    "william": ("will", "bill", "billy", "willie", "liam"),
    "robert": ("rob", "bob", "bobby", "robbie", "bert"),
    "richard": ("rich", "rick", "ricky", "dick", "richie"),
    "james": ("jim", "jimmy", "jamie"),
    "john": ("jack", "johnny", "jon", "jonny"),
    "joseph": ("joe", "joey", "jo"),
    "michael": ("mike", "mikey", "mick", "mickey", "mitch"),
    "christopher": ("chris", "topher", "kit"),
    "alexander": ("alex", "al", "xander", "sasha", "lex"),
    "anthony": ("tony", "ant"),
    "daniel": ("dan", "danny"),
    "matthew": ("matt", "matty"),
    "nicholas": ("nick", "nicky", "nico"),
    "benjamin": ("ben", "benny", "benji"),
    "jonathan": ("jon", "johnny", "nathan"),
    "samuel": ("sam", "sammy"),
    "edward": ("ed", "eddie", "ted", "teddy", "ned"),
    "thomas": ("tom", "tommy"),
    "charles": ("charlie", "chuck", "chas"),
    "zachary": ("zach", "zack", "zak"),
    "timothy": ("tim", "timmy"),
    "steven": ("steve", "stevie", "stephen"),
    "jacob": ("jake", "jay"),
    "joshua": ("josh",),
    "andrew": ("andy", "drew"),
    "david": ("dave", "davey"),
    # Spanish, boys
    "jose": ("pepe", "pepito", "chepe", "joe"),
    "francisco": ("paco", "pancho", "frank", "frankie", "cisco", "kiko", "curro"),
    "guillermo": ("memo", "guille", "willy"),
    "alejandro": ("alex", "ale", "jandro", "alejo"),
    "eduardo": ("lalo", "eddie", "edu"),
    "roberto": ("beto", "rober", "robert"),
    "alberto": ("beto", "al", "albert"),
    "ignacio": ("nacho",),
    "jesus": ("chuy", "chucho", "jesse"),
    "enrique": ("kike", "quique", "henry"),
    "manuel": ("manny", "manolo", "meme"),
    "rafael": ("rafa", "rafi"),
    "ricardo": ("ricky", "richi", "rick"),
    "antonio": ("tono", "tony", "toni"),
    "gerardo": ("jerry", "gera", "lalo"),
    "santiago": ("santi", "chago", "diego"),
    "salvador": ("chava", "salva"),
    "luis": ("lucho", "luisito", "lewis"),
    "jorge": ("coque", "george"),
    "javier": ("javi", "xavier"),
    "fernando": ("nando", "fer"),
    "marcus": ("marc", "marco"),
}


@lru_cache(maxsize=1)
def _index() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for root, names in GROUPS.items():
        for name in (root, *names):
            index.setdefault(name, set()).add(root)
    return {name: frozenset(roots) for name, roots in index.items()}


def max_roots() -> int:
    """The most roots any one name has (the width of the root arrays, so none is ever cut off)."""
    return max(len(r) for r in _index().values())


def roots(name: str) -> tuple[str, ...]:
    """The nickname roots of one folded given name; a name outside the table is its own root.

    Sorted so that the result (and every key built from it) is deterministic.
    """
    if not name:
        return ()
    found = _index().get(name)
    return tuple(sorted(found)) if found else (name,)
