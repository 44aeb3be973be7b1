"""The demo organisation's geography: real French federations, sections and communes."""

LEVELS = [
    (0, "National", "National", "national"),
    (1, "Fédération", "Fédérations", "federation"),
    (2, "Section", "Sections", "section"),
    (3, "Cellule", "Cellules", "cell"),
]

# federation → section → cells, each cell with (commune, postcode, INSEE code).
TREE = {
    "Fédération du Rhône": {
        "Section de Lyon": [
            ("Lyon 1er", "69001", "69381"),
            ("Lyon 3e", "69003", "69383"),
            ("Lyon 7e", "69007", "69387"),
        ],
        "Section de Villeurbanne": [
            ("Villeurbanne", "69100", "69266"),
            ("Vaulx-en-Velin", "69120", "69256"),
            ("Bron", "69500", "69029"),
        ],
    },
    "Fédération de la Gironde": {
        "Section de Bordeaux": [
            ("Bordeaux Centre", "33000", "33063"),
            ("Bordeaux Bastide", "33100", "33063"),
            ("Bordeaux Caudéran", "33200", "33063"),
        ],
        "Section de Mérignac": [
            ("Mérignac", "33700", "33281"),
            ("Pessac", "33600", "33318"),
            ("Talence", "33400", "33522"),
        ],
    },
    "Fédération du Nord": {
        "Section de Lille": [
            ("Lille Centre", "59000", "59350"),
            ("Lille Fives", "59800", "59350"),
            ("Lille Wazemmes", "59160", "59350"),
        ],
        "Section de Roubaix": [
            ("Roubaix", "59100", "59512"),
            ("Tourcoing", "59200", "59599"),
            ("Wattrelos", "59150", "59650"),
        ],
    },
}

# Communes that only a section covers (no cell yet): joining lands at the section.
SECTION_ONLY = {
    "Section de Lyon": [("Caluire-et-Cuire", "69300", "69034")],
    "Section de Bordeaux": [("Bègles", "33130", "33039")],
    "Section de Lille": [("Lambersart", "59130", "59328")],
}

GROUPS = [
    ("National", "Commission santé", True),
    ("National", "Jeunes", True),
    ("Section de Lyon", "Sympathisants de Lyon", True),
    ("Fédération du Rhône", "Commission transports", False),
    ("Section de Bordeaux", "Groupe écologie", True),
]
