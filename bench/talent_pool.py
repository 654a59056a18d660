"""Benchmark of the talent pool's search page (/vivier/) under concurrent load.

Run from anywhere: ``.venv/bin/python bench/talent_pool.py [--database-url postgres://…]``.
It migrates its own database (``eig_bench_pool``: it may be flushed), seeds 20,000
applications admitted to the pool with French texts written per métier from word lists
(skills, experience, motivation; about a third typed without accents; nobody real), 24 selected
défis that they wish for, then starts gunicorn on a free port and times GET of a fixed set of
searches and filters, signed in as staff with an authenticator app, 8 clients at a time. It
prints p50, p95 and requests per second for each, and the SQL queries of one render. Exit
code 1 when a query misses p95 < 100 ms or a page answers wrongly.

Figures (issue 11; the target is met since the fifth session, whose figures close this
text): 20,000 dossiers, 120 requests per search, 8 clients, gunicorn -w 3. First, on 2 cores
shared with other engineers' runs: « données » is in 99 % of the
generated dossiers, « python » and « géomatique » in most: the search ranks (`ts_rank`)
nearly every row.

                          first version             narrow page query (07e1536)
    load average          3.8                       5.5
    sans filtre           p95  869 ms, 11 req/s     p95  376 ms, 26 req/s
    données / donnees     p95 1536 ms,  6 req/s     p95  925 ms, 11 req/s
    géomatique            p95  738 ms, 15 req/s     p95  643 ms, 17 req/s
    python                p95  501 ms, 19 req/s     p95  601 ms, 17 req/s
    "données ouvertes"    p95 1164 ms,  8 req/s     p95 1364 ms,  7 req/s
    filters alone         p95 276–638 ms            p95 244–368 ms
    words + filters       p95  308 ms, 33 req/s     p95  407 ms, 25 req/s
    SQL per render        7                         8
    one render alone      79 ms                     67 ms

On a quiet machine (nothing else running), after the merge: no filter p95 201 ms (46
req/s), « données » / « donnees » 578 / 569 ms, « géomatique » 277 ms, « python » 288 ms,
« "données ouvertes" » 726 ms, each filter alone 182–215 ms, words + filters 248 ms; 8 SQL
queries; one render 61 ms. The page's narrow query alone: 20 ms without words (a window
count over 20,000 rows), 103 ms with « donnees » (ranking 19,800 matches); ranking only the
2,000 most recent matches still costs 72 ms, finding the matches 60 ms: with a word in
nearly every dossier, the GIN index saves nothing.

Then, with the count bounded to 1,000 (« plus de 1 000 dossiers ») and a word's matches ranked
among the 1,000 most recent (read once as ids; the export takes them all), and a partial
index for the newest-first order: no filter p95 122 ms (80 req/s), filters alone 125–153 ms,
combined 179 ms, « données » / « donnees » 386 / 380 ms, « géomatique » 343 ms, « python »
346 ms, « "données ouvertes" » 656 ms, words + filters 243 ms; 10 SQL queries with words.
Finding the most recent matches of a word in nearly every dossier still reads them all
(PostgreSQL takes the GIN bitmap, then sorts): that is what is left.

In-process, one render of « donnees » spends ~120 ms in the page's query (ranking ~19,800
rows whose vector is read from a 30 MB heap) and ~30 ms in Python; without words, ~25 ms in
SQL. See the report of issue 11 for what is left (rank a bounded set, thinner heap rows).

Fourth session (branch pool-speed; 2 cores shared with three other engineers' runs, load
average 3 to 5 throughout; TARGET STILL MISSED at 8 clients). The texts are now written per
métier: « données » is in about two dossiers out of three, « python » in a quarter,
« géomatique » in 7 %, « "données ouvertes" » in a fifth (were 99 % and most). The page's
ids and bounded total come from one query (window functions over the 1,001 newest rows
selected), the lexemes live inline in a 1:1 table (`ApplicationSearch`), the newest-first
index carries the filters' columns, and that query is planned for its values (no generic
plan, no parallel worker, reads costed as from memory). Same load, back to back (load 5):

                          main (old texts)          pool-speed (texts per métier)
    sans filtre           p95  259 ms, 37 req/s     p95  348 ms, 35 req/s
    données / donnees     p95  703 / 793 ms         p95  327 / 326 ms, 31 req/s
    géomatique            p95  738 ms, 13 req/s     p95  446 ms, 27 req/s
    python                p95  722 ms, 13 req/s     p95  424 ms, 24 req/s
    "données ouvertes"    p95 1080 ms,  9 req/s     p95  454 ms, 23 req/s
    filters alone         p95 311–399 ms            p95 334–409 ms
    words + filters       p95  492 ms, 19 req/s     p95  379 ms, 29 req/s
    SQL per render        10                        11 (the planner's settings)

One client at a time (load 2.8), p50: no filter 24 → 24 ms, a word 71–102 → 36–45 ms, the
phrase 159 → 45 ms, filters 24–42 → 28–40 ms, words + filters 63 → 50 ms. The page's query
alone (EXPLAIN ANALYZE, load 4): 4.5 ms without words, 2–3 ms with filters, 6–11 ms for
« donnees », 11–24 ms for « géomatique », 16–19 ms for the phrase. What is left is Python:
one render costs 20 ms of CPU without words and 25–29 ms with (the template ~8 ms, of which
the 20 results ~4; the filter set and the page's two queries ~8; the middleware ~3), which
bounds 2 cores to ~80 req/s before anything else runs: 8 clients cannot see p95 < 100 ms on
this shared machine. Next: a leaner result template, the filter set's cost.

Fifth session (2 cores, nothing else running; the same texts). Measured at the start: no
filter p95 111 ms, words 155-237 ms, filters 98-118 ms, one render 29 ms; under load the
server's CPU per request split about evenly between the workers and PostgreSQL. What moved:

- the page's query numbers the bounded newest dossiers as a derived table around the
  filters' ORM query, where `pk IN (…)` had PostgreSQL read all 20,000 dossiers again to
  join them (no filter: 3.1 → 0.5 ms of SQL), and ranks them after the bound from their
  search rows read by key, where carrying every match's lexemes through a hash join cost
  twice as much (« "données ouvertes" »: 13 → 8 ms);
- a search ranks the newest 500 matches, no longer 1,000 (`POOL_RANKED_MAX`; the count
  without words stays at 1,000): the phrase's reads fell from 11 to 4.5 ms, « python »'s
  from 7.5 to 3.9 ms; the page says how many it ranked, an export holds them all;
- the page's results in one hand-written query (`PoolResult`), their rows written by the
  view, the filters' options by a tag, the two excerpts a result shows cut (all five were);
- on every page, the session's user and the DSFR settings in raw queries.

One render: no filter 18 → 7 ms, « donnees » 28 → 12 ms. Server CPU per request at 8
clients, « "données ouvertes" » before the smaller bound: workers 10.3 ms, PostgreSQL 11.1 ms,
the load generator 0.5 ms. Two runs at the end, p95: no filter 35-43 ms, « données » /
« donnees » 55-70 ms, « géomatique » 67-83 ms, « python » 68-76 ms, « accessibilité » 79-82
ms, « "données ouvertes" » 72-81 ms, « python -java » 67-74 ms, page 20 of « python » 71-75
ms, each filter 35-69 ms, words + filters 63-73 ms; 10 SQL statements for « mot + filtres »
(the planner settings' BEGIN and COMMIT included). PASS both times.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ranking import (  # noqa: E402
    SERVER_THREADS,
    SERVER_WORKERS,
    STAFF_EMAIL,
    _site_settings,
    django_setup,
    free_port,
    load,
    percentile,
    queries_per_render,
    session_cookie,
    start_gunicorn,
    stop,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/eig_bench_pool"
TARGET_P95_MS = 100
TARGET_QUERIES = 12
CALL_SLUG = "bench-vivier"
# Names the version of the generated texts: a data set of an earlier version is made again.
CALL_TITLE = "Appel à candidatures du bench (textes par métier)"
DEFIS = 24

# Texts as candidates of each métier write them: their own vocabulary, a few words that
# every métier uses, varied sentences. Invented, nobody real. A word common in a métier
# (« données » for data people, « python » for developers) is then common in the pool
# without being in every dossier (in the first version, « données » was in 99 % of them).
METIERS = {
    "developpement": {
        "skills": [
            "Python",
            "Django",
            "JavaScript",
            "TypeScript",
            "React",
            "Vue.js",
            "Java",
            "Spring",
            "Go",
            "Rust",
            "PHP",
            "Symfony",
            "Ruby on Rails",
            "PostgreSQL",
            "tests automatisés",
            "intégration continue",
            "API REST",
            "GraphQL",
            "accessibilité numérique",
            "performance web",
            "Node.js",
            "Docker",
        ],
        "roles": [
            "développeuse",
            "développeur",
            "développeuse full-stack",
            "développeur back-end",
            "lead développeur",
            "développeuse front-end",
        ],
        "works": [
            "réécrit le moteur de facturation d'une plateforme de réservation",
            "conçu une API de prise de rendez-vous utilisée par trois cents cabinets",
            "migré une application monolithique vers des services plus petits",
            "mis en place des tests de bout en bout qui tournent à chaque livraison",
            "rendu conforme au RGAA le parcours d'inscription d'un service en ligne",
            "divisé par quatre le temps de chargement d'un site à fort trafic",
            "développé une application mobile de signalement pour une ville",
            "maintenu une bibliothèque libre de validation de formulaires",
            "accompagné deux développeurs débutants jusqu'à leur autonomie",
            "remplacé un vieux système de fichiers partagés par une vraie application",
        ],
    },
    "data_science": {
        "skills": [
            "Python",
            "pandas",
            "scikit-learn",
            "R",
            "statistiques",
            "économétrie",
            "apprentissage automatique",
            "traitement automatique des langues",
            "visualisation de données",
            "analyse de données",
            "SQL",
            "Jupyter",
            "séries temporelles",
            "modèles de prévision",
            "PyTorch",
            "inférence causale",
            "données ouvertes",
            "évaluation de politiques publiques",
        ],
        "roles": [
            "data scientist",
            "statisticienne",
            "statisticien",
            "chargée d'études",
            "chargé d'études",
            "docteure en statistique",
        ],
        "works": [
            "construit un modèle de prévision de la fréquentation des urgences",
            "classé automatiquement des milliers de réclamations par thème",
            "évalué l'effet d'une aide à l'embauche sur les entreprises bénéficiaires",
            "détecté des anomalies dans des déclarations de chiffre d'affaires",
            "analysé les données de mobilité d'une métropole pour repenser les lignes de bus",
            "publié des jeux de données ouvertes accompagnés de leur documentation",
            "présenté des résultats statistiques à un comité de direction",
            "mis en production un modèle de détection de fraude",
            "nettoyé et croisé des données issues de cinq systèmes différents",
            "animé des formations à R pour des agents d'un service statistique",
        ],
    },
    "data_engineering": {
        "skills": [
            "Python",
            "SQL",
            "PostgreSQL",
            "Airflow",
            "dbt",
            "Spark",
            "Kafka",
            "entrepôt de données",
            "ingénierie des données",
            "ETL",
            "Kubernetes",
            "Docker",
            "qualité des données",
            "API",
            "Parquet",
            "infrastructure as code",
            "Terraform",
            "données ouvertes",
        ],
        "roles": [
            "ingénieure des données",
            "ingénieur des données",
            "data engineer",
            "architecte de données",
        ],
        "works": [
            "conçu un entrepôt de données pour le suivi des subventions",
            "automatisé la collecte quotidienne de données de plusieurs partenaires",
            "mis en place des contrôles de qualité des données avant chaque publication",
            "ouvert une API de données ouvertes sur les transports",
            "réduit de plusieurs heures le temps de calcul des tableaux de bord",
            "migré des traitements nocturnes vers une plateforme moderne",
            "documenté un catalogue de données pour les équipes métier",
            "sécurisé l'accès à des données de santé pseudonymisées",
            "industrialisé des modèles conçus par des data scientists",
        ],
    },
    "design": {
        "skills": [
            "design de services",
            "recherche utilisateur",
            "entretiens",
            "prototypage",
            "Figma",
            "design d'interface",
            "accessibilité",
            "design system",
            "tests utilisateurs",
            "parcours usagers",
            "facilitation",
            "animation d'ateliers",
            "cartes d'expérience",
            "écriture d'interface",
            "illustration",
            "DSFR",
        ],
        "roles": [
            "designer",
            "designer de services",
            "designeuse d'interface",
            "chercheuse en expérience utilisateur",
            "UX designer",
        ],
        "works": [
            "mené des entretiens avec des usagers et des agents d'accueil",
            "redessiné le parcours de demande d'une aide sociale",
            "animé des ateliers de co-conception avec des travailleurs sociaux",
            "créé un design system partagé par quatre équipes",
            "testé des prototypes avec des personnes âgées peu à l'aise en ligne",
            "simplifié un formulaire de quarante champs en six étapes",
            "rendu accessibles les démarches en ligne d'une mairie",
            "cartographié le parcours d'un créateur d'entreprise",
            "réécrit les courriers envoyés aux usagers dans un langage clair",
        ],
    },
    "droit_numerique": {
        "skills": [
            "RGPD",
            "protection des données personnelles",
            "droit du numérique",
            "marchés publics",
            "propriété intellectuelle",
            "licences libres",
            "analyse d'impact",
            "CNIL",
            "contrats informatiques",
            "droit administratif",
            "accès aux documents administratifs",
            "CADA",
            "open data juridique",
            "conformité",
        ],
        "roles": [
            "juriste",
            "juriste en droit du numérique",
            "déléguée à la protection des données",
            "délégué à la protection des données",
            "avocate",
            "avocat",
        ],
        "works": [
            "rédigé les conditions d'utilisation et l'analyse d'impact d'un service public",
            "accompagné une collectivité dans la mise en conformité au RGPD",
            "négocié les clauses de réversibilité d'un contrat d'hébergement",
            "conseillé une équipe produit sur l'ouverture de ses données",
            "rédigé un guide des licences libres pour des agents",
            "répondu aux demandes d'accès aux documents administratifs d'un ministère",
            "formé des chefs de projet à la protection des données dès la conception",
            "passé un marché public de développement en méthode agile",
        ],
    },
    "geomatique": {
        "skills": [
            "géomatique",
            "QGIS",
            "PostGIS",
            "systèmes d'information géographique",
            "cartographie",
            "télédétection",
            "Python",
            "GDAL",
            "données géographiques",
            "imagerie satellitaire",
            "OpenStreetMap",
            "cartographie web",
            "Leaflet",
            "MapLibre",
            "analyse spatiale",
            "base adresse",
        ],
        "roles": [
            "géomaticienne",
            "géomaticien",
            "cartographe",
            "chargée de mission SIG",
            "ingénieur en géomatique",
        ],
        "works": [
            "construit un outil de cartographie des risques d'inondation",
            "produit des cartes d'occupation des sols à partir d'images satellitaires",
            "fiabilisé la base des adresses d'un département",
            "publié les données géographiques d'une région en données ouvertes",
            "développé une carte interactive des équipements sportifs",
            "suivi l'artificialisation des sols par télédétection",
            "calculé les temps d'accès aux services publics en zone rurale",
            "contribué à OpenStreetMap avec une communauté locale",
        ],
    },
    "direction_produit": {
        "skills": [
            "gestion de produit",
            "méthodes agiles",
            "Scrum",
            "priorisation",
            "recherche utilisateur",
            "indicateurs d'impact",
            "feuille de route",
            "animation d'équipe",
            "tests utilisateurs",
            "stratégie produit",
            "lancement de service",
            "accessibilité",
        ],
        "roles": [
            "cheffe de produit",
            "chef de produit",
            "product manager",
            "responsable produit",
            "product owner",
        ],
        "works": [
            "lancé un service de covoiturage rural",
            "piloté la refonte d'un portail d'aides aux entreprises",
            "fait passer une équipe de livraisons trimestrielles à hebdomadaires",
            "défini les indicateurs d'impact d'un service de prise de rendez-vous",
            "arbitré une feuille de route entre quatre directions",
            "abandonné une fonctionnalité que personne n'utilisait",
            "conduit des entretiens avec des usagers pour prioriser les besoins",
            "encadré une équipe de cinq personnes",
        ],
    },
    "direction_technique": {
        "skills": [
            "architecture logicielle",
            "DevOps",
            "Kubernetes",
            "sécurité des systèmes",
            "hébergement",
            "observabilité",
            "logiciel libre",
            "recrutement technique",
            "Python",
            "Java",
            "Go",
            "PostgreSQL",
            "nuage",
            "éco-conception",
            "revue de code",
            "gestion de la dette technique",
        ],
        "roles": [
            "directrice technique",
            "directeur technique",
            "CTO",
            "architecte logicielle",
            "architecte logiciel",
            "responsable d'équipe technique",
        ],
        "works": [
            "migré un système d'information vers le nuage",
            "recruté et encadré une équipe de douze développeurs",
            "mis en place l'intégration continue et les tests",
            "réduit de moitié la facture d'hébergement d'une plateforme",
            "remis à plat la sécurité après un audit",
            "modernisé une application métier vieillissante",
            "publié sous licence libre le code d'un service public",
            "défini les règles d'architecture d'un groupe de cinq produits",
        ],
    },
    "direction_impact": {
        "skills": [
            "évaluation d'impact",
            "conduite du changement",
            "politiques publiques",
            "animation de communauté",
            "partenariats",
            "financements publics",
            "indicateurs",
            "stratégie",
            "plaidoyer",
            "économie sociale et solidaire",
            "mesure d'impact social",
            "gestion de projet",
        ],
        "roles": [
            "responsable de l'impact",
            "chargée de mission",
            "chargé de mission",
            "consultante en politiques publiques",
            "directrice de programme",
        ],
        "works": [
            "mesuré l'impact d'un programme d'inclusion numérique",
            "animé une communauté de contributeurs bénévoles",
            "monté des partenariats avec une dizaine de collectivités",
            "obtenu le financement d'un projet européen",
            "accompagné le déploiement d'un outil dans cinquante agences",
            "conduit le changement auprès d'agents inquiets d'un nouvel outil",
            "rédigé l'évaluation d'un dispositif d'aide au retour à l'emploi",
            "créé un tableau de bord pour les élus",
        ],
    },
}
# Said by candidates of every métier, now and then.
COMMON_SKILLS = [
    "gestion de projet",
    "anglais courant",
    "travail en équipe",
    "méthodes agiles",
    "prise de parole",
    "pédagogie",
    "rédaction",
    "logiciel libre",
    "données",
    "analyse de données",
]
PLACES = [
    "une jeune entreprise",
    "un cabinet de conseil",
    "une collectivité territoriale",
    "un laboratoire de recherche",
    "une association",
    "une agence publique",
    "un grand groupe industriel",
    "une coopérative",
    "un établissement hospitalier",
    "un média en ligne",
    "une banque",
    "une mutuelle",
    "un ministère",
    "une préfecture",
    "une entreprise de transport",
    "une université",
    "une agence web",
    "une ONG",
]
EXPERIENCE_SENTENCES = [
    "De {start} à {end}, {role} dans {place} : j'ai {work}.",
    "Pendant {n} ans, j'ai travaillé comme {role} dans {place}, où j'ai {work}.",
    "Dans {place}, en tant que {role}, j'ai {work} et {work2}.",
    "Mon projet le plus marquant : j'ai {work}, avec {skill} et {skill2}.",
    "Auparavant, j'ai {work} pour {place}.",
    "Depuis {start}, je suis {role} dans {place} ; j'y ai notamment {work}.",
    "J'ai aussi {work}, ce qui m'a appris l'importance de {skill}.",
]
VENTURES = [
    "J'ai cofondé une entreprise de services numériques, revendue après quatre ans.",
    "J'ai créé une association qui forme des lycéens au code.",
    "J'ai lancé un projet libre utilisé par plusieurs collectivités.",
    "J'ai porté de bout en bout un projet interne, de l'idée à la mise en service.",
    "J'ai monté une activité d'indépendante pendant trois ans.",
    "J'ai organisé un hackathon sur les données de santé.",
    "J'ai créé une épicerie coopérative dans mon quartier, avec une trentaine de voisins.",
    "J'ai lancé un podcast sur les métiers du numérique public.",
    "J'ai repris une petite entreprise familiale et l'ai fait passer au numérique.",
    "J'ai fondé un collectif de bénévoles qui répare des ordinateurs pour des familles.",
    "J'ai conduit un projet de recherche de trois ans, du financement à la publication.",
    "J'ai organisé chaque année un festival de musique dans ma commune.",
]
MOTIVES = [
    "Je veux mettre mes compétences au service de l'intérêt général.",
    "Le programme permet de transformer l'action publique de l'intérieur.",
    "Travailler avec des agents publics sur un défi concret me motive.",
    "Je souhaite rendre les services publics plus simples et plus accessibles.",
    "Ouvrir les données publiques et les rendre utiles compte beaucoup pour moi.",
    "J'aimerais apprendre le fonctionnement de l'administration.",
    "La sobriété numérique et l'éco-conception me tiennent à cœur.",
    "Je veux contribuer à une administration plus transparente.",
    "Après dix ans dans le privé, je cherche un travail qui ait du sens.",
    "Mes parents étaient agents publics : je veux à mon tour servir.",
    "Les défis de cette promotion touchent à des sujets que je connais bien.",
    "Je crois qu'une petite équipe peut changer la vie de milliers d'usagers.",
    "Dix mois pour livrer quelque chose d'utile, c'est exactement le rythme qui me convient.",
    "J'ai envie d'apprendre des autres entrepreneurs de la promotion.",
    "Je veux montrer qu'on peut construire vite et bien dans l'administration.",
    "Le logiciel libre et les communs numériques sont au cœur de mon engagement.",
]
FIRST_NAMES = ["Camille", "Dominique", "Alix", "Sacha", "Claude", "Maxime", "Noa", "Lou"]


def _plain(text: str) -> str:
    """`text` as typed without accents, case kept where it had none: « Données » → « Donnees »."""
    from eig.text import fold

    return "".join(fold(char) if not char.isascii() else char for char in text)


def _texts(specialty: str, rng: random.Random) -> dict[str, str]:
    """The answers of a candidate of `specialty`, in their métier's words."""
    metier = METIERS[specialty]
    skills = rng.sample(metier["skills"], rng.randint(5, 8))
    if rng.random() < 0.5:
        skills.append(rng.choice(COMMON_SKILLS))
    cut = rng.randint(3, 4)
    years = rng.randint(0, 20)
    end = 2026 - rng.randint(0, 4)
    sentences = []
    # Each achievement told once, as long as there are new ones.
    works = rng.sample(metier["works"], len(metier["works"]))
    for number, template in enumerate(rng.sample(EXPERIENCE_SENTENCES, rng.randint(3, 6))):
        work, work2 = works[2 * number % len(works)], works[(2 * number + 1) % len(works)]
        skill, skill2 = rng.sample(metier["skills"], 2)
        start = end - rng.randint(1, 6)
        sentences.append(
            template.format(
                start=start,
                end=end,
                n=end - start,
                role=rng.choice(metier["roles"]),
                place=rng.choice(PLACES),
                work=work,
                work2=work2,
                skill=skill,
                skill2=skill2,
            )
        )
        end = start
    texts = {
        "skills_main": ", ".join(skills[:cut]),
        "skills_secondary": ", ".join(skills[cut:]),
        "experience_specialty": " ".join(sentences),
        "experience_entrepreneurship": " ".join(rng.sample(VENTURES, rng.randint(1, 3))),
        "motivation": " ".join(rng.sample(MOTIVES, rng.randint(3, 6))),
    }
    # About a third of the candidates type without accents.
    if rng.random() < 0.35:
        texts = {name: _plain(text) for name, text in texts.items()}
    return {**texts, "years": years}


