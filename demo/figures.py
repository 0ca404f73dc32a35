"""Public figures for Mali that shape the demonstration data (DOMAIN.md, "Figures for realistic
demo data"), and the sizes of each scale. Pure data: no Django, no database.
"""

from dataclasses import dataclass

# Years of generated records; the last day of 2025 is the end of the data, whatever the date
# the command runs on, so that one seed always gives the same records.
FIRST_YEAR = 2017
LAST_YEAR = 2025

# Share of IED/mine incidents by région, Jan-Aug 2022 (UNMAS/OCHA), keyed by OCHA P-code so
# that the join never depends on spellings. Bamako (ML09) has next to none.
INCIDENT_SHARE_BY_PCODE = {
    "ML05": 37,  # Mopti
    "ML04": 25,  # Ségou
    "ML06": 13,  # Tombouctou
    "ML07": 10,  # Gao
    "ML08": 8,  # Kidal
    "ML02": 4,  # Koulikoro
    "ML03": 2,  # Sikasso
    "ML01": 1,  # Kayes
    "ML09": 0,  # Bamako
}
# Risk education follows the contamination but also reaches the south and the capital, where
# mass media and displaced people are.
RISK_EDUCATION_SHARE_BY_PCODE = {
    "ML05": 30,
    "ML04": 20,
    "ML06": 12,
    "ML07": 12,
    "ML08": 5,
    "ML02": 7,
    "ML03": 4,
    "ML01": 3,
    "ML09": 7,
}

# Casualties per year at demo scale. 2017 (133, Landmine Monitor), 2021 (400, UNMAS/OCHA)
# and 2023 (174, Landmine Monitor 2024) are public figures; the other years are interpolated
# so that the demo totals about 1,500 casualties. Other scales keep these proportions.
CASUALTIES_BY_YEAR = {
    2017: 133,
    2018: 120,
    2019: 150,
    2020: 180,
    2021: 400,
    2022: 200,
    2023: 174,
    2024: 90,
    2025: 60,
}
# About 0.3 killed, 0.7 injured (2017: 30 of 133 killed; 2021: 103 of 400).
KILLED_SHARE = 0.3

# Device mix of the 2017 casualties (Landmine Monitor): 61 AV mine, 27 improvised mine,
# 24 ERW, 20 unspecified mine, 1 unknown. Improvised mines are split between those reported
# as AV and as AP; ERW between UXO and AXO. Command-operated IEDs (11) come on top: the
# Monitor leaves them out of its totals, the national database keeps and flags them.
CASUALTY_DEVICE_MIX = {
    "av_mine": 61,
    "improvised_av_mine": 18,
    "improvised_ap_mine": 9,
    "uxo": 21,
    "axo": 3,
    "unspecified_mine": 20,
    "unknown": 1,
    "other_ied": 11,
}
# Share of reported improvised AV mines that a person set off (stepped on, tripwire): the
# Mali rule records them as improvised AP mines (incidents.services.classify_device).
IMPROVISED_AV_PERSON_ACTIVATED = 0.4
# Extra casualties fall more often on vehicles (AV mines, IEDs against convoys).
EXTRA_CASUALTY_WEIGHT = {"av_mine": 1.6, "improvised_av_mine": 1.6, "other_ied": 2.0}
# Probability that the people hit are soldiers, by device; 78 of 133 were military in 2017.
MILITARY_SHARE_BY_DEVICE = {
    "av_mine": 0.75,
    "improvised_av_mine": 0.72,
    "improvised_ap_mine": 0.45,
    "other_ied": 0.85,
    "uxo": 0.1,
    "axo": 0.2,
    "unspecified_mine": 0.62,
    "unknown": 0.5,
}


@dataclass(frozen=True)
class Scale:
    hazard_areas: int
    incidents: int
    casualties: int
    risk_education_sessions: int
    survivors: int
    community_reports: int
    spot_tasks: int
    # Personal data of casualties: a small share only, never more than a few thousand.
    identities: int


SCALES = {
    "demo": Scale(
        hazard_areas=300,
        incidents=1_000,
        casualties=1_500,
        risk_education_sessions=500,
        survivors=200,
        community_reports=60,
        spot_tasks=80,
        identities=75,
    ),
    "national": Scale(
        hazard_areas=3_000,
        incidents=10_000,
        casualties=15_000,
        risk_education_sessions=5_000,
        survivors=2_000,
        community_reports=600,
        spot_tasks=800,
        identities=750,
    ),
    "large": Scale(
        hazard_areas=100_000,
        incidents=1_000_000,
        casualties=1_500_000,
        risk_education_sessions=200_000,
        survivors=200_000,
        community_reports=20_000,
        spot_tasks=27_000,
        identities=3_000,
    ),
}

