"""Value pools the generator samples from: names, places, street names, schools, charges.

Pools are drawn once per run (Faker seeded with en_US and es_MX, plus short curated lists so each
race/ethnicity gets plausible names); every per-row choice is then a vectorised numpy draw. All
people made from these pools are fictional.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from faker import Faker

RACES = ("Black", "Hispanic", "White", "Asian", "Pacific Islander", "Native American", "Multiracial")
#: race mix of youth in county juvenile systems (population) and of SafetyNet clients
POPULATION_RACE_P = (0.30, 0.36, 0.10, 0.13, 0.03, 0.01, 0.07)
CLIENT_RACE_P = (0.45, 0.30, 0.08, 0.05, 0.04, 0.02, 0.06)

#: Alameda County cities (and a neighbour) with ZIP codes and a residence weight
CITIES: dict[str, tuple[tuple[str, ...], float]] = {
    "Oakland": (
        ("94601", "94603", "94605", "94606", "94607", "94608", "94609", "94610", "94612", "94621"),
        0.36,
    ),
    "Hayward": (("94541", "94542", "94544", "94545"), 0.16),
    "Fremont": (("94536", "94538", "94539", "94555"), 0.09),
    "Berkeley": (("94702", "94703", "94704", "94705", "94710"), 0.06),
    "San Leandro": (("94577", "94578", "94579"), 0.09),
    "Union City": (("94587",), 0.05),
    "Alameda": (("94501",), 0.04),
    "Newark": (("94560",), 0.03),
    "Castro Valley": (("94546",), 0.03),
    "San Lorenzo": (("94580",), 0.03),
    "Emeryville": (("94608",), 0.01),
    "Livermore": (("94550", "94551"), 0.03),
    "Richmond": (("94801", "94804", "94806"), 0.02),
}
COUNTY_OF = {"Richmond": "Contra Costa"}

STREETS_LOCAL = (
    "International Blvd",
    "MacArthur Blvd",
    "Foothill Blvd",
    "E 14th St",
    "Mission Blvd",
    "Telegraph Ave",
    "San Pablo Ave",
    "Fruitvale Ave",
    "High St",
    "Seminary Ave",
    "73rd Ave",
    "98th Ave",
    "Bancroft Ave",
    "Tennyson Rd",
    "Harder Rd",
    "Jackson St",
    "Fremont Blvd",
    "Alvarado Blvd",
    "Decoto Rd",
    "Davis St",
    "Hesperian Blvd",
    "University Ave",
    "Shattuck Ave",
    "Broadway",
    "Market St",
    "Webster St",
    "Park St",
    "Dutton Ave",
    "Bond St",
    "Church St",
    "Whitman St",
    "A St",
    "B St",
    "Grand Ave",
    "Lakeshore Ave",
)

# --- names ---------------------------------------------------------------------------------------

_BLACK_F = (
    "Aaliyah",
    "Jada",
    "Imani",
    "Destiny",
    "Nia",
    "Kiara",
    "Jasmine",
    "Aniyah",
    "Diamond",
    "Tiana",
    "Jayla",
    "Amari",
    "Zaria",
    "Kennedy",
    "Brianna",
    "Asia",
    "Taniya",
    "Makayla",
    "Ebony",
    "Deja",
    "Janae",
    "Monique",
    "Shanice",
    "Keyonna",
    "Trinity",
    "Alexis",
    "Aniya",
    "Nevaeh",
    "Ciara",
    "Kayla",
)
_BLACK_M = (
    "DeShawn",
    "Jamal",
    "Malik",
    "Darnell",
    "Tyrone",
    "Jaylen",
    "Isaiah",
    "Marcus",
    "Andre",
    "Terrell",
    "Dante",
    "Xavier",
    "Jalen",
    "Khalil",
    "Devonte",
    "Elijah",
    "Cameron",
    "Darius",
    "Trevon",
    "Amir",
)
_BLACK_LAST = (
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Jackson",
    "Davis",
    "Harris",
    "Robinson",
    "Thomas",
    "Washington",
    "Coleman",
    "Moore",
    "Taylor",
    "Walker",
    "Allen",
    "Young",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Mitchell",
    "Carter",
    "Banks",
    "Freeman",
    "Hawkins",
    "Dixon",
    "Simmons",
    "Bell",
    "Gaines",
    "Holloway",
    "Tucker",
    "Booker",
    "Lewis",
)
_HISP_F = (
    "María",
    "Guadalupe",
    "Jessica",
    "Daniela",
    "Ximena",
    "Valeria",
    "Jasmine",
    "Yesenia",
    "Andrea",
    "Esmeralda",
    "Alejandra",
    "Diana",
    "Karla",
    "Vanessa",
    "Elizabeth",
    "Marisol",
    "Leslie",
    "Araceli",
    "Brenda",
    "Stephanie",
    "Mariana",
    "Fernanda",
    "Dulce",
    "Jennifer",
    "Ana",
    "Isabel",
    "Lizbeth",
    "Natalie",
    "Genesis",
    "Citlali",
    "Yaretzi",
    "Rosa",
    "Evelyn",
    "Ashley",
    "Alondra",
    "Jocelyn",
)
_HISP_M = (
    "José",
    "Francisco",
    "Luis",
    "Juan",
    "Miguel",
    "Carlos",
    "Jesús",
    "Alejandro",
    "Jorge",
    "Daniel",
    "Angel",
    "Christian",
    "Eduardo",
    "Ricardo",
    "Manuel",
    "Antonio",
    "Roberto",
    "Javier",
    "Adrián",
    "Diego",
    "Emilio",
    "Fernando",
    "Kevin",
    "Brian",
    "Anthony",
)
_HISP_LAST = (
    "García",
    "Hernández",
    "López",
    "Martínez",
    "González",
    "Rodríguez",
    "Pérez",
    "Sánchez",
    "Ramírez",
    "Flores",
    "Torres",
    "Rivera",
    "Gómez",
    "Díaz",
    "Reyes",
    "Cruz",
    "Morales",
    "Ortiz",
    "Gutiérrez",
    "Chávez",
    "Ramos",
    "Ruiz",
    "Mendoza",
    "Vásquez",
    "Castillo",
    "Jiménez",
    "Moreno",
    "Romero",
    "Alvarado",
    "Herrera",
    "Medina",
    "Aguilar",
    "Vargas",
    "Peña",
    "Núñez",
    "Ávila",
    "Contreras",
    "Salazar",
    "Guerrero",
    "Estrada",
    "Delgado",
    "Cervantes",
    "Zamora",
    "Orozco",
)
_ASIAN_F = (
    "Linh",
    "Mai",
    "Thao",
    "Ngoc",
    "Jenny",
    "Emily",
    "Michelle",
    "Grace",
    "Angela",
    "Kimberly",
    "Priya",
    "Ananya",
    "Jasleen",
    "Mei",
    "Lily",
    "Kaylee",
    "Cindy",
    "Vivian",
    "Hannah",
    "Chloe",
)
_ASIAN_M = (
    "Minh",
    "Tuan",
    "Kevin",
    "Andy",
    "Jason",
    "Ethan",
    "Ryan",
    "Arjun",
    "Vikram",
    "Jaspreet",
    "Wei",
    "Daniel",
    "Brandon",
    "Justin",
    "Vincent",
)
_ASIAN_LAST = (
    "Nguyen",
    "Tran",
    "Le",
    "Pham",
    "Chen",
    "Wong",
    "Lee",
    "Li",
    "Huang",
    "Lam",
    "Singh",
    "Kaur",
    "Patel",
    "Santos",
    "Reyes",
    "Cruz",
    "Bautista",
    "Mendoza",
    "Dela Cruz",
    "Vo",
    "Truong",
    "Kim",
    "Park",
    "Saechao",
    "Saelee",
    "Vang",
    "Xiong",
    "Lor",
    "Liu",
    "Zhang",
)
_PI_F = ("Leilani", "Malia", "Sina", "Mele", "Losaline", "Seini", "Talia", "Ana", "Kalena", "Moana", "Tupou")
_PI_M = ("Sione", "Tevita", "Viliami", "Semisi", "Tavita", "Losa", "Junior", "Keanu", "Pita", "Kalani")
_PI_LAST = (
    "Fifita",
    "Tuilagi",
    "Faleolo",
    "Taufa",
    "Vaipulu",
    "Tonga",
    "Havili",
    "Latu",
    "Fonua",
    "Mahe",
    "Tuiasosopo",
    "Leota",
    "Pouono",
    "Kaufusi",
    "Moala",
)
_NATIVE_F = (
    "Winona",
    "Cheyenne",
    "Dakota",
    "Tala",
    "Aiyana",
    "Kimi",
    "Shawnee",
    "Savannah",
    "Autumn",
    "Skye",
)
_NATIVE_M = ("Dakota", "Cody", "Hunter", "Tyler", "Cheveyo", "Koda", "Wyatt", "Logan", "Tate", "Kai")
_NATIVE_LAST = (
    "Yazzie",
    "Begay",
    "Tsosie",
    "Benally",
    "Nez",
    "Redhorse",
    "Whitehorse",
    "Manuelito",
    "Lente",
    "Two Bulls",
    "Silversmith",
    "Morningstar",
    "Attakai",
)
_WHITE_LAST_EXTRA = ("Smith", "Miller", "Anderson", "O'Brien", "Murphy", "Sullivan", "Olson", "Schmidt")

#: (first female, first male, last) per race; lists are unioned with Faker pools where fitting
_CURATED = {
    "Black": (_BLACK_F, _BLACK_M, _BLACK_LAST),
    "Hispanic": (_HISP_F, _HISP_M, _HISP_LAST),
    "White": ((), (), _WHITE_LAST_EXTRA),
    "Asian": (_ASIAN_F, _ASIAN_M, _ASIAN_LAST),
    "Pacific Islander": (_PI_F, _PI_M, _PI_LAST),
    "Native American": (_NATIVE_F, _NATIVE_M, _NATIVE_LAST),
}

#: common name pairs for the "two girls with a common name and close birthdays" look-alikes
COMMON_GIRL_NAMES = {
    "Black": (("Jasmine", "Johnson"), ("Destiny", "Williams"), ("Aaliyah", "Brown"), ("Imani", "Jackson")),
    "Hispanic": (
        ("María", "García"),
        ("Jessica", "Hernández"),
        ("Daniela", "López"),
        ("Guadalupe", "Martínez"),
    ),
    "White": (("Ashley", "Smith"), ("Emily", "Miller"), ("Jessica", "Anderson")),
    "Asian": (("Jenny", "Nguyen"), ("Emily", "Tran"), ("Michelle", "Chen")),
    "Pacific Islander": (("Malia", "Fifita"), ("Leilani", "Latu")),
    "Native American": (("Cheyenne", "Begay"),),
    "Multiracial": (("Jasmine", "Johnson"), ("Destiny", "García")),
}

#: nicknames / diminutives (English and Spanish): formal name -> what an agency may record
NICKNAMES = {
    "Elizabeth": ("Liz", "Beth", "Lizzy", "Eliza"),
    "Guadalupe": ("Lupe", "Lupita"),
    "José": ("Pepe", "Joe"),
    "Francisco": ("Paco", "Pancho", "Frank"),
    "Jessica": ("Jess", "Jessie"),
    "María": ("Mari", "Maria"),
    "Alejandra": ("Ale", "Alex"),
    "Alejandro": ("Alex", "Alejo"),
    "Daniela": ("Dani",),
    "Daniel": ("Danny",),
    "Jennifer": ("Jen", "Jenny"),
    "Stephanie": ("Steph",),
    "Kimberly": ("Kim",),
    "Alexis": ("Lexi", "Lexie"),
    "Natalie": ("Nat",),
    "Isabel": ("Isa", "Chabela"),
    "Rosa": ("Rosita",),
    "Jesús": ("Chuy",),
    "Antonio": ("Tony", "Toño"),
    "Manuel": ("Manny",),
    "Roberto": ("Beto", "Rob"),
    "Eduardo": ("Lalo", "Eddie"),
    "Ricardo": ("Rick", "Richie"),
    "Fernando": ("Nando",),
    "Fernanda": ("Fer",),
    "Valeria": ("Vale",),
    "Vanessa": ("Nessa",),
    "Makayla": ("Kayla",),
    "Brianna": ("Bri",),
    "Kennedy": ("Kenni",),
    "Michelle": ("Shelly",),
    "Angela": ("Angie",),
    "Samantha": ("Sam",),
    "Christina": ("Chrissy", "Tina"),
    "Katherine": ("Kate", "Katie"),
    "Rebecca": ("Becky",),
    "Victoria": ("Tori", "Vicky"),
    "Jasmine": ("Jazz",),
    "Destiny": ("Desi",),
    "Anthony": ("Tony", "Ant"),
    "Christopher": ("Chris",),
    "Marcus": ("Marc",),
    "Dakota": ("Kody",),
    "Leilani": ("Lani",),
    "Esmeralda": ("Esme",),
    "Gabriela": ("Gaby",),
    "Abigail": ("Abby",),
    "Madison": ("Maddie",),
    "Jacqueline": ("Jackie",),
    "Veronica": ("Ronnie",),
}

NICKNAMES.update(
    {
        "Aaliyah": ("Liyah", "Ali"),
        "Imani": ("Mani",),
        "Kiara": ("Kiki",),
        "Aniyah": ("Niyah",),
        "Tiana": ("Tia",),
        "Jayla": ("Jay",),
        "Zaria": ("Zee",),
        "Taniya": ("Tani",),
        "Ebony": ("Eb",),
        "Monique": ("Nikki",),
        "Shanice": ("Niecy",),
        "Keyonna": ("Key",),
        "Trinity": ("Trin",),
        "Nevaeh": ("Vaeh",),
        "Ciara": ("Cici",),
        "Ximena": ("Xime",),
        "Yesenia": ("Yesi",),
        "Andrea": ("Andy",),
        "Diana": ("Di",),
        "Karla": ("Karlita",),
        "Marisol": ("Mari", "Sol"),
        "Leslie": ("Les",),
        "Araceli": ("Celi",),
        "Brenda": ("Bren",),
        "Mariana": ("Mari",),
        "Dulce": ("Dulcita",),
        "Ana": ("Anita",),
        "Lizbeth": ("Liz", "Lizzy"),
        "Genesis": ("Gen",),
        "Citlali": ("Citla",),
        "Evelyn": ("Evie",),
        "Ashley": ("Ash",),
        "Alondra": ("Ali",),
        "Jocelyn": ("Josie", "Joss"),
        "Luis": ("Lucho", "Wicho"),
        "Juan": ("Juanito", "Johnny"),
        "Miguel": ("Mike",),
        "Carlos": ("Charlie", "Carlitos"),
        "Jorge": ("George", "Coque"),
        "Javier": ("Javi",),
        "Adrián": ("Adri",),
        "Emilio": ("Milo",),
        "DeShawn": ("Shawn",),
        "Jamal": ("Mal",),
        "Darnell": ("Nell",),
        "Tyrone": ("Ty",),
        "Jaylen": ("Jay",),
        "Isaiah": ("Zay",),
        "Andre": ("Dre",),
        "Terrell": ("Rell",),
        "Xavier": ("X",),
        "Khalil": ("Lil",),
        "Elijah": ("Eli",),
        "Cameron": ("Cam",),
        "Trevon": ("Tre",),
        "Jennifer": ("Jen", "Jenny"),
        "Kayla": ("Kay",),
        "Alexandra": ("Alex", "Lexi"),
        "Emily": ("Em",),
        "Hannah": ("Hanna",),
        "Vivian": ("Viv",),
        "Priya": ("Pri",),
        "Ananya": ("Anu",),
        "Linh": ("Lin",),
        "Leilani": ("Lani",),
        "Malia": ("Lia",),
        "Losaline": ("Lose",),
        "Tupou": ("Pou",),
        "Sione": ("John",),
        "Viliami": ("Vili", "Liam"),
        "Tevita": ("David",),
        "Savannah": ("Savi",),
        "Cheyenne": ("Shy",),
        "Winona": ("Nona",),
        "Isabella": ("Bella", "Izzy"),
        "Madeline": ("Maddie",),
        "Danielle": ("Dani",),
        "Nicole": ("Nikki",),
        "Amanda": ("Mandy",),
        "Melissa": ("Missy", "Mel"),
        "Kathleen": ("Kathy",),
        "Patricia": ("Patty", "Trish"),
        "Cynthia": ("Cindy",),
        "Deborah": ("Debbie",),
        "Margaret": ("Maggie", "Peggy"),
        "Susan": ("Sue",),
        "Teresa": ("Tere", "Terry"),
        "Dolores": ("Lola",),
        "Concepción": ("Conchita",),
        "Mercedes": ("Meche",),
        "Graciela": ("Chela",),
        "Socorro": ("Coco",),
        "Ignacio": ("Nacho",),
        "Enrique": ("Kike",),
        "Alfredo": ("Fredo",),
        "Guillermo": ("Memo",),
        "Gerardo": ("Jerry",),
        "Rodrigo": ("Rigo",),
        "William": ("Will", "Billy"),
        "Robert": ("Bobby", "Rob"),
        "Michael": ("Mike",),
        "James": ("Jimmy",),
        "Joseph": ("Joe",),
        "Thomas": ("Tom", "Tommy"),
        "Richard": ("Rick",),
        "Matthew": ("Matt",),
    }
)

#: street names / AKAs seen in alias columns
STREET_NAMES_F = (
    "Candy",
    "Lil Mama",
    "Cookie",
    "Princess",
    "Baby Girl",
    "Cherry",
    "Diamond",
    "Sugar",
    "Honey",
    "Peaches",
    "Star",
    "Barbie",
    "Kitty",
    "Bunny",
    "Precious",
    "Juicy",
    "Lady",
    "Mami",
    "Chula",
    "Nena",
    "Shorty",
    "Red",
    "Cinnamon",
    "Coco",
    "Lil Bit",
)
STREET_NAMES_M = (
    "Lil Man",
    "Smoke",
    "Boo",
    "Lil G",
    "Scrappy",
    "Flaco",
    "Gordo",
    "Chato",
    "Spider",
    "Baby Boy",
    "Tiny",
    "Ghost",
    "Loco",
    "Shorty",
    "Dre",
)

# --- agencies ------------------------------------------------------------------------------------

SCHOOLS_BY_CITY = {
    "Oakland": (
        (
            "Frick United Academy",
            "Westlake Middle",
            "Bret Harte Middle",
            "Roosevelt Middle",
            "Madison Park Academy",
            "Elmhurst United Middle",
        ),
        (
            "Castlemont High",
            "Fremont High",
            "McClymonds High",
            "Oakland High",
            "Skyline High",
            "Oakland Technical High",
            "Life Academy",
            "Dewey Academy",
        ),
    ),
    "Hayward": (
        ("Cesar Chavez Middle", "Winton Middle", "Bret Harte Middle", "Ochoa Middle", "King Middle"),
        ("Hayward High", "Mt. Eden High", "Tennyson High", "Brenkwitz High", "Golden Oak Montessori"),
    ),
}
FACILITIES = {
    "juvenile_hall": ("Juvenile Justice Center",),
    "camp": ("Camp Wilmont Sweeney",),
    "group_home": ("Bayside Youth Home", "East Bay Youth Residence", "Harbor Light Youth House"),
    "str_tp": ("Lakeview STRTP", "Sunrise Treatment Program", "Hillcrest STRTP"),
    "home": (None,),
    "relative": (None,),
    "foster_home": ("County-licensed foster home", None),
}
ALLEGATIONS = (
    "General Neglect",
    "Severe Neglect",
    "Physical Abuse",
    "Emotional Abuse",
    "Sexual Abuse",
    "Exploitation",
    "Caretaker Absence/Incapacity",
    "At Risk, Sibling Abused",
    "Commercial Sexual Exploitation",
)
ALLEGATION_P_CLIENT = (0.22, 0.06, 0.10, 0.08, 0.20, 0.08, 0.08, 0.04, 0.14)
ALLEGATION_P_OTHER = (0.42, 0.07, 0.17, 0.12, 0.07, 0.01, 0.09, 0.05, 0.00)
#: risk factors of the client list (codes of config/vocabularies.yaml): (code, share of youth
#: identified as exploited, share of youth at risk). The evaluation's shares: runaway 64%, prior
#: victimisation 74%, chronic absence 41%, mental health 25%, pregnant or parenting 15%.
RISK_FACTORS = (
    ("runaway", 0.72, 0.55),
    ("substance_use", 0.5, 0.35),
    ("chronic_absence", 0.45, 0.38),
    ("mental_health", 0.28, 0.22),
    ("behavioral_issues", 0.3, 0.3),
    ("pregnant_or_parenting", 0.18, 0.1),
    ("tattoos_branding", 0.2, 0.03),
    ("family_history", 0.38, 0.32),
    ("known_recruiter", 0.45, 0.15),
    ("deceased_relative_or_friend", 0.15, 0.12),
    ("developmental_delay", 0.07, 0.07),
    ("prior_victimization", 0.8, 0.66),
    ("homelessness", 0.3, 0.18),
    ("gang_involvement", 0.15, 0.12),
    ("older_partner", 0.4, 0.2),
)
#: the old list's word for chronic absence: a few clients still carry it (a vocabulary warning)
LEGACY_RISK_FACTOR = "truancy"
#: services: (code, share of clients referred to it); providers come from config/vocabularies.yaml
SERVICES = (
    ("csec_advocacy", 0.55),
    ("survivor_mentoring", 0.35),
    ("crisis_counseling", 0.25),
    ("mental_health", 0.35),
    ("substance_use_treatment", 0.1),
    ("shelter_housing", 0.15),
    ("medical", 0.15),
    ("legal", 0.2),
    ("education_support", 0.12),
    ("family_support", 0.08),
)
#: share of clients with no service on record (the evaluation's "no service" youth)
NO_SERVICE_P = 0.15
#: where clients lived before their current address: (city, county, state, weight). Most moves stay
#: in the East Bay; some come from elsewhere in California, a few from out of state.
PLACES = (
    ("Oakland", "Alameda", "CA", 14.0),
    ("Hayward", "Alameda", "CA", 6.0),
    ("San Leandro", "Alameda", "CA", 3.0),
    ("Fremont", "Alameda", "CA", 2.0),
    ("Berkeley", "Alameda", "CA", 2.0),
    ("Richmond", "Contra Costa", "CA", 4.0),
    ("Antioch", "Contra Costa", "CA", 3.0),
    ("Pittsburg", "Contra Costa", "CA", 2.0),
    ("San Francisco", "San Francisco", "CA", 3.0),
    ("Daly City", "San Mateo", "CA", 1.0),
    ("San Jose", "Santa Clara", "CA", 3.0),
    ("Vallejo", "Solano", "CA", 2.0),
    ("Stockton", "San Joaquin", "CA", 2.0),
    ("Tracy", "San Joaquin", "CA", 1.0),
    ("Sacramento", "Sacramento", "CA", 2.0),
    ("Fresno", "Fresno", "CA", 1.0),
    ("Los Angeles", "Los Angeles", "CA", 2.0),
    ("Las Vegas", "Clark", "NV", 0.8),
    ("Reno", "Washoe", "NV", 0.4),
    ("Portland", "Multnomah", "OR", 0.3),
    ("Phoenix", "Maricopa", "AZ", 0.3),
    ("Seattle", "King", "WA", 0.2),
)
GENDER_IDENTITIES = (
    "cisgender female",
    "cisgender male",
    "transgender female",
    "transgender male",
    "non-binary",
)

#: charges: (code, section, weight for minors, weight for adults 18+)
CHARGES = (
    ("PC", "459", 8, 5),
    ("PC", "484(a)", 10, 6),
    ("PC", "211", 6, 4),
    ("PC", "245(a)(1)", 5, 5),
    ("PC", "148(a)(1)", 7, 8),
    ("PC", "602", 4, 4),
    ("PC", "594(b)(1)", 5, 3),
    ("PC", "242", 6, 5),
    ("PC", "647(f)", 2, 5),
    ("HS", "11350(a)", 3, 6),
    ("HS", "11377(a)", 3, 6),
    ("HS", "11359(b)", 3, 4),
    ("VC", "10851(a)", 5, 4),
    ("VC", "12500(a)", 1, 6),
    ("WI", "602", 4, 0),
    ("WI", "777", 5, 0),
    ("WI", "601", 3, 0),
    ("PC", "166(a)(4)", 2, 3),
    ("PC", "12025(a)", 2, 3),
    ("PC", "273.5(a)", 0, 3),
)
#: charges only plausible for adults (18+) under SB 1322 / SB 357; 236.1(c) (trafficking a minor)
ADULT_SEX_CHARGES = (("PC", "647(b)"), ("PC", "236.1(c)"))


def charge_text(rng: np.random.Generator, code: str, section: str) -> str:
    """One agency spelling of a charge, e.g. ``647(b) PC``, ``PC647B``, ``HS 11350(a)``, ``236.1(c)``."""
    glued = section.replace("(", "").replace(")", "").upper()
    spaced = section.replace("(", " (")
    styles = [f"{section} {code}", f"{code} {section}", f"{code}{glued}", f"{section}", f"{code} {spaced}"]
    if code == "HS":
        styles.append(f"H&S {section}")
    if code == "WI":
        styles = [f"{section} WI", f"WIC {section}", f"W&I {section}"]
    if code == "PC":
        styles.append(f"P.C. {section}")
    if code == "VC":
        styles = [f"{section} VC", f"VC {section}", f"V.C. {section}"]
    return styles[int(rng.integers(len(styles)))]


@dataclass
class NamePools:
    """Per race: female first names, male first names, last names (numpy arrays of str)."""

    female: dict[str, np.ndarray]
    male: dict[str, np.ndarray]
    last: dict[str, np.ndarray]
    middle_f: np.ndarray
    middle_m: np.ndarray
    streets: np.ndarray
    officers: np.ndarray


def build_pools(seed: int) -> NamePools:
    """Draw the run's name pools from seeded Faker locales and the curated lists."""
    fake = Faker(["en_US", "es_MX"])
    fake.seed_instance(seed)
    en = fake["en_US"].provider("faker.providers.person")
    es = fake["es_MX"].provider("faker.providers.person")
    en_f = [n for n in en.first_names_female if _latin1(n)]
    en_m = [n for n in en.first_names_male if _latin1(n)]
    en_l = [n for n in en.last_names if _latin1(n)]
    es_f = [n for n in es.first_names_female if _latin1(n) and " " not in n]
    es_m = [n for n in es.first_names_male if _latin1(n) and " " not in n]
    es_l = [n for n in es.last_names if _latin1(n) and " " not in n]
    female: dict[str, np.ndarray] = {}
    male: dict[str, np.ndarray] = {}
    last: dict[str, np.ndarray] = {}
    for race in RACES:
        f, m, ln = _CURATED.get(race, ((), (), ()))
        if race == "Hispanic":  # curated modern names weigh 3x the long Faker es_MX list
            f, m, ln = list(f) * 3 + es_f[:80], list(m) * 3 + es_m[:60], list(ln) * 3 + es_l
        elif race in ("White", "Multiracial"):
            f, m, ln = list(f) + en_f[:200], list(m) + en_m[:200], list(ln) + en_l[:300]
        elif race == "Black":
            f, m, ln = list(f) * 2 + en_f[:60], list(m) * 2 + en_m[:60], list(ln) * 3 + en_l[:80]
        else:
            f, m, ln = list(f) * 3 + en_f[:30], list(m) * 3 + en_m[:30], list(ln)
        female[race], male[race], last[race] = np.array(f), np.array(m), np.array(ln)
    last["Multiracial"] = np.concatenate([last["Black"], last["Hispanic"], last["White"]])
    suffixes = ("St", "Ave", "Way", "Ct", "Dr", "Blvd", "Rd", "Pl", "Ln")
    made_up = [f"{fake['en_US'].last_name()} {suffixes[i % len(suffixes)]}" for i in range(120)]
    streets = np.array(list(STREETS_LOCAL) * 3 + made_up)
    officers = np.array([f"{fake['en_US'].first_name()} {fake['en_US'].last_name()}" for _ in range(24)])
    return NamePools(
        female,
        male,
        last,
        np.array(en_f[:200] + list(_HISP_F)),
        np.array(en_m[:200] + list(_HISP_M)),
        streets,
        officers,
    )


def _latin1(s: str) -> bool:
    """Names must survive the cp1252 exports of older county systems."""
    try:
        s.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True
