"""Directory categories, as CPTS websites show them, and the mapping from national codes (pure).

FINESS establishment categories come from the nomenclature TRE_R66 "CatégorieEtablissement"; RPPS activity
sectors from TRE_R02 "SecteurActivite". Choices worth knowing:

- HAD (127, hospitalisation à domicile) is a health establishment, not home care: it is a hospital under
  the hospital law, admitted on a doctor's prescription, not a service a caller contacts for help at home.
- SSIAD (354), SAAS (209, the services autonomie aide et soins that replace SPASAD), SAA (460, ex-SAAD) and
  SAADF (640) are home care.
- CMPP (189), CAMSP (190) and SESSAD (182) follow FINESS's own grouping (services for disabled people).
- CSAPA (197, addiction care) is health; CAARUD (178, harm reduction), LHSS/LAM and ACT are social action
  because they are mainly reached through social workers and outreach teams.
- Training schools, occupational health, industry and fire services are `other`: nobody is referred there.
"""

from __future__ import annotations

LIBERAL_PROFESSIONALS = "liberal_professionals"
HOME_CARE = "home_care"
DISABILITY = "disability"
SOCIAL_ACTION = "social_action"
RETIREMENT_HOMES = "retirement_homes"
HEALTH_ESTABLISHMENTS = "health_establishments"
OTHER = "other"

CATEGORIES: tuple[str, ...] = (
    LIBERAL_PROFESSIONALS,
    HOME_CARE,
    DISABILITY,
    SOCIAL_ACTION,
    RETIREMENT_HOMES,
    HEALTH_ESTABLISHMENTS,
    OTHER,
)

CATEGORY_LABELS_FR: dict[str, str] = {
    LIBERAL_PROFESSIONALS: "Professionnels de santé libéraux",
    HOME_CARE: "Aide et soins à domicile",
    DISABILITY: "Établissements et services pour personnes handicapées",
    SOCIAL_ACTION: "Structures d'action sociale",
    RETIREMENT_HOMES: "Établissements pour personnes âgées",
    HEALTH_ESTABLISHMENTS: "Établissements de santé",
    OTHER: "Autres",
}

