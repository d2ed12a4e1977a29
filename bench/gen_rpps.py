"""Write a national-size-like RPPS extract: python -m bench.gen_rpps --lines N --out FILE [--seed S].

The file follows the real 56-column layout of PS_LibreAcces_Personne_activite (pipe-separated, header,
trailing pipe, UTF-8), about 350 bytes a line, with some professionals on several rows (one per
savoir-faire, or one per activity site), consecutive as in the national file.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

HEADER = [
    "Type d'identifiant PP",
    "Identifiant PP",
    "Identification nationale PP",
    "Code civilité d'exercice",
    "Libellé civilité d'exercice",
    "Code civilité",
    "Libellé civilité",
    "Nom d'exercice",
    "Prénom d'exercice",
    "Code profession",
    "Libellé profession",
    "Code catégorie professionnelle",
    "Libellé catégorie professionnelle",
    "Code type savoir-faire",
    "Libellé type savoir-faire",
    "Code savoir-faire",
    "Libellé savoir-faire",
    "Code mode exercice",
    "Libellé mode exercice",
    "Numéro SIRET site",
    "Numéro SIREN site",
    "Numéro FINESS site",
    "Numéro FINESS établissement juridique",
    "Identifiant technique de la structure",
    "Raison sociale site",
    "Enseigne commerciale site",
    "Complément destinataire (coord. structure)",
    "Complément point géographique (coord. structure)",
    "Numéro Voie (coord. structure)",
    "Indice répétition voie (coord. structure)",
    "Code type de voie (coord. structure)",
    "Libellé type de voie (coord. structure)",
    "Libellé Voie (coord. structure)",
    "Mention distribution (coord. structure)",
    "Bureau cedex (coord. structure)",
    "Code postal (coord. structure)",
    "Code commune (coord. structure)",
    "Libellé commune (coord. structure)",
    "Code pays (coord. structure)",
    "Libellé pays (coord. structure)",
    "Téléphone (coord. structure)",
    "Téléphone 2 (coord. structure)",
    "Télécopie (coord. structure)",
    "Adresse e-mail (coord. structure)",
    "Code Département (structure)",
    "Libellé Département (structure)",
    "Ancien identifiant de la structure",
    "Autorité d'enregistrement",
    "Code secteur d'activité",
    "Libellé secteur d'activité",
    "Code section tableau pharmaciens",
    "Libellé section tableau pharmaciens",
    "Code rôle",
    "Libellé rôle",
    "Code genre activité",
    "Libellé genre activité",
]

# (code, label, weight): roughly the national proportions of the register.
PROFESSIONS = [
    ("10", "Médecin", 30),
    ("60", "Infirmier", 30),
    ("70", "Masseur-Kinésithérapeute", 10),
    ("21", "Pharmacien", 8),
    ("40", "Chirurgien-Dentiste", 5),
    ("50", "Sage-Femme", 3),
    ("91", "Orthophoniste", 3),
    ("93", "Psychologue", 5),
    ("80", "Pédicure-Podologue", 2),
    ("28", "Opticien-Lunetier", 3),
    ("26", "Audioprothésiste", 1),
    ("94", "Ergothérapeute", 1),
]
SKILLS = [
    ("SM54", "Médecine générale"),
    ("SM26", "Qualifié en Médecine Générale"),
    ("SM04", "Cardiologie"),
    ("SM15", "Dermatologie et vénéréologie"),
    ("SM40", "Pédiatrie"),
    ("SM42", "Psychiatrie"),
]
SECTORS = [
    ("L", "Libéral", "SA07", "Cabinet individuel"),
    ("L", "Libéral", "SA08", "Cabinet de groupe"),
    ("S", "Salarié", "SA01", "Etablissement public de santé"),
    ("S", "Salarié", "SA05", "Centre de santé"),
    ("S", "Salarié", "SA16", "Etablissement pour personnes handicapées"),
    ("S", "Salarié", "SA17", "Etablissement pour personnes âgées"),
    ("L", "Libéral", "SA33", "Pharmacie d'officine"),
]
LAST_NAMES = [
    "MARTIN",
    "BERNARD",
    "THOMAS",
    "PETIT",
    "ROBERT",
    "RICHARD",
    "DURAND",
    "DUBOIS",
    "MOREAU",
    "LAURENT",
    "SIMON",
    "MICHEL",
    "LEFEBVRE",
    "LEROY",
    "ROUX",
    "DAVID",
    "BERTRAND",
    "MOREL",
    "FOURNIER",
    "GIRARD",
    "BONNET",
    "DUPONT",
    "LAMBERT",
    "FONTAINE",
    "ROUSSEAU",
    "VINCENT",
    "MULLER",
    "LEFEVRE",
    "FAURE",
    "ANDRE",
    "LEBRUN-CARPENTIER",
    "DE LA FONTAINE",
    "N'DIAYE",
    "NGUYEN",
    "BENALI",
    "GARCIA",
    "MARTINEZ",
    "LOPEZ",
]
FIRST_NAMES = [
    "Jeanne",
    "Marie",
    "Camille",
    "Léa",
    "Chloé",
    "Manon",
    "Inès",
    "Sarah",
    "Anaïs",
    "Élodie",
    "Jean",
    "Pierre",
    "Louis",
    "Hugo",
    "Lucas",
    "Thomas",
    "Nicolas",
    "Julien",
    "Mehdi",
    "François",
    "Jérôme",
]
STREETS = [
    ("R", "Rue", "DE LA RÉPUBLIQUE"),
    ("AV", "Avenue", "JEAN JAURÈS"),
    ("BD", "Boulevard", "VICTOR HUGO"),
    ("PL", "Place", "DE LA MAIRIE"),
    ("R", "Rue", "DU GÉNÉRAL DE GAULLE"),
    ("CHE", "Chemin", "DES VIGNES"),
    ("R", "Rue", "PASTEUR"),
    ("ALL", "Allée", "DES TILLEULS"),
    ("RTE", "Route", "DE PARIS"),
]
TOWNS = ["SAINT-DENIS", "BOURG-EN-BRESSE", "MONTREUIL", "VILLEURBANNE", "AMBÉRIEU-EN-BUGEY", "LES LILAS"]
DEPARTMENTS = [f"{n:02d}" for n in range(1, 96) if n != 20]


def postcodes() -> list[str]:
    """About 9,000 postcodes: every tenth number of each mainland department."""
    return [f"{d}{n:03d}" for d in DEPARTMENTS for n in range(0, 1000, 10)]


def rows_for_professional(rng: random.Random, number: int, codes: list[str]) -> list[str]:
    """One professional's consecutive rows: one per savoir-faire, or one per site."""
    code, label, _ = rng.choices(PROFESSIONS, weights=[w for *_, w in PROFESSIONS])[0]
    pp = f"8{10000000000 + number:011d}"
    doctor = code in ("10", "40", "50")
    female = rng.random() < 0.6
    person = [
        "8",
        pp[1:],
        pp,
        "DR" if doctor else "",
        "Docteur" if doctor else "",
        "MME" if female else "M",
        "Madame" if female else "Monsieur",
        rng.choice(LAST_NAMES),
        rng.choice(FIRST_NAMES),
        code,
        label,
        "C",
        "Civil",
    ]
    skills = [("", "", "", "")]
    if code == "10":
        picked = rng.sample(SKILLS, k=1 if rng.random() < 0.8 else 2)
        skills = [("S", "Spécialité ordinale", c, lab) for c, lab in picked]
    sites = [site(rng, codes) for _ in range(1 if rng.random() < 0.85 else 2)]
    return ["|".join([*person, *skill, *place]) + "|" for place in sites for skill in skills]