def seed(*, applications: int, rng: random.Random):
    """20,000 applications in the pool, written with bulk_create. An existing data set of
    the same size is kept as is. Returns the ids of the défis."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from candidates.models import Application, ApplicationSearch, CandidateCall, Wish
    from candidates.search import search_document
    from eig.accounts.models import Role, User
    from eig.programme.models import Administration, Promotion, Specialty
    from projects.models import Defi, DefiPosition, ProjectCall

    _site_settings()
    call = CandidateCall.objects.filter(slug=CALL_SLUG).first()
    if (
        call is not None
        and call.title == CALL_TITLE
        and Application.objects.filter(call=call, state="admitted").count() == applications
        and User.objects.filter(email=STAFF_EMAIL).exists()
    ):
        print(f"données      : déjà en place ({applications} dossiers), conservées")
        return list(Defi.objects.filter(state=Defi.State.SELECTED).values_list("pk", flat=True))
    if CandidateCall.objects.exclude(slug=CALL_SLUG).exists():
        raise SystemExit(
            "Cette base contient d'autres appels que celui du bench : elle ne sera pas vidée. "
            "Donnez une base à part avec --database-url."
        )
    print("données      : création…", flush=True)
    started = time.perf_counter()
    call_command("flush", interactive=False, verbosity=0)
    _site_settings()
    now = timezone.now()
    specialties = [choice for choice, _label in Specialty.choices]
    with transaction.atomic():
        promotion = Promotion.objects.create(code="bench", number=99, name="Bench", year=2030)
        project_call = ProjectCall.objects.create(
            promotion=promotion,
            title="Appel à projets du bench",
            slug="bench-vivier-projets",
            opens_at=now - datetime.timedelta(days=400),
            closes_at=now - datetime.timedelta(days=300),
        )
        administration = Administration.objects.create(name="Direction du bench", town="Paris")
        defis = Defi.objects.bulk_create(
            Defi(
                call=project_call,
                administration=administration,
                state=Defi.State.SELECTED,
                title=f"Défi n° {i + 1} : {rng.choice(METIERS[specialty]['skills'])}",
            )
            for i, specialty in enumerate(specialties[i % len(specialties)] for i in range(DEFIS))
        )
        positions = DefiPosition.objects.bulk_create(
            DefiPosition(defi=defi, rank=1, specialty=specialties[i % len(specialties)])
            for i, defi in enumerate(defis)
        )
        call = CandidateCall.objects.create(
            promotion=promotion,
            title=CALL_TITLE,
            slug=CALL_SLUG,
            opens_at=now - datetime.timedelta(days=300),
            closes_at=now - datetime.timedelta(days=200),
        )
        staff = User(email=STAFF_EMAIL, first_name="Équipe", last_name="Bench", roles=[Role.STAFF])
        staff.set_unusable_password()
        staff.save()
        people = User.objects.bulk_create(
            (
                User(
                    email=f"candidat{i}@exemple.fr",
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=f"Bench {i:05d}",
                    roles=[Role.CANDIDATE],
                    password="!",
                )
                for i in range(applications)
            ),
            batch_size=5000,
        )
        rows = []
        for i, person in enumerate(people):
            texts = _texts(specialties[i % len(specialties)], rng)
            years = texts.pop("years")
            rows.append(
                Application(
                    call=call,
                    candidate=person,
                    state="admitted",
                    specialty=specialties[i % len(specialties)],
                    years_experience=years,
                    mobility=rng.choice(["france", "region", "locale"]),
                    available_on=datetime.date(2026, 9, 1)
                    + datetime.timedelta(days=rng.randint(0, 365)),
                    talent_pool_consent=rng.random() < 0.8,
                    phone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} 00 00",
                    submitted_at=now - datetime.timedelta(days=250, minutes=i),
                    **texts,
                )
            )
        saved = Application.objects.bulk_create(rows, batch_size=2000)
        ApplicationSearch.objects.bulk_create(
            (
                ApplicationSearch(application=application, document=search_document(application))
                for application in saved
            ),
            batch_size=2000,
        )
        Wish.objects.bulk_create(
            (
                Wish(application=application, position=position, rank=rank)
                for application in saved
                for rank, position in enumerate(rng.sample(positions, 3), start=1)
            ),
            batch_size=10000,
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE candidates_application")
        cursor.execute("VACUUM ANALYZE candidates_applicationsearch")
        cursor.execute("ANALYZE")
    print(f"données      : créées en {time.perf_counter() - started:.1f} s", flush=True)
    return [defi.pk for defi in defis]


def queries(defi: int) -> dict[str, dict]:
    """The fixed searches: words with and without accents, filters alone and combined."""
    return {
        "sans filtre": {},
        "données": {"q": "données"},
        "donnees": {"q": "donnees"},
        "géomatique": {"q": "géomatique"},
        "geomatique": {"q": "geomatique"},
        "python": {"q": "python"},
        "accessibilité": {"q": "accessibilité"},
        '"données ouvertes"': {"q": '"données ouvertes"'},
        "python -java": {"q": "python -java"},
        "python, page 20": {"q": "python", "page": 20},
        "métier": {"specialty": "geomatique"},
        "expérience 3–5": {"experience": "3-5"},
        "disponible au 1/1/27": {"available_by": "2027-01-01"},
        "mobilité": {"mobility": "france"},
        "vivier accepté": {"consent": "on"},
        "défi souhaité": {"defi": defi},
        "filtres combinés": {
            "specialty": "data_science",
            "experience": "6-10",
            "mobility": "region",
            "consent": "on",
        },
        "mot + filtres": {
            "q": "donnees",
            "specialty": "data_science",
            "experience": "3-5",
            "available_by": "2027-03-01",
            "consent": "on",
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--applications", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=120, help="par requête de la liste")
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=SERVER_WORKERS)
    parser.add_argument("--threads", type=int, default=SERVER_THREADS)
    parser.add_argument("--seed", type=int, default=20261101)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    django_setup(args.database_url)
    from django.core.management import call_command
    from django.urls import reverse

    call_command("migrate", verbosity=0)
    defis = seed(applications=args.applications, rng=random.Random(args.seed))
    base = reverse("candidates:pool")
    paths = {name: f"{base}?{urlencode(params)}" for name, params in queries(defis[0]).items()}
    sql, render_ms = queries_per_render(paths["mot + filtres"], cached=False)
    cookie = session_cookie()

    port = free_port()
    process = start_gunicorn(
        port=port,
        database_url=args.database_url,
        workers=args.workers,
        threads=args.threads,
        conn_max_age=None,
    )
    marker = b"Vivier des talents"
    results = {}
    failures = []
    try:
        _, _, errors = load(
            port=port,
            paths=list(paths.values()),
            cookie=cookie,
            requests=args.warmup,
            concurrency=args.concurrency,
            marker=marker,
        )
        if errors:
            raise SystemExit(f"échauffement en erreur : {errors[:3]}")
        for name, path in paths.items():
            latencies, wall, errors = load(
                port=port,
                paths=[path],
                cookie=cookie,
                requests=args.requests,
                concurrency=args.concurrency,
                marker=marker,
            )
            results[name] = (latencies, wall, errors)
            if errors or not latencies or percentile(latencies, 0.95) >= TARGET_P95_MS:
                failures.append(name)
    finally:
        stop(process)

    load_average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"instance     : {args.applications} dossiers au vivier, {DEFIS} défis souhaités, "
        f"pages de 20"
    )
    print(
        f"serveur      : gunicorn -w {args.workers} --threads {args.threads}, DEBUG off ; "
        f"{os.cpu_count()} processeur(s), charge {load_average}"
    )
    print(f"charge       : {args.requests} requêtes par recherche, {args.concurrency} clients")
    print(f"{'recherche':<22} {'p50':>7} {'p95':>7} {'req/s':>7}")
    for name, (latencies, wall, errors) in results.items():
        if not latencies:
            print(f"{name:<22} erreurs : {errors[:2]}")
            continue
        p50, p95 = percentile(latencies, 0.50), percentile(latencies, 0.95)
        flag = "" if name not in failures else "  <- manqué"
        print(
            f"{name:<22} {p50:>4.0f} ms {p95:>4.0f} ms {len(latencies) / wall:>7.1f}"
            f"{' erreurs ' + str(len(errors)) if errors else ''}{flag}"
        )
    print(
        f"requêtes SQL : {sql} pour un rendu de « mot + filtres » (cible < {TARGET_QUERIES}) ; "
        f"un rendu seul : {render_ms:.0f} ms"
    )
    passed = not failures and sql < TARGET_QUERIES
    print("PASS" if passed else f"FAIL ({', '.join(failures) or 'requêtes SQL'})")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
