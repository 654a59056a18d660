"""The sections of the défi form, in the order of the real fiche détaillée.

Each section lists the Defi fields it edits and those a submission requires. The form, the
progress list and the completeness check all read this one table.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str
    fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    # Sections whose content is not plain Defi fields (positions, attachment).
    special: str = ""
    extra_required: tuple[str, ...] = field(default=())


SECTIONS: tuple[Section, ...] = (
    Section(
        "administration",
        "Administration",
        "L'entité qui accueille les EIG, ses partenaires et le lieu de travail.",
        fields=("host_entity", "partners", "work_site", "requests_cofinancing"),
        required=("host_entity", "work_site"),
    ),
    Section(
        "contacts",
        "Contacts",
        "Le porteur présente le défi au jury ; le mentor de haut niveau en est le sponsor ; "
        "les contacts RH et gestion suivent le recrutement et le co-financement.",
        fields=(
            "porteur_name",
            "porteur_job",
            "porteur_email",
            "porteur_phone",
            "sponsor_name",
            "sponsor_job",
            "sponsor_email",
            "hr_name",
            "hr_email",
            "finance_name",
            "finance_email",
        ),
        required=(
            "porteur_name",
            "porteur_job",
            "porteur_email",
            "sponsor_name",
            "sponsor_job",
            "sponsor_email",
            "hr_name",
            "hr_email",
            "finance_name",
            "finance_email",
        ),
    ),
    Section(
        "contexte",
        "Contexte et problématique",
        "Le nom du défi, son résumé et le problème de politique publique qu'il veut résoudre.",
        fields=("title", "summary", "context", "problem", "themes"),
        required=("title", "summary", "context", "problem"),
    ),
    Section(
        "usagers",
        "Usagers et impact attendu",
        "Pour qui, et comment saura-t-on que le défi a réussi.",
        fields=("beneficiaries", "expected_impact", "indicators"),
        required=("beneficiaries", "expected_impact"),
    ),
    Section(
        "donnees",
        "Données disponibles",
        "Les jeux de données nécessaires, leur accès et ce qu'il reste à faire pour les ouvrir "
        "aux EIG.",
        fields=("data_available",),
        required=("data_available",),
    ),
    Section(
        "equipe",
        "Équipe et temps consacré",
        "L'équipe projet côté administration et le temps qu'elle donne aux EIG.",
        fields=("team", "team_time", "resources"),
        required=("team", "team_time"),
    ),
    Section(
        "profils",
        "Profils recherchés",
        "Deux ou trois EIG : pour chacun, son métier, ses missions et les compétences attendues.",
        special="positions",
    ),
    Section(
        "feuille-de-route",
        "Stratégie et feuille de route",
        "Où en est le projet, l'hypothèse que les EIG exploreront, les risques et la suite.",
        fields=("progress", "roadmap", "risks", "sustainability"),
        required=("progress", "roadmap"),
    ),
    Section(
        "ouverture",
        "Ouverture",
        "Le programme demande de publier le code sous licence libre et d'ouvrir les données, "
        "sauf exception légale.",
        fields=("commits_open_source", "commits_open_data", "openness"),
        required=("commits_open_source", "commits_open_data"),
    ),
    Section(
        "motivation",
        "Motivation",
        "Pourquoi postulez-vous au programme EIG ?",
        fields=("motivation",),
        required=("motivation",),
    ),
    Section(
        "presentation",
        "Présentation de synthèse",
        "Une présentation au format PDF, 12 pages au plus, 10 Mo au plus.",
        special="pitch_deck",
    ),
)

SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}
MIN_POSITIONS, MAX_POSITIONS = 2, 3


def section_field_values(defi, section: "Section") -> list[tuple[str, str]]:
    """(label, value) of each field of a section as a reader sees it: booleans read "Oui" /
    "Non", choices their label, an empty answer "". Reads the field definitions from the
    instance's own model, so that it works on a migration's historical models too."""
    pairs = []
    for name in section.fields:
        field = defi._meta.get_field(name)
        value = getattr(defi, name)
        if isinstance(value, bool):
            shown = "Oui" if value else "Non"
        elif field.choices:
            shown = str(dict(field.flatchoices).get(value, value))
        else:
            shown = "" if value is None else str(value)
        label = str(field.verbose_name)
        pairs.append((label[:1].upper() + label[1:], shown))
    return pairs
