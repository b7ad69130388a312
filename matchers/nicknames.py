"""Given-name equivalences: English nicknames from the `nicknames` package, our own groups on top.

English given-name nicknames come from the `nicknames` package (a hand-curated, maintained data set
of English names and their nicknames, `NameTriplet(formal, "has_nickname", nickname)`), not from a
table of our own. ``GROUPS`` below holds only what that data set lacks and our children's names
need: Spanish and Latin American diminutives, modern spellings and short forms of names common
among US children born roughly 2000-2015 (the package draws on older English name lists), and the
pairs our tests rely on. Clipped forms and diminutive endings are formed by rule (``short_forms``).

A name can sit in several groups ("alex" is short for Alexander and Alexandra; "chris" for
Christopher and Christina), so a name maps to a *set* of roots and two names are
nickname-equivalent when their root sets intersect. Names are written already folded (lower case
ASCII, no spaces or hyphens) because they are compared after ``standardise.fold``.

Precision comes first. A wrong equivalence makes two different children look alike (twins or
siblings with related names, such as Adrian and Adriana or Daniel and Danielle), so a group holds
only true, widely recognised diminutive or variant relations; distinct formal names that merely
sound alike, and gendered pairs, are separate groups. From the package we therefore drop a
nickname it gives to more than ``PACKAGE_MAX_FORMALS`` formal names ("lena" for sixteen, "bert"
for fifteen: it says little about who she is, and it would widen the root arrays) and the pairs in
``PACKAGE_DROPPED``. Add entries only with a reason.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

#: a package nickname shared by more formal names than this is dropped (see the module docstring)
PACKAGE_MAX_FORMALS = 3

#: (formal, nickname) pairs of the package left out, each with its reason
PACKAGE_DROPPED: dict[tuple[str, str], str] = {
    ("andrea", "andrew"): "a girl's and a boy's name, not one name (siblings)",
    ("angela", "angel"): "Angel is a common boy's name of its own",
    ("angelina", "angel"): "Angel is a common boy's name of its own",
    ("angelica", "angel"): "Angel is a common boy's name of its own",
    ("jonathan", "nathan"): "Nathan is a separate common name",
    ("johnathan", "nathan"): "Nathan is a separate common name",
    ("nathaniel", "nathan"): "Nathan is a separate common name",
    ("aaron", "erin"): "Erin is a girl's name of its own",
    ("aron", "erin"): "Erin is a girl's name of its own",
    ("emily", "emma"): "Emma is a separate common name (sisters Emma and Emily)",
    ("emeline", "emma"): "Emma is a separate common name (sisters Emma and Emily)",
}

_FOLDED = re.compile(r"^[a-z]+$")


@lru_cache(maxsize=1)
def package_groups() -> dict[str, frozenset[str]]:
    """formal name -> its nicknames, from the `nicknames` package, filtered as documented above."""
    import nicknames as nicknames_package  # the package's CSV is read once, when the index is built

    formals: dict[str, set[str]] = defaultdict(set)
    for formal, relation, nickname in nicknames_package.name_triplets():
        if relation == "has_nickname" and _FOLDED.match(formal) and _FOLDED.match(nickname):
            formals[nickname].add(formal)
    groups: dict[str, set[str]] = defaultdict(set)
    for nickname, of in formals.items():
        if len(of) > PACKAGE_MAX_FORMALS:
            continue
        for formal in of:
            if (formal, nickname) not in PACKAGE_DROPPED and formal != nickname:
                groups[formal].add(nickname)
    return {formal: frozenset(names) for formal, names in groups.items()}


#: root -> nicknames / diminutives / spelling variants
GROUPS: dict[str, tuple[str, ...]] = {
    # English, girls: what the package lacks (modern names and spellings such as Nevaeh, Kaylee /
    # Kayleigh; nicknames it drops as ambiguous, kept here for the one name our children have)
    "elizabeth": ("bettie", "elisa", "lisa", "ellie", "elisabeth", "isabel"),
    "jessica": ("jessie", "jessy"),
    "alexandra": ("alex", "alexa", "alexis", "sasha", "sandy", "lexi", "lexie", "ali", "allie"),
    "katherine": (
        "kate",
        "katie",
        "kathy",
        "kat",
        "kathryn",
        "catherine",
        "cathy",
        "katy",
        "kitty",
        "katelyn",
        "kaitlyn",
        "caitlin",
    ),
    "margaret": ("maggie", "meg", "greta", "megan"),
    "victoria": ("toria", "vic"),
    "samantha": ("sam", "sammy", "sammie"),
    "christina": ("chris", "christy", "kristina", "christine", "kristy", "kris", "cristina"),
    "patricia": ("paty",),
    "stephanie": ("stephy", "stefanie", "stefani"),
    "abigail": ("abby", "abbie", "abi", "gail"),
    "deborah": ("deb",),
    "gabriela": ("gabby", "gabi", "gaby", "gabriella", "gabrielle"),
    "natalie": ("nat", "natalia", "nati", "talia"),
    "destiny": ("destinee", "destini", "desi", "dez"),
    "jasmine": ("jazz", "jazzy", "jaz", "yasmin", "jasmin", "yazmin"),
    # "angel" is not here: Angel is a common boy's name of its own, not just short for Angela
    "angela": ("angelica",),
    "kimberly": ("kimmy",),
    "veronica": ("ronnie", "vero", "roni"),
    "danielle": ("danni", "daniela", "daniella"),
    "michelle": ("shelly", "micky", "michele"),
    "vanessa": ("nessie", "van"),
    "madison": ("maddie", "madi"),
    "emily": ("em", "emi", "emmie"),
    "evelyn": ("evie", "eve", "evy"),
    "nevaeh": ("vaeh", "neveah"),
    "ebony": ("eb", "ebby"),
    "ciara": ("cici", "ci", "cece"),
    "kennedy": ("kenni", "kenny", "kenzie"),
    "zaria": ("zee", "zari"),
    "makayla": ("kay",),
    "brianna": ("bree", "breanna"),
    # "cody" / "kody" are not here: Cody is a separate boy's name (its own group below)
    "dakota": ("kota",),
    "alexis": ("lexie", "lex"),
    "ashley": ("ashlee", "ashleigh"),
    "emma": ("em", "emmie"),
    "olivia": ("liv", "livvy", "livie"),
    "hannah": ("hanna",),
    "sarah": ("sarita",),
    "grace": ("gracie",),
    "alyssa": ("aly", "ally", "lyssa", "alissa", "alysa"),
    "sophia": ("sofia", "sofie", "soph", "sofi"),
    "lauren": ("lauryn", "laurie"),
    "laura": ("laurie", "lori", "laurita"),
    "kayla": ("kay", "kaylah"),
    "taylor": ("tay", "tayler"),
    "chloe": ("khloe",),
    "hailey": ("haley", "haleigh", "hailee"),
    "sydney": ("syd", "sidney"),
    "ella": ("ellie", "elle"),
    "julia": ("jules", "julita"),
    "juliana": ("jules", "juli", "julianna"),
    "kaitlyn": ("katelyn", "katelynn", "kaitlin", "caitlin", "caitlyn", "katie"),
    "rachel": ("rach", "raquel"),
    "megan": ("meg", "meghan", "meagan"),
    "allison": ("ally", "allie", "ali", "alison", "allyson"),
    "savannah": ("sav",),
    "mackenzie": ("kenzie", "mckenzie", "makenzie"),
    "brooklyn": ("brooklynn",),
    "nicole": ("nicky", "nikole", "nicolle"),
    "trinity": ("trin", "trini"),
    "kylie": ("kylee", "kyleigh"),
    "kaylee": ("kayleigh", "kailey", "kaley", "kaleigh", "kaylie"),
    "lillian": ("lily", "lillie", "lilian"),
    "lily": ("lillie",),
    "zoe": ("zoey", "zoie"),
    "jenna": ("jen",),
    "andrea": ("andie",),
    "madeline": ("madi", "madeleine", "madelynn"),
    "leah": ("lea",),
    "caroline": ("caro", "carolyn", "carolina"),
    "marissa": ("marisa",),
    "ariana": ("arianna", "ari"),
    "jocelyn": ("joss", "joselyn", "jocelynn"),
    "maya": ("mya", "maia"),
    "melanie": ("mel", "melany"),
    "melissa": ("mel",),
    "diana": ("dianna", "diane"),
    "sierra": ("cierra",),
    "leslie": ("lesley", "lesly", "lesli"),
    "aaliyah": ("aliyah", "aliya", "liyah"),
    "amelia": ("mel",),
    "amy": ("aimee", "amie", "ami"),
    "jacqueline": ("jacquie", "jaqueline", "jacklyn"),
    "addison": ("addy",),
    "layla": ("laila", "leila", "laylah"),
    "aubrey": ("aubree", "aubrie"),
    "charlotte": ("charlie",),
    "scarlett": ("scarlet",),
    "genesis": ("gen",),
    "genevieve": ("gen", "genny"),
    "cynthia": ("cindi", "cyndi"),
    "crystal": ("krystal", "cristal", "chrystal"),
    "monica": ("moni",),
    "tiffany": ("tiffani",),
    "vivian": ("vivi", "vivienne"),
    "kristen": ("kristin", "kris"),
    "courtney": ("kortney",),
    "brittany": ("brit", "brittney", "britney"),
    "whitney": ("whit",),
    "kelsey": ("kels",),
    "chelsea": ("chels", "chelsey"),
    "tatiana": ("tati", "tatyana"),
    "aniyah": ("aniya", "niyah"),
    "dominique": ("dom",),
    "jordan": ("jordyn", "jordin", "jordy"),
    "josephine": ("jo", "jojo", "josefina"),
    "gianna": ("giana", "gia"),
    "annabelle": ("annabella", "bella", "belle"),
    "eleanor": ("ellie", "elle", "nellie", "elinor"),
    "cassandra": ("cassie", "cass", "kassandra", "casandra", "kassie"),
    "cassidy": ("cassie",),
    "miriam": ("miri",),
    "frances": ("fran",),
    "susan": ("susie", "suzy"),
    "ruth": ("ruthie",),
    "alicia": ("licha", "alisha"),
    # Spanish, girls: Latin American diminutives agencies write (Lupita, Chayo); none are in the package
    "guadalupe": ("lupe", "lupita"),
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
    "isabel": ("isa", "chabela", "isabella", "bella", "izzy", "isabelle", "izabella"),
    "ana": ("anita", "anna", "ann", "anne", "annie", "nana"),
    "esperanza": ("espe", "lanza"),
    "josefina": ("josie", "fina", "pepa", "chepa"),
    "teresa": ("tere", "terry", "tess", "tessa", "theresa"),
    "yolanda": ("yoli", "yoly"),
    "beatriz": ("bea", "betty", "beatrice", "trixie"),
    "leticia": ("lety", "leti", "tisha"),
    "alejandra": ("ale", "alex", "jandra", "sasha"),
    "fernanda": ("fer", "nanda"),
    "valentina": ("vale", "tina"),
    "ximena": ("jimena", "xime", "jime"),
    "lizbeth": ("liz", "lizzy", "lizzie", "lisbeth"),
    "yesenia": ("yesi", "yessi", "yessenia"),
    "karla": ("carla",),
    "adriana": ("adri", "adrianna"),
    "fatima": ("fati",),
    "natalia": ("naty", "nati"),
    "mariana": ("mari", "marianna"),
    "camila": ("cami", "camilla"),
    "marisol": ("mari", "sol"),
    "maribel": ("mari", "maribelle"),
    "giselle": ("gisselle", "gisele"),
    "eva": ("eve", "evita"),
    "lucia": ("luci", "lucy"),
    "priscilla": ("cilla", "prissy", "pris"),
    "cecilia": ("ceci", "cece"),
    "estefania": ("estefany", "fany", "stephanie"),
    "paola": ("pao",),
    "claudia": ("clau",),
    "lorena": ("lore",),
    "sandra": ("sandy",),
    "elena": ("lena", "elaina"),
    "magdalena": ("magda", "malena", "lena"),
    "carolina": ("caro", "lina"),
    "margarita": ("marga", "maggie", "rita"),
    "juana": ("juanita",),
    "regina": ("gina",),
    "francisca": ("paquita", "panchita", "fran"),
    "susana": ("susie", "susy", "susanna", "susannah"),
    "carmen": ("carmencita",),
    "rocio": ("chio",),
    "pilar": ("pili",),
    "berenice": ("bere",),
    "liliana": ("lili", "lily", "lilliana"),
    "nayeli": ("nayely",),
    "emilia": ("emi",),
    # English, boys: what the package lacks (Jayden / Jaden, Aidan / Aiden, Jax; its ambiguous
    # nicknames kept for the names our children have)
    "william": ("will", "bill", "willie", "liam"),
    "robert": ("rob", "bobby", "robbie", "bert"),
    "richard": ("rick", "ricky"),
    "john": ("jon", "jonny"),
    "joseph": ("joey", "jo"),
    "michael": ("mitch",),
    "christopher": ("chris", "topher", "kit", "kristopher", "cristopher"),
    "alexander": ("alex", "al", "xander", "sasha", "lex"),
    "matthew": ("matt",),
    "nicholas": ("nick", "nicky", "nico"),
    "benjamin": ("benji",),
    # "nathan" is not here: Nathan is a separate common name (its own group below)
    "jonathan": ("jon", "johnny"),
    "samuel": ("sam", "sammy"),
    "edward": ("ed", "eddie"),
    "charles": ("chas",),
    "zachary": ("zach", "zack", "zak"),
    "steven": ("stephen",),
    "nathaniel": ("nathanael",),
    "christian": ("chris", "cristian", "kristian"),
    "dylan": ("dillon", "dilan"),
    "tyler": ("ty",),
    "gabriel": ("gabo",),
    "elijah": ("lijah",),
    "aidan": ("aiden", "ayden", "aden"),
    "jackson": ("jax",),
    "jaxon": ("jax", "jaxson"),
    "isaiah": ("isiah", "izaiah"),
    "isaac": ("isaak",),
    "connor": ("conor",),
    "jason": ("jay", "jase"),
    "cameron": ("camron", "kameron"),
    "jayden": ("jaden", "jaiden", "jaydon", "jay"),
    "aaron": ("aron",),
    "brian": ("brayan",),
    "adrian": ("adri", "adrien"),
    "eric": ("erik", "erick"),
    "julian": ("jules",),
    "sean": ("shawn", "shaun"),
    "jeremiah": ("jerry",),
    "jeremy": ("jerry",),
    "brayden": ("braden", "braeden", "braydon"),
    "dominic": ("dom", "dominick", "domenic"),
    "sebastian": ("sebas", "bastian"),
    "xavier": ("zavier",),
    "jesse": ("jess", "jessie"),
    "devin": ("devon", "dev"),
    "colin": ("collin",),
    "cody": ("kody", "codie"),
    "caden": ("kaden", "kaiden", "kayden"),
    "oliver": ("olly",),
    "grayson": ("gray", "greyson"),
    "maxwell": ("max",),
    "maximilian": ("max", "maximillian"),
    "maximus": ("max",),
    "vincent": ("vinny", "vin"),
    "giovanni": ("giovani", "geovanni", "jovanni"),
    "kenneth": ("ken",),
    "jeffrey": ("jeff", "geoffrey"),
    "gregory": ("gregg",),
    "frederick": ("fred", "freddy", "freddie"),
    "gerald": ("jerry",),
    "jerome": ("jerry",),
    "ronald": ("ron", "ronnie"),
    "franklin": ("frank", "frankie"),
    "phillip": ("philip",),
    "terrence": ("terry", "terrance", "terence"),
    "demetrius": ("demetri", "meech"),
    "tyrone": ("ty",),
    "tyrese": ("ty",),
    "andre": ("dre",),
    "deandre": ("dre",),
    "jalen": ("jaylen",),
    "trevor": ("trev",),
    "randall": ("randy",),
    "ezekiel": ("zeke",),
    "bennett": ("ben",),
    "rodney": ("rod",),
    "roderick": ("rod",),
    "alan": ("al",),
    "edwin": ("eddie",),
    "edgar": ("eddie", "ed"),
    "arthur": ("artie",),
    "lucas": ("lukas",),
    # Spanish, boys: Latin American diminutives agencies write (Memo, Chuy, Paco); none are in the package
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
    "gerardo": ("jerry", "gera"),
    # "diego" is not here: Diego is a separate common name (its own group below)
    "santiago": ("santi", "chago"),
    "salvador": ("chava", "salva"),
    "luis": ("lucho", "luisito", "lewis"),
    "jorge": ("coque", "george"),
    "javier": ("javi", "xavier"),
    "fernando": ("nando", "fer"),
    "marcus": ("marc", "marco"),
    "juan": ("juanito", "juancho", "johnny"),
    "carlos": ("carlitos", "charly"),
    "miguel": ("miguelito", "migue", "mike"),
    "angel": ("angelito",),
    "diego": ("dieguito",),
    "mateo": ("teo", "matteo"),
    "leonardo": ("leo", "nardo"),
    "leonel": ("leo",),
    "emmanuel": ("manny", "emanuel", "manu"),
    "andres": ("andy",),
    "sergio": ("checo",),
    "pablo": ("pablito",),
    "pedro": ("pedrito",),
    "gustavo": ("tavo", "gus"),
    "octavio": ("tavo",),
    "armando": ("mando",),
    "alfredo": ("fredo", "freddy"),
    "arturo": ("art", "arturito"),
    "ramon": ("moncho",),
    "rodrigo": ("rodri", "rigo"),
    "rigoberto": ("rigo", "beto"),
    "ernesto": ("neto", "ernie"),
    "alfonso": ("poncho",),
    "joaquin": ("joaco",),
    "nicolas": ("nico", "nick", "nicholas"),
    "tomas": ("tom", "tommy", "thomas"),
    "matias": ("mati",),
    "agustin": ("agus",),
    "humberto": ("beto",),
    "gilberto": ("gil", "beto"),
    "felipe": ("pipe", "feli"),
    "federico": ("fede",),
    "lorenzo": ("lencho",),
    "gonzalo": ("chalo",),
    "domingo": ("mingo",),
    "vicente": ("chente",),
    "ezequiel": ("zeke",),
    "santino": ("santi",),
    "maximiliano": ("max", "maxi"),
    "julio": ("julito",),
}


@lru_cache(maxsize=1)
def _index() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for groups in (package_groups(), GROUPS):
        for root, names in groups.items():
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


#: Spanish diminutive endings and the endings of the names they come from ("Karlita" <- Karla,
#: "Dulcita" <- Dulce, "Isabelita" <- Isabel, "Juanito" <- Juan, "Carmencita" <- Carmen)
_DIMINUTIVES = {
    "cita": ("", "a", "e"),
    "cito": ("", "o", "e"),
    "ita": ("a", "e", ""),
    "ito": ("o", "e", ""),
    "illa": ("a", ""),
    "illo": ("o", ""),
}
#: clipped forms: a kept front of 3-5 letters ("Bren" for Brenda, "Citla" for Citlali, "Tre" for
#: Trevon) or a kept back of 4-5 ("Shawn" for Deshawn, "Celi" for Araceli), at least 2 letters
#: shorter than the name (Adrian / Adriana and Gabriel / Gabriela differ by one: two names, not a
#: clipping; Daniel / Danielle are both longer than any clipped form)
_FRONT = (3, 5)
_BACK = (4, 5)


@lru_cache(maxsize=200_000)
def short_forms(name: str) -> tuple[str, ...]:
    """The clipped forms and diminutive bases of one folded given name, formed by rule rather than
    listed: agencies write many such forms no table holds. Two given names are nickname-equivalent
    when one is among the other's short forms (see compare.compare_names)."""
    forms: list[str] = []
    n = len(name)
    for k in range(_FRONT[0], min(_FRONT[1], n - 2) + 1):
        forms.append(name[:k])
    for k in range(_BACK[0], min(_BACK[1], n - 2) + 1):
        forms.append(name[-k:])
    for ending, bases in _DIMINUTIVES.items():
        stem = name[: -len(ending)]
        if name.endswith(ending) and len(stem) >= 2:
            forms.extend(stem + b for b in bases if len(stem + b) >= 3)
    return tuple(dict.fromkeys(f for f in forms if f != name))


#: width of the short-form arrays (every form of a name up to 40 letters fits)
SHORT_WIDTH = 16