# Who reports what (acronyms of reference/data/ML/manifest.json), with weights.
OPERATORS = {"FAMa-GEN": 30, "UNMAS": 25, "HI": 25, "DRC": 20}
INCIDENT_REPORTERS_MILITARY = {"FAMa-GEN": 55, "UNMAS": 35, "CNLPAL": 10}
INCIDENT_REPORTERS_CIVILIAN = {"UNMAS": 35, "CNLPAL": 15, "HI": 20, "DRC": 15, "CICR": 15}
RISK_EDUCATORS = {"HI": 30, "DRC": 25, "UNICEF": 20, "UNMAS": 15, "CICR": 10}
VICTIM_ASSISTANCE = {"HI": 45, "CICR": 30, "DNS": 25}
COMMUNITY_LIAISON = {"DRC": 35, "HI": 30, "UNMAS": 20, "CNLPAL": 15}
QUALITY_INSPECTORS = {"CNLPAL": 60, "UNMAS": 40}
# Organisations whose own systems send identifiers (external_id).
WITH_OWN_IDS = ("UNMAS", "HI", "DRC", "CICR")

# Invented but plausible names, by the main language areas of the régions.
GIVEN_NAMES_MALE = (
    "Amadou",
    "Moussa",
    "Oumar",
    "Mamadou",
    "Boubacar",
    "Ibrahim",
    "Seydou",
    "Abdoulaye",
    "Hamadoun",
    "Aliou",
    "Soumaïla",
    "Bakary",
    "Adama",
    "Youssouf",
    "Hassane",
    "Issa",
    "Sidi",
    "Mohamed",
    "Ousmane",
    "Modibo",
)
GIVEN_NAMES_FEMALE = (
    "Fatoumata",
    "Aminata",
    "Mariam",
    "Awa",
    "Kadiatou",
    "Oumou",
    "Hawa",
    "Assitan",
    "Djeneba",
    "Rokia",
    "Salimata",
    "Kadidia",
    "Aïssata",
    "Fanta",
    "Mariétou",
    "Nana",
    "Tata",
    "Bintou",
    "Safiatou",
    "Ramata",
)
FAMILY_NAMES_BY_PCODE = {
    "ML05": ("Guindo", "Kassogué", "Dolo", "Togo", "Diallo", "Cissé", "Barry", "Sangaré", "Tembely", "Ongoïba"),
    "ML04": ("Traoré", "Coulibaly", "Diarra", "Sidibé", "Sangaré", "Dembélé", "Kané", "Thiéro", "Bagayoko", "Touré"),
    "ML06": ("Maïga", "Touré", "Cissé", "Haïdara", "Sidibé", "Kounta", "Dicko", "Yattara", "Tandina", "Sankaré"),
    "ML07": ("Maïga", "Touré", "Cissé", "Abdou", "Alher", "Moussa", "Hamma", "Garba", "Kimba", "Soumaré"),
    "ML08": ("Ag Mohamed", "Ag Intalla", "Ag Alhassane", "Ag Assarid", "Ag Bibi", "Ag Acherif", "Ag Ghali"),
    "ML02": ("Keïta", "Konaté", "Traoré", "Coulibaly", "Diarra", "Doumbia", "Kanté", "Fofana", "Camara", "Sissoko"),
    "ML03": ("Traoré", "Sanogo", "Ouattara", "Koné", "Bengaly", "Dembélé", "Berthé", "Diamouténé", "Togola"),
    "ML01": ("Diallo", "Sissoko", "Diakité", "Kanouté", "Camara", "Tounkara", "Soumaré", "Niakaté", "Dramé"),
    "ML09": ("Traoré", "Keïta", "Coulibaly", "Diarra", "Touré", "Maïga", "Diallo", "Konaté", "Cissé", "Sylla"),
}

# Relative activity per year for records without a public yearly figure: surveys, spot tasks
# and risk education grew with the conflict and the humanitarian response after 2019.
SURVEYS_BY_YEAR = {2017: 4, 2018: 6, 2019: 9, 2020: 11, 2021: 14, 2022: 15, 2023: 15, 2024: 14, 2025: 12}
RISK_EDUCATION_BY_YEAR = {2017: 5, 2018: 7, 2019: 9, 2020: 8, 2021: 12, 2022: 14, 2023: 16, 2024: 15, 2025: 14}