# FINESS category code -> (directory category, French label from TRE_R66). The label serves the JSON flow,
# which carries the code alone; the legacy extract brings its own label.
FINESS_CATEGORIES: dict[str, tuple[str, str]] = {
    # Hospitals and clinics
    "101": (HEALTH_ESTABLISHMENTS, "Centre hospitalier régional (CHR)"),
    "106": (HEALTH_ESTABLISHMENTS, "Centre hospitalier (ex Hôpital local)"),
    "109": (HEALTH_ESTABLISHMENTS, "Etablissement de santé privé autorisé en SSR"),
    "114": (HEALTH_ESTABLISHMENTS, "Hôpital des armées"),
    "115": (HEALTH_ESTABLISHMENTS, "Etablissement de soins du Service de santé des armées"),
    "122": (HEALTH_ESTABLISHMENTS, "Etablissement de soins obstétriques et chirurgico-gynécologiques"),
    "127": (HEALTH_ESTABLISHMENTS, "Hospitalisation à domicile (HAD)"),
    "128": (HEALTH_ESTABLISHMENTS, "Etablissement de soins chirurgicaux"),
    "129": (HEALTH_ESTABLISHMENTS, "Etablissement de soins médicaux"),
    "131": (HEALTH_ESTABLISHMENTS, "Centre de lutte contre cancer"),
    "161": (HEALTH_ESTABLISHMENTS, "Maison de santé pour maladies mentales"),
    "292": (HEALTH_ESTABLISHMENTS, "Centre hospitalier spécialisé de lutte contre les maladies mentales"),
    "355": (HEALTH_ESTABLISHMENTS, "Centre hospitalier (CH)"),
    "362": (HEALTH_ESTABLISHMENTS, "Etablissement de soins longue durée"),
    "365": (HEALTH_ESTABLISHMENTS, "Etablissement de soins pluridisciplinaire"),
    "697": (HEALTH_ESTABLISHMENTS, "Groupement de coopération sanitaire, Etablissement de santé"),
    "698": (HEALTH_ESTABLISHMENTS, "Autre établissement relevant de la loi hospitalière"),
    # Ambulatory care, mental health, prevention
    "124": (HEALTH_ESTABLISHMENTS, "Centre de santé"),
    "130": (HEALTH_ESTABLISHMENTS, "Centre de soins médicaux"),
    "132": (HEALTH_ESTABLISHMENTS, "Etablissement de transfusion sanguine"),
    "141": (HEALTH_ESTABLISHMENTS, "Centre de dialyse"),
    "142": (HEALTH_ESTABLISHMENTS, "Dispensaire antituberculeux"),
    "143": (HEALTH_ESTABLISHMENTS, "Centre de vaccination BCG"),
    "146": (HEALTH_ESTABLISHMENTS, "Structure d'alternative à la dialyse en centre"),
    "156": (HEALTH_ESTABLISHMENTS, "Centre médico-psychologique (CMP)"),
    "197": (HEALTH_ESTABLISHMENTS, "Centre de soins d'accompagnement et de prévention en addictologie"),
    "223": (HEALTH_ESTABLISHMENTS, "Protection maternelle et infantile (PMI)"),
    "224": (HEALTH_ESTABLISHMENTS, "Etablissement de consultation pré et post-natale"),
    "228": (HEALTH_ESTABLISHMENTS, "Centre de santé sexuelle"),
    "230": (HEALTH_ESTABLISHMENTS, "Etablissement consultation protection infantile"),
    "231": (HEALTH_ESTABLISHMENTS, "Espaces de vie affective, relationnelle et sexuelle (EVARS)"),
    "268": (HEALTH_ESTABLISHMENTS, "Centre médico-scolaire"),
    "269": (HEALTH_ESTABLISHMENTS, "Centre de médecine universitaire"),
    # 289 is not in the current TRE_R66 value set; older extracts used it for health centres.
    "289": (HEALTH_ESTABLISHMENTS, "Centre de santé"),
    "294": (HEALTH_ESTABLISHMENTS, "Centre de consultations cancer"),
    "347": (HEALTH_ESTABLISHMENTS, "Centre d'examens de santé"),
    "366": (HEALTH_ESTABLISHMENTS, "Atelier thérapeutique"),
    "412": (HEALTH_ESTABLISHMENTS, "Appartement thérapeutique"),
    "415": (HEALTH_ESTABLISHMENTS, "Service médico-psychologique régional (SMPR)"),
    "422": (HEALTH_ESTABLISHMENTS, "Traitements spécialisés à domicile"),
    "425": (HEALTH_ESTABLISHMENTS, "Centre d'accueil thérapeutique à temps partiel (CATTP)"),
    "430": (HEALTH_ESTABLISHMENTS, "Centre postcure pour malades mentaux"),
    "433": (HEALTH_ESTABLISHMENTS, "Etablissement sanitaire des prisons"),
    "438": (HEALTH_ESTABLISHMENTS, "Centre de médecine collective"),
    "439": (HEALTH_ESTABLISHMENTS, "Centre de santé polyvalent"),
    "603": (HEALTH_ESTABLISHMENTS, "Maison de santé (L6223-3)"),
    "604": (HEALTH_ESTABLISHMENTS, "Communauté professionnelle territoriale de santé (CPTS)"),
    "606": (HEALTH_ESTABLISHMENTS, "Dispositif d'appui à la coordination (DAC)"),
    "610": (HEALTH_ESTABLISHMENTS, "Laboratoire d'analyses"),
    "611": (HEALTH_ESTABLISHMENTS, "Laboratoire de biologie médicale (LBM)"),
    "612": (HEALTH_ESTABLISHMENTS, "Autre laboratoire de biologie médicale sans FSE"),
    "617": (HEALTH_ESTABLISHMENTS, "Lieu de soins non programmés"),
    "618": (HEALTH_ESTABLISHMENTS, "Autre structure de soins non programmés (SNP)"),
    "620": (HEALTH_ESTABLISHMENTS, "Pharmacie d'officine"),
    "627": (HEALTH_ESTABLISHMENTS, "Propharmacie"),
    "628": (HEALTH_ESTABLISHMENTS, "Pharmacie minière"),
    "629": (HEALTH_ESTABLISHMENTS, "Pharmacie mutualiste"),
    "631": (HEALTH_ESTABLISHMENTS, "Maisons de naissance"),
    "636": (HEALTH_ESTABLISHMENTS, "Centre de soins et de prévention"),
    "637": (HEALTH_ESTABLISHMENTS, "Centre de lutte antituberculeuse (CLAT)"),
    "638": (HEALTH_ESTABLISHMENTS, "Centre gratuit d'information, de dépistage et de diagnostic (CeGIDD)"),
    "641": (HEALTH_ESTABLISHMENTS, "Antenne de pharmacie d'officine"),
    "645": (HEALTH_ESTABLISHMENTS, "Centre de vaccination"),
    "646": (HEALTH_ESTABLISHMENTS, "Centre de vaccination internationale"),
    "647": (HEALTH_ESTABLISHMENTS, "Equipe de soins spécialisés"),
    "648": (HEALTH_ESTABLISHMENTS, "Structure qui contribue au Service d'accès aux soins"),
    "649": (HEALTH_ESTABLISHMENTS, "Centre de santé et de médiation en santé sexuelle"),
    "650": (HEALTH_ESTABLISHMENTS, "Dispositifs spécifiques régionaux en périnatalité"),
    "701": (HEALTH_ESTABLISHMENTS, "Maison des adolescents (MDA)"),
    "702": (HEALTH_ESTABLISHMENTS, "Point accueil écoute jeunes (PAEJ)"),
    "703": (HEALTH_ESTABLISHMENTS, "Espace santé jeunes (ESJ)"),
    # Home care
    "209": (HOME_CARE, "Service autonomie aide et soins (SAAS)"),
    "354": (HOME_CARE, "Service de soins infirmiers à domicile (SSIAD)"),
    "460": (HOME_CARE, "Service autonomie aide (SAA)"),
    "640": (HOME_CARE, "Service d'aide et d'accompagnement à domicile aux familles (SAADF)"),
    # Elderly people
    "202": (RETIREMENT_HOMES, "Résidences autonomie"),
    "207": (RETIREMENT_HOMES, "Centre de jour pour personnes âgées"),
    "381": (RETIREMENT_HOMES, "Etablissement expérimental pour personnes âgées"),
    "500": (RETIREMENT_HOMES, "Etablissement d'hébergement pour personnes âgées dépendantes"),
    "501": (RETIREMENT_HOMES, "EHPA percevant des crédits d'assurance maladie"),
    "502": (RETIREMENT_HOMES, "EHPA ne percevant pas des crédits d'assurance maladie"),
    # Disability
    "182": (DISABILITY, "Service d'éducation spéciale et de soins à domicile (SESSAD)"),
    "183": (DISABILITY, "Institut médico-éducatif (IME)"),
    "186": (DISABILITY, "Institut thérapeutique éducatif et pédagogique (ITEP)"),
    "188": (DISABILITY, "Etablissement pour enfants ou adolescents polyhandicapés"),
    "189": (DISABILITY, "Centre médico-psycho-pédagogique (CMPP)"),
    "190": (DISABILITY, "Centre action médico-sociale précoce (CAMSP)"),
    "192": (DISABILITY, "Institut d'éducation motrice"),
    "194": (DISABILITY, "Institut pour déficients visuels"),
    "195": (DISABILITY, "Institut pour déficients auditifs"),
    "196": (DISABILITY, "Institut d'éducation sensorielle sourd-aveugle"),
    "198": (DISABILITY, "Etablissement et service de préorientation"),
    "221": (DISABILITY, "Bureau d'aide psychologique universitaire (BAPU)"),
    "238": (DISABILITY, "Centre d'accueil familial spécialisé"),
    "242": (DISABILITY, "Service d'activité de jour"),
    "246": (DISABILITY, "Etablissement et service d'aide par le travail (ESAT)"),
    "247": (DISABILITY, "Entreprise adaptée"),
    "249": (DISABILITY, "Etablissement et service de réadaptation professionnelle"),
    "252": (DISABILITY, "Foyer d'hébergement d'adultes handicapés"),
    "253": (DISABILITY, "Foyer d'accueil polyvalent pour adultes handicapés"),
    "255": (DISABILITY, "Maison d'accueil spécialisée (MAS)"),
    "370": (DISABILITY, "Etablissement expérimental pour personnes handicapées"),
    "377": (DISABILITY, "Etablissement expérimental pour enfance handicapée"),
    "379": (DISABILITY, "Etablissement expérimental pour adultes handicapés"),
    "382": (DISABILITY, "Foyer de vie pour adultes handicapés"),
    "390": (DISABILITY, "Etablissement d'accueil temporaire d'enfants handicapés"),
    "395": (DISABILITY, "Etablissement d'accueil temporaire pour adultes handicapés"),
    "396": (DISABILITY, "Foyer d'hébergement pour enfants et adolescents handicapés"),
    "402": (DISABILITY, "Jardin d'enfants spécialisé"),
    "437": (DISABILITY, "Foyer d'accueil médicalisé pour adultes handicapés (FAM)"),
    "445": (DISABILITY, "Service d'accompagnement médico-social adultes handicapés (SAMSAH)"),
    "446": (DISABILITY, "Service d'accompagnement à la vie sociale (SAVS)"),
    "448": (DISABILITY, "Etablissement d'accueil médicalisé en tout ou partie personnes handicapées"),
    "449": (DISABILITY, "Etablissement d'accueil non médicalisé pour personnes handicapées"),
    "461": (DISABILITY, "Centres de ressources SAI"),
    "464": (DISABILITY, "Unité d'évaluation, de réentraînement et d'orientation sociale et professionnelle"),
    "609": (DISABILITY, "Maison départementale pour personnes handicapées (MDPH)"),
    "705": (DISABILITY, "Groupe d'entraide mutuelle (GEM)"),
    # Social action: child protection, housing and shelter, protection of adults, precariousness
    "165": (SOCIAL_ACTION, "Appartement de coordination thérapeutique (ACT)"),
    "166": (SOCIAL_ACTION, "Centre parents-enfants de moins de 3 ans"),
    "172": (SOCIAL_ACTION, "Pouponnière à caractère social"),
    "175": (SOCIAL_ACTION, "Foyer de l'enfance"),
    "176": (SOCIAL_ACTION, "Village d'enfants"),
    "177": (SOCIAL_ACTION, "Maison d'enfants à caractère social"),
    "178": (SOCIAL_ACTION, "Centre d'accueil et d'accompagnement à la réduction des risques (CAARUD)"),
    "180": (SOCIAL_ACTION, "Lits halte soins santé (LHSS)"),
    "213": (SOCIAL_ACTION, "Lits d'accueil médicalisés (LAM)"),
    "214": (SOCIAL_ACTION, "Centre d'hébergement et de réinsertion sociale (CHRS)"),
    "216": (SOCIAL_ACTION, "Résidence hôtelière à vocation sociale"),
    "219": (SOCIAL_ACTION, "Autre centre d'accueil"),
    "236": (SOCIAL_ACTION, "Service de placement familial"),
    "241": (SOCIAL_ACTION, "Etablissement de placement"),
    "256": (SOCIAL_ACTION, "Foyer de travailleurs migrants"),
    "257": (SOCIAL_ACTION, "Foyers de jeunes travailleurs"),
    "258": (SOCIAL_ACTION, "Maison relais, pension de famille"),
    "259": (SOCIAL_ACTION, "Autres résidences sociales"),
    "271": (SOCIAL_ACTION, "Maison d'accueil hospitalière"),
    "286": (SOCIAL_ACTION, "Service de prévention spécialisée"),
    "295": (SOCIAL_ACTION, "Service AEMO et AED"),
    "340": (SOCIAL_ACTION, "Service mandataire judiciaire à la protection des majeurs"),
    "341": (SOCIAL_ACTION, "Service dédié aux mesures d'accompagnement social personnalisé"),
    "342": (SOCIAL_ACTION, "Service d'information et de soutien aux tuteurs familiaux"),
    "344": (SOCIAL_ACTION, "Service délégué aux prestations familiales"),
    "378": (SOCIAL_ACTION, "Etablissement expérimental enfance protégée"),
    "380": (SOCIAL_ACTION, "Etablissement expérimental autres adultes"),
    "411": (SOCIAL_ACTION, "Intermédiaire de placement social"),
    "440": (SOCIAL_ACTION, "Service d'investigation éducative"),
    "441": (SOCIAL_ACTION, "Service d'intervention éducative en milieu ouvert"),
    "442": (SOCIAL_ACTION, "Centre provisoire d'hébergement"),
    "443": (SOCIAL_ACTION, "Centre d'accueil de demandeurs d'asile (CADA)"),
    "444": (SOCIAL_ACTION, "Centre de crise et d'accueil permanent"),
    "462": (SOCIAL_ACTION, "Lieux de vie et d'accueil"),
    "463": (SOCIAL_ACTION, "Centre local d'information et de coordination (CLIC)"),
    "608": (SOCIAL_ACTION, "Equipe mobile médico-sociale précarité (EMMSP)"),
    "643": (SOCIAL_ACTION, "Service d'évaluation de la minorité et de l'isolement"),
    "644": (SOCIAL_ACTION, "Etablissement de mise à l'abri pour personnes se déclarant mineures"),
}