def site(rng: random.Random, codes: list[str]) -> list[str]:
    """The 43 columns of an activity site, from the practice mode to the genre of activity."""
    mode, mode_label, sector, sector_label = rng.choice(SECTORS)
    postcode = rng.choice(codes)
    insee = postcode[:2] + f"{rng.randrange(1, 700):03d}"
    siret = f"{rng.randrange(10**13, 10**14)}"
    street_code, street_type, street = rng.choice(STREETS)
    town = rng.choice(TOWNS)
    phone = f"0{rng.randrange(1, 6)}{rng.randrange(10**7, 10**8)}"
    return [
        mode,
        mode_label,
        siret,
        siret[:9],
        "",
        "",
        "C" + siret,
        f"CABINET {rng.choice(LAST_NAMES)}",
        "",
        "",
        "",
        str(rng.randrange(1, 200)),
        "",
        street_code,
        street_type,
        street,
        "",
        f"{postcode} {town}",
        postcode,
        insee,
        town.title(),
        "99000",
        "France",
        phone,
        "",
        "",
        "",
        postcode[:2],
        "",
        "",
        "ARS/CPAM/CPAM",
        sector,
        sector_label,
        "",
        "",
        "",
        "",
        "GENR01",
        "Activité standard de soin ou de pharmacien",
    ]


def generate(lines: int, out: Path, seed: int = 2026) -> int:
    """Write about `lines` data lines after the header; return the number written."""
    rng = random.Random(seed)
    codes = postcodes()
    written = 0
    number = 0
    with out.open("w", encoding="utf-8", newline="\n") as stream:
        stream.write("|".join(HEADER) + "|\n")
        while written < lines:
            number += 1
            rows = rows_for_professional(rng, number, codes)[: lines - written]
            stream.write("\n".join(rows) + "\n")
            written += len(rows)
    return written


def main() -> None:
    """Parse the command line and write the file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    written = generate(args.lines, args.out, args.seed)
    size = args.out.stat().st_size
    print(f"{written} lines, {size / 1e6:.1f} MB, {size / (written + 1):.0f} bytes a line -> {args.out}")


if __name__ == "__main__":
    main()