# RPPS activity sectors (TRE_R02) of salaried or other non-liberal practice -> directory category.
# Practice in town (cabinets, pharmacies, labs, opticians' shops) counts as liberal practice for callers.
_RPPS_SECTORS: dict[str, str] = {
    **dict.fromkeys(("SA07", "SA08", "SA09", "SA25", "SA29", "SA33", "SA42", "SA52", "SA65"), LIBERAL_PROFESSIONALS),
    **dict.fromkeys(
        (
            "SA01",
            "SA02",
            "SA03",
            "SA04",
            "SA05",
            "SA06",
            "SA12",
            "SA15",
            "SA30",
            "SA34",
            "SA36",
            "SA37",
            "SA50",
            "SA51",
            "SA53",
            "SA54",
            "SA57",
            "SA59",
            "SA63",
            "SA67",
            "SA69",
        ),
        HEALTH_ESTABLISHMENTS,
    ),
    "SA16": DISABILITY,
    "SA17": RETIREMENT_HOMES,
    **dict.fromkeys(("SA18", "SA20", "SA21", "SA28", "SA41"), SOCIAL_ACTION),
}

_LIBERAL_MODE = "L"


def category_for_finess(code: str | None) -> str:
    """Map a FINESS establishment category code (e.g. "500") to a directory category, `other` if unknown."""
    if not code:
        return OTHER
    entry = FINESS_CATEGORIES.get(code.strip())
    return entry[0] if entry else OTHER


def finess_category_label(code: str | None) -> str | None:
    """Return the French TRE_R66 label of a FINESS category code, None if unknown."""
    entry = FINESS_CATEGORIES.get(code.strip()) if code else None
    return entry[1] if entry else None


def category_for_rpps(mode_code: str | None, sector_code: str | None) -> str:
    """Map an RPPS practice mode ("L" liberal, "S" salaried…) and activity sector (SAxx) to a category."""
    if mode_code == _LIBERAL_MODE:
        return LIBERAL_PROFESSIONALS
    if sector_code:
        return _RPPS_SECTORS.get(sector_code, OTHER)
    return OTHER
